namespace Wirestack.Link;

/// <summary>
/// Counters a <see cref="NeighborCache{TAddress}"/> keeps. The cache's owner thread writes them;
/// any thread may read them (64-bit reads are atomic on the platforms Wirestack runs on).
/// </summary>
public sealed class NeighborCacheCounters
{
    internal long HitsField;
    internal long MissesField;
    internal long RequestsSentField;
    internal long ResolutionFailuresField;
    internal long PacketsQueuedField;
    internal long PacketsDroppedQueueFullField;
    internal long PacketsDroppedUnresolvedField;
    internal long PacketsDroppedTooLongField;
    internal long EvictionsField;
    internal long RefusalsField;

    /// <summary>Lookups that found a link-layer address.</summary>
    public long Hits => Volatile.Read(ref HitsField);

    /// <summary>Lookups that did not: resolution started, already pending, or refused.</summary>
    public long Misses => Volatile.Read(ref MissesField);

    /// <summary>Requests the cache told its caller to send: first requests, retransmissions and unicast probes.</summary>
    public long RequestsSent => Volatile.Read(ref RequestsSentField);

    /// <summary>Entries removed because the last request or probe went unanswered.</summary>
    public long ResolutionFailures => Volatile.Read(ref ResolutionFailuresField);

    /// <summary>Packets copied into the queue to wait for resolution.</summary>
    public long PacketsQueued => Volatile.Read(ref PacketsQueuedField);

    /// <summary>Packets dropped because their neighbour's queue or the shared pool was full (the oldest of the neighbour's packets, or the new one if it had none).</summary>
    public long PacketsDroppedQueueFull => Volatile.Read(ref PacketsDroppedQueueFullField);

    /// <summary>Packets dropped without a link-layer address: resolution failed, their entry was evicted, or they were offered for an address with no resolution under way.</summary>
    public long PacketsDroppedUnresolved => Volatile.Read(ref PacketsDroppedUnresolvedField);

    /// <summary>Packets longer than <see cref="NeighborCacheOptions.MaxPacketLength"/>, refused by the queue.</summary>
    public long PacketsDroppedTooLong => Volatile.Read(ref PacketsDroppedTooLongField);

    /// <summary>Resolved entries evicted (least recently used first) to make room for a new one.</summary>
    public long Evictions => Volatile.Read(ref EvictionsField);

    /// <summary>New entries refused because every entry in a full table was still resolving.</summary>
    public long Refusals => Volatile.Read(ref RefusalsField);

    /// <inheritdoc />
    public override string ToString() =>
        $"hits {Hits} misses {Misses} requests {RequestsSent} failures {ResolutionFailures} queued {PacketsQueued} " +
        $"dropped (queue full {PacketsDroppedQueueFull}, unresolved {PacketsDroppedUnresolved}, too long {PacketsDroppedTooLong}) evictions {Evictions} refusals {Refusals}";
}
