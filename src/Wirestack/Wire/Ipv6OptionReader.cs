namespace Wirestack.Wire;

/// <summary>
/// Reads the options of a hop-by-hop or destination options header, padding included, for use in
/// <c>foreach</c>. Unknown options are delimited by their length byte and yielded like any other;
/// the caller applies <see cref="Ipv6Option.UnknownAction"/> to the types it does not handle.
/// </summary>
/// <remarks>
/// A malformed option never throws: the reader yields one last <see cref="Ipv6Option"/> whose
/// <see cref="Ipv6Option.Error"/> says what is wrong (its <see cref="Ipv6Option.Offset"/> is what a
/// parameter problem would point at), sets <see cref="Error"/>, and stops.
/// </remarks>
public ref struct Ipv6OptionReader
{
    private readonly ReadOnlySpan<byte> _header;
    private int _offset;

    /// <summary>A reader over the options of <paramref name="header"/>: a whole options header, next-header byte included.</summary>
    /// <remarks>Only the bytes from offset 2 are read; the header's own length field is not consulted.</remarks>
    public Ipv6OptionReader(ReadOnlySpan<byte> header)
    {
        _header = header;
        _offset = Math.Min(2, header.Length);
    }

    /// <summary>The option <see cref="MoveNext"/> last moved to.</summary>
    public Ipv6Option Current { get; private set; }

    /// <summary>Why the walk stopped early, or <see cref="WireError.None"/>.</summary>
    public WireError Error { get; private set; }

    /// <summary>Returns this reader, so that it can be used in <c>foreach</c>.</summary>
    public readonly Ipv6OptionReader GetEnumerator() => this;

    /// <summary>Moves to the next option; false at the end of the header or after a malformed option.</summary>
    public bool MoveNext()
    {
        if (_offset >= _header.Length) return false;
        byte type = _header[_offset];
        if (type == (byte)Ipv6OptionType.Pad1)
        {
            Current = new Ipv6Option(type, default, _offset, 1, WireError.None);
            _offset++;
            return true;
        }
        if (_offset + 2 > _header.Length) return Fail(type, WireError.BadOptionLength);
        int length = 2 + _header[_offset + 1];
        if (_offset + length > _header.Length) return Fail(type, WireError.BadOptionLength);
        int dataLength = length - 2;
        if ((type == (byte)Ipv6OptionType.RouterAlert && dataLength != 2) || (type == (byte)Ipv6OptionType.JumboPayload && dataLength != 4))
            return Fail(type, WireError.BadOption);
        Current = new Ipv6Option(type, _header.Slice(_offset + 2, dataLength), _offset, length, WireError.None);
        _offset += length;
        return true;
    }

    private bool Fail(byte type, WireError error)
    {
        Error = error;
        Current = new Ipv6Option(type, default, _offset, 0, error);
        _offset = _header.Length;
        return true;
    }
}
