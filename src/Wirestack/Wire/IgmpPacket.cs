using System.Buffers.Binary;

namespace Wirestack.Wire;

/// <summary>
/// A read-only view of an IGMP message, version 1, 2 or 3 (RFC 1112, RFC 2236, RFC 3376). IGMP
/// has no length field: the message is the whole IP payload, and the checksum covers all of it.
/// <see cref="TryParse"/> accepts any type of at least 8 bytes, and checks that an IGMPv3 query
/// holds the sources it counts; an IGMPv3 report's records are checked as they are read.
/// </summary>
public readonly ref struct IgmpPacket
{
    /// <summary>The length of every IGMPv1/v2 message and of the fixed part of an IGMPv3 report.</summary>
    public const int MinLength = 8;

    /// <summary>The fixed part of an IGMPv3 query, before its sources.</summary>
    public const int V3QueryHeaderLength = 12;

    private readonly ReadOnlySpan<byte> _buffer;

    private IgmpPacket(ReadOnlySpan<byte> buffer) => _buffer = buffer;

    /// <summary>Checks <paramref name="buffer"/> (the IP payload) and makes a view of it.</summary>
    public static WireError TryParse(ReadOnlySpan<byte> buffer, out IgmpPacket packet)
    {
        packet = default;
        if (buffer.Length < MinLength) return WireError.Truncated;
        if (buffer[0] == (byte)IgmpType.MembershipQuery && buffer.Length >= V3QueryHeaderLength
            && V3QueryHeaderLength + BinaryPrimitives.ReadUInt16BigEndian(buffer[10..]) * Ipv4Address.Length > buffer.Length)
            return WireError.Truncated;
        packet = new IgmpPacket(buffer);
        return WireError.None;
    }

    /// <summary>The whole message.</summary>
    public ReadOnlySpan<byte> Buffer => _buffer;

    /// <summary>The message type.</summary>
    public IgmpType Type => (IgmpType)_buffer[0];

    /// <summary>
    /// Byte 1: the max response code of a query (tenths of a second; IGMPv3 encodes large values
    /// exponentially, see <see cref="IgmpRepr.DecodeTimeCode"/>); unused in other messages.
    /// </summary>
    public byte MaxResponseCode => _buffer[1];

    /// <summary>The checksum field.</summary>
    public ushort Checksum => BinaryPrimitives.ReadUInt16BigEndian(_buffer[2..]);

    /// <summary>Bytes 4-7: the group address of a query, v1/v2 report or leave (0 in a general query).</summary>
    public Ipv4Address GroupAddress => Ipv4Address.Read(_buffer[4..]);

    /// <summary>
    /// For a query, its version by RFC 3376 section 7.1: 3 when 12 bytes or longer, else 2 when
    /// 8 bytes with a nonzero max response code, else 1 when 8 bytes. 0 for a 9-11 byte query
    /// (which the RFC says to ignore) and for other types.
    /// </summary>
    public int QueryVersion =>
        Type != IgmpType.MembershipQuery ? 0
        : _buffer.Length >= V3QueryHeaderLength ? 3
        : _buffer.Length == MinLength ? (MaxResponseCode == 0 ? 1 : 2)
        : 0;

    /// <summary>IGMPv3 query: the S flag, telling routers to suppress their timer updates.</summary>
    public bool SuppressRouterProcessing => IsV3Query && (_buffer[8] & 0x08) != 0;

    /// <summary>IGMPv3 query: the querier's robustness variable (QRV, 0-7; 0 means over 7).</summary>
    public byte Robustness => IsV3Query ? (byte)(_buffer[8] & 0x07) : (byte)0;

    /// <summary>IGMPv3 query: the querier's query interval code (QQIC, seconds, encoded like the max response code).</summary>
    public byte QueryIntervalCode => IsV3Query ? _buffer[9] : (byte)0;

    /// <summary>IGMPv3 query: the number of sources; 0 for other messages.</summary>
    public int SourceCount => IsV3Query ? BinaryPrimitives.ReadUInt16BigEndian(_buffer[10..]) : 0;

    /// <summary>IGMPv3 query: the sources of a group-and-source-specific query; empty for other messages.</summary>
    public AddressList<Ipv4Address> Sources => IsV3Query ? new AddressList<Ipv4Address>(_buffer.Slice(V3QueryHeaderLength, SourceCount * Ipv4Address.Length)) : default;

    /// <summary>IGMPv3 report: the number of group records; 0 for other messages.</summary>
    public int GroupRecordCount => Type == IgmpType.MembershipReportV3 ? BinaryPrimitives.ReadUInt16BigEndian(_buffer[6..]) : 0;

    /// <summary>IGMPv3 report: a reader over the group records; empty for other messages.</summary>
    public MulticastRecordReader<Ipv4Address> GroupRecords => new(_buffer[MinLength..], GroupRecordCount);

    /// <summary>The fixed header length: 12 for an IGMPv3 query, 8 otherwise.</summary>
    public int HeaderLength => IsV3Query ? V3QueryHeaderLength : MinLength;

    /// <summary>True when the checksum over the whole message verifies.</summary>
    public bool VerifyChecksum() => InternetChecksum.IsValid(_buffer);

    private bool IsV3Query => Type == IgmpType.MembershipQuery && _buffer.Length >= V3QueryHeaderLength;
}
