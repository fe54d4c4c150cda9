using Wirestack.Nic;
using Wirestack.Wire;

namespace Wirestack.Interop.Nic;

/// <summary>
/// A pretend host at one MAC and IPv4 address, made of the wire layer alone: it answers ARP requests
/// and ICMP echo requests for its address through a device, and writes UDP frames into transmit
/// slots. Enough of a peer for the kernel to ping and to exchange datagrams with, before the stack exists.
/// </summary>
internal sealed class WireHost(MacAddress mac, Ipv4Address address)
{
    public MacAddress Mac { get; } = mac;

    public Ipv4Address Address { get; } = address;

    public int ArpRepliesSent { get; private set; }

    public int EchoRepliesSent { get; private set; }

    /// <summary>Answers <paramref name="frame"/> through <paramref name="device"/> when it is an ARP or echo request for this host; the caller flushes.</summary>
    public bool TryAnswer(INetworkDevice device, ReadOnlySpan<byte> frame)
    {
        if (EthernetFrame.TryParse(frame, out var ethernet) != WireError.None) return false;
        if (ethernet.EtherType == EtherType.Arp)
        {
            if (ArpPacket.TryParse(ethernet.Payload, out var arpPacket) != WireError.None) return false;
            if (ArpRepr.Parse(arpPacket, out var arp) != WireError.None) return false;
            if (arp.Operation != ArpOperation.Request || arp.TargetProtocolAddress != Address) return false;
            var reply = new ArpRepr
            {
                Operation = ArpOperation.Reply,
                SenderHardwareAddress = Mac,
                SenderProtocolAddress = Address,
                TargetHardwareAddress = arp.SenderHardwareAddress,
                TargetProtocolAddress = arp.SenderProtocolAddress,
            };
            var slot = Slot(device);
            var header = new EthernetRepr { Destination = arp.SenderHardwareAddress, Source = Mac, EtherType = EtherType.Arp };
            header.Emit(slot);
            reply.Emit(slot[header.HeaderLength..]);
            device.CommitTransmit(header.HeaderLength + reply.BufferLength);
            ArpRepliesSent++;
            return true;
        }
        if (ethernet.EtherType == EtherType.Ipv4)
        {
            if (Ipv4Packet.TryParse(ethernet.Payload, out var ipPacket) != WireError.None) return false;
            if (Ipv4Repr.Parse(ipPacket, out var ip) != WireError.None) return false;
            if (ip.Destination != Address || ip.Protocol != IpProtocol.Icmp) return false;
            if (Icmpv4Packet.TryParse(ipPacket.Payload, out var icmpPacket) != WireError.None) return false;
            if (Icmpv4Repr.Parse(icmpPacket, out var icmp) != WireError.None || icmp.Type != Icmpv4Type.EchoRequest) return false;
            var echo = Icmpv4Repr.EchoReply(icmp.Identifier, icmp.SequenceNumber, icmpPacket.Payload.Length);
            var replyIp = new Ipv4Repr(Address, ip.Source, IpProtocol.Icmp, echo.BufferLength);
            var header = new EthernetRepr { Destination = ethernet.Source, Source = Mac, EtherType = EtherType.Ipv4 };
            var slot = Slot(device);
            header.Emit(slot);
            replyIp.Emit(slot[header.HeaderLength..]);
            echo.Emit(slot[(header.HeaderLength + replyIp.HeaderLength)..], icmpPacket.Payload);
            device.CommitTransmit(header.HeaderLength + replyIp.TotalLength);
            EchoRepliesSent++;
            return true;
        }
        return false;
    }

    /// <summary>Writes an Ethernet + IPv4 + UDP frame from this host into <paramref name="slot"/>; returns its length.</summary>
    public int WriteUdp(Span<byte> slot, MacAddress destinationMac, Ipv4Address destination, ushort sourcePort, ushort destinationPort, ReadOnlySpan<byte> payload)
    {
        var header = new EthernetRepr { Destination = destinationMac, Source = Mac, EtherType = EtherType.Ipv4 };
        var udp = new UdpRepr(sourcePort, destinationPort, payload.Length);
        var ip = new Ipv4Repr(Address, destination, IpProtocol.Udp, udp.BufferLength);
        header.Emit(slot);
        ip.Emit(slot[header.HeaderLength..]);
        udp.Emit(slot[(header.HeaderLength + ip.HeaderLength)..], payload, ip.PseudoHeaderSum());
        return header.HeaderLength + ip.TotalLength;
    }

    /// <summary>True when <paramref name="frame"/> is an untagged IPv4 UDP datagram to <paramref name="destinationPort"/>; gives its payload length.</summary>
    public static bool IsUdpTo(ReadOnlySpan<byte> frame, ushort destinationPort, out int payloadLength)
    {
        payloadLength = 0;
        if (EthernetFrame.TryParse(frame, out var ethernet) != WireError.None || ethernet.EtherType != EtherType.Ipv4) return false;
        if (Ipv4Packet.TryParse(ethernet.Payload, out var ip) != WireError.None || ip.Protocol != IpProtocol.Udp) return false;
        if (UdpPacket.TryParse(ip.Payload, out var udp) != WireError.None || udp.DestinationPort != destinationPort) return false;
        payloadLength = udp.Payload.Length;
        return true;
    }

    // A slot to answer in; when the ring is full, flushing frees it (the kernel sends synchronously).
    private static Span<byte> Slot(INetworkDevice device)
    {
        if (device.TryGetTransmitSlot(out var slot)) return slot;
        device.Flush();
        return device.TryGetTransmitSlot(out slot) ? slot : throw new InvalidOperationException("the transmit ring stayed full after a flush");
    }
}
