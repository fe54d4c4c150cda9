namespace Wirestack.Wire;

/// <summary>An IEEE 802.1Q (or 802.1ad) VLAN tag: its tag protocol identifier and its control information.</summary>
public readonly record struct VlanTag
{
    /// <summary>Makes a tag; <paramref name="id"/> is 12 bits and <paramref name="priority"/> 3 bits.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A field does not fit its bits.</exception>
    public VlanTag(ushort id, byte priority = 0, bool dropEligible = false, EtherType protocol = EtherType.Vlan)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(id, (ushort)0xFFF);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(priority, (byte)7);
        Id = id;
        Priority = priority;
        DropEligible = dropEligible;
        Protocol = protocol;
    }

    /// <summary>The tag protocol identifier: <see cref="EtherType.Vlan"/> or <see cref="EtherType.ServiceVlan"/>.</summary>
    public EtherType Protocol { get; }

    /// <summary>The priority code point (0-7).</summary>
    public byte Priority { get; }

    /// <summary>The drop eligible indicator.</summary>
    public bool DropEligible { get; }

    /// <summary>The VLAN identifier (0-4095).</summary>
    public ushort Id { get; }

    /// <summary>The 16-bit tag control information as it is on the wire.</summary>
    public ushort ControlInformation => (ushort)((Priority << 13) | (DropEligible ? 0x1000 : 0) | Id);

    /// <summary>Makes a tag from its protocol identifier and tag control information.</summary>
    public static VlanTag FromWire(EtherType protocol, ushort tci) =>
        new((ushort)(tci & 0xFFF), (byte)(tci >> 13), (tci & 0x1000) != 0, protocol);

    /// <summary>True for the two tag protocol identifiers.</summary>
    public static bool IsTagProtocol(ushort etherType) => etherType is (ushort)EtherType.Vlan or (ushort)EtherType.ServiceVlan;
}
