using System.Buffers.Binary;

namespace Wirestack.Wire;

/// <summary>
/// A read-only view of an IPv4 packet. <see cref="TryParse"/> checks the version, the header
/// length and the total length against the buffer, and trims link padding past the total length.
/// </summary>
public readonly ref struct Ipv4Packet
{
    /// <summary>The length of a header without options.</summary>
    public const int MinHeaderLength = 20;

    /// <summary>The longest header (IHL 15).</summary>
    public const int MaxHeaderLength = 60;

    private readonly ReadOnlySpan<byte> _buffer;

    private Ipv4Packet(ReadOnlySpan<byte> buffer) => _buffer = buffer;

    /// <summary>Checks <paramref name="buffer"/> and makes a view of its first <see cref="TotalLength"/> bytes.</summary>
    public static WireError TryParse(ReadOnlySpan<byte> buffer, out Ipv4Packet packet)
    {
        packet = default;
        if (buffer.Length < MinHeaderLength) return WireError.Truncated;
        if (buffer[0] >> 4 != 4) return WireError.BadVersion;
        int headerLength = (buffer[0] & 0xF) * 4;
        if (headerLength < MinHeaderLength) return WireError.BadHeaderLength;
        if (headerLength > buffer.Length) return WireError.Truncated;
        int totalLength = BinaryPrimitives.ReadUInt16BigEndian(buffer[2..]);
        if (totalLength < headerLength) return WireError.BadLength;
        if (totalLength > buffer.Length) return WireError.Truncated;
        packet = new Ipv4Packet(buffer[..totalLength]);
        return WireError.None;
    }

    /// <summary>The packet (header and payload, without link padding).</summary>
    public ReadOnlySpan<byte> Buffer => _buffer;

    /// <summary>The header length in bytes (IHL × 4).</summary>
    public int HeaderLength => (_buffer[0] & 0xF) * 4;

    /// <summary>Differentiated services code point (6 bits).</summary>
    public byte Dscp => (byte)(_buffer[1] >> 2);

    /// <summary>Explicit congestion notification (2 bits).</summary>
    public byte Ecn => (byte)(_buffer[1] & 3);

    /// <summary>The total length field.</summary>
    public int TotalLength => BinaryPrimitives.ReadUInt16BigEndian(_buffer[2..]);

    /// <summary>The identification field.</summary>
    public ushort Identification => BinaryPrimitives.ReadUInt16BigEndian(_buffer[4..]);

    /// <summary>The reserved flag (must be zero).</summary>
    public bool ReservedFlag => (_buffer[6] & 0x80) != 0;

    /// <summary>The don't-fragment flag.</summary>
    public bool DontFragment => (_buffer[6] & 0x40) != 0;

    /// <summary>The more-fragments flag.</summary>
    public bool MoreFragments => (_buffer[6] & 0x20) != 0;

    /// <summary>The fragment offset in bytes (the field is in units of 8).</summary>
    public int FragmentOffset => (BinaryPrimitives.ReadUInt16BigEndian(_buffer[6..]) & 0x1FFF) * 8;

    /// <summary>True when this packet is a fragment of a larger one.</summary>
    public bool IsFragment => MoreFragments || FragmentOffset != 0;

    /// <summary>Time to live.</summary>
    public byte TimeToLive => _buffer[8];

    /// <summary>The protocol of the payload.</summary>
    public IpProtocol Protocol => (IpProtocol)_buffer[9];

    /// <summary>The header checksum field.</summary>
    public ushort HeaderChecksum => BinaryPrimitives.ReadUInt16BigEndian(_buffer[10..]);

    /// <summary>The source address.</summary>
    public Ipv4Address Source => Ipv4Address.Read(_buffer[12..]);

    /// <summary>The destination address.</summary>
    public Ipv4Address Destination => Ipv4Address.Read(_buffer[16..]);

    /// <summary>The options bytes (possibly empty).</summary>
    public ReadOnlySpan<byte> Options => _buffer[MinHeaderLength..HeaderLength];

    /// <summary>The header alone.</summary>
    public ReadOnlySpan<byte> Header => _buffer[..HeaderLength];

    /// <summary>The payload, as long as the total length says.</summary>
    public ReadOnlySpan<byte> Payload => _buffer[HeaderLength..];

    /// <summary>True when the header checksum verifies.</summary>
    public bool VerifyChecksum() => InternetChecksum.IsValid(Header);
}
