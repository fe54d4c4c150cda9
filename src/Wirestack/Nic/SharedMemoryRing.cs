namespace Wirestack.Nic;

/// <summary>
/// One direction of a shared-memory pipe seen from one side: a single-producer, single-consumer ring of
/// fixed-size slots in the mapped file, a length per slot, and two 64-bit indexes (the producer's tail and the
/// consumer's head) that only ever grow. Each side keeps local copies of the indexes it owns and publishes them
/// with release stores; it reads the other side's index with acquire loads, so the slots it reads were written
/// before the index that covers them.
/// </summary>
/// <remarks>Holds only pointers into the mapping: the local indexes live in the device.</remarks>
internal readonly unsafe struct SharedMemoryRing
{
    private readonly long* _tail;
    private readonly long* _head;
    private readonly int* _lengths;
    private readonly byte* _slots;
    private readonly int _mask;
    private readonly int _slotSize;

    public SharedMemoryRing(byte* mapping, in SharedMemoryPipeLayout layout, int ring)
    {
        byte* indexes = mapping + SharedMemoryPipeLayout.RingOffset(ring);
        _tail = (long*)(indexes + SharedMemoryPipeLayout.RingTailOffset);
        _head = (long*)(indexes + SharedMemoryPipeLayout.RingHeadOffset);
        _lengths = (int*)(mapping + layout.RingLengthsOffset(ring));
        _slots = mapping + layout.RingSlotsOffset(ring);
        _mask = layout.SlotCount - 1;
        _slotSize = layout.SlotSize;
        Capacity = layout.SlotCount;
    }

    public int Capacity { get; }

    public int SlotSize => _slotSize;

    /// <summary>Published frames end here (acquire load of the producer's index).</summary>
    public long Tail => Volatile.Read(ref *_tail);

    /// <summary>Freed slots end here (acquire load of the consumer's index).</summary>
    public long Head => Volatile.Read(ref *_head);

    public Span<byte> Slot(long sequence) => new(_slots + (sequence & _mask) * _slotSize, _slotSize);

    /// <summary>The frame length the producer wrote for <paramref name="sequence"/>; may be anything if the peer misbehaves.</summary>
    public int Length(long sequence) => _lengths[sequence & _mask];

    public void SetLength(long sequence, int length) => _lengths[sequence & _mask] = length;

    /// <summary>The frame at <paramref name="sequence"/>, cut to the slot size whatever length the peer wrote.</summary>
    public ReadOnlySpan<byte> Frame(long sequence)
    {
        uint length = (uint)_lengths[sequence & _mask];
        return new(_slots + (sequence & _mask) * _slotSize, (int)Math.Min(length, (uint)_slotSize));
    }

    /// <summary>Producer: makes every frame before <paramref name="tail"/> visible (one release store per batch).</summary>
    public void Publish(long tail) => Volatile.Write(ref *_tail, tail);

    /// <summary>Consumer: frees every slot before <paramref name="head"/>.</summary>
    public void Release(long head) => Volatile.Write(ref *_head, head);
}
