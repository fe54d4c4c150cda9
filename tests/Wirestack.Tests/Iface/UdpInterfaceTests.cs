using Wirestack.Iface;
using Wirestack.Link;
using Wirestack.Nic;
using Wirestack.Testing;
using Wirestack.Wire;
using static Wirestack.Tests.Iface.InterfaceTestBed;

namespace Wirestack.Tests.Iface;

public class UdpInterfaceTests
{
    // Small bindings keep the queue-full and wrap-around cases quick to reach.
    private static InterfaceOptions SmallUdp(InterfaceOptions options) => options with
    {
        UdpBindingCapacity = 4,
        UdpReceiveBufferLength = 32 * 1024,
    };

    private static byte[] Pattern(int length, int seed)
    {
        byte[] data = new byte[length];
        for (int i = 0; i < length; i++) data[i] = (byte)(i * 7 + seed);
        return data;
    }

    [Fact]
    public void DatagramsGoBothWaysIncludingFragmentedOnes()
    {
        var (a, b) = Pair(SmallUdp);
        Assert.True(a.TryBindUdp(5000, out var ha));
        Assert.True(b.TryBindUdp(6000, out var hb));
        // The first small datagram waits for ARP; the 8 KB one must wait until B is resolved.
        Assert.True(a.TrySendUdp(ha, AddressB, 6000, Data, T0));
        Pump(a, b, T0);
        byte[] big = Pattern(8192, 3);
        Assert.True(a.TrySendUdp(ha, AddressB, 6000, big, T0));
        Pump(a, b, T0);

        byte[] buffer = new byte[65536];
        Assert.True(b.TryReceiveUdp(hb, buffer, out int length, out var source, out ushort sourcePort));
        Assert.Equal(Data, buffer[..length]);
        Assert.Equal(AddressA, source);
        Assert.Equal(5000, sourcePort);
        Assert.True(b.TryReceiveUdp(hb, buffer, out length, out _, out _));
        Assert.Equal(big, buffer[..length]);
        Assert.False(b.TryReceiveUdp(hb, buffer, out _, out _, out _));
        Assert.Equal(6, a.Counters.FragmentsSent); // 8200 bytes of UDP in 1480-byte pieces
        Assert.Equal(1, b.Counters.DatagramsReassembled);

        // And back: echo both datagrams to where they came from.
        byte[] bigBack = Pattern(8192, 9);
        Assert.True(b.TrySendUdp(hb, AddressA, 5000, bigBack, T0));
        Assert.True(b.TrySendUdp(hb, AddressA, 5000, Data, T0));
        Pump(a, b, T0);
        Assert.True(a.TryReceiveUdp(ha, buffer, out length, out source, out sourcePort));
        Assert.Equal(bigBack, buffer[..length]);
        Assert.Equal(AddressB, source);
        Assert.Equal(6000, sourcePort);
        Assert.True(a.TryReceiveUdp(ha, buffer, out length, out _, out _));
        Assert.Equal(Data, buffer[..length]);
        Assert.Equal(2, a.Counters.UdpDatagramsReceived);
        Assert.Equal(2, b.Counters.UdpDatagramsReceived);
        Assert.Equal(0, a.Counters.TotalDropped);
        Assert.Equal(0, b.Counters.TotalDropped);
    }

    [Fact]
    public void LargeEchoIsFragmentedBothWays()
    {
        var (a, b) = Pair(SmallUdp);
        Assert.True(a.TrySendIcmpEcho(AddressB, 1, 1, Data, T0));
        Pump(a, b, T0);
        Assert.True(a.TryDequeueEchoReply(out _));
        Assert.True(a.TrySendIcmpEcho(AddressB, 1, 2, Pattern(4000, 1), T0));
        Pump(a, b, T0);
        Assert.True(a.TryDequeueEchoReply(out var reply));
        Assert.Equal(2, reply.SequenceNumber);
        Assert.Equal(4000, reply.PayloadLength);
        Assert.Equal(3, a.Counters.FragmentsSent);
        Assert.Equal(3, b.Counters.FragmentsSent);
        Assert.Equal(1, a.Counters.DatagramsReassembled);
        Assert.Equal(1, b.Counters.DatagramsReassembled);
    }

    [Fact]
    public void UnboundPortIsCountedAndAnsweredWithPortUnreachable()
    {
        var (a, b) = Pair(SmallUdp);
        Assert.True(a.TryBindUdp(5000, out var ha));
        Assert.True(a.TrySendUdp(ha, AddressB, 7777, Data, T0));
        Pump(a, b, T0);
        Assert.Equal(1, b.Counters.Dropped(InterfaceDropReason.NoSocket));
        Assert.Equal(1, b.Counters.IcmpErrorsSent);
        Assert.Equal(1, a.Counters.IcmpErrorsReceived);
        Assert.Equal(0, a.Counters.TotalDropped);

        // The rate limiter holds back a burst.
        for (int i = 0; i < 200; i++) a.TrySendUdp(ha, AddressB, 7777, Data, T0);
        Pump(a, b, T0, rounds: 8);
        Assert.Equal(201, b.Counters.Dropped(InterfaceDropReason.NoSocket));
        Assert.True(b.Counters.IcmpErrorsSuppressed > 0);
        Assert.Equal(201, b.Counters.IcmpErrorsSent + b.Counters.IcmpErrorsSuppressed);
    }

