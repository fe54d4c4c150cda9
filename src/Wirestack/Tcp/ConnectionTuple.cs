using System.Buffers.Binary;
using Wirestack.Wire;

namespace Wirestack.Tcp;

/// <summary>The bytes a connection's keyed hashes (ISNs, SYN cookies) are computed over.</summary>
internal static class ConnectionTuple
{
    /// <summary>Both addresses (16 bytes each, IPv4 in mapped form) and both ports.</summary>
    public const int Length = 36;

    /// <summary>Writes local address, remote address, local port, remote port into <paramref name="destination"/>.</summary>
    public static void Write(Span<byte> destination, IpEndpoint local, IpEndpoint remote)
    {
        local.Address.AsIpv6.WriteTo(destination);
        remote.Address.AsIpv6.WriteTo(destination[16..]);
        BinaryPrimitives.WriteUInt16BigEndian(destination[32..], local.Port);
        BinaryPrimitives.WriteUInt16BigEndian(destination[34..], remote.Port);
    }
}
