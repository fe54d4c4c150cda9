using Wirestack.Iface;
using Wirestack.Link;
using Wirestack.Nic;
using Wirestack.Testing;
using Wirestack.Wire;
using static Wirestack.Tests.Iface.InterfaceTestBed;

namespace Wirestack.Tests.Iface;

public class InterfaceTests
{
    [Fact]
    public void ArpResolvesThenEchoIsAnsweredBothWays()
    {
        var (a, b) = Pair();
        Assert.True(a.TrySendIcmpEcho(AddressB, 7, 1, Data, T0));
        Pump(a, b, T0);

        Assert.True(a.TryDequeueEchoReply(out var reply));
        Assert.Equal(AddressB, reply.Source);
        Assert.Equal(7, reply.Identifier);
        Assert.Equal(1, reply.SequenceNumber);
        Assert.Equal(Data.Length, reply.PayloadLength);
        Assert.Equal(T0, reply.ReceivedAt);
        Assert.False(a.TryDequeueEchoReply(out _));
        Assert.Equal(1, a.Counters.ArpRequestsSent);
        Assert.Equal(1, b.Counters.ArpRepliesSent);
        Assert.Equal(1, b.Counters.EchoRequestsAnswered);

        // B learned A from A's request, so its own ping goes out with no ARP at all.
        var later = T0 + TimeSpan.FromMilliseconds(5);
        Assert.True(b.TrySendIcmpEcho(AddressA, 9, 2, Data, later));
        Pump(a, b, later);
        Assert.True(b.TryDequeueEchoReply(out reply));
        Assert.Equal(AddressA, reply.Source);
        Assert.Equal(9, reply.Identifier);
        Assert.Equal(2, reply.SequenceNumber);
        Assert.Equal(0, b.Counters.ArpRequestsSent);
        Assert.Equal(0, a.Counters.TotalDropped);
        Assert.Equal(0, b.Counters.TotalDropped);
    }

    [Fact]
    public void PacketsQueuedForResolutionGoOutAfterTheArpReplyAndTheQueueIsBounded()
    {
        var (a, b) = Pair();
        for (ushort seq = 1; seq <= 17; seq++) Assert.True(a.TrySendIcmpEcho(AddressB, 1, seq, Data, T0));
        Assert.Equal(1, a.Counters.ArpRequestsSent);
        // Sixteen wait per neighbour by default: the seventeenth pushed out the oldest.
        Assert.Equal(1, a.Counters.Dropped(InterfaceDropReason.NeighborQueueFull));
        Assert.Equal(16, a.Ipv4Neighbors.QueuedPackets);

        Pump(a, b, T0);
        Assert.Equal(16, a.Counters.QueuedPacketsSent);
        for (ushort seq = 2; seq <= 17; seq++)
        {
            Assert.True(a.TryDequeueEchoReply(out var reply));
            Assert.Equal(seq, reply.SequenceNumber);
        }
        Assert.Equal(0, a.Ipv4Neighbors.QueuedPackets);
        Assert.Equal(NeighborState.Reachable, a.Ipv4Neighbors.GetState(AddressB, out var mac));
        Assert.Equal(MacB, mac);
    }

    [Fact]
    public void UnansweredArpIsRetriedThenThePacketIsDroppedAndCounted()
    {
        var (a, b) = Pair();
        var nobody = new Ipv4Address(10, 0, 0, 99);
        Assert.Equal(Instant.MaxValue, a.Poll(T0));

        Assert.True(a.TrySendIcmpEcho(nobody, 1, 1, Data, T0));
        var deadline = a.Poll(T0);
        Assert.Equal(T0 + TimeSpan.FromSeconds(1), deadline);
        for (int i = 0; i < 10 && deadline != Instant.MaxValue; i++)
        {
            b.Poll(deadline);
            deadline = a.Poll(deadline);
        }

        Assert.Equal(Instant.MaxValue, deadline);
        Assert.Equal(3, a.Counters.ArpRequestsSent); // MaxMulticastProbes
        Assert.Equal(1, a.Counters.Dropped(InterfaceDropReason.NeighborUnresolved));
        Assert.Equal(3, b.Counters.Dropped(InterfaceDropReason.NotForUs)); // requests for someone else
        Assert.Equal(0, b.Counters.ArpRepliesSent);
    }

