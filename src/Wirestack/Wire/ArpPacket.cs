using System.Buffers.Binary;

namespace Wirestack.Wire;

/// <summary>
/// A read-only view of an ARP packet (RFC 826) of any hardware and protocol type.
/// <see cref="TryParse"/> checks that the buffer holds the four addresses the length fields
/// promise and trims what follows them (Ethernet pads a 28-byte ARP packet to 46 bytes).
/// </summary>
public readonly ref struct ArpPacket
{
    /// <summary>The fixed part: hardware type, protocol type, both lengths and the operation.</summary>
    public const int FixedLength = 8;

    /// <summary>The length of an ARP packet for Ethernet and IPv4.</summary>
    public const int EthernetIpv4Length = FixedLength + 2 * (MacAddress.Length + Ipv4Address.Length);

    /// <summary>The hardware type of Ethernet.</summary>
    public const ushort HardwareTypeEthernet = 1;

    private readonly ReadOnlySpan<byte> _buffer;

    private ArpPacket(ReadOnlySpan<byte> buffer) => _buffer = buffer;

    /// <summary>Checks <paramref name="buffer"/> and makes a view of the ARP packet at its start.</summary>
    public static WireError TryParse(ReadOnlySpan<byte> buffer, out ArpPacket packet)
    {
        packet = default;
        if (buffer.Length < FixedLength) return WireError.Truncated;
        int length = FixedLength + 2 * (buffer[4] + buffer[5]);
        if (buffer.Length < length) return WireError.Truncated;
        packet = new ArpPacket(buffer[..length]);
        return WireError.None;
    }

    /// <summary>The ARP packet, without link padding.</summary>
    public ReadOnlySpan<byte> Buffer => _buffer;

    /// <summary>The length of the packet: 8 plus twice both address lengths (ARP has no payload).</summary>
    public int Length => _buffer.Length;

    /// <summary>The hardware type (1 for Ethernet).</summary>
    public ushort HardwareType => BinaryPrimitives.ReadUInt16BigEndian(_buffer);

    /// <summary>The protocol type, an EtherType (0x0800 for IPv4).</summary>
    public EtherType ProtocolType => (EtherType)BinaryPrimitives.ReadUInt16BigEndian(_buffer[2..]);

    /// <summary>The length of a hardware address in bytes.</summary>
    public int HardwareLength => _buffer[4];

    /// <summary>The length of a protocol address in bytes.</summary>
    public int ProtocolLength => _buffer[5];

    /// <summary>The operation code (any value; <see cref="ArpRepr.Parse"/> accepts only request and reply).</summary>
    public ArpOperation Operation => (ArpOperation)BinaryPrimitives.ReadUInt16BigEndian(_buffer[6..]);

    /// <summary>True for Ethernet hardware addresses and IPv4 protocol addresses, the only kind Wirestack resolves.</summary>
    public bool IsEthernetIpv4 =>
        HardwareType == HardwareTypeEthernet && ProtocolType == EtherType.Ipv4
        && HardwareLength == MacAddress.Length && ProtocolLength == Ipv4Address.Length;

    /// <summary>The sender hardware address bytes.</summary>
    public ReadOnlySpan<byte> SenderHardwareAddress => _buffer.Slice(FixedLength, HardwareLength);

    /// <summary>The sender protocol address bytes.</summary>
    public ReadOnlySpan<byte> SenderProtocolAddress => _buffer.Slice(FixedLength + HardwareLength, ProtocolLength);

    /// <summary>The target hardware address bytes.</summary>
    public ReadOnlySpan<byte> TargetHardwareAddress => _buffer.Slice(FixedLength + HardwareLength + ProtocolLength, HardwareLength);

    /// <summary>The target protocol address bytes.</summary>
    public ReadOnlySpan<byte> TargetProtocolAddress => _buffer.Slice(FixedLength + 2 * HardwareLength + ProtocolLength, ProtocolLength);
}
