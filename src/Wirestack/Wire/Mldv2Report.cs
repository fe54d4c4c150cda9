using System.Buffers.Binary;

namespace Wirestack.Wire;

/// <summary>MLDv2 multicast address record types (RFC 3810 section 5.2.12).</summary>
public enum Mldv2RecordType : byte
{
    /// <summary>Current state: include the listed sources.</summary>
    ModeIsInclude = 1,

    /// <summary>Current state: exclude the listed sources (with none listed: listen to all).</summary>
    ModeIsExclude = 2,

    /// <summary>State change: now include the listed sources (with none listed: leave the group).</summary>
    ChangeToInclude = 3,

    /// <summary>State change: now exclude the listed sources (with none listed: join the group).</summary>
    ChangeToExclude = 4,

    /// <summary>Source list change: listen to these sources too.</summary>
    AllowNewSources = 5,

    /// <summary>Source list change: stop listening to these sources.</summary>
    BlockOldSources = 6,
}

/// <summary>A read-only view of one multicast address record of an MLDv2 report.</summary>
public readonly ref struct Mldv2Record
{
    /// <summary>The length of a record without sources or auxiliary data.</summary>
    public const int FixedLength = 20;

    private readonly ReadOnlySpan<byte> _buffer;

    private Mldv2Record(ReadOnlySpan<byte> buffer) => _buffer = buffer;

    /// <summary>Checks <paramref name="buffer"/> and makes a view of the record at its start.</summary>
    public static WireError TryParse(ReadOnlySpan<byte> buffer, out Mldv2Record record)
    {
        record = default;
        if (buffer.Length < FixedLength) return WireError.Truncated;
        int length = GetLength(BinaryPrimitives.ReadUInt16BigEndian(buffer[2..]), buffer[1] * 4);
        if (length > buffer.Length) return WireError.Truncated;
        record = new Mldv2Record(buffer[..length]);
        return WireError.None;
    }

    /// <summary>The whole record.</summary>
    public ReadOnlySpan<byte> Buffer => _buffer;

    /// <summary>The record's length on the wire.</summary>
    public int Length => _buffer.Length;

    /// <summary>The record type (possibly one RFC 3810 does not define, which receivers ignore).</summary>
    public Mldv2RecordType RecordType => (Mldv2RecordType)_buffer[0];

    /// <summary>The auxiliary data length in bytes (the field is in 32-bit words; MLDv2 senders put 0).</summary>
    public int AuxDataLength => _buffer[1] * 4;

    /// <summary>The number of sources.</summary>
    public int SourceCount => BinaryPrimitives.ReadUInt16BigEndian(_buffer[2..]);

    /// <summary>The multicast address the record is about.</summary>
    public Ipv6Address MulticastAddress => Ipv6Address.Read(_buffer[4..]);

    /// <summary>The source addresses.</summary>
    public Ipv6AddressList Sources => new(_buffer.Slice(FixedLength, SourceCount * Ipv6Address.Length));

    /// <summary>The auxiliary data.</summary>
    public ReadOnlySpan<byte> AuxData => _buffer[(FixedLength + SourceCount * Ipv6Address.Length)..];

    /// <summary>The length of a record with <paramref name="sourceCount"/> sources and <paramref name="auxDataLength"/> bytes of auxiliary data.</summary>
    public static int GetLength(int sourceCount, int auxDataLength = 0) => FixedLength + sourceCount * Ipv6Address.Length + auxDataLength;
}

