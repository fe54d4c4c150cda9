namespace Wirestack.Wire;

/// <summary>
/// A read-only view of an IPv6 routing header (RFC 8200 section 4.4): the generic part only.
/// A host that is not a segment endpoint ignores a header whose segments left is 0, and answers
/// an unknown routing type with segments left above 0 with a parameter problem (code 0) pointing
/// at the routing type byte (offset 2 in the header).
/// </summary>
public readonly ref struct Ipv6RoutingHeader
{
    /// <summary>The shortest routing header.</summary>
    public const int MinLength = 8;

    /// <summary>Routing type 0, deprecated by RFC 5095: never to be processed.</summary>
    public const byte TypeSourceRoute = 0;

    /// <summary>Routing type 4, the segment routing header (RFC 8754).</summary>
    public const byte TypeSegmentRouting = 4;

    private readonly ReadOnlySpan<byte> _buffer;

    private Ipv6RoutingHeader(ReadOnlySpan<byte> buffer) => _buffer = buffer;

    /// <summary>Checks <paramref name="buffer"/> and makes a view of the header's (length + 1) × 8 bytes.</summary>
    public static WireError TryParse(ReadOnlySpan<byte> buffer, out Ipv6RoutingHeader header)
    {
        header = default;
        if (buffer.Length < MinLength) return WireError.Truncated;
        int length = (buffer[1] + 1) * 8;
        if (length > buffer.Length) return WireError.Truncated;
        header = new Ipv6RoutingHeader(buffer[..length]);
        return WireError.None;
    }

    /// <summary>The whole header.</summary>
    public ReadOnlySpan<byte> Buffer => _buffer;

    /// <summary>The type of the header that follows.</summary>
    public IpProtocol NextHeader => (IpProtocol)_buffer[0];

    /// <summary>The header's length in bytes.</summary>
    public int HeaderLength => _buffer.Length;

    /// <summary>The routing type.</summary>
    public byte RoutingType => _buffer[2];

    /// <summary>How many route segments remain to be visited.</summary>
    public byte SegmentsLeft => _buffer[3];

    /// <summary>The type-specific data (everything after the first four bytes).</summary>
    public ReadOnlySpan<byte> Data => _buffer[4..];
}
