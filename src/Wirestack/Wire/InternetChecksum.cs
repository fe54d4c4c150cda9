using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Wirestack.Wire;

/// <summary>
/// The Internet checksum (RFC 1071): the 16-bit ones'-complement sum, vectorised.
/// </summary>
/// <remarks>
/// A <em>partial sum</em> here is the folded 16-bit ones'-complement sum of some bytes, in network
/// byte order, held in a <see cref="uint"/> no larger than 0xFFFF. Partial sums add with
/// <see cref="Add"/>; <see cref="Finish"/> turns one into the value that goes in a checksum field.
/// The sum is computed in native byte order over wide words and swapped once at the end, which
/// RFC 1071 section 2(B) shows is equivalent.
/// </remarks>
public static class InternetChecksum
{
    /// <summary>The partial sum of <paramref name="data"/>.</summary>
    public static uint Sum(ReadOnlySpan<byte> data) => ToNetworkOrder(Fold(SumNative(ref MemoryMarshal.GetReference(data), (nuint)data.Length)));

    /// <summary>Adds the sum of <paramref name="data"/> to <paramref name="partial"/>.</summary>
    public static uint Sum(ReadOnlySpan<byte> data, uint partial) => Add(partial, Sum(data));

    /// <summary>
    /// Adds the sum of <paramref name="data"/> to <paramref name="partial"/>, where
    /// <paramref name="data"/> starts <paramref name="bytesBefore"/> bytes into the checksummed
    /// region. An odd offset shifts every byte into the other half of its 16-bit word.
    /// </summary>
    public static uint Continue(uint partial, ReadOnlySpan<byte> data, int bytesBefore) => AddAt(partial, Sum(data), bytesBefore);

    /// <summary>
    /// Adds <paramref name="sum"/>, the partial sum of bytes that start <paramref name="bytesBefore"/> bytes into
    /// the checksummed region (taken on its own, while copying them, say), to <paramref name="partial"/>. An odd
    /// offset shifts every byte into the other half of its 16-bit word, so the sum is byte-swapped first.
    /// </summary>
    public static uint AddAt(uint partial, uint sum, int bytesBefore)
    {
        if ((bytesBefore & 1) != 0) sum = BinaryPrimitives.ReverseEndianness((ushort)sum);
        return Add(partial, sum);
    }

    /// <summary>
    /// Copies <paramref name="source"/> to the start of <paramref name="destination"/> and returns
    /// the partial sum of the copied bytes, reading each byte once.
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="destination"/> is shorter than <paramref name="source"/>.</exception>
    public static uint CopyAndSum(ReadOnlySpan<byte> source, Span<byte> destination)
    {
        if (destination.Length < source.Length)
            throw new ArgumentException($"The destination holds {destination.Length} bytes but the source has {source.Length}.", nameof(destination));
        return ToNetworkOrder(Fold(CopyAndSumNative(ref MemoryMarshal.GetReference(source), ref MemoryMarshal.GetReference(destination), (nuint)source.Length)));
    }

    /// <summary>Adds two partial sums.</summary>
    public static uint Add(uint a, uint b) => Fold16(a + b);

    /// <summary>The checksum field value for a partial sum: its ones' complement.</summary>
    public static ushort Finish(uint partial) => (ushort)~Fold16(partial);

    /// <summary>The checksum of <paramref name="data"/>, ready for a checksum field.</summary>
    public static ushort Compute(ReadOnlySpan<byte> data, uint initial = 0) => Finish(Sum(data, initial));

    /// <summary>
    /// True when <paramref name="data"/> (which contains its checksum field) plus
    /// <paramref name="initial"/> (a pseudo-header sum, or 0) sums to all ones.
    /// </summary>
    public static bool IsValid(ReadOnlySpan<byte> data, uint initial = 0) => Sum(data, initial) == 0xFFFF;

    /// <summary>The partial sum of the IPv4 pseudo-header (RFC 793 / RFC 768).</summary>
    public static uint PseudoHeaderSum(Ipv4Address source, Ipv4Address destination, IpProtocol protocol, int length)
    {
        ulong sum = (source.Value >> 16) + (source.Value & 0xFFFF) + (destination.Value >> 16) + (destination.Value & 0xFFFF)
            + (uint)protocol + (uint)length;
        return Fold(sum);
    }

    /// <summary>The partial sum of the IPv6 pseudo-header (RFC 8200 section 8.1).</summary>
    public static uint PseudoHeaderSum(Ipv6Address source, Ipv6Address destination, IpProtocol protocol, int length)
    {
        ulong sum = Words(source.High) + Words(source.Low) + Words(destination.High) + Words(destination.Low)
            + ((uint)length >> 16) + ((uint)length & 0xFFFF) + (uint)protocol;
        return Fold(sum);
    }

    /// <summary>
    /// The partial pseudo-header sum for either family; both addresses must be of the same family (an IPv4
    /// source with an IPv6 destination is summed as IPv6, which no peer will accept).
    /// </summary>
    public static uint PseudoHeaderSum(IpAddress source, IpAddress destination, IpProtocol protocol, int length) =>
        source.IsIpv4 && destination.IsIpv4
            ? PseudoHeaderSum(source.AsIpv4, destination.AsIpv4, protocol, length)
            : PseudoHeaderSum(source.AsIpv6, destination.AsIpv6, protocol, length);

