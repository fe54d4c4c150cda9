using System.Buffers.Binary;

namespace Wirestack.Wire;

/// <summary>
/// A read-only view of a TCP segment (RFC 9293 section 3.1): the IP payload, header and data.
/// <see cref="TryParse"/> checks the data offset against the buffer, so every accessor is safe.
/// </summary>
public readonly ref struct TcpPacket
{
    /// <summary>The length of a header without options.</summary>
    public const int MinHeaderLength = 20;

    /// <summary>The longest header (data offset 15).</summary>
    public const int MaxHeaderLength = 60;

    /// <summary>The most option bytes a header can carry.</summary>
    public const int MaxOptionsLength = MaxHeaderLength - MinHeaderLength;

    // The nine control bits, NS included; the three bits above them are reserved.
    private const ushort FlagMask = 0x01FF;

    private readonly ReadOnlySpan<byte> _buffer;

    private TcpPacket(ReadOnlySpan<byte> buffer) => _buffer = buffer;

    /// <summary>
    /// Checks <paramref name="buffer"/> (the whole IP payload) and makes a view of it. Returns
    /// <see cref="WireError.Truncated"/> for fewer than 20 bytes and
    /// <see cref="WireError.BadHeaderLength"/> when the data offset is below 5 or the header it
    /// states runs past the segment (the IP layer has already fixed the segment's length, so a
    /// header longer than that is a lie in the header, not a short capture).
    /// </summary>
    public static WireError TryParse(ReadOnlySpan<byte> buffer, out TcpPacket packet)
    {
        packet = default;
        if (buffer.Length < MinHeaderLength) return WireError.Truncated;
        int headerLength = (buffer[12] >> 4) * 4;
        if (headerLength < MinHeaderLength || headerLength > buffer.Length) return WireError.BadHeaderLength;
        packet = new TcpPacket(buffer);
        return WireError.None;
    }

    /// <summary>The whole segment.</summary>
    public ReadOnlySpan<byte> Buffer => _buffer;

    /// <summary>The source port.</summary>
    public ushort SourcePort => BinaryPrimitives.ReadUInt16BigEndian(_buffer);

    /// <summary>The destination port.</summary>
    public ushort DestinationPort => BinaryPrimitives.ReadUInt16BigEndian(_buffer[2..]);

    /// <summary>The sequence number.</summary>
    public TcpSeqNumber SequenceNumber => new(BinaryPrimitives.ReadUInt32BigEndian(_buffer[4..]));

    /// <summary>The acknowledgment number field (significant only when <see cref="Ack"/> is set).</summary>
    public TcpSeqNumber AcknowledgmentNumber => new(BinaryPrimitives.ReadUInt32BigEndian(_buffer[8..]));

    /// <summary>The header length in bytes (data offset × 4).</summary>
    public int HeaderLength => (_buffer[12] >> 4) * 4;

    /// <summary>The control bits.</summary>
    public TcpFlags Flags => (TcpFlags)(BinaryPrimitives.ReadUInt16BigEndian(_buffer[12..]) & FlagMask);

    /// <summary>The three reserved bits between the data offset and the control bits (zero from a conforming sender).</summary>
    public byte ReservedBits => (byte)((_buffer[12] >> 1) & 7);

    /// <summary>The FIN bit.</summary>
    public bool Fin => (Flags & TcpFlags.Fin) != 0;

    /// <summary>The SYN bit.</summary>
    public bool Syn => (Flags & TcpFlags.Syn) != 0;

    /// <summary>The RST bit.</summary>
    public bool Rst => (Flags & TcpFlags.Rst) != 0;

    /// <summary>The PSH bit.</summary>
    public bool Psh => (Flags & TcpFlags.Psh) != 0;

    /// <summary>The ACK bit.</summary>
    public bool Ack => (Flags & TcpFlags.Ack) != 0;

    /// <summary>The URG bit.</summary>
    public bool Urg => (Flags & TcpFlags.Urg) != 0;

    /// <summary>The ECE bit.</summary>
    public bool Ece => (Flags & TcpFlags.Ece) != 0;

    /// <summary>The CWR bit.</summary>
    public bool Cwr => (Flags & TcpFlags.Cwr) != 0;

    /// <summary>The window field, unscaled.</summary>
    public ushort WindowSize => BinaryPrimitives.ReadUInt16BigEndian(_buffer[14..]);

    /// <summary>The checksum field.</summary>
    public ushort Checksum => BinaryPrimitives.ReadUInt16BigEndian(_buffer[16..]);

    /// <summary>The urgent pointer field (significant only when <see cref="Urg"/> is set).</summary>
    public ushort UrgentPointer => BinaryPrimitives.ReadUInt16BigEndian(_buffer[18..]);

    /// <summary>The option bytes (possibly empty), padding included.</summary>
    public ReadOnlySpan<byte> Options => _buffer[MinHeaderLength..HeaderLength];

    /// <summary>The header alone.</summary>
    public ReadOnlySpan<byte> Header => _buffer[..HeaderLength];

    /// <summary>The data after the header.</summary>
    public ReadOnlySpan<byte> Payload => _buffer[HeaderLength..];

    /// <summary>The sequence space the segment occupies: its data, plus one each for SYN and FIN.</summary>
    public int SequenceLength => Payload.Length + (Syn ? 1 : 0) + (Fin ? 1 : 0);

    /// <summary>A reader over the options, for <c>foreach</c>.</summary>
    public TcpOptionReader GetOptions() => new(Options);

    /// <summary>
    /// True when the checksum verifies over the whole segment plus <paramref name="pseudoHeaderSum"/>,
    /// the partial sum of the IPv4 or IPv6 pseudo-header (see <see cref="InternetChecksum.PseudoHeaderSum(Ipv4Address, Ipv4Address, IpProtocol, int)"/>).
    /// </summary>
    public bool VerifyChecksum(uint pseudoHeaderSum) => InternetChecksum.IsValid(_buffer, pseudoHeaderSum);
}
