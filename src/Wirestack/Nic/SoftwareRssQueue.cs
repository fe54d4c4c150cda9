namespace Wirestack.Nic;

/// <summary>
/// One shard's share of a device under <see cref="SoftwareRss"/>: receives the frames steered to it from its own
/// single-producer, single-consumer ring, and stages the frames it sends in a transmit ring of its own that
/// <see cref="Flush"/> moves into the shared device. Driven by one stack thread, like any device.
/// </summary>
public sealed class SoftwareRssQueue : INetworkDevice
{
    private readonly SoftwareRss _owner;
    private readonly FrameRing _receive;
    private readonly FrameRing _transmit;
    private readonly Func<bool> _hasWork;
    private long _head; // consumer: the oldest frame not yet released
    private int _lent;
    private long _producerTail; // producer (whoever holds the device lock): the next slot to fill
    private long _published;
    private long _steered;
    private long _stagedTail; // transmit: the next slot to lend
    private long _stagedHead; // transmit: the oldest staged frame
    private bool _slotLent;
    private int _interruptPending;

    internal SoftwareRssQueue(SoftwareRss owner, int index, DeviceCapabilities capabilities)
    {
        _owner = owner;
        Index = index;
        Capabilities = capabilities;
        _receive = new FrameRing(capabilities.ReceiveRingSize, capabilities.MaxFrameLength);
        _transmit = new FrameRing(capabilities.TransmitRingSize, capabilities.MaxFrameLength);
        _hasWork = HasReceived;
    }

    /// <summary>The queue's shard index.</summary>
    public int Index { get; }

    /// <inheritdoc />
    public DeviceCapabilities Capabilities { get; }

    /// <inheritdoc />
    public DeviceCounters Counters { get; } = new();

    internal long Steered => Interlocked.Read(ref _steered);

    /// <inheritdoc />
    public int Receive()
    {
        _owner.TryDispatch();
        long available = _receive.Tail - _head;
        _lent = (int)Math.Min(available, Capabilities.ReceiveBatchSize);
        return _lent;
    }

    /// <inheritdoc />
    public ReadOnlySpan<byte> GetReceived(int index)
    {
        if ((uint)index >= (uint)_lent)
            throw new ArgumentOutOfRangeException(nameof(index), index, $"Only {_lent} frames are lent.");
        return _receive.Frame(_head + index);
    }

    /// <inheritdoc />
    public ReadOnlySpan<byte> GetReceived(int index, out FrameOffload offload)
    {
        var frame = GetReceived(index);
        offload = _receive.Offload(_head + index);
        return frame;
    }

    /// <inheritdoc />
    public void ReleaseReceived(int count)
    {
        if ((uint)count > (uint)_lent)
            throw new ArgumentOutOfRangeException(nameof(count), count, $"Only {_lent} frames are lent.");
        _head += count;
        _lent -= count;
        _receive.Release(_head);
    }

    /// <inheritdoc />
    public bool TryGetTransmitSlot(out Span<byte> slot)
    {
        if (_stagedTail - _stagedHead >= _transmit.Capacity)
        {
            slot = default;
            return false;
        }
        slot = _transmit.Slot(_stagedTail);
        _slotLent = true;
        return true;
    }

    /// <inheritdoc />
    public void CommitTransmit(int length) => CommitTransmit(length, FrameOffload.None);

    /// <inheritdoc />
    public void CommitTransmit(int length, in FrameOffload offload)
    {
        if (!_slotLent) throw new InvalidOperationException("CommitTransmit needs a slot lent by TryGetTransmitSlot first.");
        if ((uint)length > (uint)Capabilities.MaxFrameLength)
            throw new ArgumentOutOfRangeException(nameof(length), length, $"A frame is at most {Capabilities.MaxFrameLength} bytes.");
        if (offload.SegmentSize != 0 && Capabilities.MaxOffloadLength == 0)
            throw new NotSupportedException($"The device under this queue ({_owner.Device}) does not segment TCP on transmit (its Capabilities.MaxOffloadLength is 0); send MTU-sized frames.");
        _transmit.SetFrame(_stagedTail, length, 0, offload);
        _stagedTail++;
        _slotLent = false;
    }

