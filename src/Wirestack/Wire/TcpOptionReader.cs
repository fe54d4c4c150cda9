namespace Wirestack.Wire;

/// <summary>
/// Walks the options of a TCP header (RFC 9293 section 3.2), for use in <c>foreach</c>. It yields
/// each no-operation and each option with its kind and value, and stops at end-of-list (the
/// bytes after it are padding) or at the end of the options.
/// </summary>
/// <remarks>
/// A malformed option never throws: the reader yields one last <see cref="TcpOption"/> whose
/// <see cref="TcpOption.Error"/> says what is wrong, sets <see cref="Error"/>, and stops.
/// <see cref="WireError.BadOptionLength"/> means the length byte is missing, below 2, or runs
/// past the header; <see cref="WireError.BadOption"/> means a known kind has the wrong length.
/// Options of unknown kinds are yielded and skipped by their length.
/// </remarks>
public ref struct TcpOptionReader
{
    private readonly ReadOnlySpan<byte> _options;
    private int _offset;

    /// <summary>A reader over <paramref name="options"/>: the header bytes after the fixed 20.</summary>
    public TcpOptionReader(ReadOnlySpan<byte> options) => _options = options;

    /// <summary>The option <see cref="MoveNext"/> last moved to.</summary>
    public TcpOption Current { get; private set; }

    /// <summary>Why the walk stopped early, or <see cref="WireError.None"/>.</summary>
    public WireError Error { get; private set; }

    /// <summary>Returns this reader, so that it can be used in <c>foreach</c>.</summary>
    public readonly TcpOptionReader GetEnumerator() => this;

    /// <summary>Moves to the next option; false at end-of-list, at the end of the options, or after a malformed option.</summary>
    public bool MoveNext()
    {
        if (_offset >= _options.Length) return false;
        var rest = _options[_offset..];
        var kind = (TcpOptionKind)rest[0];
        if (kind == TcpOptionKind.EndOfList)
        {
            _offset = _options.Length;
            return false;
        }
        if (kind == TcpOptionKind.NoOperation)
        {
            _offset++;
            Current = new TcpOption(kind, default, WireError.None);
            return true;
        }
        if (rest.Length < 2) return Fail(kind, WireError.BadOptionLength);
        int length = rest[1];
        if (length < 2 || length > rest.Length) return Fail(kind, WireError.BadOptionLength);
        if (!HasValidLength(kind, length)) return Fail(kind, WireError.BadOption);
        _offset += length;
        Current = new TcpOption(kind, rest[2..length], WireError.None);
        return true;
    }

    private static bool HasValidLength(TcpOptionKind kind, int length) => kind switch
    {
        TcpOptionKind.MaxSegmentSize => length == 4,
        TcpOptionKind.WindowScale => length == 3,
        TcpOptionKind.SackPermitted => length == 2,
        TcpOptionKind.Sack => length >= 10 && length <= 2 + 8 * TcpSackBlocks.MaxCount && (length - 2) % 8 == 0,
        TcpOptionKind.Timestamps => length == 10,
        _ => true,
    };

    private bool Fail(TcpOptionKind kind, WireError error)
    {
        Error = error;
        Current = new TcpOption(kind, default, error);
        _offset = _options.Length;
        return true;
    }
}
