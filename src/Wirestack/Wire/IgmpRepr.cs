using System.Buffers.Binary;

namespace Wirestack.Wire;

/// <summary>
/// An IGMP message: a membership query of version 1, 2 or 3, a v1 or v2 membership report, a v2
/// leave, or the header of a v3 report. The sources of a v3 query are the caller's, passed to
/// <see cref="Emit(Span{byte}, ReadOnlySpan{Ipv4Address})"/>; the group records of a v3 report
/// are read with <see cref="IgmpPacket.GroupRecords"/> and written with <see cref="MulticastReportWriter{TAddress}"/>.
/// </summary>
/// <remarks>
/// Which fields matter depends on <see cref="Type"/> and, for a query, <see cref="QueryVersion"/>.
/// Reserved bits and bytes are ignored on parse and written as zero.
/// </remarks>
public struct IgmpRepr
{
    /// <summary>The largest value the IGMPv3 exponential time code can carry (RFC 3376 section 4.1.1).</summary>
    public const int MaxTimeCodeValue = 0x1F << 10;

    /// <summary>The message type.</summary>
    public IgmpType Type { get; set; }

    /// <summary>
    /// For a query, the version of its format: 1 (8 bytes, max response code 0), 2 (8 bytes,
    /// nonzero max response code) or 3 (12 bytes and sources). Ignored for other types.
    /// </summary>
    public int QueryVersion { get; set; }

    /// <summary>
    /// Byte 1 as it is on the wire. For a query, the max response code: tenths of a second, and in
    /// IGMPv3 exponentially encoded from 128 up (<see cref="EncodeTimeCode"/>). Senders put 0 in other messages.
    /// </summary>
    public byte MaxResponseCode { get; set; }

    /// <summary>The group: 0 in a general query; the group of a group-specific query, report or leave. Unused in a v3 report.</summary>
    public Ipv4Address Group { get; set; }

    /// <summary>IGMPv3 query: the S flag.</summary>
    public bool SuppressRouterProcessing { get; set; }

    /// <summary>IGMPv3 query: the querier's robustness variable (QRV, 0-7).</summary>
    public byte Robustness { get; set; }

    /// <summary>IGMPv3 query: the querier's query interval code (QQIC, seconds, encoded with <see cref="EncodeTimeCode"/>).</summary>
    public byte QueryIntervalCode { get; set; }

    /// <summary>IGMPv3 query: the number of sources (0 in a general or group-specific query).</summary>
    public int SourceCount { get; set; }

    /// <summary>IGMPv3 report: the number of group records.</summary>
    public int GroupRecordCount { get; set; }

    /// <summary>IGMPv3 report: the length in bytes of all the group records together.</summary>
    public int RecordsLength { get; set; }

    /// <summary>True for an IGMPv3 query.</summary>
    public readonly bool IsV3Query => Type == IgmpType.MembershipQuery && QueryVersion == 3;

    /// <summary>The fixed header length: 12 for an IGMPv3 query, 8 otherwise.</summary>
    public readonly int HeaderLength => IsV3Query ? IgmpPacket.V3QueryHeaderLength : IgmpPacket.MinLength;

    /// <summary>The message length: the header, plus the sources of a v3 query or the records of a v3 report.</summary>
    public readonly int BufferLength =>
        IsV3Query ? IgmpPacket.V3QueryHeaderLength + SourceCount * Ipv4Address.Length
        : Type == IgmpType.MembershipReportV3 ? IgmpPacket.MinLength + RecordsLength
        : IgmpPacket.MinLength;

    /// <summary>
    /// For a query, how long a member may wait before it reports: 10 s for IGMPv1 (RFC 2236
    /// section 4), the max response code in tenths of a second for v2, decoded for v3. Zero for other types.
    /// </summary>
    public readonly TimeSpan MaxResponseTime =>
        Type != IgmpType.MembershipQuery ? TimeSpan.Zero
        : QueryVersion == 1 ? TimeSpan.FromSeconds(10)
        : TimeSpan.FromMilliseconds(100L * (QueryVersion == 3 ? DecodeTimeCode(MaxResponseCode) : MaxResponseCode));

    /// <summary>IGMPv3 query: the querier's query interval, decoded from <see cref="QueryIntervalCode"/>.</summary>
    public readonly TimeSpan QueryInterval => IsV3Query ? TimeSpan.FromSeconds(DecodeTimeCode(QueryIntervalCode)) : TimeSpan.Zero;

