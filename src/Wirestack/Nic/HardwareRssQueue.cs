namespace Wirestack.Nic;

/// <summary>
/// One hardware queue's device under <see cref="HardwareRss"/>: lends the queue's frames in place as the device does,
/// copies the ones every shard needs (ARP, neighbour discovery, ICMP errors) to the other queues, and lends the ones
/// the other queues passed on from a small ring of its own. Transmit goes straight to the queue's device.
/// </summary>
public sealed class HardwareRssQueue : INetworkDevice
{
    private const int SideRingSize = 256;
    private readonly HardwareRss _owner;
    private readonly FrameRing _side;
    private readonly Lock _sideLock = new();
    private long _sideHead;
    private long _sideTail; // producers, under the lock
    private bool _lendingSide;
    private int _lent;
    private int _examined; // frames of the device's current lent batch already checked for sharing
    private long _sharedDropped;

    internal HardwareRssQueue(HardwareRss owner, int index, INetworkDevice inner)
    {
        _owner = owner;
        Index = index;
        Inner = inner;
        _side = new FrameRing(SideRingSize, inner.Capabilities.MaxFrameLength);
    }

    /// <summary>The queue's index (its shard).</summary>
    public int Index { get; }

    /// <summary>The queue's own device.</summary>
    public INetworkDevice Inner { get; }

    /// <summary>Frames other queues passed on that this one's side ring had no room for.</summary>
    public long SharedDropped => Interlocked.Read(ref _sharedDropped);

    /// <inheritdoc />
    public DeviceCapabilities Capabilities => Inner.Capabilities;

    /// <inheritdoc />
    public DeviceCounters Counters => Inner.Counters;

    /// <inheritdoc />
    public int Receive()
    {
        // Frames passed on by other queues go first, as a batch of their own, but never while device frames are lent.
        if (!_lendingSide && _lent == 0 && _side.Tail != _sideHead) _lendingSide = true;
        if (_lendingSide)
        {
            _lent = (int)Math.Min(_side.Tail - _sideHead, Capabilities.ReceiveBatchSize);
            if (_lent > 0) return _lent;
            _lendingSide = false;
        }
        int count = Inner.Receive();
        var steering = _owner.Steering;
        for (int i = _examined; i < count; i++)
        {
            var frame = Inner.GetReceived(i);
            if (steering.IsForAllShards(frame)) _owner.Share(Index, frame);
        }
        _examined = count;
        _lent = count;
        return count;
    }

    /// <inheritdoc />
    public ReadOnlySpan<byte> GetReceived(int index)
    {
        if (!_lendingSide) return Inner.GetReceived(index);
        if ((uint)index >= (uint)_lent) throw new ArgumentOutOfRangeException(nameof(index), index, $"Only {_lent} frames are lent.");
        return _side.Frame(_sideHead + index);
    }

    /// <inheritdoc />
    /// <remarks>
    /// The device's own frames carry what the device did for them (a trusted checksum, coalesced segments); frames
    /// passed on by another queue (ARP, neighbour discovery, ICMP errors, none of which a device offloads) carry none.
    /// </remarks>
    public ReadOnlySpan<byte> GetReceived(int index, out FrameOffload offload)
    {
        if (!_lendingSide) return Inner.GetReceived(index, out offload);
        offload = FrameOffload.None;
        return GetReceived(index);
    }

    /// <inheritdoc />
    public void ReleaseReceived(int count)
    {
        if ((uint)count > (uint)_lent) throw new ArgumentOutOfRangeException(nameof(count), count, $"Only {_lent} frames are lent.");
        _lent -= count;
        if (_lendingSide)
        {
            _sideHead += count;
            _side.Release(_sideHead);
            if (_lent == 0) _lendingSide = false;
            return;
        }
        Inner.ReleaseReceived(count);
        _examined -= count;
    }

    /// <inheritdoc />
    public bool TryGetTransmitSlot(out Span<byte> slot) => Inner.TryGetTransmitSlot(out slot);

    /// <inheritdoc />
    public void CommitTransmit(int length) => Inner.CommitTransmit(length);

    /// <inheritdoc />
    public void CommitTransmit(int length, in FrameOffload offload) => Inner.CommitTransmit(length, offload);

    /// <inheritdoc />
    public int Flush() => Inner.Flush();

    /// <inheritdoc />
    public bool WaitForReceive(TimeSpan timeout) => _side.Tail != _sideHead + (_lendingSide ? _lent : 0) || Inner.WaitForReceive(timeout);

    /// <inheritdoc />
    public void Interrupt() => Inner.Interrupt();

    /// <summary>Nothing of its own to release: <see cref="HardwareRss"/> disposes the devices it owns.</summary>
    public void Dispose()
    {
    }

    /// <inheritdoc />
    public override string ToString() => $"hardware RSS queue {Index} on {Inner}";

    // Another queue's thread: copy the frame in, publish it, and wake this queue's thread (a device interrupt is
    // remembered by the next wait, so a thread about to sleep still wakes).
    internal void Accept(ReadOnlySpan<byte> frame)
    {
        lock (_sideLock)
        {
            if (_sideTail - _side.Head >= _side.Capacity || frame.Length > _side.SlotSize)
            {
                Interlocked.Increment(ref _sharedDropped);
                return;
            }
            frame.CopyTo(_side.Slot(_sideTail));
            _side.SetFrame(_sideTail, frame.Length, 0);
            _side.Publish(++_sideTail);
        }
        Inner.Interrupt();
    }
}
