namespace Wirestack.Wire;

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
