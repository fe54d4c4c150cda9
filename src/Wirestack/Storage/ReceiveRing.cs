using Wirestack.Wire;

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
    // The bytes the last StageAndSum copied into the free space (stream offset, length; 0 when none).
    private long _stagedStart;
    private int _stagedLength;

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
    public int Write(int offset, ReadOnlySpan<byte> data, out bool stored) => Write(offset, data, staged: false, out stored);

    /// <summary>
    /// As <see cref="Write(int, ReadOnlySpan{byte}, out bool)"/>; with <paramref name="staged"/>, the same bytes were
    /// copied into place by the last <see cref="StageAndSum"/> (and nothing was written since), so only their
    /// bookkeeping is done: the in-order end advances, or the range is recorded. Should the staged place not match
    /// (it always does when the ring is used as the TCP layer uses it), the bytes are copied again.
    /// </summary>
    public int Write(int offset, ReadOnlySpan<byte> data, bool staged, out bool stored)
    {
        stored = true;
        bool wasStaged = staged && _stagedLength > 0;
        long stagedStart = _stagedStart;
        int stagedLength = _stagedLength;
        _stagedLength = 0;
        if (!Clip(offset, data.Length, out int skip, out int position, out int length)) return 0;
        long start = _inOrderEnd + position;
        var piece = data.Slice(skip, length);
        bool copied = wasStaged && start == stagedStart && length == stagedLength;
        if (position > 0)
        {
            if (!_outOfOrder.Add(start, start + length))
            {
                stored = false;
                return 0;
            }
            if (!copied) CopyIn(start, piece);
            return 0;
        }
        if (!copied) CopyIn(start, piece);
        long before = _inOrderEnd;
        _inOrderEnd = _outOfOrder.Count == 0 ? start + length : _outOfOrder.AdvanceTo(start + length);
        return (int)(_inOrderEnd - before);
    }

    /// <summary>
    /// Copies the part of <paramref name="data"/> that <see cref="Write(int, ReadOnlySpan{byte}, bool, out bool)"/>
    /// would store (same offset, same trimming) into the free space, making none of it readable or tracked, and
    /// returns the partial sum of all of <paramref name="data"/>: the stored part summed in the copy, the rest (below
    /// the in-order end, beyond the window) summed where it lies. A received segment's checksum is so verified in
    /// the pass that copies its payload, before the connection acts on it; if it is bad, the copy is bytes in free
    /// space that nothing refers to. <paramref name="staged"/> is false when nothing was copied: nothing would be
    /// stored, or the bytes would land on ranges already held out of order, which a corrupted copy must not touch.
    /// </summary>
    public uint StageAndSum(int offset, ReadOnlySpan<byte> data, out bool staged)
    {
        staged = false;
        _stagedLength = 0;
        if (!Clip(offset, data.Length, out int skip, out int position, out int length)) return InternetChecksum.Sum(data);
        long start = _inOrderEnd + position;
        if (_outOfOrder.Overlaps(start, start + length)) return InternetChecksum.Sum(data);
        uint sum = InternetChecksum.Sum(data[..skip]);
        sum = InternetChecksum.AddAt(sum, CopyInAndSum(start, data.Slice(skip, length)), skip);
        sum = InternetChecksum.Continue(sum, data[(skip + length)..], skip + length);
        _stagedStart = start;
        _stagedLength = length;
        staged = true;
        return sum;
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
        _stagedLength = 0;
        _outOfOrder.Clear();
    }

    // Where data at offset past the in-order end is stored: the first skip bytes lie below the in-order end, the
    // next length bytes go at position past it, the rest lie beyond the window. False when none is stored.
    private bool Clip(int offset, int dataLength, out int skip, out int position, out int length)
    {
        skip = offset < 0 ? -offset : 0;
        position = Math.Max(offset, 0);
        length = 0;
        if (skip >= dataLength) return false;
        int room = Window - position;
        if (room <= 0) return false;
        length = Math.Min(dataLength - skip, room);
        return true;
    }

    // The ring's wrap cuts the copy in two; after an odd first piece the second's sum is byte-swapped.
    private uint CopyInAndSum(long position, ReadOnlySpan<byte> data)
    {
        int start = (int)(position & _mask);
        int first = Math.Min(data.Length, _buffer.Length - start);
        uint sum = InternetChecksum.CopyAndSum(data[..first], _buffer.AsSpan(start));
        if (first == data.Length) return sum;
        return InternetChecksum.AddAt(sum, InternetChecksum.CopyAndSum(data[first..], _buffer), first);
    }

    private void CopyIn(long position, ReadOnlySpan<byte> data)
    {
        int start = (int)(position & _mask);
        int first = Math.Min(data.Length, _buffer.Length - start);
        data[..first].CopyTo(_buffer.AsSpan(start));
        data[first..].CopyTo(_buffer);
    }
}