    [Fact]
    public void NoRouteAndOurOwnAddressAreRefused()
    {
        var (a, _) = Pair();
        Assert.False(a.TrySendIcmpEcho(new Ipv4Address(192, 168, 1, 1), 1, 1, Data, T0));
        Assert.False(a.TrySendIcmpEcho(AddressA, 1, 1, Data, T0));
        Assert.False(a.TrySendIcmpEcho(new Ipv4Address(10, 0, 0, 255), 1, 1, Data, T0));
        Assert.Equal(3, a.Counters.Dropped(InterfaceDropReason.NoRoute));
        // Needs fragments while B is still unresolved: only whole packets wait for ARP.
        Assert.False(a.TrySendIcmpEcho(AddressB, 1, 1, new byte[1500], T0));
        Assert.False(a.TrySendIcmpEcho(AddressB, 1, 1, new byte[65508], T0));
        Assert.Equal(2, a.Counters.Dropped(InterfaceDropReason.PacketTooBig));
    }

    [Fact]
    public void DefaultGatewayCarriesOffLinkTraffic()
    {
        var (first, second) = PipeDevice.CreatePair();
        var a = new Interface(first, OptionsFor(MacA, AddressA) with { DefaultGateway = AddressB });
        var b = new Interface(second, OptionsFor(MacB, AddressB));
        Assert.True(a.TrySendIcmpEcho(new Ipv4Address(8, 8, 8, 8), 1, 1, Data, T0));
        Pump(a, b, T0);
        // The gateway was resolved; the request reached it and was not for it.
        Assert.Equal(NeighborState.Reachable, a.Ipv4Neighbors.GetState(AddressB, out _));
        Assert.Equal(1, b.Counters.Dropped(InterfaceDropReason.NotForUs));
    }

    [Fact]
    public void BadFramesAreCountedByReason()
    {
        var (raw, b) = RawAndB();
        byte[] frame = new byte[1514];

        Send(raw, frame.AsSpan(0, 10)); // shorter than an Ethernet header
        int length = WriteEcho(frame, MacB, AddressA, AddressB, 1, 1, Data);
        frame[14 + 10] ^= 0xFF; // IPv4 header checksum
        Send(raw, frame.AsSpan(0, length));
        length = WriteEcho(frame, MacB, AddressA, AddressB, 1, 1, Data);
        frame[14 + 20 + 2] ^= 0xFF; // ICMP checksum
        Send(raw, frame.AsSpan(0, length));
        length = WriteEcho(frame, MacB, AddressA, new Ipv4Address(10, 0, 0, 3), 1, 1, Data);
        Send(raw, frame.AsSpan(0, length)); // another host's address
        length = WriteEcho(frame, MacA, AddressA, AddressB, 1, 1, Data);
        Send(raw, frame.AsSpan(0, length)); // another host's MAC
        length = WriteEcho(frame, MacB, AddressA, AddressB, 1, 1, Data);
        frame[12] = 0x86; frame[13] = 0xDD; // IPv6
        Send(raw, frame.AsSpan(0, length));
        length = WriteEcho(frame, MacB, AddressA, AddressB, 1, 1, Data);
        frame[14] = 0x46; // header length 24 with no room: the IPv4 header check fails first
        Send(raw, frame.AsSpan(0, 14 + 21));
        length = WriteEcho(frame, MacB, AddressA, new Ipv4Address(10, 0, 0, 255), 1, 1, Data);
        Send(raw, frame.AsSpan(0, length)); // echo to the subnet broadcast: ignored

        b.Poll(T0);
        Assert.Equal(8, b.Counters.ReceivedFrames);
        Assert.Equal(2, b.Counters.Dropped(InterfaceDropReason.Malformed));
        Assert.Equal(2, b.Counters.Malformed(WireError.Truncated));
        Assert.Equal(2, b.Counters.Dropped(InterfaceDropReason.BadChecksum));
        Assert.Equal(2, b.Counters.Dropped(InterfaceDropReason.NotForUs));
        Assert.Equal(1, b.Counters.Dropped(InterfaceDropReason.UnsupportedEtherType));
        Assert.Equal(1, b.Counters.Dropped(InterfaceDropReason.BroadcastEcho));
        Assert.Equal(8, b.Counters.TotalDropped);
        Assert.Equal(0, raw.Receive()); // nothing was answered
    }

