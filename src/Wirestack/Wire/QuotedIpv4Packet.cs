using System.Buffers.Binary;

namespace Wirestack.Wire;

/// <summary>
/// A read-only view of the invoking datagram an ICMPv4 error quotes: its IP header and the first
/// bytes of its payload (RFC 792 asks for 8, which covers the ports of TCP and UDP; Linux quotes
/// up to 548). Unlike <see cref="Ipv4Packet"/>, it accepts a total length past the end of the
/// buffer, because the quote is usually cut short.
/// </summary>
public readonly ref struct QuotedIpv4Packet
{
    /// <summary>The bytes of the invoking payload RFC 792 requires an error to quote.</summary>
    public const int RequiredDataLength = 8;

    private readonly ReadOnlySpan<byte> _buffer;

    private QuotedIpv4Packet(ReadOnlySpan<byte> buffer) => _buffer = buffer;

    /// <summary>
    /// Checks that <paramref name="quote"/> starts with a whole IPv4 header (version, header length
    /// and a total length no shorter than the header) and makes a view of it, cut at the total
    /// length when the quote runs past it (RFC 4884 padding, say).
    /// </summary>
    public static WireError TryParse(ReadOnlySpan<byte> quote, out QuotedIpv4Packet packet)
    {
        packet = default;
        if (quote.Length < Ipv4Packet.MinHeaderLength) return WireError.Truncated;
        if (quote[0] >> 4 != 4) return WireError.BadVersion;
        int headerLength = (quote[0] & 0xF) * 4;
        if (headerLength < Ipv4Packet.MinHeaderLength) return WireError.BadHeaderLength;
        if (headerLength > quote.Length) return WireError.Truncated;
        int totalLength = BinaryPrimitives.ReadUInt16BigEndian(quote[2..]);
        if (totalLength < headerLength) return WireError.BadLength;
        packet = new QuotedIpv4Packet(totalLength < quote.Length ? quote[..totalLength] : quote);
        return WireError.None;
    }

    /// <summary>The quoted bytes: the header and as much of the payload as was quoted.</summary>
    public ReadOnlySpan<byte> Buffer => _buffer;

    /// <summary>The header length in bytes (IHL × 4).</summary>
    public int HeaderLength => (_buffer[0] & 0xF) * 4;

    /// <summary>The header, options included.</summary>
    public ReadOnlySpan<byte> Header => _buffer[..HeaderLength];

    /// <summary>The total length of the original datagram, which may exceed what was quoted.</summary>
    public int TotalLength => BinaryPrimitives.ReadUInt16BigEndian(_buffer[2..]);

    /// <summary>True when the quote holds less than the whole original datagram.</summary>
    public bool IsTruncated => TotalLength > _buffer.Length;

    /// <summary>The identification field.</summary>
    public ushort Identification => BinaryPrimitives.ReadUInt16BigEndian(_buffer[4..]);

    /// <summary>The don't-fragment flag.</summary>
    public bool DontFragment => (_buffer[6] & 0x40) != 0;

    /// <summary>The more-fragments flag.</summary>
    public bool MoreFragments => (_buffer[6] & 0x20) != 0;

    /// <summary>The fragment offset in bytes. When it is not 0, <see cref="Data"/> is not the start of a transport header.</summary>
    public int FragmentOffset => (BinaryPrimitives.ReadUInt16BigEndian(_buffer[6..]) & 0x1FFF) * 8;

    /// <summary>Time to live, as the reporting node saw it.</summary>
    public byte TimeToLive => _buffer[8];

    /// <summary>The protocol of the original payload.</summary>
    public IpProtocol Protocol => (IpProtocol)_buffer[9];

    /// <summary>The source address: one of ours, when we sent the original.</summary>
    public Ipv4Address Source => Ipv4Address.Read(_buffer[12..]);

    /// <summary>The destination address of the original.</summary>
    public Ipv4Address Destination => Ipv4Address.Read(_buffer[16..]);

    /// <summary>The quoted payload bytes (possibly fewer than <see cref="RequiredDataLength"/>, or none).</summary>
    public ReadOnlySpan<byte> Data => _buffer[HeaderLength..];

    /// <summary>
    /// True when <see cref="Data"/> holds the first 8 bytes of a transport header: enough for the
    /// ports of TCP and UDP, the TCP sequence number, or the identifier and sequence of an ICMP echo.
    /// </summary>
    public bool HasTransportPrefix => FragmentOffset == 0 && Data.Length >= RequiredDataLength;

    /// <summary>True when the quoted header's checksum verifies (it should: the reporter quotes the header it received).</summary>
    public bool VerifyChecksum() => InternetChecksum.IsValid(Header);

    /// <summary>The original header as a repr, with the original payload length (not the quoted one).</summary>
    public Ipv4Repr ToRepr() => new()
    {
        Source = Source,
        Destination = Destination,
        Protocol = Protocol,
        PayloadLength = TotalLength - HeaderLength,
        TimeToLive = TimeToLive,
        Dscp = (byte)(_buffer[1] >> 2),
        Ecn = (byte)(_buffer[1] & 3),
        Identification = Identification,
        DontFragment = DontFragment,
        MoreFragments = MoreFragments,
        FragmentOffset = FragmentOffset,
        Options = Ipv4Options.FromBytes(_buffer[Ipv4Packet.MinHeaderLength..HeaderLength]),
    };
}
