namespace Wirestack.Link;

/// <summary>The state of a neighbour cache entry, after RFC 4861 section 7.3.2.</summary>
public enum NeighborState : byte
{
    /// <summary>No entry for the address.</summary>
    None = 0,

    /// <summary>Resolution is under way: a request has been sent and no answer has arrived; packets may wait for it.</summary>
    Incomplete,

    /// <summary>The link-layer address was confirmed recently (an answer to our request, or an upper-layer confirmation).</summary>
    Reachable,

    /// <summary>The link-layer address is known but not recently confirmed; it is still used, and the next use starts verification.</summary>
    Stale,

    /// <summary>A stale entry was used; a probe follows unless reachability is confirmed first.</summary>
    Delay,

    /// <summary>Unicast probes are being sent to the cached link-layer address; the entry is removed if none is answered.</summary>
    Probe,
}