/// <summary>
/// Reads the records of an MLDv2 report one by one, in place. Usable in <c>foreach</c>; a record
/// that runs past the message ends the enumeration and sets <see cref="Error"/>, which a
/// <c>while (reader.MoveNext())</c> loop can inspect afterwards (<see cref="Mldv2Report.Parse"/>
/// checks every record, so after it succeeds, <c>foreach</c> sees them all).
/// </summary>
public ref struct Mldv2RecordReader
{
    private ReadOnlySpan<byte> _remaining;
    private int _left;
    private Mldv2Record _current;

    /// <summary>A reader over <paramref name="records"/> (the bytes after the report header) that expects <paramref name="count"/> records.</summary>
    public Mldv2RecordReader(ReadOnlySpan<byte> records, int count)
    {
        _remaining = records;
        _left = count;
        _current = default;
        Error = WireError.None;
    }

    /// <summary>What was wrong with the record that ended the enumeration early, or <see cref="WireError.None"/>.</summary>
    public WireError Error { get; private set; }

    /// <summary>The bytes read so far: the records up to and including <see cref="Current"/>.</summary>
    public int BytesRead { get; private set; }

    /// <summary>The current record.</summary>
    public readonly Mldv2Record Current => _current;

    /// <summary>Returns this reader, so that <c>foreach</c> works.</summary>
    public readonly Mldv2RecordReader GetEnumerator() => this;

    /// <summary>Moves to the next record; false at the end or at a malformed record (see <see cref="Error"/>).</summary>
    public bool MoveNext()
    {
        _current = default;
        if (_left <= 0) return false;
        var error = Mldv2Record.TryParse(_remaining, out var record);
        if (error != WireError.None)
        {
            Error = error;
            _left = 0;
            return false;
        }
        _left--;
        _current = record;
        _remaining = _remaining[record.Length..];
        BytesRead += record.Length;
        return true;
    }
}

/// <summary>
/// A read-only view of an MLDv2 report (RFC 3810 section 5.2): ICMPv6 type 143, a record count,
/// then that many multicast address records. <see cref="Parse"/> checks that every record fits,
/// so reading them afterwards cannot fail.
/// </summary>
public readonly ref struct Mldv2Report
{
    /// <summary>The length of the report before its records.</summary>
    public const int HeaderLength = 8;

    private readonly ReadOnlySpan<byte> _buffer;

    private Mldv2Report(ReadOnlySpan<byte> buffer) => _buffer = buffer;

    /// <summary>
    /// Checks a message and makes a view of it; with <paramref name="verifyChecksum"/>, rejects a
    /// checksum that does not verify against <paramref name="pseudoHeaderSum"/>.
    /// </summary>
    /// <returns>
    /// <see cref="WireError.Unrecognized"/> for another type; <see cref="WireError.Truncated"/> when
    /// a record runs past the end of the message.
    /// </returns>
    public static WireError Parse(Icmpv6Packet packet, uint pseudoHeaderSum, out Mldv2Report report, bool verifyChecksum = true)
    {
        report = default;
        if (packet.Type != Icmpv6Type.MulticastListenerReportV2) return WireError.Unrecognized;
        var bytes = packet.Buffer;
        var records = new Mldv2RecordReader(bytes[HeaderLength..], BinaryPrimitives.ReadUInt16BigEndian(bytes[6..]));
        while (records.MoveNext()) { }
        if (records.Error != WireError.None) return records.Error;
        if (verifyChecksum && !packet.VerifyChecksum(pseudoHeaderSum)) return WireError.BadChecksum;
        report = new Mldv2Report(bytes);
        return WireError.None;
    }

    /// <summary>The whole message.</summary>
    public ReadOnlySpan<byte> Buffer => _buffer;

    /// <summary>The number of records.</summary>
    public int RecordCount => BinaryPrimitives.ReadUInt16BigEndian(_buffer[6..]);

    /// <summary>A reader over the records.</summary>
    public Mldv2RecordReader Records => new(_buffer[HeaderLength..], RecordCount);
}

