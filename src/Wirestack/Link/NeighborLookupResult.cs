namespace Wirestack.Link;

/// <summary>What <see cref="NeighborCache{TAddress}.Lookup"/> tells the transmit path to do.</summary>
public enum NeighborLookupResult : byte
{
    /// <summary>The link-layer address is known: send to <see cref="NeighborLookup.Mac"/>.</summary>
    Found = 0,

    /// <summary>Resolution has just started: send a request (ARP broadcast or multicast neighbour solicitation) now, and queue the packet.</summary>
    SendRequest,

    /// <summary>A request is already outstanding: send nothing, queue the packet.</summary>
    Pending,

    /// <summary>The table is full of entries still resolving, so no entry could be made: drop the packet (the refusal is counted).</summary>
    Refused,
}
