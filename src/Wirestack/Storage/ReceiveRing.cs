namespace Wirestack.Storage;

/// <summary>
/// The bytes a TCP connection has received and the application has not yet read. In-order data is appended at
/// the in-order end; data beyond a gap is written at its own offset inside the free space and tracked in an
/// <see cref="OutOfOrderRanges"/>, so when the gap fills it becomes readable without another copy.
/// </summary>
/// <remarks>
/// Positions are stream offsets (64-bit, from the connection's first byte). The free space after the in-order end
/// is exactly the window a receiver may honestly advertise. Nothing here allocates after construction.
/// </remarks>
public sealed class ReceiveRing
{
    private readonly byte[] _buffer;
    private readonly int _mask;
    private readonly OutOfOrderRanges _outOfOrder;
    private long _read;
    private long _inOrderEnd;

    /// <summary>Allocates a ring of at least <paramref name="capacity"/> bytes (rounded up to a power of two) tracking up to <paramref name="maxOutOfOrderRanges"/> ranges beyond gaps.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A size is out of range.</exception>
    public ReceiveRing(int capacity, int maxOutOfOrderRanges)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(capacity, 1 << 30);
        int size = (int)System.Numerics.BitOperations.RoundUpToPowerOf2((uint)capacity);
        _buffer = new byte[size];
        _mask = size - 1;
        _outOfOrder = new OutOfOrderRanges(maxOutOfOrderRanges);
    }

    /// <summary>The ring's size in bytes.</summary>
    public int Capacity => _buffer.Length;

    /// <summary>The in-order bytes waiting to be read.</summary>
    public int Readable => (int)(_inOrderEnd - _read);

    /// <summary>The free bytes after the in-order end: the honest receive window.</summary>
    public int Window => _buffer.Length - Readable;

    /// <summary>The stream offset just past the in-order data.</summary>
    public long InOrderEnd => _inOrderEnd;

    /// <summary>The ranges held beyond the in-order end.</summary>
    public OutOfOrderRanges OutOfOrder => _outOfOrder;

    /// <summary>
    /// Writes <paramref name="data"/>, which starts <paramref name="offset"/> bytes after the in-order end (0 for
    /// in-order data), trimmed to the window. Returns how many bytes became readable (0 for data beyond a gap).
    /// <paramref name="stored"/> is false when data beyond a gap could not be tracked (all range slots taken).
    /// </summary>
    public int Write(int offset, ReadOnlySpan<byte> data, out bool stored)
    {
        stored = true;
        if (offset < 0)
        {
            if (-offset >= data.Length) return 0;
            data = data[-offset..];
            offset = 0;
        }
        int room = Window - offset;
        if (room <= 0) return 0;
        if (data.Length > room) data = data[..room];
        if (data.IsEmpty) return 0;
        long start = _inOrderEnd + offset;
        if (offset > 0)
        {
            if (!_outOfOrder.Add(start, start + data.Length))
            {
                stored = false;
                return 0;
            }
            CopyIn(start, data);
            return 0;
        }
        CopyIn(start, data);
        long before = _inOrderEnd;
        _inOrderEnd = _outOfOrder.Count == 0 ? start + data.Length : _outOfOrder.AdvanceTo(start + data.Length);
        return (int)(_inOrderEnd - before);
    }

    /// <summary>True when the <paramref name="length"/> bytes at <paramref name="offset"/> past the in-order end are all held out of order already.</summary>
    public bool HoldsOutOfOrder(int offset, int length) => offset > 0 && length > 0 && _outOfOrder.Contains(_inOrderEnd + offset, _inOrderEnd + offset + length);

    /// <summary>Copies up to <paramref name="destination"/>.Length readable bytes out and frees them.</summary>
    public int Read(Span<byte> destination)
    {
        int length = Math.Min(destination.Length, Readable);
        if (length == 0) return 0;
        int start = (int)(_read & _mask);
        int first = Math.Min(length, _buffer.Length - start);
        _buffer.AsSpan(start, first).CopyTo(destination);
        _buffer.AsSpan(0, length - first).CopyTo(destination[first..]);
        _read += length;
        return length;
    }

    /// <summary>The readable bytes as up to two pieces, without consuming them.</summary>
    public void Peek(out ReadOnlySpan<byte> first, out ReadOnlySpan<byte> second)
    {
        int length = Readable;
        int start = (int)(_read & _mask);
        int firstLength = Math.Min(length, _buffer.Length - start);
        first = _buffer.AsSpan(start, firstLength);
        second = _buffer.AsSpan(0, length - firstLength);
    }

    /// <summary>Forgets everything, for a connection that is reused.</summary>
    public void Clear()
    {
        _read = 0;
        _inOrderEnd = 0;
        _outOfOrder.Clear();
    }

    private void CopyIn(long position, ReadOnlySpan<byte> data)
    {
        int start = (int)(position & _mask);
        int first = Math.Min(data.Length, _buffer.Length - start);
        data[..first].CopyTo(_buffer.AsSpan(start));
        data[first..].CopyTo(_buffer);
    }
}
