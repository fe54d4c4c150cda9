using System.Buffers.Binary;
using Wirestack.Wire;

namespace Wirestack.Ip;

/// <summary>A keyed, deterministic hash of an address for the IP layer's preallocated hash tables.</summary>
internal static class AddressHash
{
    /// <summary>
    /// Hashes <paramref name="address"/> under <paramref name="seed"/>. Both halves of the address (IPv4 fills the
    /// first four bytes) and its length go in, so an IPv4 address and an IPv6 one never hash alike by
    /// construction; the final mix makes every input bit reach the low bits a bucket index takes.
    /// Deterministic for a given seed, unlike <see cref="HashCode"/>, so a simulation replays exactly.
    /// </summary>
    public static uint Compute<TAddress>(TAddress address, ulong seed)
        where TAddress : struct, IIpAddress<TAddress>
    {
        Span<byte> bytes = stackalloc byte[16];
        bytes.Clear();
        address.WriteTo(bytes);
        ulong h = (BinaryPrimitives.ReadUInt64LittleEndian(bytes) ^ seed ^ (ulong)TAddress.Length) * 0x9E37_79B9_7F4A_7C15UL;
        h = (h ^ BinaryPrimitives.ReadUInt64LittleEndian(bytes[8..]) ^ (seed >> 17)) * 0xBF58_476D_1CE4_E5B9UL;
        h ^= h >> 31;
        h *= 0x94D0_49BB_1331_11EBUL;
        return (uint)(h ^ (h >> 32));
    }
}
