namespace Wirestack.Wire;

/// <summary>
/// Reads the records of an IGMPv3 or MLDv2 report one by one, in place. Usable in <c>foreach</c>;
/// a record that runs past the message ends the enumeration and sets <see cref="Error"/>, which a
/// <c>while (reader.MoveNext())</c> loop can inspect afterwards (<see cref="IgmpRepr.Parse"/> and
/// <see cref="Mldv2Report.Parse"/> check every record, so after they succeed, <c>foreach</c> sees them all).
/// </summary>
/// <typeparam name="TAddress"><see cref="Ipv4Address"/> for IGMPv3, <see cref="Ipv6Address"/> for MLDv2.</typeparam>
public ref struct MulticastRecordReader<TAddress>
    where TAddress : struct, IIpAddress<TAddress>
{
    private ReadOnlySpan<byte> _remaining;
    private int _left;
    private MulticastRecord<TAddress> _current;

    /// <summary>A reader over <paramref name="records"/> (the bytes after the report header) that expects <paramref name="count"/> records.</summary>
    public MulticastRecordReader(ReadOnlySpan<byte> records, int count)
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
    public readonly MulticastRecord<TAddress> Current => _current;

    /// <summary>Returns this reader, so that <c>foreach</c> works.</summary>
    public readonly MulticastRecordReader<TAddress> GetEnumerator() => this;

    /// <summary>Moves to the next record; false at the end or at a malformed record (see <see cref="Error"/>).</summary>
    public bool MoveNext()
    {
        _current = default;
        if (_left <= 0) return false;
        var error = MulticastRecord<TAddress>.TryParse(_remaining, out var record);
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
