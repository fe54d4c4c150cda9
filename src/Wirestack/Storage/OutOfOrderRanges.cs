namespace Wirestack.Storage;

/// <summary>
/// The byte ranges received beyond a gap, as a bounded, preallocated set of disjoint ranges in stream offsets.
/// It tells the receive ring what to make readable when a gap fills, and gives the SACK blocks to send, the range
/// changed most recently first (RFC 2018 section 4).
/// </summary>
/// <remarks>
/// When a new range would need a slot and none is free, it is refused: the data is not kept and the peer sends it
/// again. Ranges are stored by stream offset (a 64-bit count of bytes since the connection began), so they never wrap.
/// </remarks>
public sealed class OutOfOrderRanges
{
    private readonly long[] _starts;
    private readonly long[] _ends;
    private readonly long[] _touched;
    private int _count;
    private long _clock;

    /// <summary>Allocates room for <paramref name="capacity"/> disjoint ranges.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="capacity"/> is below 1 or above 1024.</exception>
    public OutOfOrderRanges(int capacity)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(capacity, 1024);
        _starts = new long[capacity];
        _ends = new long[capacity];
        _touched = new long[capacity];
    }

    /// <summary>The ranges held.</summary>
    public int Count => _count;

    /// <summary>The most ranges held at once.</summary>
    public int Capacity => _starts.Length;

    /// <summary>The range at <paramref name="index"/>, in ascending order of offset.</summary>
    public (long Start, long End) this[int index] => (_starts[index], _ends[index]);

    /// <summary>
    /// Records that [<paramref name="start"/>, <paramref name="end"/>) is held, merging it with ranges it overlaps
    /// or touches. Returns false (and records nothing) when it needs a slot and all are taken.
    /// </summary>
    public bool Add(long start, long end)
    {
        if (end <= start) return true;
        _clock++;
        // Ranges are sorted and disjoint; find the first that ends at or after start (it may merge).
        int i = 0;
        while (i < _count && _ends[i] < start) i++;
        int j = i;
        while (j < _count && _starts[j] <= end) j++;
        // Ranges i..j-1 overlap or touch the new one.
        if (j == i)
        {
            if (_count == _starts.Length) return false;
            Array.Copy(_starts, i, _starts, i + 1, _count - i);
            Array.Copy(_ends, i, _ends, i + 1, _count - i);
            Array.Copy(_touched, i, _touched, i + 1, _count - i);
            _starts[i] = start;
            _ends[i] = end;
            _touched[i] = _clock;
            _count++;
            return true;
        }
        _starts[i] = Math.Min(start, _starts[i]);
        _ends[i] = Math.Max(end, _ends[j - 1]);
        _touched[i] = _clock;
        int removed = j - i - 1;
        if (removed > 0)
        {
            Array.Copy(_starts, j, _starts, i + 1, _count - j);
            Array.Copy(_ends, j, _ends, i + 1, _count - j);
            Array.Copy(_touched, j, _touched, i + 1, _count - j);
            _count -= removed;
        }
        return true;
    }

    /// <summary>
    /// Removes every range that starts at or before <paramref name="offset"/> (the in-order end) and returns the
    /// new in-order end: the end of the last range that touched it, or <paramref name="offset"/>.
    /// </summary>
    public long AdvanceTo(long offset)
    {
        int removed = 0;
        while (removed < _count && _starts[removed] <= offset)
        {
            offset = Math.Max(offset, _ends[removed]);
            removed++;
        }
        if (removed > 0)
        {
            Array.Copy(_starts, removed, _starts, 0, _count - removed);
            Array.Copy(_ends, removed, _ends, 0, _count - removed);
            Array.Copy(_touched, removed, _touched, 0, _count - removed);
            _count -= removed;
        }
        return offset;
    }

    /// <summary>True when one range already covers all of [<paramref name="start"/>, <paramref name="end"/>).</summary>
    public bool Contains(long start, long end)
    {
        for (int i = 0; i < _count && _starts[i] <= start; i++)
            if (end <= _ends[i]) return true;
        return false;
    }

    /// <summary>True when a range held shares at least one byte with [<paramref name="start"/>, <paramref name="end"/>).</summary>
    public bool Overlaps(long start, long end)
    {
        for (int i = 0; i < _count && _starts[i] < end; i++)
            if (_ends[i] > start) return true;
        return false;
    }

    /// <summary>
    /// Writes up to <paramref name="destination"/>.Length ranges into it, the most recently changed first, and
    /// returns how many.
    /// </summary>
    public int GetMostRecent(Span<(long Start, long End)> destination)
    {
        int written = 0;
        long below = long.MaxValue;
        // Repeated selection: at most a few blocks are asked for, from a small set.
        while (written < destination.Length)
        {
            int best = -1;
            for (int i = 0; i < _count; i++)
                if (_touched[i] < below && (best < 0 || _touched[i] > _touched[best])) best = i;
            if (best < 0) break;
            destination[written++] = (_starts[best], _ends[best]);
            below = _touched[best];
        }
        return written;
    }

    /// <summary>Forgets every range.</summary>
    public void Clear()
    {
        _count = 0;
        _clock = 0;
    }
}
