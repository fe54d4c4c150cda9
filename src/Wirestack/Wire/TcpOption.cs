using System.Buffers.Binary;

namespace Wirestack.Wire;

/// <summary>
/// One option yielded by a <see cref="TcpOptionReader"/>: its kind and the bytes after its kind
/// and length, or, when <see cref="Error"/> is set, the malformed option that ended the list.
/// </summary>
/// <remarks>
/// The reader has already checked the length of every known kind, so the typed accessors never
/// read out of bounds; calling one for another kind is a caller's bug and throws.
/// </remarks>
public readonly ref struct TcpOption
{
    private readonly ReadOnlySpan<byte> _data;

    internal TcpOption(TcpOptionKind kind, ReadOnlySpan<byte> data, WireError error)
    {
        Kind = kind;
        _data = data;
        Error = error;
    }

    /// <summary>The option kind; for an unknown option, the kind byte as read.</summary>
    public TcpOptionKind Kind { get; }

    /// <summary>
    /// <see cref="WireError.None"/> for a well-formed option; otherwise why the option is malformed
    /// (<see cref="WireError.BadOptionLength"/> or <see cref="WireError.BadOption"/>), in which case
    /// <see cref="Data"/> is empty and no option follows.
    /// </summary>
    public WireError Error { get; }

    /// <summary>The option's value: the bytes after its kind and length bytes (empty for no-operation).</summary>
    public ReadOnlySpan<byte> Data => _data;

    /// <summary>True when <see cref="Kind"/> is not one of the kinds <see cref="TcpOptionKind"/> names.</summary>
    public bool IsUnknown => Kind is not (TcpOptionKind.NoOperation or TcpOptionKind.MaxSegmentSize or TcpOptionKind.WindowScale
        or TcpOptionKind.SackPermitted or TcpOptionKind.Sack or TcpOptionKind.Timestamps);

    /// <summary>The maximum segment size of a <see cref="TcpOptionKind.MaxSegmentSize"/> option.</summary>
    /// <exception cref="InvalidOperationException">This is not a well-formed option of that kind.</exception>
    public ushort MaxSegmentSize
    {
        get
        {
            Require(TcpOptionKind.MaxSegmentSize);
            return BinaryPrimitives.ReadUInt16BigEndian(_data);
        }
    }

    /// <summary>
    /// The shift count of a <see cref="TcpOptionKind.WindowScale"/> option, as sent: RFC 7323 caps
    /// its use at 14, which is the TCP layer's to apply.
    /// </summary>
    /// <exception cref="InvalidOperationException">This is not a well-formed option of that kind.</exception>
    public byte WindowScale
    {
        get
        {
            Require(TcpOptionKind.WindowScale);
            return _data[0];
        }
    }

    /// <summary>The values of a <see cref="TcpOptionKind.Timestamps"/> option.</summary>
    /// <exception cref="InvalidOperationException">This is not a well-formed option of that kind.</exception>
    public TcpTimestamps Timestamps
    {
        get
        {
            Require(TcpOptionKind.Timestamps);
            return new TcpTimestamps(BinaryPrimitives.ReadUInt32BigEndian(_data), BinaryPrimitives.ReadUInt32BigEndian(_data[4..]));
        }
    }

    /// <summary>The number of blocks (1 to 4) in a <see cref="TcpOptionKind.Sack"/> option.</summary>
    /// <exception cref="InvalidOperationException">This is not a well-formed option of that kind.</exception>
    public int SackBlockCount
    {
        get
        {
            Require(TcpOptionKind.Sack);
            return _data.Length / 8;
        }
    }

    /// <summary>The block at <paramref name="index"/> of a <see cref="TcpOptionKind.Sack"/> option.</summary>
    /// <exception cref="InvalidOperationException">This is not a well-formed option of that kind.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="index"/> is not below <see cref="SackBlockCount"/>.</exception>
    public TcpSackBlock GetSackBlock(int index)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual((uint)index, (uint)SackBlockCount, nameof(index));
        var block = _data.Slice(index * 8, 8);
        return new TcpSackBlock(new TcpSeqNumber(BinaryPrimitives.ReadUInt32BigEndian(block)), new TcpSeqNumber(BinaryPrimitives.ReadUInt32BigEndian(block[4..])));
    }

    /// <summary>Copies the blocks of a <see cref="TcpOptionKind.Sack"/> option.</summary>
    /// <exception cref="InvalidOperationException">This is not a well-formed option of that kind.</exception>
    public TcpSackBlocks GetSackBlocks()
    {
        Span<TcpSackBlock> blocks = stackalloc TcpSackBlock[TcpSackBlocks.MaxCount];
        int count = SackBlockCount;
        for (int i = 0; i < count; i++) blocks[i] = GetSackBlock(i);
        return new TcpSackBlocks(blocks[..count]);
    }

    private void Require(TcpOptionKind kind)
    {
        if (Kind != kind || Error != WireError.None) ThrowWrongKind(kind, Kind, Error);
    }

    private static void ThrowWrongKind(TcpOptionKind wanted, TcpOptionKind kind, WireError error) =>
        throw new InvalidOperationException(error != WireError.None
            ? $"This option (kind {(byte)kind}) is malformed ({error}); check Error before reading its value."
            : $"This option is kind {(byte)kind}, not {wanted}; switch on Kind before reading its value.");
}
