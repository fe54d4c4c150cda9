namespace Wirestack.Tcp;

// A min-heap of connection deadlines indexed by connection slot, so that changing a connection's deadline is
// O(log n) and a poll costs O(expiring · log n): it only looks at the top. Preallocated for every slot.
internal sealed class TcpTimerHeap
{
    private readonly int[] _heap;
    private readonly long[] _deadline;
    private readonly int[] _position;
    private int _count;

    public TcpTimerHeap(int capacity)
    {
        _heap = new int[capacity];
        _deadline = new long[capacity];
        _position = new int[capacity];
        Array.Fill(_position, -1);
    }

    public int Count => _count;

    public Instant Next => _count == 0 ? Instant.MaxValue : Instant.FromMicroseconds(_deadline[_heap[0]]);

    public int Peek => _heap[0];

    // Sets (or with MaxValue, removes) the deadline of a slot.
    public void Set(int slot, Instant deadline)
    {
        if (deadline == Instant.MaxValue)
        {
            Remove(slot);
            return;
        }
        long value = deadline.TotalMicroseconds;
        int position = _position[slot];
        if (position < 0)
        {
            _deadline[slot] = value;
            position = _count++;
            _heap[position] = slot;
            _position[slot] = position;
            Up(position);
            return;
        }
        long old = _deadline[slot];
        _deadline[slot] = value;
        if (value < old) Up(position);
        else if (value > old) Down(position);
    }

    public void Remove(int slot)
    {
        int position = _position[slot];
        if (position < 0) return;
        _position[slot] = -1;
        int last = --_count;
        if (position == last) return;
        int moved = _heap[last];
        _heap[position] = moved;
        _position[moved] = position;
        Up(position);
        Down(_position[moved]);
    }

    private void Up(int position)
    {
        int slot = _heap[position];
        long value = _deadline[slot];
        while (position > 0)
        {
            int parent = (position - 1) >> 1;
            int parentSlot = _heap[parent];
            if (_deadline[parentSlot] <= value) break;
            _heap[position] = parentSlot;
            _position[parentSlot] = position;
            position = parent;
        }
        _heap[position] = slot;
        _position[slot] = position;
    }

    private void Down(int position)
    {
        int slot = _heap[position];
        long value = _deadline[slot];
        while (true)
        {
            int child = 2 * position + 1;
            if (child >= _count) break;
            if (child + 1 < _count && _deadline[_heap[child + 1]] < _deadline[_heap[child]]) child++;
            int childSlot = _heap[child];
            if (_deadline[childSlot] >= value) break;
            _heap[position] = childSlot;
            _position[childSlot] = position;
            position = child;
        }
        _heap[position] = slot;
        _position[slot] = position;
    }
}
