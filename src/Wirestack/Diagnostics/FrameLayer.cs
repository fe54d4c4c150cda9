namespace Wirestack.Diagnostics;

/// <summary>A protocol layer of a dissected frame, as far as Wirestack decodes it.</summary>
public enum FrameLayer : byte
{
    /// <summary>Nothing at this layer (no payload, or an EtherType / protocol Wirestack does not decode).</summary>
    None = 0,

    /// <summary>Ethernet II with optional VLAN tags.</summary>
    Ethernet,

    /// <summary>ARP for Ethernet/IPv4.</summary>
    Arp,

    /// <summary>IPv4.</summary>
    Ipv4,

    /// <summary>IPv6 (with its extension headers).</summary>
    Ipv6,

    /// <summary>ICMP for IPv4.</summary>
    Icmpv4,

    /// <summary>ICMPv6, including NDP and MLD.</summary>
    Icmpv6,

    /// <summary>IGMP v1, v2 or v3.</summary>
    Igmp,

    /// <summary>UDP.</summary>
    Udp,

    /// <summary>TCP.</summary>
    Tcp,

    /// <summary>A non-first IP fragment: its transport header is in another frame.</summary>
    Fragment,

    /// <summary>A transport protocol Wirestack does not decode.</summary>
    Unknown,
}
