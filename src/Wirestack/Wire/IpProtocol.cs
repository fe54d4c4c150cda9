namespace Wirestack.Wire;

/// <summary>IP protocol numbers (IPv4 protocol field, IPv6 next header) that Wirestack knows.</summary>
public enum IpProtocol : byte
{
    /// <summary>IPv6 hop-by-hop options header.</summary>
    HopByHop = 0,

    /// <summary>Internet Control Message Protocol (IPv4).</summary>
    Icmp = 1,

    /// <summary>Internet Group Management Protocol.</summary>
    Igmp = 2,

    /// <summary>Transmission Control Protocol.</summary>
    Tcp = 6,

    /// <summary>User Datagram Protocol.</summary>
    Udp = 17,

    /// <summary>IPv6 routing header.</summary>
    Ipv6Routing = 43,

    /// <summary>IPv6 fragment header.</summary>
    Ipv6Fragment = 44,

    /// <summary>ICMP for IPv6.</summary>
    Icmpv6 = 58,

    /// <summary>IPv6 "no next header".</summary>
    Ipv6NoNextHeader = 59,

    /// <summary>IPv6 destination options header.</summary>
    Ipv6DestinationOptions = 60,
}
