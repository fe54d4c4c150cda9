using Wirestack.Wire;

namespace Wirestack.Iface;

// Multicast membership shared by both families: which groups are joined (with a reference count), and which
// Ethernet multicast addresses the receive path accepts because of them. The protocols that announce
// membership (IGMP for IPv4, MLD for IPv6) hook in through the partial methods at the end.
public sealed partial class Interface
{
    private static readonly MacAddress AllNodesMac = MacAddress.FromIpv6Multicast(Ipv6Address.AllNodes);
    private readonly MulticastMembership[] _memberships;
    private int _membershipCount;

    /// <summary>
    /// Joins <paramref name="group"/> on this interface: frames to it are accepted from now on and, for a group
    /// joined for the first time, the membership is announced (IGMP for IPv4, MLD for IPv6) by the protocol
    /// that handles the family. Joins are counted: the group is left when every join has been matched by a
    /// <see cref="LeaveMulticastGroup"/>.
    /// </summary>
    /// <param name="group">A multicast address of either family.</param>
    /// <param name="now">The current time.</param>
    /// <returns>False when <paramref name="group"/> is not multicast, or the membership table is full.</returns>
    public bool TryJoinMulticastGroup(IpAddress group, Instant now)
    {
        if (!group.IsMulticast) return false;
        int index = IndexOfMembership(group);
        if (index >= 0)
        {
            _memberships[index].References++;
            return true;
        }
        if (_membershipCount == _memberships.Length) return false;
        _memberships[_membershipCount++] = new MulticastMembership
        {
            Group = group,
            Mac = group.IsIpv4 ? MacAddress.FromIpv4Multicast(group.AsIpv4) : MacAddress.FromIpv6Multicast(group.AsIpv6),
            References = 1,
        };
        if (group.IsIpv4) JoinedIpv4Group(group.AsIpv4, now);
        else JoinedIpv6Group(group.AsIpv6, now);
        return true;
    }

    /// <summary>Leaves <paramref name="group"/> once; the last leave stops accepting it and announces the leave.</summary>
    /// <param name="group">A group joined with <see cref="TryJoinMulticastGroup"/>.</param>
    /// <param name="now">The current time.</param>
    /// <returns>False when <paramref name="group"/> was not joined.</returns>
    public bool LeaveMulticastGroup(IpAddress group, Instant now)
    {
        int index = IndexOfMembership(group);
        if (index < 0) return false;
        if (--_memberships[index].References > 0) return true;
        // Order does not matter: move the last entry into the hole.
        _memberships[index] = _memberships[--_membershipCount];
        _memberships[_membershipCount] = default;
        if (group.IsIpv4) LeftIpv4Group(group.AsIpv4, now);
        else LeftIpv6Group(group.AsIpv6, now);
        return true;
    }

    /// <summary>True when <paramref name="group"/> is joined on this interface.</summary>
    public bool IsMulticastGroupJoined(IpAddress group) => IndexOfMembership(group) >= 0;

    private int IndexOfMembership(IpAddress group)
    {
        var memberships = _memberships;
        for (int i = 0; i < _membershipCount; i++)
            if (memberships[i].Group == group) return i;
        return -1;
    }

    // The receive path's filter for Ethernet multicast: an address some joined group maps to.
    private bool AcceptsMulticastMac(MacAddress destination)
    {
        // IPv6 all-nodes (ff02::1) is listened to always, without a membership (RFC 4291 section 2.8).
        if (_ipv6Enabled && destination == AllNodesMac) return true;
        // So is IPv4 all-systems (224.0.0.1), where IGMP general queries arrive.
        if (destination == AllSystemsMac && _addresses.Length > 0) return true;
        var memberships = _memberships;
        for (int i = 0; i < _membershipCount; i++)
            if (memberships[i].Mac == destination) return true;
        return false;
    }

    // Announce a first join / a last leave (IGMP for IPv4, MLD for IPv6).
    partial void JoinedIpv4Group(Ipv4Address group, Instant now);

    partial void LeftIpv4Group(Ipv4Address group, Instant now);

    partial void JoinedIpv6Group(Ipv6Address group, Instant now);

    partial void LeftIpv6Group(Ipv6Address group, Instant now);
}
