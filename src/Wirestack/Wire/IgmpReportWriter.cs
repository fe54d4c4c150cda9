namespace Wirestack.Wire;

/// <summary>
/// Writes an IGMPv3 membership report into a buffer: the header, then one group record per
/// <see cref="Add"/>, then the record count and checksum on <see cref="Finish"/>.
/// </summary>
/// <example>
/// <code>
/// var writer = new IgmpReportWriter(buffer);
/// writer.Add(new IgmpGroupRecordRepr(IgmpGroupRecordType.ChangeToExcludeMode, group), default);
/// int length = writer.Finish();
/// </code>
/// </example>
public ref struct IgmpReportWriter
{
    private readonly Span<byte> _buffer;

    /// <summary>Starts a report at the start of <paramref name="buffer"/>.</summary>
    /// <exception cref="ArgumentException">The buffer cannot hold even the 8-byte header.</exception>
    public IgmpReportWriter(Span<byte> buffer)
    {
        EmitGuard.RequireLength(buffer, IgmpPacket.MinLength);
        _buffer = buffer;
        Length = IgmpPacket.MinLength;
    }

    /// <summary>The number of records added.</summary>
    public int RecordCount { get; private set; }

    /// <summary>The report length so far, header included.</summary>
    public int Length { get; private set; }

    /// <summary>The bytes left for further records: compare a record's <see cref="IgmpGroupRecordRepr.BufferLength"/> to it to split a report.</summary>
    public readonly int Remaining => _buffer.Length - Length;

    /// <summary>Appends a record and its sources.</summary>
    /// <exception cref="ArgumentException">The record does not fit, already 65535 records were added, or the record's fields disagree with its arguments.</exception>
    public void Add(IgmpGroupRecordRepr record, scoped ReadOnlySpan<Ipv4Address> sources, scoped ReadOnlySpan<byte> auxData = default)
    {
        if (RecordCount == ushort.MaxValue)
            throw new ArgumentException($"A report holds at most {ushort.MaxValue} records; start another report.");
        record.Emit(_buffer[Length..], sources, auxData);
        Length += record.BufferLength;
        RecordCount++;
    }

    /// <summary>Writes the header and checksum; returns the report length.</summary>
    public readonly int Finish()
    {
        var header = new IgmpRepr { Type = IgmpType.MembershipReportV3, GroupRecordCount = RecordCount, RecordsLength = Length - IgmpPacket.MinLength };
        header.EmitHeader(_buffer);
        IgmpRepr.FillChecksum(_buffer[..Length]);
        return Length;
    }
}
