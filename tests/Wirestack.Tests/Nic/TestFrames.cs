using Wirestack.Nic;
using Wirestack.Wire;

namespace Wirestack.Tests.Nic;

/// <summary>Frames built with the wire layer, and the send/receive steps the wrapper tests repeat.</summary>
internal static class TestFrames
{
    public static readonly MacAddress HostA = MacAddress.Parse("02:00:00:00:00:0a");
    public static readonly MacAddress HostB = MacAddress.Parse("02:00:00:00:00:0b");
    public static readonly Ipv4Address AddressA = Ipv4Address.Parse("10.0.0.1");
    public static readonly Ipv4Address AddressB = Ipv4Address.Parse("10.0.0.2");

    public static void Send(INetworkDevice device, ReadOnlySpan<byte> frame)
    {
        Assert.True(device.TryGetTransmitSlot(out var slot), "the transmit ring is full");
        frame.CopyTo(slot);
        device.CommitTransmit(frame.Length);
    }

    /// <summary>Receives everything ready now, releasing as it goes, and returns copies of the frames in order.</summary>
    public static List<byte[]> ReceiveAll(INetworkDevice device)
    {
        var frames = new List<byte[]>();
        int n;
        while ((n = device.Receive()) > 0)
        {
            for (int i = 0; i < n; i++) frames.Add(device.GetReceived(i).ToArray());
            device.ReleaseReceived(n);
        }
        return frames;
    }

    /// <summary>An ARP request from A asking for B's address.</summary>
    public static byte[] ArpRequest()
    {
        var frame = new byte[14 + 28];
        new EthernetRepr { Destination = MacAddress.Broadcast, Source = HostA, EtherType = EtherType.Arp }.Emit(frame);
        new ArpRepr
        {
            Operation = ArpOperation.Request,
            SenderHardwareAddress = HostA,
            SenderProtocolAddress = AddressA,
            TargetHardwareAddress = MacAddress.Zero,
            TargetProtocolAddress = AddressB,
        }.Emit(frame.AsSpan(14));
        return frame;
    }

    /// <summary>A TCP segment from A:40000 to B:80 over IPv4 with the given flags and payload.</summary>
    public static byte[] TcpSegment(TcpFlags flags, uint sequence, uint acknowledgment, ReadOnlySpan<byte> payload, ushort? mss = null)
    {
        var tcp = new TcpRepr
        {
            SourcePort = 40000,
            DestinationPort = 80,
            SequenceNumber = new TcpSeqNumber(sequence),
            AcknowledgmentNumber = new TcpSeqNumber(acknowledgment),
            Flags = flags,
            WindowSize = 65535,
            PayloadLength = payload.Length,
            MaxSegmentSize = mss,
        };
        var ip = new Ipv4Repr(AddressA, AddressB, IpProtocol.Tcp, tcp.TotalLength);
        var frame = new byte[14 + ip.TotalLength];
        new EthernetRepr { Destination = HostB, Source = HostA, EtherType = EtherType.Ipv4 }.Emit(frame);
        ip.Emit(frame.AsSpan(14));
        tcp.Emit(frame.AsSpan(14 + ip.HeaderLength), payload, ip.PseudoHeaderSum());
        return frame;
    }

    /// <summary>A UDP datagram from A:5000 to B:53 over IPv4.</summary>
    public static byte[] UdpDatagram(ReadOnlySpan<byte> payload)
    {
        var udp = new UdpRepr { SourcePort = 5000, DestinationPort = 53, PayloadLength = payload.Length };
        var ip = new Ipv4Repr(AddressA, AddressB, IpProtocol.Udp, UdpPacket.HeaderLength + payload.Length);
        var frame = new byte[14 + ip.TotalLength];
        new EthernetRepr { Destination = HostB, Source = HostA, EtherType = EtherType.Ipv4 }.Emit(frame);
        ip.Emit(frame.AsSpan(14));
        udp.Emit(frame.AsSpan(14 + ip.HeaderLength), payload, ip.PseudoHeaderSum());
        return frame;
    }
}
