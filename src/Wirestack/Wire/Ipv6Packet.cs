using System.Buffers.Binary;

namespace Wirestack.Wire;

/// <summary>
/// A read-only view of an IPv6 packet: the 40-byte fixed header and what follows it (extension
/// headers, then the upper-layer payload). <see cref="TryParse"/> checks the version and the
/// payload length against the buffer, and trims link padding past the payload length.
/// </summary>
public readonly ref struct Ipv6Packet
{
    /// <summary>The length of the fixed header.</summary>
    public const int HeaderLength = 40;

    /// <summary>The smallest MTU every IPv6 link carries (RFC 8200 section 5).</summary>
    public const int MinimumMtu = 1280;

    private readonly ReadOnlySpan<byte> _buffer;

    private Ipv6Packet(ReadOnlySpan<byte> buffer) => _buffer = buffer;

    /// <summary>Checks <paramref name="buffer"/> and makes a view of its first 40 + <see cref="PayloadLength"/> bytes.</summary>
    /// <remarks>
    /// A payload length of 0 with a hop-by-hop header next is a jumbogram (RFC 2675), which Wirestack
    /// does not handle: it is reported as <see cref="WireError.Unsupported"/>.
    /// </remarks>
    public static WireError TryParse(ReadOnlySpan<byte> buffer, out Ipv6Packet packet)
    {
        packet = default;
        if (buffer.Length < HeaderLength) return WireError.Truncated;
        if (buffer[0] >> 4 != 6) return WireError.BadVersion;
        int payloadLength = BinaryPrimitives.ReadUInt16BigEndian(buffer[4..]);
        if (payloadLength == 0 && buffer[6] == (byte)IpProtocol.HopByHop) return WireError.Unsupported;
        if (payloadLength > buffer.Length - HeaderLength) return WireError.Truncated;
        packet = new Ipv6Packet(buffer[..(HeaderLength + payloadLength)]);
        return WireError.None;
    }

    /// <summary>The packet (header and payload, without link padding).</summary>
    public ReadOnlySpan<byte> Buffer => _buffer;

    /// <summary>The version field (always 6 in a parsed packet).</summary>
    public int Version => _buffer[0] >> 4;

    /// <summary>The 8-bit traffic class: <see cref="Dscp"/> and <see cref="Ecn"/> together.</summary>
    public byte TrafficClass => (byte)(BinaryPrimitives.ReadUInt16BigEndian(_buffer) >> 4);

    /// <summary>Differentiated services code point (the high 6 bits of the traffic class).</summary>
    public byte Dscp => (byte)(TrafficClass >> 2);

    /// <summary>Explicit congestion notification (the low 2 bits of the traffic class).</summary>
    public byte Ecn => (byte)(TrafficClass & 3);

    /// <summary>The 20-bit flow label.</summary>
    public uint FlowLabel => BinaryPrimitives.ReadUInt32BigEndian(_buffer) & 0xF_FFFF;

    /// <summary>The payload length field: the bytes after the fixed header, extension headers included.</summary>
    public int PayloadLength => BinaryPrimitives.ReadUInt16BigEndian(_buffer[4..]);

    /// <summary>The type of the header that follows: an extension header or the upper-layer protocol.</summary>
    public IpProtocol NextHeader => (IpProtocol)_buffer[6];

    /// <summary>The hop limit.</summary>
    public byte HopLimit => _buffer[7];

    /// <summary>The source address.</summary>
    public Ipv6Address Source => Ipv6Address.Read(_buffer[8..]);

    /// <summary>The destination address.</summary>
    public Ipv6Address Destination => Ipv6Address.Read(_buffer[24..]);

    /// <summary>The fixed header alone.</summary>
    public ReadOnlySpan<byte> Header => _buffer[..HeaderLength];

    /// <summary>Everything after the fixed header, as long as the payload length says; walk it with <see cref="Ipv6ExtensionHeaderReader"/>.</summary>
    public ReadOnlySpan<byte> Payload => _buffer[HeaderLength..];

    /// <summary>A reader over the extension headers, starting at <see cref="NextHeader"/>.</summary>
    public Ipv6ExtensionHeaderReader ExtensionHeaders => new(Payload, NextHeader);
}