    /// <inheritdoc />
    public int Flush() => _stagedTail == _stagedHead ? 0 : _owner.Transmit(this);

    /// <inheritdoc />
    public bool WaitForReceive(TimeSpan timeout)
    {
        if (HasReceived()) return true;
        // Frames the device could not take yet: come back soon to push them.
        if (_stagedTail != _stagedHead && timeout > TimeSpan.FromMilliseconds(1)) timeout = TimeSpan.FromMilliseconds(1);
        if (Interlocked.CompareExchange(ref _owner.Watcher, Index, -1) == -1)
        {
            // This thread watches the device for everyone; a frame for another queue wakes it, and its next
            // Receive steers the frame and wakes that queue.
            try
            {
                if (Interlocked.Exchange(ref _interruptPending, 0) != 0 || HasReceived()) return true;
                return _owner.WaitOnDevice(timeout) || HasReceived();
            }
            finally
            {
                Volatile.Write(ref _owner.Watcher, -1);
            }
        }
        // Another thread watches the device and publishes our frames to our ring, which wakes us.
        Interlocked.Exchange(ref _interruptPending, 0);
        return _receive.Wait(_hasWork, timeout);
    }

    /// <inheritdoc />
    public void Interrupt()
    {
        _receive.Wake();
        // Ordered before the watcher check (both are full fences): a queue that became the watcher meanwhile sees
        // the flag, or this sees it watching and interrupts the device wait.
        Interlocked.Exchange(ref _interruptPending, 1);
        if (Volatile.Read(ref _owner.Watcher) == Index) _owner.InterruptDevice();
    }

    /// <summary>Nothing to release: the <see cref="SoftwareRss"/> owns the rings and the device.</summary>
    public void Dispose()
    {
    }

    /// <inheritdoc />
    public override string ToString() => $"software RSS queue {Index} of {_owner.Queues.Count} on {_owner.Device}";

    private bool HasReceived() => _receive.Tail != _head + _lent;

    // ---- the dispatching thread, under the device lock ----

    internal void Enqueue(ReadOnlySpan<byte> frame, in FrameOffload offload)
    {
        if (_producerTail - _receive.Head >= _receive.Capacity || frame.Length > _receive.SlotSize || _receive.Closed)
        {
            Interlocked.Increment(ref Counters.ReceiveDroppedField);
            return;
        }
        frame.CopyTo(_receive.Slot(_producerTail));
        _receive.SetFrame(_producerTail, frame.Length, 0, offload);
        _producerTail++;
        _steered++;
        Counters.ReceivedFramesField++;
        Counters.ReceivedBytesField += frame.Length;
    }

    internal void Publish()
    {
        if (_producerTail == _published) return;
        _published = _producerTail;
        _receive.Publish(_producerTail);
        // This queue's thread may be the device's watcher, asleep on the device rather than on this ring, having
        // looked at the ring just before these frames came: wake it. The publish and the watcher flag are both behind
        // full fences, so either it sees the frames or this sees it watching.
        if (Volatile.Read(ref _owner.Watcher) == Index) _owner.InterruptDevice();
    }

    // Copies staged frames into the device's transmit slots until they run out or the device is full.
    internal int MoveStaged(INetworkDevice device)
    {
        int moved = 0;
        while (_stagedHead != _stagedTail)
        {
            if (!device.TryGetTransmitSlot(out var slot))
            {
                device.Flush();
                if (!device.TryGetTransmitSlot(out slot)) break;
            }
            var frame = _transmit.Frame(_stagedHead);
            frame.CopyTo(slot);
            device.CommitTransmit(frame.Length, _transmit.Offload(_stagedHead));
            Counters.TransmittedFramesField++;
            Counters.TransmittedBytesField += frame.Length;
            _stagedHead++;
            moved++;
        }
        return moved;
    }

    internal int DropStaged()
    {
        int dropped = (int)(_stagedTail - _stagedHead);
        Counters.TransmitDroppedField += dropped;
        _stagedHead = _stagedTail;
        return 0;
    }

    internal void Close() => _receive.Closed = true;
}
