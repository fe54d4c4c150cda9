using Wirestack.Wire;

namespace Wirestack.Tcp;

// A listening endpoint: its SYN queue is a count of half-open connections (their control blocks point back here),
// its accept queue a ring of established connections the application has not taken yet.
internal sealed class TcpListener
{
    private int[] _queue = [];
    private int[] _generations = [];
    private int _head;

    public bool InUse { get; private set; }
    public int Generation { get; private set; }
    public IpAddress Address { get; private set; }
    public ushort Port { get; private set; }
    public int Backlog { get; private set; }
    public int HalfOpen { get; set; }
    public int Queued { get; private set; }

    // Established connections the application runtime took off the accept queue but has not handed to a caller yet
    // (its own accept queue): they still count against the backlog, so the backlog bounds everything waiting.
    public int HeldOutside { get; set; }

    public bool AcceptsFor(IpAddress local, ushort port) =>
        InUse && Port == port && (Address.IsUnspecified ? Address.IsIpv6 || local.IsIpv4 : Address == local);
    // An IPv4 wildcard takes IPv4 only; the IPv6 wildcard takes both families, as a dual-stack socket does.

    public void Open(IpAddress address, ushort port, int backlog)
    {
        if (_queue.Length < backlog)
        {
            _queue = new int[backlog];
            _generations = new int[backlog];
        }
        Address = address;
        Port = port;
        Backlog = backlog;
        HalfOpen = 0;
        Queued = 0;
        HeldOutside = 0;
        _head = 0;
        Generation++;
        InUse = true;
    }

    public void Close()
    {
        InUse = false;
        Generation++;
    }

    public bool IsFull => HalfOpen + Queued + HeldOutside >= Backlog;

    public bool AcceptQueueFull => Queued + HeldOutside >= Backlog;

    public bool TryEnqueue(int index, int generation)
    {
        if (Queued >= Backlog) return false;
        int tail = (_head + Queued) % Backlog;
        _queue[tail] = index;
        _generations[tail] = generation;
        Queued++;
        return true;
    }

    public bool TryDequeue(out int index, out int generation)
    {
        if (Queued == 0)
        {
            index = generation = 0;
            return false;
        }
        index = _queue[_head];
        generation = _generations[_head];
        _head = (_head + 1) % Backlog;
        Queued--;
        return true;
    }
}
