using System.Buffers.Binary;
using System.Numerics;
using System.Runtime.CompilerServices;

namespace Wirestack.Tcp;

/// <summary>
/// SipHash-2-4 (Aumasson and Bernstein, 2012): a fast keyed pseudo-random function with a 128-bit key and a
/// 64-bit output. TCP uses it where an off-path attacker must not predict a value: initial sequence numbers
/// (RFC 6528) and SYN cookies. Allocation-free.
/// </summary>
public static class SipHash
{
    /// <summary>The length of a key in bytes.</summary>
    public const int KeyLength = 16;

    /// <summary>SipHash-2-4 of <paramref name="data"/> under a 16-byte <paramref name="key"/>.</summary>
    /// <exception cref="ArgumentException"><paramref name="key"/> is not 16 bytes long.</exception>
    public static ulong Hash(ReadOnlySpan<byte> key, ReadOnlySpan<byte> data)
    {
        if (key.Length != KeyLength)
            throw new ArgumentException($"A SipHash key is {KeyLength} bytes; {key.Length} were given (draw one from RandomNumberGenerator).", nameof(key));
        return Hash(BinaryPrimitives.ReadUInt64LittleEndian(key), BinaryPrimitives.ReadUInt64LittleEndian(key[8..]), data);
    }

    /// <summary>SipHash-2-4 of <paramref name="data"/> under the key k0 ‖ k1 (each read little-endian from the key bytes).</summary>
    public static ulong Hash(ulong k0, ulong k1, ReadOnlySpan<byte> data)
    {
        ulong v0 = k0 ^ 0x736f6d6570736575UL;
        ulong v1 = k1 ^ 0x646f72616e646f6dUL;
        ulong v2 = k0 ^ 0x6c7967656e657261UL;
        ulong v3 = k1 ^ 0x7465646279746573UL;

        int whole = data.Length & ~7;
        for (int i = 0; i < whole; i += 8)
        {
            ulong m = BinaryPrimitives.ReadUInt64LittleEndian(data[i..]);
            v3 ^= m;
            Round(ref v0, ref v1, ref v2, ref v3);
            Round(ref v0, ref v1, ref v2, ref v3);
            v0 ^= m;
        }

        // The last block holds the leftover bytes and the message length in its top byte.
        ulong last = (ulong)data.Length << 56;
        var tail = data[whole..];
        for (int i = 0; i < tail.Length; i++) last |= (ulong)tail[i] << (8 * i);
        v3 ^= last;
        Round(ref v0, ref v1, ref v2, ref v3);
        Round(ref v0, ref v1, ref v2, ref v3);
        v0 ^= last;

        v2 ^= 0xff;
        Round(ref v0, ref v1, ref v2, ref v3);
        Round(ref v0, ref v1, ref v2, ref v3);
        Round(ref v0, ref v1, ref v2, ref v3);
        Round(ref v0, ref v1, ref v2, ref v3);
        return v0 ^ v1 ^ v2 ^ v3;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Round(ref ulong v0, ref ulong v1, ref ulong v2, ref ulong v3)
    {
        v0 += v1;
        v1 = BitOperations.RotateLeft(v1, 13);
        v1 ^= v0;
        v0 = BitOperations.RotateLeft(v0, 32);
        v2 += v3;
        v3 = BitOperations.RotateLeft(v3, 16);
        v3 ^= v2;
        v0 += v3;
        v3 = BitOperations.RotateLeft(v3, 21);
        v3 ^= v0;
        v2 += v1;
        v1 = BitOperations.RotateLeft(v1, 17);
        v1 ^= v2;
        v2 = BitOperations.RotateLeft(v2, 32);
    }
}
