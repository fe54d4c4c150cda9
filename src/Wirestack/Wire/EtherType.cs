namespace Wirestack.Wire;

/// <summary>The EtherType values Wirestack knows. Others pass through as their numeric value.</summary>
public enum EtherType : ushort
{
    /// <summary>Internet Protocol version 4.</summary>
    Ipv4 = 0x0800,

    /// <summary>Address Resolution Protocol.</summary>
    Arp = 0x0806,

    /// <summary>IEEE 802.1Q VLAN tag (customer tag).</summary>
    Vlan = 0x8100,

    /// <summary>IEEE 802.1ad service tag (the outer tag of Q-in-Q).</summary>
    ServiceVlan = 0x88A8,

    /// <summary>Internet Protocol version 6.</summary>
    Ipv6 = 0x86DD,
}
