namespace Wirestack.Link;

/// <summary>
/// What kind of received packet told <see cref="NeighborCache{TAddress}.Learn"/> a neighbour's
/// link-layer address. It decides whether an entry may be created, whether a different address
/// replaces the cached one, and whether the neighbour counts as confirmed reachable.
/// </summary>
public enum NeighborEvidence : byte
{
    /// <summary>
    /// An ARP request whose target protocol address is ours. Creates the entry (stale) or updates
    /// it: the sender will most likely be answered and talked to.
    /// </summary>
    ArpRequestForUs = 0,

    /// <summary>
    /// An ARP reply addressed to us. Updates an existing entry and confirms it reachable; creates
    /// nothing, so replies we never asked for cannot fill the table.
    /// </summary>
    ArpReply,

    /// <summary>
    /// Any other ARP packet from the sender, including gratuitous ARP (requests or replies whose
    /// target is the sender itself) and requests for other hosts: RFC 826's merge rule updates an
    /// existing entry (stale if the address changed) and creates nothing.
    /// </summary>
    ArpOther,

    /// <summary>
    /// A neighbour solicitation, router solicitation, router advertisement or redirect carrying a
    /// source (or target) link-layer address option (RFC 4861 sections 7.2.3, 6.3.4, 8.3): creates
    /// the entry stale, or updates it (stale if the address changed).
    /// </summary>
    NdpSource,

    /// <summary>A neighbour advertisement with a target link-layer address option, S and O flags clear.</summary>
    NdpAdvertisement,

    /// <summary>A neighbour advertisement with a target link-layer address option, S set, O clear.</summary>
    NdpSolicitedAdvertisement,

    /// <summary>A neighbour advertisement with a target link-layer address option, S clear, O set.</summary>
    NdpOverrideAdvertisement,

    /// <summary>A neighbour advertisement with a target link-layer address option, S and O set.</summary>
    NdpSolicitedOverrideAdvertisement,
}
