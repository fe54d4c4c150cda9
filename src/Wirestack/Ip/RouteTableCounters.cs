namespace Wirestack.Ip;

/// <summary>What a <see cref="RouteTable{TAddress}"/> has done. The owning thread writes them; any thread may read them.</summary>
public sealed class RouteTableCounters
{
    internal long LookupsField;
    internal long MissesField;
    internal long AddedField;
    internal long ReplacedField;
    internal long RejectedFullField;
    internal long RemovedField;
    internal long ExpiredField;

    /// <summary>Lookups made.</summary>
    public long Lookups => Volatile.Read(ref LookupsField);

    /// <summary>Lookups that found no route (no default route, or it had expired): the packet has nowhere to go.</summary>
    public long Misses => Volatile.Read(ref MissesField);

    /// <summary>Routes added.</summary>
    public long Added => Volatile.Read(ref AddedField);

    /// <summary>Adds that replaced a route with the same prefix, length and next hop.</summary>
    public long Replaced => Volatile.Read(ref ReplacedField);

    /// <summary>Adds refused because the table was full (<see cref="RouteAddResult.TableFull"/>).</summary>
    public long RejectedFull => Volatile.Read(ref RejectedFullField);

    /// <summary>Routes removed on request.</summary>
    public long Removed => Volatile.Read(ref RemovedField);

    /// <summary>Routes dropped because their lifetime ran out.</summary>
    public long Expired => Volatile.Read(ref ExpiredField);
}
