namespace Wirestack.Storage;

/// <summary>
/// The bytes a TCP connection has been given to send and not yet had acknowledged: the application appends at the
/// tail, the connection reads any range between the head and the tail to (re)transmit it, and acknowledgments free
/// bytes from the head. It is the retransmission store: a segment is a range of this ring, re-read when it is sent
/// again, so nothing is copied into per-segment buffers.
/// </summary>
/// <remarks>Offsets are relative to the head (the oldest unacknowledged byte). Nothing here allocates after construction.</remarks>
public sealed class SendRing
{
    private readonly byte[] _buffer;
    private readonly int _mask;
    private int _head;
    private int _count;

    /// <summary>Allocates a ring of at least <paramref name="capacity"/> bytes (rounded up to a power of two).</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="capacity"/> is below 1 or above 1 GiB.</exception>
    public SendRing(int capacity)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(capacity, 1 << 30);
        int size = (int)System.Numerics.BitOperations.RoundUpToPowerOf2((uint)capacity);
        _buffer = new byte[size];
        _mask = size - 1;
    }

    /// <summary>The ring's size in bytes.</summary>
    public int Capacity => _buffer.Length;

    /// <summary>The bytes held: written and not yet freed.</summary>
    public int Count => _count;

    /// <summary>The bytes that can still be written.</summary>
    public int Free => _buffer.Length - _count;

    /// <summary>Appends as much of <paramref name="data"/> as fits and returns how many bytes that was.</summary>
    public int Write(ReadOnlySpan<byte> data)
    {
        int length = Math.Min(data.Length, Free);
        if (length == 0) return 0;
        int tail = (_head + _count) & _mask;
        int first = Math.Min(length, _buffer.Length - tail);
        data[..first].CopyTo(_buffer.AsSpan(tail));
        data[first..length].CopyTo(_buffer);
        _count += length;
        return length;
    }

    /// <summary>
    /// The <paramref name="length"/> bytes starting <paramref name="offset"/> bytes after the head, as up to two
    /// pieces (the second is empty unless the range wraps).
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The range is not inside the bytes held.</exception>
    public void Read(int offset, int length, out ReadOnlySpan<byte> first, out ReadOnlySpan<byte> second)
    {
        if ((uint)offset > (uint)_count || (uint)length > (uint)(_count - offset))
            throw new ArgumentOutOfRangeException(nameof(length), $"The range [{offset}, {offset + length}) is outside the {_count} bytes held.");
        int start = (_head + offset) & _mask;
        int firstLength = Math.Min(length, _buffer.Length - start);
        first = _buffer.AsSpan(start, firstLength);
        second = _buffer.AsSpan(0, length - firstLength);
    }

    /// <summary>Frees <paramref name="count"/> bytes from the head (they were acknowledged).</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="count"/> is negative or more than <see cref="Count"/>.</exception>
    public void Consume(int count)
    {
        if ((uint)count > (uint)_count)
            throw new ArgumentOutOfRangeException(nameof(count), count, $"Only {_count} bytes are held.");
        _head = (_head + count) & _mask;
        _count -= count;
    }

    /// <summary>Forgets everything held, for a connection that is reused.</summary>
    public void Clear()
    {
        _head = 0;
        _count = 0;
    }
}
