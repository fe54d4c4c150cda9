namespace Wirestack.Nic;

/// <summary>How a <see cref="SharedMemoryPipeDevice"/> is built (by the side that creates the pipe) and watched.</summary>
public sealed record SharedMemoryPipeOptions
{
    /// <summary>The link MTU, 68 to 65535. Default 1500. Part of the pipe's geometry, fixed by the creator.</summary>
    public int Mtu { get; init; } = 1500;

    /// <summary>Slots per direction, a power of two from 2 to 65536. Default 1024. Part of the geometry.</summary>
    public int RingSize { get; init; } = 1024;

    /// <summary>The most frames one receive lends. Default 64.</summary>
    public int ReceiveBatchSize { get; init; } = 64;

    /// <summary>
    /// How often a device looks at the peer's process while it waits or finds its transmit ring full. A waiting
    /// device sleeps at most this long at a time. Default 100 ms.
    /// </summary>
    public TimeSpan PeerCheckInterval { get; init; } = TimeSpan.FromMilliseconds(100);

    /// <summary>
    /// How long the peer's heartbeat (bumped on every receive and wait) may stand still before the peer counts as
    /// <see cref="PipePeerState.Unresponsive"/>. Default 5 seconds.
    /// </summary>
    public TimeSpan HeartbeatTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Whether the creating side deletes the file when it is disposed. Default true.</summary>
    public bool DeleteOnDispose { get; init; } = true;

    internal void Validate()
    {
        if (Mtu is < 68 or > 65535)
            throw new ArgumentOutOfRangeException(nameof(Mtu), Mtu, "SharedMemoryPipeOptions.Mtu must be between 68 (the IPv4 minimum) and 65535.");
        if (RingSize < 2 || RingSize > 65536 || (RingSize & (RingSize - 1)) != 0)
            throw new ArgumentOutOfRangeException(nameof(RingSize), RingSize, "SharedMemoryPipeOptions.RingSize must be a power of two between 2 and 65536.");
        if (ReceiveBatchSize < 1 || ReceiveBatchSize > RingSize)
            throw new ArgumentOutOfRangeException(nameof(ReceiveBatchSize), ReceiveBatchSize, $"SharedMemoryPipeOptions.ReceiveBatchSize must be between 1 and RingSize ({RingSize}).");
        if (PeerCheckInterval <= TimeSpan.Zero)
            throw new ArgumentOutOfRangeException(nameof(PeerCheckInterval), PeerCheckInterval, "SharedMemoryPipeOptions.PeerCheckInterval must be positive.");
        if (HeartbeatTimeout < PeerCheckInterval)
            throw new ArgumentOutOfRangeException(nameof(HeartbeatTimeout), HeartbeatTimeout, "SharedMemoryPipeOptions.HeartbeatTimeout must be at least PeerCheckInterval.");
    }
}