    [Fact]
    public void FullReceiveRingDropsAndCounts()
    {
        var (a, b) = Pair(SmallUdp);
        Assert.True(a.TryBindUdp(5000, out var ha));
        Assert.True(b.TryBindUdp(6000, out var hb));
        Assert.True(a.TrySendUdp(ha, AddressB, 6000, Data, T0));
        Pump(a, b, T0);
        byte[] chunk = new byte[1000];
        // 32 KiB of ring holds 32 more records of 1008 bytes beside the first 40-byte one.
        for (int i = 0; i < 40; i++)
        {
            Assert.True(a.TrySendUdp(ha, AddressB, 6000, chunk, T0));
            if (i % 8 == 7) Pump(a, b, T0);
        }
        Pump(a, b, T0);
        Assert.Equal(33, b.PendingUdpDatagrams(hb));
        Assert.Equal(8, b.Counters.Dropped(InterfaceDropReason.UdpQueueFull));

        // Draining makes room again, and the ring wraps.
        byte[] buffer = new byte[16];
        Assert.True(b.TryReceiveUdp(hb, buffer, out int length, out _, out _));
        Assert.Equal(16, length); // truncated, as recv does
        for (int i = 0; i < 10; i++) Assert.True(b.TryReceiveUdp(hb, buffer, out _, out _, out _));
        for (int i = 0; i < 10; i++) Assert.True(a.TrySendUdp(ha, AddressB, 6000, Pattern(1000, i), T0));
        Pump(a, b, T0);
        Assert.Equal(32, b.PendingUdpDatagrams(hb));
        byte[] large = new byte[2000];
        for (int i = 0; i < 22; i++) Assert.True(b.TryReceiveUdp(hb, large, out _, out _, out _));
        for (int i = 0; i < 10; i++)
        {
            Assert.True(b.TryReceiveUdp(hb, large, out length, out _, out _));
            Assert.Equal(Pattern(1000, i), large[..length]);
        }
        Assert.False(b.TryReceiveUdp(hb, large, out _, out _, out _));
    }

    [Fact]
    public void BindingsConflictAndEphemeralPortsAreUnique()
    {
        var (a, _) = Pair(SmallUdp);
        Assert.True(a.TryBindUdp(53, out var fixedPort));
        Assert.False(a.TryBindUdp(53, out _));
        Assert.True(a.TryBindUdp(0, out var first));
        Assert.True(a.TryBindUdp(0, out var second));
        ushort p1 = a.GetUdpPort(first), p2 = a.GetUdpPort(second);
        Assert.InRange(p1, (ushort)49152, (ushort)65535);
        Assert.InRange(p2, (ushort)49152, (ushort)65535);
        Assert.NotEqual(p1, p2);
        Assert.True(a.TryBindUdp(p1 == 65535 ? (ushort)49152 : (ushort)(p2 + 1), out var fourth));
        Assert.False(a.TryBindUdp(0, out _)); // capacity 4
        Assert.True(a.CloseUdp(fixedPort));
        Assert.False(a.CloseUdp(fixedPort));
        Assert.False(a.TrySendUdp(fixedPort, AddressB, 1, Data, T0)); // a closed handle is refused
        Assert.True(a.TryBindUdp(53, out var again));
        Assert.NotEqual(fixedPort, again); // same slot, new generation
        Assert.False(a.TryReceiveUdp(fixedPort, new byte[8], out _, out _, out _));
        Assert.False(a.TrySendUdp(default, AddressB, 1, Data, T0));
        Assert.Equal(0, a.GetUdpPort(default));
        Assert.True(a.CloseUdp(fourth));
    }

    [Fact]
    public void BadUdpChecksumIsCounted()
    {
        var (raw, b) = RawAndB(SmallUdp);
        Assert.True(b.TryBindUdp(6000, out var hb));
        byte[] udp = new byte[8 + Data.Length];
        new UdpRepr(1234, 6000, Data.Length).Emit(udp, Data, InternetChecksum.PseudoHeaderSum(AddressA, AddressB, IpProtocol.Udp, udp.Length));
        byte[] frame = new byte[1514];
        Send(raw, frame.AsSpan(0, WriteIpv4(frame, AddressA, AddressB, IpProtocol.Udp, udp)));
        udp[^1] ^= 1;
        Send(raw, frame.AsSpan(0, WriteIpv4(frame, AddressA, AddressB, IpProtocol.Udp, udp)));
        b.Poll(T0);
        Assert.Equal(1, b.PendingUdpDatagrams(hb));
        Assert.Equal(1, b.Counters.Dropped(InterfaceDropReason.UdpBadChecksum));
    }

