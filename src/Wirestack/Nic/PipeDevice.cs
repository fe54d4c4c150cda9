namespace Wirestack.Nic;

/// <summary>
/// One end of an in-process cable: two <see cref="PipeDevice"/>s share a pair of rings, so a frame
/// one end writes into its transmit slot is the very memory the other end reads (no copy). With
/// <see cref="CreateLoopback"/> a device's transmit ring is its own receive ring. Optional latency
/// and rate follow the options' <see cref="TimeProvider"/>, so simulations can run on a manual clock.
/// </summary>
public sealed class PipeDevice : INetworkDevice
{
    private readonly FrameRing _receive;
    private readonly FrameRing _transmit;
    private readonly PipeDeviceOptions _options;
    private readonly TimeProvider _time;
    private readonly long _latencyTicks;
    private readonly Func<bool> _hasDueFrame;
    private int _lent;
    private int _pending;
    private bool _slotLent;
    private long _lastDeparture;
    private bool _disposed;
    // What every received frame carries: the pipe vouches for all of them or for none (PipeDeviceOptions.TrustTransportChecksums).
    private readonly FrameOffload _received;

    private PipeDevice(FrameRing receive, FrameRing transmit, PipeDeviceOptions options)
    {
        _receive = receive;
        _transmit = transmit;
        _options = options;
        _time = options.TimeProvider;
        _latencyTicks = (long)(options.Latency.TotalSeconds * _time.TimestampFrequency);
        _hasDueFrame = HasDueFrame;
        Capabilities = new DeviceCapabilities
        {
            Mtu = options.Mtu,
            ReceiveRingSize = options.RingSize,
            TransmitRingSize = options.RingSize,
            ReceiveBatchSize = options.ReceiveBatchSize,
            ReceiveChecksums = options.TrustTransportChecksums ? ChecksumOffload.Tcp | ChecksumOffload.Udp : ChecksumOffload.None,
        };
        _received = options.TrustTransportChecksums ? new FrameOffload { TransportChecksumTrusted = true } : FrameOffload.None;
    }

    /// <summary>Two devices joined like a cable: what one transmits, the other receives.</summary>
    public static (PipeDevice First, PipeDevice Second) CreatePair(PipeDeviceOptions? options = null)
    {
        options ??= new PipeDeviceOptions();
        options.Validate();
        int slot = options.Mtu + DeviceCapabilities.FrameOverhead;
        var forward = new FrameRing(options.RingSize, slot);
        var backward = new FrameRing(options.RingSize, slot);
        return (new PipeDevice(backward, forward, options), new PipeDevice(forward, backward, options));
    }

    /// <summary>A device that receives what it transmits.</summary>
    public static PipeDevice CreateLoopback(PipeDeviceOptions? options = null)
    {
        options ??= new PipeDeviceOptions();
        options.Validate();
        var ring = new FrameRing(options.RingSize, options.Mtu + DeviceCapabilities.FrameOverhead);
        return new PipeDevice(ring, ring, options);
    }

    /// <inheritdoc />
    public DeviceCapabilities Capabilities { get; }

    /// <inheritdoc />
    public DeviceCounters Counters { get; } = new();

    /// <inheritdoc />
    public int Receive()
    {
        long head = _receive.Head + _lent;
        long tail = _receive.Tail;
        long now = _time.GetTimestamp();
        int batch = _options.ReceiveBatchSize;
        while (_lent < batch && head < tail && _receive.VisibleAt(head) <= now)
        {
            Counters.ReceivedFramesField++;
            Counters.ReceivedBytesField += _receive.Length(head);
            _lent++;
            head++;
        }
        return _lent;
    }

    /// <inheritdoc />
    public ReadOnlySpan<byte> GetReceived(int index)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual((uint)index, (uint)_lent, nameof(index));
        return _receive.Frame(_receive.Head + index);
    }

    /// <inheritdoc />
    /// <remarks>With <see cref="PipeDeviceOptions.TrustTransportChecksums"/> every frame's transport checksum is vouched for.</remarks>
    public ReadOnlySpan<byte> GetReceived(int index, out FrameOffload offload)
    {
        offload = _received;
        return GetReceived(index);
    }

    /// <inheritdoc />
    public void ReleaseReceived(int count)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan((uint)count, (uint)_lent, nameof(count));
        _receive.Release(_receive.Head + count);
        _lent -= count;
    }

    /// <inheritdoc />
    public bool TryGetTransmitSlot(out Span<byte> slot)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_slotLent)
            throw new InvalidOperationException("A transmit slot is already lent; commit it with CommitTransmit before asking for another.");
        long next = _transmit.Tail + _pending;
        // On a loopback ring the frames this device has lent to itself are not free either.
        if (next - _transmit.Head >= _transmit.Capacity)
        {
            slot = default;
            return false;
        }
        slot = _transmit.Slot(next);
        _slotLent = true;
        return true;
    }

    /// <inheritdoc />
    public void CommitTransmit(int length)
    {
        if (!_slotLent)
            throw new InvalidOperationException("No transmit slot is lent; call TryGetTransmitSlot first.");
        if (length < 0 || length > _transmit.SlotSize)
            throw new ArgumentOutOfRangeException(nameof(length), length, $"A frame must be 0 to {_transmit.SlotSize} bytes (the slot size).");
        long now = _time.GetTimestamp();
        long departure = now;
        if (_options.BitsPerSecond > 0)
        {
            // Serialisation: a frame leaves once the previous one has left and its own bits are on the wire.
            long wireTicks = length * 8L * _time.TimestampFrequency / _options.BitsPerSecond;
            departure = Math.Max(now, _lastDeparture) + wireTicks;
            _lastDeparture = departure;
        }
        _transmit.SetFrame(_transmit.Tail + _pending, length, departure + _latencyTicks);
        _pending++;
        _slotLent = false;
    }

    /// <inheritdoc />
    public int Flush()
    {
        int published = _pending;
        if (published == 0) return 0;
        long tail = _transmit.Tail;
        if (_transmit.Closed)
        {
            Counters.TransmitDroppedField += published;
        }
        else
        {
            for (long s = tail; s < tail + published; s++) Counters.TransmittedBytesField += _transmit.Length(s);
            Counters.TransmittedFramesField += published;
            _transmit.Publish(tail + published);
        }
        _pending = 0;
        return published;
    }

    /// <inheritdoc />
    public bool WaitForReceive(TimeSpan timeout)
    {
        if (_latencyTicks == 0 && _options.BitsPerSecond == 0) return _receive.Wait(_hasDueFrame, timeout);
        // With a delay on the link, sleep no longer than until the next frame is due.
        long head = _receive.Head + _lent;
        if (head < _receive.Tail)
        {
            var untilDue = _time.GetElapsedTime(_time.GetTimestamp(), _receive.VisibleAt(head));
            if (untilDue < timeout) timeout = untilDue < TimeSpan.Zero ? TimeSpan.Zero : untilDue;
        }
        return _receive.Wait(_hasDueFrame, timeout);
    }

    /// <inheritdoc />
    public void Interrupt() => _receive.Wake();

    /// <inheritdoc />
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        _transmit.Closed = true;
        _receive.Closed = true;
        _receive.Wake();
    }

    private bool HasDueFrame()
    {
        long head = _receive.Head + _lent;
        return head < _receive.Tail && _receive.VisibleAt(head) <= _time.GetTimestamp();
    }
}
