using System.Buffers.Binary;

namespace Wirestack.Wire;

/// <summary>An ARP request or reply for Ethernet and IPv4, parsed from an <see cref="ArpPacket"/> or to be emitted.</summary>
public struct ArpRepr
{
    /// <summary>Request or reply.</summary>
    public ArpOperation Operation { get; set; }

    /// <summary>The sender's hardware address.</summary>
    public MacAddress SenderHardwareAddress { get; set; }

    /// <summary>The sender's IPv4 address (unspecified in an RFC 5227 probe).</summary>
    public Ipv4Address SenderProtocolAddress { get; set; }

    /// <summary>The target's hardware address (zero in a request).</summary>
    public MacAddress TargetHardwareAddress { get; set; }

    /// <summary>The target's IPv4 address.</summary>
    public Ipv4Address TargetProtocolAddress { get; set; }

    /// <summary>The number of bytes <see cref="Emit"/> writes: always 28.</summary>
    public readonly int BufferLength => ArpPacket.EthernetIpv4Length;

    /// <summary>
    /// Reads a checked packet. Other hardware or protocol types, or other address lengths, are
    /// <see cref="WireError.Unsupported"/>; operations other than request and reply are
    /// <see cref="WireError.Unrecognized"/>.
    /// </summary>
    public static WireError Parse(ArpPacket packet, out ArpRepr repr)
    {
        repr = default;
        if (!packet.IsEthernetIpv4) return WireError.Unsupported;
        var operation = packet.Operation;
        if (operation is not (ArpOperation.Request or ArpOperation.Reply)) return WireError.Unrecognized;
        repr = new ArpRepr
        {
            Operation = operation,
            SenderHardwareAddress = MacAddress.Read(packet.SenderHardwareAddress),
            SenderProtocolAddress = Ipv4Address.Read(packet.SenderProtocolAddress),
            TargetHardwareAddress = MacAddress.Read(packet.TargetHardwareAddress),
            TargetProtocolAddress = Ipv4Address.Read(packet.TargetProtocolAddress),
        };
        return WireError.None;
    }

    /// <summary>Writes the packet into the first <see cref="BufferLength"/> bytes of <paramref name="buffer"/>.</summary>
    /// <exception cref="ArgumentException">The buffer is too short, or <see cref="Operation"/> is neither request nor reply.</exception>
    public readonly void Emit(Span<byte> buffer)
    {
        if (Operation is not (ArpOperation.Request or ArpOperation.Reply))
            throw new ArgumentException($"Operation is {(ushort)Operation}; an ARP packet is a Request (1) or a Reply (2).");
        EmitGuard.RequireLength(buffer, ArpPacket.EthernetIpv4Length);
        BinaryPrimitives.WriteUInt16BigEndian(buffer, ArpPacket.HardwareTypeEthernet);
        BinaryPrimitives.WriteUInt16BigEndian(buffer[2..], (ushort)EtherType.Ipv4);
        buffer[4] = MacAddress.Length;
        buffer[5] = Ipv4Address.Length;
        BinaryPrimitives.WriteUInt16BigEndian(buffer[6..], (ushort)Operation);
        SenderHardwareAddress.WriteTo(buffer[8..]);
        SenderProtocolAddress.WriteTo(buffer[14..]);
        TargetHardwareAddress.WriteTo(buffer[18..]);
        TargetProtocolAddress.WriteTo(buffer[24..]);
    }
}