    /// <summary>
    /// Updates a checksum field after one 16-bit word it covers changed from
    /// <paramref name="oldValue"/> to <paramref name="newValue"/> (RFC 1624, equation 3).
    /// </summary>
    public static ushort Update(ushort checksum, ushort oldValue, ushort newValue) =>
        (ushort)~Fold16((uint)(ushort)~checksum + (ushort)~oldValue + newValue);

    /// <summary>Updates a checksum field after a 32-bit value it covers changed (an IPv4 address, say).</summary>
    public static ushort Update(ushort checksum, uint oldValue, uint newValue) =>
        (ushort)~Fold16((uint)(ushort)~checksum + (ushort)~(oldValue >> 16) + (ushort)~oldValue + (newValue >> 16) + (newValue & 0xFFFF));

    private static ulong Words(ulong v) => (v >> 48) + ((v >> 32) & 0xFFFF) + ((v >> 16) & 0xFFFF) + (v & 0xFFFF);

    private static uint ToNetworkOrder(uint nativeSum) =>
        BitConverter.IsLittleEndian ? BinaryPrimitives.ReverseEndianness((ushort)nativeSum) : nativeSum;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static uint Fold16(uint sum)
    {
        sum = (sum & 0xFFFF) + (sum >> 16);
        return (sum & 0xFFFF) + (sum >> 16);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static uint Fold(ulong sum)
    {
        sum = (sum & 0xFFFF_FFFF) + (sum >> 32); // below 2^33
        sum = (sum & 0xFFFF_FFFF) + (sum >> 32); // now fits 32 bits
        return Fold16((uint)sum);
    }

    // Each 32-bit lane of an accumulator takes the two 16-bit halves of its word per step: at most
    // 2 x 0xFFFF. After a block of 8192 steps (512 KiB) the two accumulators together hold under
    // 2^31 per lane, so they add without overflow and are widened to 64 bits once per block.
    private const int BlockSteps = 8192;

    private static ulong SumNative(ref byte start, nuint length)
    {
        ulong acc = 0;
        nuint i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            var low16 = Vector256.Create(0xFFFFu);
            while (length - i >= 64)
            {
                nuint steps = Math.Min((length - i) / 64, BlockSteps);
                var a0 = Vector256<uint>.Zero;
                var a1 = Vector256<uint>.Zero;
                for (nuint end = i + steps * 64; i < end; i += 64)
                {
                    var v0 = Vector256.LoadUnsafe(ref start, i).AsUInt32();
                    var v1 = Vector256.LoadUnsafe(ref start, i + 32).AsUInt32();
                    a0 += (v0 & low16) + (v0 >>> 16);
                    a1 += (v1 & low16) + (v1 >>> 16);
                }
                acc += WidenSum(a0 + a1);
            }
        }
        return acc + SumTail(ref start, i, length);
    }

    private static ulong CopyAndSumNative(ref byte source, ref byte destination, nuint length)
    {
        ulong acc = 0;
        nuint i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            var low16 = Vector256.Create(0xFFFFu);
            while (length - i >= 64)
            {
                nuint steps = Math.Min((length - i) / 64, BlockSteps);
                var a0 = Vector256<uint>.Zero;
                var a1 = Vector256<uint>.Zero;
                for (nuint end = i + steps * 64; i < end; i += 64)
                {
                    var v0 = Vector256.LoadUnsafe(ref source, i);
                    var v1 = Vector256.LoadUnsafe(ref source, i + 32);
                    v0.StoreUnsafe(ref destination, i);
                    v1.StoreUnsafe(ref destination, i + 32);
                    var w0 = v0.AsUInt32();
                    var w1 = v1.AsUInt32();
                    a0 += (w0 & low16) + (w0 >>> 16);
                    a1 += (w1 & low16) + (w1 >>> 16);
                }
                acc += WidenSum(a0 + a1);
            }
        }
        if (i < length)
            Unsafe.CopyBlockUnaligned(ref Unsafe.Add(ref destination, i), ref Unsafe.Add(ref source, i), (uint)(length - i));
        return acc + SumTail(ref source, i, length);
    }

    private static ulong WidenSum(Vector256<uint> lanes)
    {
        var (lower, upper) = Vector256.Widen(lanes);
        return Vector256.Sum(lower + upper);
    }

    // The last few bytes; an odd final byte is the high-order byte of a zero-padded word in network
    // order, which is the low-order byte of a native little-endian word.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong SumTail(ref byte start, nuint i, nuint length)
    {
        ulong acc = 0;
        for (; i + 8 <= length; i += 8)
        {
            ulong x = Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref start, i));
            acc += (uint)x + (x >> 32);
        }
        if (i + 4 <= length)
        {
            acc += Unsafe.ReadUnaligned<uint>(ref Unsafe.Add(ref start, i));
            i += 4;
        }
        if (i + 2 <= length)
        {
            acc += Unsafe.ReadUnaligned<ushort>(ref Unsafe.Add(ref start, i));
            i += 2;
        }
        if (i < length)
        {
            byte last = Unsafe.Add(ref start, i);
            acc += BitConverter.IsLittleEndian ? last : (uint)last << 8;
        }
        return acc;
    }
}
