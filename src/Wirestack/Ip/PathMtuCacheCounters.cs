namespace Wirestack.Ip;

/// <summary>What a <see cref="PathMtuCache{TAddress}"/> has done. The owning thread writes them; any thread may read them.</summary>
public sealed class PathMtuCacheCounters
{
    internal long HitsField;
    internal long MissesField;
    internal long LearnedField;
    internal long LoweredField;
    internal long IgnoredField;
    internal long ClampedField;
    internal long EvictedField;
    internal long ExpiredField;
    internal long RemovedField;

    /// <summary>Lookups that found an entry.</summary>
    public long Hits => Volatile.Read(ref HitsField);

    /// <summary>Lookups that found none and answered with the link MTU.</summary>
    public long Misses => Volatile.Read(ref MissesField);

    /// <summary>Reports that made a new entry.</summary>
    public long Learned => Volatile.Read(ref LearnedField);

    /// <summary>Reports that lowered an entry.</summary>
    public long Lowered => Volatile.Read(ref LoweredField);

    /// <summary>Reports ignored because they were not a decrease (RFC 1191 learns only decreases).</summary>
    public long Ignored => Volatile.Read(ref IgnoredField);

    /// <summary>Reports below the family's minimum, raised to it.</summary>
    public long Clamped => Volatile.Read(ref ClampedField);

    /// <summary>Entries evicted, least recently used first, to make room in a full cache.</summary>
    public long Evicted => Volatile.Read(ref EvictedField);

    /// <summary>Entries dropped because their timeout ran out.</summary>
    public long Expired => Volatile.Read(ref ExpiredField);

    /// <summary>Entries removed on request.</summary>
    public long Removed => Volatile.Read(ref RemovedField);
}
