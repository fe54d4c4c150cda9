namespace Wirestack.Diagnostics;

/// <summary>
/// The link-layer header type of every record in a pcap file (the LINKTYPE_ registry shared by pcap and pcapng).
/// Only the types Wirestack writes or expects to read are named; any other 16-bit value is carried through as is.
/// </summary>
public enum PcapLinkType : ushort
{
    /// <summary>LINKTYPE_NULL: BSD loopback, a 4-byte host-order address family before the packet.</summary>
    Null = 0,

    /// <summary>LINKTYPE_ETHERNET: IEEE 802.3 Ethernet frames without the FCS.</summary>
    Ethernet = 1,

    /// <summary>LINKTYPE_RAW: a bare IPv4 or IPv6 packet, told apart by its version nibble.</summary>
    Raw = 101,

    /// <summary>LINKTYPE_LINUX_SLL: the Linux "cooked" header that tcpdump -i any writes.</summary>
    LinuxSll = 113,

    /// <summary>LINKTYPE_IPV4: a bare IPv4 packet.</summary>
    Ipv4 = 228,

    /// <summary>LINKTYPE_IPV6: a bare IPv6 packet.</summary>
    Ipv6 = 229,

    /// <summary>LINKTYPE_LINUX_SLL2: the second version of the Linux "cooked" header.</summary>
    LinuxSll2 = 276,
}