    [Fact]
    public void UnknownProtocolIsCountedAndAnsweredWithProtocolUnreachable()
    {
        var (raw, b) = RawAndB();
        byte[] frame = new byte[1514];
        Send(raw, BuildArp(ArpOperation.Request, MacA, AddressA, AddressB)); // B learns A: the error needs no ARP
        Send(raw, frame.AsSpan(0, WriteIpv4(frame, MacB, AddressA, AddressB, (IpProtocol)253, Data)));
        b.Poll(T0);
        Assert.Equal(1, b.Counters.Dropped(InterfaceDropReason.UnsupportedProtocol));
        Assert.Equal(1, b.Counters.IcmpErrorsSent);

        int count = raw.Receive();
        Assert.Equal(2, count); // ARP reply, protocol unreachable
        Assert.Equal(WireError.None, EthernetFrame.TryParse(raw.GetReceived(1), out var ethernet));
        Assert.Equal(WireError.None, Ipv4Packet.TryParse(ethernet.Payload, out var ip));
        Assert.Equal(AddressA, ip.Destination);
        Assert.Equal(64, ip.TimeToLive);
        Assert.Equal(WireError.None, Icmpv4Packet.TryParse(ip.Payload, out var icmp));
        Assert.True(icmp.VerifyChecksum());
        Assert.Equal(Icmpv4Type.DestinationUnreachable, icmp.Type);
        Assert.Equal((byte)Icmpv4UnreachableCode.ProtocolUnreachable, icmp.Code);
        Assert.Equal(20 + Data.Length, icmp.Payload.Length); // the offending datagram, quoted whole
        raw.ReleaseReceived(count);
    }

    [Fact]
    public void FragmentedEchoRequestIsReassembledAndAnswered()
    {
        var (raw, b) = RawAndB();
        byte[] icmp = new byte[8 + 1000];
        for (int i = 8; i < icmp.Length; i++) icmp[i] = (byte)i;
        Icmpv4Repr.EchoRequest(3, 4, 1000).Emit(icmp, icmp.AsSpan(8));
        byte[] frame = new byte[1514];
        // Arrive last fragment first, as links sometimes reorder them.
        Send(raw, frame.AsSpan(0, WriteFragment(frame, icmp.AsSpan(504), 504, more: false)));
        Send(raw, BuildArp(ArpOperation.Request, MacA, AddressA, AddressB));
        Send(raw, frame.AsSpan(0, WriteFragment(frame, icmp.AsSpan(0, 504), 0, more: true)));
        b.Poll(T0);
        b.Poll(T0);
        Assert.Equal(1, b.Counters.DatagramsReassembled);
        Assert.Equal(1, b.Counters.EchoRequestsAnswered);
        int count = raw.Receive();
        Assert.Equal(2, count); // ARP reply, echo reply
        Assert.Equal(EthernetFrame.UntaggedHeaderLength + 20 + 8 + 1000, raw.GetReceived(1).Length);
        raw.ReleaseReceived(count);
    }

    [Fact]
    public void MutatedFramesNeverThrow()
    {
        var (raw, b) = RawAndB();
        byte[][] seeds =
        [
            BuildArp(ArpOperation.Request, MacA, AddressA, AddressB),
            BuildArp(ArpOperation.Reply, MacA, AddressA, AddressB),
            Slice(WriteEcho, AddressB),
            Slice(WriteEcho, new Ipv4Address(10, 0, 0, 255)),
        ];
        byte[] icmp = new byte[8 + 64];
        Icmpv4Repr.EchoRequest(3, 4, 64).Emit(icmp, new byte[64]);
        var fragment = new byte[1514];
        seeds = [.. seeds, fragment.AsSpan(0, WriteFragment(fragment, icmp.AsSpan(0, 32), 0, more: true)).ToArray()];

        var random = new Random(4242);
        byte[] frame = new byte[1514];
        const int Frames = 50_000;
        var now = T0;
        for (int sent = 0; sent < Frames; sent++)
        {
            var seed = seeds[random.Next(seeds.Length)];
            seed.CopyTo(frame, 0);
            int length = seed.Length;
            int flips = random.Next(1, 4);
            for (int f = 0; f < flips; f++)
            {
                int at = random.Next(length);
                frame[at] = random.Next(2) == 0 ? (byte)random.Next(256) : (byte)(frame[at] ^ (1 << random.Next(8)));
            }
            if (random.Next(8) == 0) length = random.Next(length + 1);
            Send(raw, frame.AsSpan(0, length));
            if (sent % 32 == 31)
            {
                now += TimeSpan.FromMilliseconds(10);
                b.Poll(now);
                raw.ReleaseReceived(raw.Receive());
            }
        }
        while (b.Counters.ReceivedFrames < Frames)
        {
            b.Poll(now);
            raw.ReleaseReceived(raw.Receive());
        }
        Assert.Equal(Frames, b.Counters.ReceivedFrames);
        Assert.True(b.Counters.TotalDropped > Frames / 2, b.Counters.ToString());
    }