    [Fact]
    public void FragmentationNeededLowersThePathMtuAndLaterDatagramsFitIt()
    {
        var (raw, b) = RawAndB(SmallUdp);
        Send(raw, BuildArp(MacA, AddressA, AddressB)); // B learns A
        b.Poll(T0);
        raw.ReleaseReceived(raw.Receive());

        // A router on the way to 10.0.0.1 reports a 1000-byte next hop for a 1400-byte packet B sent.
        byte[] quote = new byte[28];
        new Ipv4Repr(AddressB, AddressA, IpProtocol.Udp, 1380).Emit(quote);
        var error = Icmpv4Repr.DestinationUnreachable(Icmpv4UnreachableCode.FragmentationNeeded, quote.Length, nextHopMtu: 1000);
        byte[] icmp = new byte[error.BufferLength];
        error.Emit(icmp, quote);
        byte[] frame = new byte[1514];
        Send(raw, frame.AsSpan(0, WriteIpv4(frame, AddressA, AddressB, IpProtocol.Icmp, icmp)));
        // One about a packet someone else sent is refused.
        new Ipv4Repr(new Ipv4Address(10, 0, 0, 9), AddressA, IpProtocol.Udp, 1380).Emit(quote);
        error.Emit(icmp, quote);
        Send(raw, frame.AsSpan(0, WriteIpv4(frame, AddressA, AddressB, IpProtocol.Icmp, icmp)));
        b.Poll(T0);
        Assert.Equal(2, b.Counters.IcmpErrorsReceived);
        Assert.Equal(1, b.Counters.PathMtuUpdates);
        Assert.Equal(1000, b.PathMtu.GetMtu(AddressA, T0));

        Assert.True(b.TryBindUdp(6000, out var hb));
        Assert.True(b.TrySendUdp(hb, AddressA, 5000, new byte[1400], T0));
        b.Poll(T0);
        int count = raw.Receive();
        Assert.Equal(2, count);
        for (int i = 0; i < count; i++)
        {
            Assert.Equal(WireError.None, EthernetFrame.TryParse(raw.GetReceived(i), out var ethernet));
            Assert.Equal(WireError.None, Ipv4Packet.TryParse(ethernet.Payload, out var ip));
            Assert.True(ip.TotalLength <= 1000, $"fragment of {ip.TotalLength} bytes");
        }
        raw.ReleaseReceived(count);
    }

    [Fact]
    public void SteadyStateUdpAllocatesNothing()
    {
        var (a, b) = Pair(SmallUdp);
        Assert.True(a.TryBindUdp(5000, out var ha));
        Assert.True(b.TryBindUdp(6000, out var hb));
        byte[] buffer = new byte[9000];
        byte[] big = new byte[8192];
        var now = T0;
        long received = 0;
        int round = 0;
        void Exchange()
        {
            now += TimeSpan.FromMicroseconds(10);
            // Every 16th round is an 8 KB datagram: fragmentation and reassembly are on the measured path too.
            a.TrySendUdp(ha, AddressB, 6000, ++round % 16 == 0 ? big : Data, now);
            a.Poll(now);
            b.Poll(now);
            while (b.TryReceiveUdp(hb, buffer, out int length, out var source, out ushort port))
                b.TrySendUdp(hb, source, port, buffer.AsSpan(0, length), now);
            b.Poll(now);
            a.Poll(now);
            while (a.TryReceiveUdp(ha, buffer, out _, out _, out _)) received++;
        }
        long allocated = AllocationMeter.Measure(Exchange, warmup: 1000, iterations: 20_000, windows: 3);
        Assert.Equal(0, allocated);
        Assert.True(received >= 20_000, $"{received} echoed");
        Assert.Equal(0, a.Counters.TotalDropped);
        Assert.Equal(0, b.Counters.TotalDropped);
    }

    private static int WriteIpv4(byte[] frame, Ipv4Address source, Ipv4Address destination, IpProtocol protocol, ReadOnlySpan<byte> payload)
    {
        new EthernetRepr { Destination = MacB, Source = MacA, EtherType = EtherType.Ipv4 }.Emit(frame);
        new Ipv4Repr(source, destination, protocol, payload.Length).Emit(frame.AsSpan(14));
        payload.CopyTo(frame.AsSpan(34));
        return 34 + payload.Length;
    }

    private static byte[] BuildArp(MacAddress senderMac, Ipv4Address sender, Ipv4Address target)
    {
        byte[] frame = new byte[14 + ArpPacket.EthernetIpv4Length];
        new EthernetRepr { Destination = MacAddress.Broadcast, Source = senderMac, EtherType = EtherType.Arp }.Emit(frame);
        new ArpRepr
        {
            Operation = ArpOperation.Request,
            SenderHardwareAddress = senderMac,
            SenderProtocolAddress = sender,
            TargetHardwareAddress = MacAddress.Zero,
            TargetProtocolAddress = target,
        }.Emit(frame.AsSpan(14));
        return frame;
    }
}
