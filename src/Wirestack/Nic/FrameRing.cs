using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Wirestack.Nic;

/// <summary>
/// A single-producer, single-consumer ring of fixed-size frame slots in one pinned block: the
/// memory an in-process device lends. The producer writes a slot in place and publishes it by
/// advancing the tail; the consumer reads slots in place and frees them by advancing the head.
/// </summary>
internal sealed class FrameRing
{
    private readonly byte[] _memory;
    private readonly int[] _lengths;
    private readonly long[] _visibleAt;
    private readonly FrameOffload[] _offloads;
    private readonly int _mask;
    private Indexes _indexes;
    private int _consumerSleeping;
    // Set by Wake and consumed by Wait: an interrupt that arrives while the consumer is not yet waiting must still
    // cut the next wait short, and the event alone cannot carry it because Wait resets the event first.
    private int _wakePending;
    private readonly ManualResetEventSlim _wake = new(false);

    public FrameRing(int capacity, int slotSize)
    {
        if (capacity < 2 || (capacity & (capacity - 1)) != 0)
            throw new ArgumentOutOfRangeException(nameof(capacity), capacity, "The ring size must be a power of two, at least 2.");
        Capacity = capacity;
        SlotSize = slotSize;
        _mask = capacity - 1;
        _memory = GC.AllocateArray<byte>(checked(capacity * slotSize), pinned: true);
        _lengths = new int[capacity];
        _visibleAt = new long[capacity];
        _offloads = new FrameOffload[capacity];
    }

    public int Capacity { get; }

    public int SlotSize { get; }

    /// <summary>Set when either end is disposed: the producer then drops, the consumer sees nothing new.</summary>
    public bool Closed { get; set; }

    /// <summary>Published frames end here (written by the producer).</summary>
    public long Tail => Volatile.Read(ref _indexes.Tail);

    /// <summary>Freed slots end here (written by the consumer).</summary>
    public long Head => Volatile.Read(ref _indexes.Head);

    public Span<byte> Slot(long sequence) => _memory.AsSpan((int)(sequence & _mask) * SlotSize, SlotSize);

    public ReadOnlySpan<byte> Frame(long sequence) => _memory.AsSpan((int)(sequence & _mask) * SlotSize, _lengths[sequence & _mask]);

    public int Length(long sequence) => _lengths[sequence & _mask];

    public long VisibleAt(long sequence) => _visibleAt[sequence & _mask];

    /// <summary>What a device did or is asked to do for the frame in the slot (segments, a vouched checksum).</summary>
    public FrameOffload Offload(long sequence) => _offloads[sequence & _mask];

    public void SetFrame(long sequence, int length, long visibleAt) => SetFrame(sequence, length, visibleAt, FrameOffload.None);

    public void SetFrame(long sequence, int length, long visibleAt, in FrameOffload offload)
    {
        _lengths[sequence & _mask] = length;
        _visibleAt[sequence & _mask] = visibleAt;
        _offloads[sequence & _mask] = offload;
    }

    /// <summary>Producer: makes every frame before <paramref name="tail"/> visible, waking a sleeping consumer.</summary>
    public void Publish(long tail)
    {
        Volatile.Write(ref _indexes.Tail, tail);
        // The full fence orders the tail store before the flag load; the consumer orders them the
        // other way round, so one of the two always sees the other and no wake-up is lost.
        Interlocked.MemoryBarrier();
        if (Volatile.Read(ref _consumerSleeping) != 0) _wake.Set();
    }

    /// <summary>Consumer: frees every slot before <paramref name="head"/>.</summary>
    public void Release(long head) => Volatile.Write(ref _indexes.Head, head);

    /// <summary>Consumer: sleeps until <paramref name="hasWork"/> holds, a publish, a wake, or the timeout.</summary>
    public bool Wait(Func<bool> hasWork, TimeSpan timeout)
    {
        if (Interlocked.Exchange(ref _wakePending, 0) != 0 || hasWork()) return true;
        _wake.Reset();
        Interlocked.Exchange(ref _consumerSleeping, 1);
        try
        {
            // A wake between the first look and the reset set the flag before the event: look at it again.
            if (Interlocked.Exchange(ref _wakePending, 0) != 0 || hasWork()) return true;
            bool woken = _wake.Wait(RoundUpToMilliseconds(timeout));
            Interlocked.Exchange(ref _wakePending, 0);
            return woken || hasWork();
        }
        finally
        {
            Volatile.Write(ref _consumerSleeping, 0);
        }
    }

    // The event sleeps in whole milliseconds and truncates: a 400 µs timeout would return at once, and a caller
    // waiting for a deadline would spin until it passed. Rounding up wakes it at most a millisecond late instead.
    private static TimeSpan RoundUpToMilliseconds(TimeSpan timeout) =>
        timeout <= TimeSpan.Zero || timeout == Timeout.InfiniteTimeSpan || timeout.Ticks % TimeSpan.TicksPerMillisecond == 0
            ? timeout
            : TimeSpan.FromTicks((timeout.Ticks / TimeSpan.TicksPerMillisecond + 1) * TimeSpan.TicksPerMillisecond);

    /// <summary>Wakes the consumer from any thread.</summary>
    public void Wake()
    {
        Volatile.Write(ref _wakePending, 1);
        _wake.Set();
    }

    // Head and tail on separate cache lines: the two threads each write one of them on every batch.
    [StructLayout(LayoutKind.Explicit, Size = 192)]
    private struct Indexes
    {
        [FieldOffset(64)] public long Tail;
        [FieldOffset(128)] public long Head;
    }
}
