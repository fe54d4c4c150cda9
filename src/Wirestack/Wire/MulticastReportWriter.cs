using System.Buffers.Binary;

namespace Wirestack.Wire;

/// <summary>
/// Writes an IGMPv3 membership report (over <see cref="Ipv4Address"/>) or an MLDv2 report (over
/// <see cref="Ipv6Address"/>) into a buffer: the header, then one record per <see cref="Add"/>,
/// then the record count and checksum on <c>Finish</c>. The two reports share their layout (type,
/// reserved, checksum, reserved, number of records, the records) and differ in the type and the
/// checksum, so each has its own <c>Finish</c> in <see cref="MulticastReportWriterExtensions"/>:
/// IGMPv3's checksum covers the report alone, MLDv2's a pseudo-header too, whose partial sum
/// <c>Finish</c> takes and which must cover <see cref="Length"/> bytes.
/// </summary>
/// <example>
/// <code>
/// var igmp = new MulticastReportWriter&lt;Ipv4Address&gt;(buffer);
/// igmp.Add(new MulticastRecordRepr&lt;Ipv4Address&gt;(MulticastRecordType.ChangeToExcludeMode, group), default);
/// int length = igmp.Finish();
///
/// var mld = new MulticastReportWriter&lt;Ipv6Address&gt;(buffer);
/// mld.Add(new MulticastRecordRepr&lt;Ipv6Address&gt;(MulticastRecordType.ChangeToExcludeMode, group6), default);
/// length = mld.Finish(ip.PseudoHeaderSum(IpProtocol.Icmpv6, mld.Length));
/// </code>
/// </example>
/// <typeparam name="TAddress"><see cref="Ipv4Address"/> for IGMPv3, <see cref="Ipv6Address"/> for MLDv2.</typeparam>
public ref struct MulticastReportWriter<TAddress>
    where TAddress : struct, IIpAddress<TAddress>
{
    /// <summary>The length of the report before its records.</summary>
    public const int HeaderLength = 8;

    private readonly Span<byte> _buffer;

    /// <summary>Starts a report at the start of <paramref name="buffer"/>.</summary>
    /// <exception cref="ArgumentException">The buffer cannot hold even the 8-byte header.</exception>
    public MulticastReportWriter(Span<byte> buffer)
    {
        EmitGuard.RequireLength(buffer, HeaderLength);
        _buffer = buffer;
        Length = HeaderLength;
    }

    /// <summary>The number of records added.</summary>
    public int RecordCount { get; private set; }

    /// <summary>The report length so far, header included.</summary>
    public int Length { get; private set; }

    /// <summary>The bytes left for further records: compare a record's <see cref="MulticastRecordRepr{TAddress}.BufferLength"/> to it to split a report.</summary>
    public readonly int Remaining => _buffer.Length - Length;

    /// <summary>Appends a record and its sources.</summary>
    /// <exception cref="ArgumentException">The record does not fit, already 65535 records were added, or the record's fields disagree with its arguments.</exception>
    public void Add(MulticastRecordRepr<TAddress> record, scoped ReadOnlySpan<TAddress> sources, scoped ReadOnlySpan<byte> auxData = default)
    {
        if (RecordCount == ushort.MaxValue)
            throw new ArgumentException($"A report holds at most {ushort.MaxValue} records; start another report.");
        record.Emit(_buffer[Length..], sources, auxData);
        Length += record.BufferLength;
        RecordCount++;
    }

    /// <summary>
    /// Writes the header with <paramref name="type"/> and fills the checksum over the report and
    /// <paramref name="pseudoHeaderSum"/> (0 where there is no pseudo-header); returns the report length.
    /// </summary>
    internal readonly int WriteHeaderAndChecksum(byte type, uint pseudoHeaderSum)
    {
        var message = _buffer[..Length];
        message[0] = type;
        message[1] = 0;
        BinaryPrimitives.WriteUInt32BigEndian(message[2..], 0); // checksum and reserved
        BinaryPrimitives.WriteUInt16BigEndian(message[6..], (ushort)RecordCount);
        BinaryPrimitives.WriteUInt16BigEndian(message[2..], InternetChecksum.Compute(message, pseudoHeaderSum));
        return Length;
    }
}
