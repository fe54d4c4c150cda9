namespace Wirestack.Nic;

/// <summary>Checksums a device computes or verifies in place of the stack.</summary>
[Flags]
public enum ChecksumOffload
{
    /// <summary>The stack does every checksum.</summary>
    None = 0,

    /// <summary>The IPv4 header checksum.</summary>
    Ipv4Header = 1,

    /// <summary>TCP over IPv4 and IPv6.</summary>
    Tcp = 2,

    /// <summary>UDP over IPv4 and IPv6.</summary>
    Udp = 4,

    /// <summary>ICMPv4 and ICMPv6.</summary>
    Icmp = 8,

    /// <summary>All of the above.</summary>
    All = Ipv4Header | Tcp | Udp | Icmp,
}
