using System.Buffers.Binary;

namespace Wirestack.Wire;

/// <summary>
/// Writes an MLDv2 report into a buffer: the header, then one record per <see cref="Add"/>, then
/// the record count and checksum on <see cref="Finish"/>. The report is 8 bytes plus each record's
/// <see cref="Mldv2RecordRepr.BufferLength"/>; the pseudo-header sum passed to
/// <see cref="Finish"/> must cover that length.
/// </summary>
/// <example>
/// <code>
/// var writer = new Mldv2ReportWriter(buffer);
/// writer.Add(new Mldv2RecordRepr(Mldv2RecordType.ChangeToExclude, group), default);
/// int length = writer.Finish(ip.PseudoHeaderSum(IpProtocol.Icmpv6, writer.Length));
/// </code>
/// </example>
public ref struct Mldv2ReportWriter
{
    private readonly Span<byte> _buffer;

    /// <summary>Starts a report at the start of <paramref name="buffer"/>.</summary>
    /// <exception cref="ArgumentException">The buffer cannot hold even the 8-byte header.</exception>
    public Mldv2ReportWriter(Span<byte> buffer)
    {
        EmitGuard.RequireLength(buffer, Mldv2Report.HeaderLength);
        _buffer = buffer;
        Length = Mldv2Report.HeaderLength;
    }

    /// <summary>The number of records added.</summary>
    public int RecordCount { get; private set; }

    /// <summary>The report length so far, header included.</summary>
    public int Length { get; private set; }

    /// <summary>The bytes left for further records: compare a record's <see cref="Mldv2RecordRepr.BufferLength"/> to it to split a report.</summary>
    public readonly int Remaining => _buffer.Length - Length;

    /// <summary>Appends a record and its sources.</summary>
    /// <exception cref="ArgumentException">The record does not fit, already 65535 records were added, or the record's fields disagree with its arguments.</exception>
    public void Add(Mldv2RecordRepr record, scoped ReadOnlySpan<Ipv6Address> sources, scoped ReadOnlySpan<byte> auxData = default)
    {
        if (RecordCount == ushort.MaxValue)
            throw new ArgumentException($"A report holds at most {ushort.MaxValue} records; start another report.");
        record.Emit(_buffer[Length..], sources, auxData);
        Length += record.BufferLength;
        RecordCount++;
    }

    /// <summary>
    /// Writes the header and fills the checksum over the report and <paramref name="pseudoHeaderSum"/>
    /// (which must cover <see cref="Length"/> bytes); returns the report length.
    /// </summary>
    public readonly int Finish(uint pseudoHeaderSum)
    {
        var message = _buffer[..Length];
        message[0] = (byte)Icmpv6Type.MulticastListenerReportV2;
        message[1] = 0;
        BinaryPrimitives.WriteUInt32BigEndian(message[2..], 0); // checksum and reserved
        BinaryPrimitives.WriteUInt16BigEndian(message[6..], (ushort)RecordCount);
        BinaryPrimitives.WriteUInt16BigEndian(message[2..], InternetChecksum.Compute(message, pseudoHeaderSum));
        return Length;
    }
}
