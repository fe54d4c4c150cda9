namespace Wirestack.Wire;

/// <summary>One IPv6 extension header found by an <see cref="Ipv6ExtensionHeaderReader"/>.</summary>
public readonly ref struct Ipv6ExtensionHeader
{
    internal Ipv6ExtensionHeader(IpProtocol type, ReadOnlySpan<byte> bytes, int offset, WireError error)
    {
        Type = type;
        Bytes = bytes;
        Offset = offset;
        Error = error;
    }

    /// <summary>Which extension header this is (hop-by-hop, routing, fragment or destination options).</summary>
    public IpProtocol Type { get; }

    /// <summary>
    /// <see cref="WireError.None"/> for a well-formed header; otherwise why the walk stopped here
    /// (see <see cref="Ipv6ExtensionHeaderReader.Error"/>), in which case <see cref="Bytes"/> is empty.
    /// </summary>
    public WireError Error { get; }

    /// <summary>The type of the header that follows this one.</summary>
    /// <exception cref="InvalidOperationException">The header is malformed.</exception>
    public IpProtocol NextHeader => Error == WireError.None
        ? (IpProtocol)Bytes[0]
        : throw new InvalidOperationException("A malformed extension header has no next header.");

    /// <summary>The whole header, next-header byte included (empty for a malformed header).</summary>
    public ReadOnlySpan<byte> Bytes { get; }

    /// <summary>The header's length in bytes (a multiple of 8, or 0 for a malformed header).</summary>
    public int Length => Bytes.Length;

    /// <summary>The header after its next-header and length bytes.</summary>
    public ReadOnlySpan<byte> Data => Bytes.IsEmpty ? default : Bytes[2..];

    /// <summary>Where the header starts, counted from the start of the IPv6 payload.</summary>
    public int Offset { get; }
}