    [Fact]
    public void SteadyStatePingAllocatesNothing()
    {
        var (a, b) = Pair();
        var now = T0;
        ushort seq = 0;
        long replies = 0;
        void Ping()
        {
            now += TimeSpan.FromMicroseconds(10);
            a.TrySendIcmpEcho(AddressB, 1, ++seq, Data, now);
            a.Poll(now);
            b.Poll(now);
            a.Poll(now);
            while (a.TryDequeueEchoReply(out _)) replies++;
        }
        long allocated = AllocationMeter.Measure(Ping, warmup: 1000, iterations: 100_000, windows: 3);
        Assert.Equal(0, allocated);
        Assert.True(replies >= 100_000, $"{replies} replies");
        Assert.Equal(0, a.Counters.TotalDropped);
        Assert.Equal(0, b.Counters.TotalDropped);
    }

    [Fact]
    public void OptionsNameTheBadSetting()
    {
        var good = OptionsFor(MacA, AddressA);
        Assert.Contains("MacAddress", Assert.Throws<ArgumentException>(() => (good with { MacAddress = MacAddress.Broadcast }).Validate()).Message, StringComparison.Ordinal);
        Assert.Contains("Ipv4Addresses", Assert.Throws<ArgumentException>(() => (good with { Ipv4Addresses = [] }).Validate()).Message, StringComparison.Ordinal);
        Assert.Contains("DefaultGateway", Assert.Throws<ArgumentException>(() => (good with { DefaultGateway = new Ipv4Address(192, 168, 0, 1) }).Validate()).Message, StringComparison.Ordinal);
        Assert.Contains("TimeToLive", Assert.Throws<ArgumentOutOfRangeException>(() => (good with { TimeToLive = 0 }).Validate()).Message, StringComparison.Ordinal);
        Assert.Contains("EchoReplyQueueCapacity", Assert.Throws<ArgumentOutOfRangeException>(() => (good with { EchoReplyQueueCapacity = 0 }).Validate()).Message, StringComparison.Ordinal);
        Assert.Equal(new Ipv4InterfaceAddress(AddressA, 24), Ipv4InterfaceAddress.Parse("10.0.0.1/24"));
        Assert.Throws<FormatException>(() => Ipv4InterfaceAddress.Parse("10.0.0.1/33"));
    }

    private delegate int FrameWriter(byte[] frame, MacAddress destinationMac, Ipv4Address source, Ipv4Address destination, ushort id, ushort seq, ReadOnlySpan<byte> data);

    private static byte[] Slice(FrameWriter writer, Ipv4Address destination)
    {
        byte[] frame = new byte[1514];
        int length = writer(frame, MacB, AddressA, destination, 1, 1, Data);
        return frame[..length];
    }

    private static int WriteEcho(byte[] frame, MacAddress destinationMac, Ipv4Address source, Ipv4Address destination, ushort id, ushort seq, ReadOnlySpan<byte> data)
    {
        var icmp = Icmpv4Repr.EchoRequest(id, seq, data.Length);
        byte[] message = new byte[icmp.BufferLength];
        icmp.Emit(message, data);
        return WriteIpv4(frame, destinationMac, source, destination, IpProtocol.Icmp, message);
    }

    private static int WriteIpv4(byte[] frame, MacAddress destinationMac, Ipv4Address source, Ipv4Address destination, IpProtocol protocol, ReadOnlySpan<byte> payload)
    {
        new EthernetRepr { Destination = destinationMac, Source = MacA, EtherType = EtherType.Ipv4 }.Emit(frame);
        new Ipv4Repr(source, destination, protocol, payload.Length).Emit(frame.AsSpan(14));
        payload.CopyTo(frame.AsSpan(34));
        return 34 + payload.Length;
    }

    private static int WriteFragment(byte[] frame, ReadOnlySpan<byte> part, int offset, bool more)
    {
        new EthernetRepr { Destination = MacB, Source = MacA, EtherType = EtherType.Ipv4 }.Emit(frame);
        new Ipv4Repr(AddressA, AddressB, IpProtocol.Icmp, part.Length) { Identification = 77, FragmentOffset = offset, MoreFragments = more }
            .Emit(frame.AsSpan(14));
        part.CopyTo(frame.AsSpan(34));
        return 34 + part.Length;
    }

    private static byte[] BuildArp(ArpOperation operation, MacAddress senderMac, Ipv4Address sender, Ipv4Address target)
    {
        byte[] frame = new byte[14 + ArpPacket.EthernetIpv4Length];
        new EthernetRepr { Destination = operation == ArpOperation.Request ? MacAddress.Broadcast : MacB, Source = senderMac, EtherType = EtherType.Arp }.Emit(frame);
        new ArpRepr
        {
            Operation = operation,
            SenderHardwareAddress = senderMac,
            SenderProtocolAddress = sender,
            TargetHardwareAddress = operation == ArpOperation.Request ? MacAddress.Zero : MacB,
            TargetProtocolAddress = target,
        }.Emit(frame.AsSpan(14));
        return frame;
    }
}
