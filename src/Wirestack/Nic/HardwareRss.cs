namespace Wirestack.Nic;

/// <summary>
/// Shards on a NIC that does receive-side scaling itself: one device per hardware queue (for example an AF_XDP
/// socket per queue), each wrapped in a <see cref="HardwareRssQueue"/> that passes on to the other queues the frames
/// every shard needs. A NIC steers ARP, neighbour discovery and ICMP errors to one queue (they have no ports to
/// hash), but each shard keeps its own neighbour and path-MTU caches: without this, a shard whose ARP reply landed
/// on another queue would never resolve its neighbour.
/// </summary>
public sealed class HardwareRss : IDisposable
{
    private readonly HardwareRssQueue[] _queues;
    private readonly bool _ownsDevices;
    private int _disposed;

    /// <summary>Wraps one device per queue; <paramref name="steering"/> recognises the frames to share.</summary>
    /// <param name="devices">The queues' devices, in queue order.</param>
    /// <param name="steering">The NIC's steering (its shard count must equal the number of devices).</param>
    /// <param name="ownsDevices">Whether disposing this disposes the devices.</param>
    /// <exception cref="ArgumentException">The counts differ.</exception>
    public HardwareRss(IReadOnlyList<INetworkDevice> devices, FlowSteering steering, bool ownsDevices = true)
    {
        ArgumentNullException.ThrowIfNull(devices);
        ArgumentNullException.ThrowIfNull(steering);
        if (devices.Count != steering.ShardCount)
            throw new ArgumentException($"{devices.Count} devices for a steering over {steering.ShardCount} shards: give one device per queue.", nameof(devices));
        Steering = steering;
        _ownsDevices = ownsDevices;
        _queues = new HardwareRssQueue[devices.Count];
        for (int i = 0; i < _queues.Length; i++) _queues[i] = new HardwareRssQueue(this, i, devices[i]);
    }

    /// <summary>The wrapped queues, one per shard.</summary>
    public IReadOnlyList<HardwareRssQueue> Queues => _queues;

    /// <summary>How the NIC steers flows, and which frames every shard needs.</summary>
    public FlowSteering Steering { get; }

    /// <summary>Disposes the devices if this owns them.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        if (!_ownsDevices) return;
        foreach (var queue in _queues) queue.Inner.Dispose();
    }

    // Called by queue `from`'s thread: copies a shared frame into every other queue's side ring and wakes it.
    internal void Share(int from, ReadOnlySpan<byte> frame)
    {
        for (int i = 0; i < _queues.Length; i++)
            if (i != from) _queues[i].Accept(frame);
    }
}
