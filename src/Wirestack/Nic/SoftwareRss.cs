namespace Wirestack.Nic;

/// <summary>
/// Receive-side scaling in software: shares one device among several stacks, each driving its own
/// <see cref="SoftwareRssQueue"/> (an <see cref="INetworkDevice"/>) on its own thread. Frames the device receives
/// are steered by <see cref="FlowSteering"/> (the Toeplitz hash of the 4-tuple) into per-queue single-producer,
/// single-consumer frame rings; each queue transmits through the device itself.
/// </summary>
/// <remarks>
/// <para>
/// There is no dispatcher thread: whichever queue's thread polls first takes the device (a try-lock) and steers a
/// batch for everyone, waking the queues it filled; when every stack sleeps, one of them (the watcher) sleeps on the
/// device and the others on their rings. On a machine with few cores this keeps one thread per shard, which is what
/// a NIC with hardware RSS gives too (one queue per shard, see <see cref="FlowSteering"/>).
/// </para>
/// <para>
/// The price of sharing one device: each frame is copied once into its queue's ring on receive, and once from the
/// queue into the device's transmit ring, under the device lock, when the queue flushes. Offloads pass through with
/// their frames (each ring slot is then as large as the device's largest segment, so mind the ring size). A queue whose ring is full
/// loses the frame (counted in <see cref="Dropped"/> and the queue's <see cref="DeviceCounters.ReceiveDropped"/>).
/// </para>
/// </remarks>
public sealed class SoftwareRss : IDisposable
{
    private readonly INetworkDevice _device;
    private readonly bool _ownsDevice;
    private readonly SoftwareRssQueue[] _queues;
    private readonly Lock _deviceLock = new();
    private long _broadcast;
    private int _disposed;

    /// <summary>Shares <paramref name="device"/> among <paramref name="steering"/>'s shard count of queues.</summary>
    /// <param name="device">The device every queue receives from and transmits to.</param>
    /// <param name="steering">How frames map to queues (its <see cref="FlowSteering.ShardCount"/> is the queue count).</param>
    /// <param name="ringSize">Frames each queue's receive ring holds, a power of two (default 1024).</param>
    /// <param name="ownsDevice">Whether disposing this disposes the device.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="ringSize"/> is not a power of two of at least 64.</exception>
    public SoftwareRss(INetworkDevice device, FlowSteering steering, int ringSize = 1024, bool ownsDevice = true)
    {
        ArgumentNullException.ThrowIfNull(device);
        ArgumentNullException.ThrowIfNull(steering);
        if (ringSize < 64 || (ringSize & (ringSize - 1)) != 0)
            throw new ArgumentOutOfRangeException(nameof(ringSize), ringSize, "A queue's ring size must be a power of two, at least 64.");
        _device = device;
        _ownsDevice = ownsDevice;
        Steering = steering;
        var capabilities = device.Capabilities with { ReceiveRingSize = ringSize, TransmitRingSize = ringSize };
        _queues = new SoftwareRssQueue[steering.ShardCount];
        for (int i = 0; i < _queues.Length; i++) _queues[i] = new SoftwareRssQueue(this, i, capabilities);
    }

    /// <summary>The queues, one per shard: give each to its own stack.</summary>
    public IReadOnlyList<SoftwareRssQueue> Queues => _queues;

    /// <summary>How frames are steered.</summary>
    public FlowSteering Steering { get; }

    /// <summary>The shared device.</summary>
    public INetworkDevice Device => _device;

    /// <summary>Frames that went to every queue (ARP replies, neighbour advertisements, ICMP errors).</summary>
    public long Broadcast => Interlocked.Read(ref _broadcast);

    /// <summary>Frames steered to queue <paramref name="queue"/> (broadcast ones included).</summary>
    public long Steered(int queue) => _queues[queue].Steered;

    /// <summary>Frames lost because queue <paramref name="queue"/>'s ring was full.</summary>
    public long Dropped(int queue) => _queues[queue].Counters.ReceiveDropped;

    /// <summary>Index of the queue whose thread sleeps on the device, or -1.</summary>
    internal int Watcher = -1;

    internal bool IsDisposed => Volatile.Read(ref _disposed) != 0;

    /// <summary>Disposes the device if this owns it; the queues then receive nothing and drop what they send.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        lock (_deviceLock)
        {
            foreach (var queue in _queues) queue.Close();
            if (_ownsDevice) _device.Dispose();
        }
    }

    /// <summary>Steers what the device has received, unless another queue's thread is doing it right now.</summary>
    internal void TryDispatch()
    {
        if (!_deviceLock.TryEnter()) return;
        try
        {
            if (!IsDisposed) Dispatch();
        }
        finally
        {
            _deviceLock.Exit();
        }
    }

    /// <summary>Moves a queue's staged frames into the device and flushes it; returns how many went.</summary>
    internal int Transmit(SoftwareRssQueue queue)
    {
        lock (_deviceLock)
        {
            if (IsDisposed) return queue.DropStaged();
            int moved = queue.MoveStaged(_device);
            _device.Flush();
            return moved;
        }
    }

    internal bool WaitOnDevice(TimeSpan timeout) => _device.WaitForReceive(timeout);

    internal void InterruptDevice() => _device.Interrupt();

    // Under the device lock. Copies each frame into its queue's ring (or every ring), then publishes each ring once.
    private void Dispatch()
    {
        var steering = Steering;
        var queues = _queues;
        // One batch per call, as each stack takes one batch per poll: pulling more would only overfill the rings of
        // stacks slower than this one, and the frames are as well off waiting in the device.
        int lent = _device.Receive();
        if (lent > 0)
        {
            for (int i = 0; i < lent; i++)
            {
                // The offload travels with the frame: a coalesced segment or a checksum the kernel left partial is
                // only good together with what the device said about it.
                var frame = _device.GetReceived(i, out var offload);
                int target = steering.Classify(frame);
                if (target >= 0)
                {
                    queues[target].Enqueue(frame, offload);
                    continue;
                }
                _broadcast++;
                for (int q = 0; q < queues.Length; q++) queues[q].Enqueue(frame, offload);
            }
            _device.ReleaseReceived(lent);
        }
        for (int q = 0; q < queues.Length; q++) queues[q].Publish();
    }
}
