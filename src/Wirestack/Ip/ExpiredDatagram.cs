using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;

namespace Wirestack.Ip;

/// <summary>
/// A datagram whose reassembly time ran out after its first fragment (offset 0) had arrived: the caller may send an
/// ICMP "fragment reassembly time exceeded" (ICMPv4 type 11 code 1, ICMPv6 type 3 code 1) to its source, quoting
/// <see cref="Quote"/>. The quote is a copy, so the reassembly buffer is free already.
/// </summary>
public struct ExpiredDatagram
{
    /// <summary>
    /// The most bytes of the first fragment kept: a 60-byte IPv4 header and 8 bytes (RFC 792) fit, and so do an IPv6
    /// header, a fragment header and 80 more bytes.
    /// </summary>
    public const int MaxQuoteLength = 128;

    private QuoteBuffer _quote;
    private int _quoteLength;

    /// <summary>The datagram that timed out.</summary>
    public FragmentKey Key { readonly get; private set; }

    /// <summary>The first up to <see cref="MaxQuoteLength"/> bytes of the first fragment's packet, as the caller passed it.</summary>
    [UnscopedRef]
    public readonly ReadOnlySpan<byte> Quote => ((ReadOnlySpan<byte>)_quote)[.._quoteLength];

    internal void Set(FragmentKey key, ReadOnlySpan<byte> quote)
    {
        Key = key;
        _quoteLength = Math.Min(quote.Length, MaxQuoteLength);
        quote[.._quoteLength].CopyTo(_quote);
    }

    [InlineArray(MaxQuoteLength)]
    private struct QuoteBuffer
    {
        private byte _element;
    }
}
