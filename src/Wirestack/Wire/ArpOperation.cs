namespace Wirestack.Wire;

/// <summary>The ARP operation codes Wirestack handles (RFC 826).</summary>
public enum ArpOperation : ushort
{
    /// <summary>"Who has the target protocol address?"</summary>
    Request = 1,

    /// <summary>"The sender protocol address is at the sender hardware address."</summary>
    Reply = 2,
}
