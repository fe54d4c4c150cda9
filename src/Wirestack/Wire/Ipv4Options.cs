using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;

namespace Wirestack.Wire;

/// <summary>
/// The raw option bytes of an IPv4 header, held inline (up to 40 bytes) so that a repr stays a
/// plain struct. Wirestack does not act on IPv4 options; it keeps them so a header re-emits intact.
/// </summary>
public struct Ipv4Options
{
    /// <summary>The most option bytes an IPv4 header can carry.</summary>
    public const int MaxLength = Ipv4Packet.MaxHeaderLength - Ipv4Packet.MinHeaderLength;

    private OptionBytes _bytes;
    private byte _length;

    /// <summary>The number of option bytes (a multiple of 4).</summary>
    public readonly int Length => _length;

    /// <summary>The option bytes.</summary>
    [UnscopedRef]
    public readonly ReadOnlySpan<byte> Bytes => ((ReadOnlySpan<byte>)_bytes)[.._length];

    /// <summary>Keeps a copy of <paramref name="options"/>, which must be a multiple of 4 bytes and at most 40.</summary>
    /// <exception cref="ArgumentException">The length is not a multiple of 4 or exceeds 40.</exception>
    public static Ipv4Options FromBytes(ReadOnlySpan<byte> options)
    {
        if (options.Length > MaxLength || options.Length % 4 != 0)
            throw new ArgumentException($"IPv4 options are {options.Length} bytes; they must be a multiple of 4 and at most {MaxLength} (pad with end-of-list bytes).", nameof(options));
        var result = default(Ipv4Options);
        options.CopyTo(result._bytes);
        result._length = (byte)options.Length;
        return result;
    }

    [InlineArray(MaxLength)]
    private struct OptionBytes
    {
        private byte _element;
    }
}