/// <summary>
/// The fields of one MLDv2 multicast address record, parsed from an <see cref="Mldv2Record"/> or
/// to be emitted (through <see cref="Mldv2ReportWriter"/>, or <see cref="Emit"/> directly). The
/// sources are the caller's, passed to <see cref="Emit"/>.
/// </summary>
public struct Mldv2RecordRepr
{
    /// <summary>A record about <paramref name="multicastAddress"/> listing <paramref name="sourceCount"/> sources.</summary>
    public Mldv2RecordRepr(Mldv2RecordType recordType, Ipv6Address multicastAddress, int sourceCount = 0)
    {
        RecordType = recordType;
        MulticastAddress = multicastAddress;
        SourceCount = sourceCount;
    }

    /// <summary>The record type.</summary>
    public Mldv2RecordType RecordType { get; set; }

    /// <summary>The multicast address the record is about.</summary>
    public Ipv6Address MulticastAddress { get; set; }

    /// <summary>The number of sources.</summary>
    public int SourceCount { get; set; }

    /// <summary>The auxiliary data length in bytes: a multiple of 4, at most 1020; 0 in MLDv2 as RFC 3810 defines it.</summary>
    public int AuxDataLength { get; set; }

    /// <summary>The record length: 20, plus 16 per source, plus the auxiliary data.</summary>
    public readonly int BufferLength => Mldv2Record.GetLength(SourceCount, AuxDataLength);

    /// <summary>
    /// Reads a checked record. A record type RFC 3810 does not define is
    /// <see cref="WireError.Unrecognized"/>, and a non-multicast address is
    /// <see cref="WireError.BadAddress"/>: the RFC says to ignore such a record, not the whole report.
    /// </summary>
    public static WireError Parse(Mldv2Record record, out Mldv2RecordRepr repr)
    {
        repr = default;
        var type = record.RecordType;
        if (type < Mldv2RecordType.ModeIsInclude || type > Mldv2RecordType.BlockOldSources) return WireError.Unrecognized;
        var address = record.MulticastAddress;
        if (!address.IsMulticast) return WireError.BadAddress;
        repr = new Mldv2RecordRepr(type, address, record.SourceCount) { AuxDataLength = record.AuxDataLength };
        return WireError.None;
    }

    /// <summary>
    /// Writes the record, <paramref name="sources"/> and <paramref name="auxData"/> into the first
    /// <see cref="BufferLength"/> bytes of <paramref name="buffer"/>.
    /// </summary>
    /// <exception cref="ArgumentException">The buffer is too short, or the sources or aux data disagree with the counts.</exception>
    public readonly void Emit(Span<byte> buffer, ReadOnlySpan<Ipv6Address> sources, ReadOnlySpan<byte> auxData = default)
    {
        if (sources.Length != SourceCount)
            throw new ArgumentException($"{sources.Length} sources were passed but SourceCount is {SourceCount}; set SourceCount to the number of sources.", nameof(sources));
        if ((uint)SourceCount > ushort.MaxValue)
            throw new ArgumentException($"SourceCount is {SourceCount}; a record lists at most {ushort.MaxValue} sources.");
        if (auxData.Length != AuxDataLength)
            throw new ArgumentException($"The aux data has {auxData.Length} bytes but AuxDataLength is {AuxDataLength}; set AuxDataLength to its length.", nameof(auxData));
        if (AuxDataLength % 4 != 0 || AuxDataLength > 255 * 4)
            throw new ArgumentException($"AuxDataLength is {AuxDataLength}; it must be a multiple of 4 no larger than 1020.");
        EmitGuard.RequireLength(buffer, BufferLength);
        buffer[0] = (byte)RecordType;
        buffer[1] = (byte)(AuxDataLength / 4);
        BinaryPrimitives.WriteUInt16BigEndian(buffer[2..], (ushort)SourceCount);
        MulticastAddress.WriteTo(buffer[4..]);
        Ipv6AddressList.Write(sources, buffer[Mldv2Record.FixedLength..]);
        auxData.CopyTo(buffer[(Mldv2Record.FixedLength + SourceCount * Ipv6Address.Length)..]);
    }
}

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
