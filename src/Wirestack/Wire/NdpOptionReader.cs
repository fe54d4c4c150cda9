namespace Wirestack.Wire;

/// <summary>
/// Reads neighbor discovery options, for use in <c>foreach</c>. Every option is yielded, known or
/// not, delimited by its length.
/// </summary>
/// <remarks>
/// A malformed option never throws: the reader yields one last <see cref="NdpOption"/> whose
/// <see cref="NdpOption.Error"/> is <see cref="WireError.BadOptionLength"/>, sets
/// <see cref="Error"/>, and stops. That covers a length of zero (RFC 4861 section 4.6: the whole
/// message must be discarded), a type byte with no length byte, and an option past the end.
/// </remarks>
public ref struct NdpOptionReader
{
    private readonly ReadOnlySpan<byte> _options;
    private int _offset;

    /// <summary>A reader over <paramref name="options"/>: the bytes after a message's fixed part.</summary>
    public NdpOptionReader(ReadOnlySpan<byte> options) => _options = options;

    /// <summary>The option <see cref="MoveNext"/> last moved to.</summary>
    public NdpOption Current { get; private set; }

    /// <summary>Why the walk stopped early, or <see cref="WireError.None"/>.</summary>
    public WireError Error { get; private set; }

    /// <summary>Returns this reader, so that it can be used in <c>foreach</c>.</summary>
    public readonly NdpOptionReader GetEnumerator() => this;

    /// <summary>Moves to the next option; false at the end or after a malformed option.</summary>
    public bool MoveNext()
    {
        if (_offset >= _options.Length) return false;
        var rest = _options[_offset..];
        var type = (NdpOptionType)rest[0];
        if (rest.Length < 2 || rest[1] == 0 || rest[1] * 8 > rest.Length)
        {
            Error = WireError.BadOptionLength;
            Current = new NdpOption(type, default, _offset, WireError.BadOptionLength);
            _offset = _options.Length;
            return true;
        }
        int length = rest[1] * 8;
        Current = new NdpOption(type, rest[..length], _offset, WireError.None);
        _offset += length;
        return true;
    }

    /// <summary>Checks every option's length without looking inside.</summary>
    public static WireError Validate(ReadOnlySpan<byte> options)
    {
        var reader = new NdpOptionReader(options);
        while (reader.MoveNext()) { }
        return reader.Error;
    }
}
