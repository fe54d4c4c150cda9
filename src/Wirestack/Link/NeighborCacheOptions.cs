namespace Wirestack.Link;

/// <summary>
/// How a <see cref="NeighborCache{TAddress}"/> is sized and timed. Every array is allocated from
/// these numbers when the cache is built; nothing grows afterwards. The timer defaults are RFC 4861
/// section 10's constants, which are also Linux's defaults for both ARP and NDP.
/// </summary>
public sealed record NeighborCacheOptions
{
    private static readonly TimeSpan MaxDuration = TimeSpan.FromDays(1);

    /// <summary>The most entries, 1 to 1 048 576. When full, the least recently used resolved entry is evicted. Default 256.</summary>
    public int Capacity { get; init; } = 256;

    /// <summary>Packet buffers shared by all entries for packets waiting for resolution, 1 to 65536. Default 64.</summary>
    public int PacketBufferCount { get; init; } = 64;

    /// <summary>The size of each packet buffer: the longest IP packet (no link header) that can wait, 68 to 65535. Default 1500.</summary>
    public int MaxPacketLength { get; init; } = 1500;

    /// <summary>
    /// The most packets one neighbour may have waiting, 1 to <see cref="PacketBufferCount"/>; beyond it the oldest is
    /// dropped. Default 16: an application that sends a burst to a new neighbour (datagrams, or the fragments of one)
    /// should not lose most of it to resolution (Linux now queues up to unres_qlen_bytes, about 100 full frames).
    /// </summary>
    public int MaxQueuedPerNeighbor { get; init; } = 16;

    /// <summary>Requests sent to resolve an address before giving up (RFC 4861 MAX_MULTICAST_SOLICIT), 1 to 255. Default 3.</summary>
    public int MaxMulticastProbes { get; init; } = 3;

    /// <summary>Unicast probes sent to verify a stale address before removing it (RFC 4861 MAX_UNICAST_SOLICIT), 1 to 255. Default 3.</summary>
    public int MaxUnicastProbes { get; init; } = 3;

    /// <summary>The time between requests, and after the last one before giving up (RFC 4861 RETRANS_TIMER). Above zero; default 1 s.</summary>
    public TimeSpan RetransmitInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>How long a confirmation keeps an entry reachable before it turns stale (RFC 4861 REACHABLE_TIME, Linux base_reachable_time). Above zero; default 30 s.</summary>
    public TimeSpan ReachableTime { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>How long a used stale entry waits for an upper-layer confirmation before probing (RFC 4861 DELAY_FIRST_PROBE_TIME). Zero probes at the next poll; default 5 s.</summary>
    public TimeSpan DelayFirstProbeTime { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>How long a stale entry that nobody uses is kept before it is removed (Linux gc_stale_time). Above zero; default 60 s.</summary>
    public TimeSpan StaleTime { get; init; } = TimeSpan.FromSeconds(60);

    internal void Validate()
    {
        if (Capacity is < 1 or > 1 << 20)
            throw new ArgumentOutOfRangeException(nameof(Capacity), Capacity, "NeighborCacheOptions.Capacity must be between 1 and 1048576.");
        if (PacketBufferCount is < 1 or > 65536)
            throw new ArgumentOutOfRangeException(nameof(PacketBufferCount), PacketBufferCount, "NeighborCacheOptions.PacketBufferCount must be between 1 and 65536.");
        if (MaxPacketLength is < 68 or > 65535)
            throw new ArgumentOutOfRangeException(nameof(MaxPacketLength), MaxPacketLength, "NeighborCacheOptions.MaxPacketLength must be between 68 (the IPv4 minimum MTU) and 65535.");
        if (MaxQueuedPerNeighbor < 1 || MaxQueuedPerNeighbor > PacketBufferCount)
            throw new ArgumentOutOfRangeException(nameof(MaxQueuedPerNeighbor), MaxQueuedPerNeighbor, $"NeighborCacheOptions.MaxQueuedPerNeighbor must be between 1 and PacketBufferCount ({PacketBufferCount}).");
        if (MaxMulticastProbes is < 1 or > 255)
            throw new ArgumentOutOfRangeException(nameof(MaxMulticastProbes), MaxMulticastProbes, "NeighborCacheOptions.MaxMulticastProbes must be between 1 and 255.");
        if (MaxUnicastProbes is < 1 or > 255)
            throw new ArgumentOutOfRangeException(nameof(MaxUnicastProbes), MaxUnicastProbes, "NeighborCacheOptions.MaxUnicastProbes must be between 1 and 255.");
        CheckDuration(RetransmitInterval, nameof(RetransmitInterval), allowZero: false);
        CheckDuration(ReachableTime, nameof(ReachableTime), allowZero: false);
        CheckDuration(DelayFirstProbeTime, nameof(DelayFirstProbeTime), allowZero: true);
        CheckDuration(StaleTime, nameof(StaleTime), allowZero: false);
    }

    private static void CheckDuration(TimeSpan value, string name, bool allowZero)
    {
        if (value < TimeSpan.Zero || (!allowZero && value == TimeSpan.Zero) || value > MaxDuration)
            throw new ArgumentOutOfRangeException(name, value, $"NeighborCacheOptions.{name} must be {(allowZero ? "at least zero" : "above zero")} and at most one day.");
    }
}
