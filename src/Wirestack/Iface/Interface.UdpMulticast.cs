using Wirestack.Wire;

namespace Wirestack.Iface;

// Multicast on UDP bindings: each binding joins and leaves groups (IP_ADD_MEMBERSHIP / IPV6_JOIN_GROUP); the
// interface's membership counts those joins, so IGMP or MLD announce a leave only when the last binding leaves.
public sealed partial class Interface
{
    private byte _multicastTimeToLive;
    // The time of the last poll, for leaves that happen without one (closing a binding).
    private Instant _lastPoll;

    /// <summary>
    /// Joins <paramref name="group"/> on a binding: datagrams to the group and the binding's port are queued on it
    /// from now on (and on every other binding of the port that joined too). The interface joins the group the
    /// first time any binding does, and announces it with IGMP or MLD at the next poll.
    /// </summary>
    /// <param name="handle">An open binding.</param>
    /// <param name="group">A multicast address of either family; a binding on a specific address joins only groups of its family.</param>
    /// <param name="now">The current time.</param>
    /// <returns>
    /// True when the binding is a member (also when it already was); false when the handle is closed, the address is
    /// not multicast or not of the binding's family, the binding's table
    /// (<see cref="InterfaceOptions.UdpMulticastGroupsPerBinding"/>) or the interface's
    /// (<see cref="InterfaceOptions.MulticastGroupCapacity"/>) is full, or the family is off.
    /// </returns>
    public bool TryJoinUdpMulticastGroup(UdpHandle handle, IpAddress group, Instant now)
    {
        if (!TryGetBinding(handle, out var binding) || !group.IsMulticast) return false;
        if (!binding.IsWildcardFor(group) && binding.LocalAddress.IsIpv4 != group.IsIpv4) return false;
        if (group.IsIpv6 ? !_ipv6Enabled : _addresses.Length == 0) return false;
        if (binding.HasJoined(group)) return true;
        if (!binding.TryAddGroup(group)) return false;
        if (TryJoinMulticastGroup(group, now)) return true;
        binding.RemoveGroup(group);
        return false;
    }

    /// <summary>
    /// Leaves <paramref name="group"/> on a binding. The interface leaves the group (and announces it) when no
    /// binding holds it any more and nothing else joined it.
    /// </summary>
    /// <param name="handle">An open binding.</param>
    /// <param name="group">A group the binding joined.</param>
    /// <param name="now">The current time.</param>
    /// <returns>False when the handle is closed or the binding had not joined <paramref name="group"/>.</returns>
    public bool LeaveUdpMulticastGroup(UdpHandle handle, IpAddress group, Instant now)
    {
        if (!TryGetBinding(handle, out var binding) || !binding.RemoveGroup(group)) return false;
        LeaveMulticastGroup(group, now);
        return true;
    }

    /// <summary>True when the binding has joined <paramref name="group"/>; false for a closed handle.</summary>
    public bool IsUdpMulticastGroupJoined(UdpHandle handle, IpAddress group) =>
        TryGetBinding(handle, out var binding) && binding.HasJoined(group);

    /// <summary>
    /// Sets the TTL (IPv4) and hop limit (IPv6) of the multicast datagrams a binding sends, as IP_MULTICAST_TTL and
    /// IPV6_MULTICAST_HOPS do; it starts at <see cref="InterfaceOptions.MulticastTimeToLive"/>.
    /// </summary>
    /// <param name="handle">An open binding.</param>
    /// <param name="timeToLive">1 to 255: 1 keeps the datagrams on the link.</param>
    /// <returns>False when the handle is closed or <paramref name="timeToLive"/> is 0.</returns>
    public bool TrySetUdpMulticastTimeToLive(UdpHandle handle, byte timeToLive)
    {
        if (timeToLive == 0 || !TryGetBinding(handle, out var binding)) return false;
        binding.MulticastTimeToLive = timeToLive;
        return true;
    }
}