    /// <summary>Decodes a max response code or QQIC (RFC 3376 sections 4.1.1 and 4.1.7): below 128 as is, else mantissa and exponent.</summary>
    public static int DecodeTimeCode(byte code) =>
        code < 128 ? code : ((code & 0x0F) | 0x10) << (((code >> 4) & 0x07) + 3);

    /// <summary>
    /// Encodes <paramref name="value"/> as a max response code or QQIC, rounding down to the
    /// nearest value the code can carry; values past <see cref="MaxTimeCodeValue"/> encode as 0xFF.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="value"/> is negative.</exception>
    public static byte EncodeTimeCode(int value)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(value);
        if (value < 128) return (byte)value;
        if (value >= MaxTimeCodeValue) return 0xFF;
        int exponent = 0;
        while (value >> (exponent + 3) > 0x1F) exponent++;
        return (byte)(0x80 | (exponent << 4) | ((value >> (exponent + 3)) & 0x0F));
    }

    /// <summary>
    /// Reads a checked message. With <paramref name="verifyChecksum"/>, a bad checksum is
    /// <see cref="WireError.BadChecksum"/>. A query of 9-11 bytes is <see cref="WireError.BadLength"/>
    /// (RFC 3376 section 7.1); a group that is not multicast where one is required is
    /// <see cref="WireError.BadAddress"/>; a v3 report record that runs past the message is
    /// <see cref="WireError.Truncated"/>; other types are <see cref="WireError.Unrecognized"/>.
    /// </summary>
    public static WireError Parse(IgmpPacket packet, out IgmpRepr repr, bool verifyChecksum = true)
    {
        repr = default;
        if (verifyChecksum && !packet.VerifyChecksum()) return WireError.BadChecksum;
        var type = packet.Type;
        var result = new IgmpRepr { Type = type, MaxResponseCode = packet.MaxResponseCode };
        switch (type)
        {
            case IgmpType.MembershipQuery:
                int version = packet.QueryVersion;
                if (version == 0) return WireError.BadLength;
                var group = packet.GroupAddress;
                if (!group.IsUnspecified && !group.IsMulticast) return WireError.BadAddress;
                result.QueryVersion = version;
                result.Group = group;
                result.SuppressRouterProcessing = packet.SuppressRouterProcessing;
                result.Robustness = packet.Robustness;
                result.QueryIntervalCode = packet.QueryIntervalCode;
                result.SourceCount = packet.SourceCount;
                break;
            case IgmpType.MembershipReportV1:
            case IgmpType.MembershipReportV2:
            case IgmpType.LeaveGroup:
                result.Group = packet.GroupAddress;
                if (!result.Group.IsMulticast) return WireError.BadAddress;
                break;
            case IgmpType.MembershipReportV3:
                var records = packet.GroupRecords;
                while (records.MoveNext())
                {
                }
                if (records.Error != WireError.None) return records.Error;
                result.MaxResponseCode = 0;
                result.GroupRecordCount = packet.GroupRecordCount;
                result.RecordsLength = records.BytesRead;
                break;
            default:
                return WireError.Unrecognized;
        }
        repr = result;
        return WireError.None;
    }

    /// <summary>
    /// Writes a message that carries nothing past its header: any query without sources, a v1 or
    /// v2 report, a leave, or a v3 report with no records. Fills the checksum.
    /// </summary>
    /// <exception cref="ArgumentException">The buffer is too short, a field is out of range, or the message has sources or records to write.</exception>
    public readonly void Emit(Span<byte> buffer) => Emit(buffer, ReadOnlySpan<Ipv4Address>.Empty);

    /// <summary>
    /// Writes a query and its <paramref name="sources"/> (IGMPv3 only), or any other message
    /// without a list, into the first <see cref="BufferLength"/> bytes of <paramref name="buffer"/>,
    /// and fills the checksum.
    /// </summary>
    /// <exception cref="ArgumentException">The buffer is too short, a field is out of range, or the sources disagree with <see cref="SourceCount"/>.</exception>
    public readonly void Emit(Span<byte> buffer, ReadOnlySpan<Ipv4Address> sources)
    {
        if (sources.Length != (IsV3Query ? SourceCount : 0))
            throw new ArgumentException($"{sources.Length} sources were passed but this message carries {(IsV3Query ? SourceCount : 0)}; only an IGMPv3 query lists sources, as many as SourceCount says.", nameof(sources));
        if (Type == IgmpType.MembershipReportV3 && (GroupRecordCount != 0 || RecordsLength != 0))
            throw new ArgumentException("This v3 report has group records; write it with MulticastReportWriter<Ipv4Address> (or EmitHeader, the records and FillChecksum).");
        EmitGuard.RequireLength(buffer, BufferLength);
        EmitHeader(buffer);
        AddressList<Ipv4Address>.Write(sources, buffer[HeaderLength..]);
        FillChecksum(buffer[..(HeaderLength + sources.Length * Ipv4Address.Length)]);
    }

    /// <summary>
    /// Writes the fixed header alone (8 bytes, or 12 for an IGMPv3 query) with a zero checksum,
    /// for a list the caller writes after it before calling <see cref="FillChecksum"/>.
    /// </summary>
    /// <exception cref="ArgumentException">The buffer is too short, or a field is out of range.</exception>
    public readonly void EmitHeader(Span<byte> buffer)
    {
        Validate();
        EmitGuard.RequireLength(buffer, HeaderLength);
        buffer[0] = (byte)Type;
        buffer[1] = Type == IgmpType.MembershipReportV3 ? (byte)0 : MaxResponseCode;
        BinaryPrimitives.WriteUInt16BigEndian(buffer[2..], 0);
        if (Type == IgmpType.MembershipReportV3)
        {
            BinaryPrimitives.WriteUInt16BigEndian(buffer[4..], 0);
            BinaryPrimitives.WriteUInt16BigEndian(buffer[6..], (ushort)GroupRecordCount);
            return;
        }
        Group.WriteTo(buffer[4..]);
        if (IsV3Query)
        {
            buffer[8] = (byte)((SuppressRouterProcessing ? 0x08 : 0) | Robustness);
            buffer[9] = QueryIntervalCode;
            BinaryPrimitives.WriteUInt16BigEndian(buffer[10..], (ushort)SourceCount);
        }
    }

    /// <summary>Computes and writes the checksum of <paramref name="message"/> (exactly the whole message).</summary>
    /// <exception cref="ArgumentException"><paramref name="message"/> is shorter than 8 bytes.</exception>
    public static void FillChecksum(Span<byte> message)
    {
        EmitGuard.RequireLength(message, IgmpPacket.MinLength);
        BinaryPrimitives.WriteUInt16BigEndian(message[2..], 0);
        BinaryPrimitives.WriteUInt16BigEndian(message[2..], InternetChecksum.Compute(message));
    }

    private readonly void Validate()
    {
        switch (Type)
        {
            case IgmpType.MembershipQuery:
                if (QueryVersion == 1 && MaxResponseCode != 0)
                    throw new ArgumentException($"An IGMPv1 query has MaxResponseCode 0, not {MaxResponseCode}; a nonzero code makes it an IGMPv2 query.");
                if (QueryVersion == 2 && MaxResponseCode == 0)
                    throw new ArgumentException("An IGMPv2 query needs a nonzero MaxResponseCode; with 0 it reads as an IGMPv1 query.");
                if (QueryVersion is < 1 or > 3)
                    throw new ArgumentException($"QueryVersion is {QueryVersion}; a query is version 1, 2 or 3.");
                if (Robustness > 7)
                    throw new ArgumentException($"Robustness is {Robustness}; the QRV field holds 0 to 7 (0 for values over 7).");
                if ((uint)SourceCount > ushort.MaxValue)
                    throw new ArgumentException($"SourceCount is {SourceCount}; a query lists 0 to {ushort.MaxValue} sources.");
                break;
            case IgmpType.MembershipReportV1:
            case IgmpType.MembershipReportV2:
            case IgmpType.LeaveGroup:
                break;
            case IgmpType.MembershipReportV3:
                if ((uint)GroupRecordCount > ushort.MaxValue)
                    throw new ArgumentException($"GroupRecordCount is {GroupRecordCount}; a report holds 0 to {ushort.MaxValue} records.");
                if (RecordsLength < 0)
                    throw new ArgumentException($"RecordsLength is {RecordsLength}; it cannot be negative.");
                break;
            default:
                throw new ArgumentException($"Type is 0x{(byte)Type:x2}; this repr emits queries, v1/v2/v3 reports and leaves.");
        }
    }
}
