using Wirestack.Wire;

namespace Wirestack.Iface;

// One multicast group the interface listens to: the group, the Ethernet address its frames arrive on, and how
// many joins hold it (the group is left when the last one leaves).
internal struct MulticastMembership
{
    internal IpAddress Group;
    internal MacAddress Mac;
    internal int References;
}
