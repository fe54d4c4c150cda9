using System.Buffers.Binary;
using Wirestack.Iface;
using Wirestack.Ip;
using Wirestack.Nic;
using Wirestack.Testing;
using Wirestack.Tests.Nic;
using Wirestack.Wire;
using static Wirestack.Tests.Iface.InterfaceTestBed;

namespace Wirestack.Tests.Iface;

/// <summary>
/// Reassembly at the Interface under a hostile link: lost, reordered and duplicated fragments must neither leak
/// reassembly buffers nor corrupt what is delivered, bogus fragments must not grow memory, and a datagram that
/// never completes is reported to its sender with an ICMP time exceeded.
/// </summary>
public class ReassemblyFaultTests
{
    private static readonly TimeSpan Step = TimeSpan.FromMilliseconds(1);

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void LostAndReorderedFragmentsFreeEveryBufferAndDeliverOnlyWholeDatagrams(int seed)
    {
        var clock = new ManualTimeProvider();
        var (first, second) = PipeDevice.CreatePair();
        var lossy = new FaultInjector(first, new FaultInjectorOptions
        {
            Seed = seed,
            Directions = FrameDirections.Transmit,
            DropProbability = 0.05,
            DuplicateProbability = 0.05,
            ReorderProbability = 0.2,
            ReorderDistance = 3,
            TimeProvider = clock,
        });
        var a = new Interface(lossy, OptionsFor(MacA, AddressA));
        var b = new Interface(second, OptionsFor(MacB, AddressB));
        Assert.True(a.TryBindUdp(5000, out var ha));
        Assert.True(b.TryBindUdp(6000, out var hb));

        const int Datagrams = 300;
        const int Size = 8000; // six fragments at MTU 1500
        byte[] payload = new byte[Size];
        byte[] received = new byte[Size + 1];
        var seen = new bool[Datagrams];
        int delivered = 0;
        var now = T0;
        for (int i = 0; i < Datagrams; i++)
        {
            Fill(payload, i);
            // ARP requests may be lost too: keep offering until the datagram is accepted (sent or queued).
            while (!a.TrySendUdp(ha, AddressB, 6000, payload, now)) Advance(ref now, clock, a, b);
            Advance(ref now, clock, a, b);
            delivered += Drain(b, hb, received, seen);
        }
        // Let every fault-delayed frame out, then let every incomplete datagram time out.
        for (int i = 0; i < 100; i++) Advance(ref now, clock, a, b);
        delivered += Drain(b, hb, received, seen);
        now += b.Reassembler.Options.Ipv4Timeout + TimeSpan.FromSeconds(1);
        clock.Advance(b.Reassembler.Options.Ipv4Timeout + TimeSpan.FromSeconds(1));
        a.Poll(now);
        b.Poll(now);

        var counters = b.Reassembler.Ipv4Counters;
        TestContext.Current.TestOutputHelper?.WriteLine($"seed {seed}: delivered {delivered}/{Datagrams}; {counters}; {lossy.TransmitFaults}");
        Assert.Equal(0, b.Reassembler.AssemblingCount);
        Assert.Equal(0, b.Reassembler.LentCount);
        Assert.Equal(b.Reassembler.BufferCount, b.Reassembler.FreeBufferCount);
        Assert.True(delivered > Datagrams / 2, $"only {delivered} of {Datagrams} arrived");
        Assert.True(delivered < Datagrams, "5 % loss over 1800 fragments should have cost some datagram");
        // Every datagram that started but did not finish was timed out or evicted: none is still held.
        Assert.True(counters.Timeouts + counters.Evicted > 0, counters.ToString());
        Assert.Equal(0, b.Counters.Dropped(InterfaceDropReason.UdpBadChecksum));
    }

    [Fact]
    public void BogusFragmentFloodCannotGrowMemoryAndRealTrafficStillGetsThrough()
    {
        var (raw, b) = RawAndB(o => o with { Reassembly = new FragmentReassemblerOptions { BufferCount = 8 } });
        Assert.True(b.TryBindUdp(6000, out var hb));
        var random = new Random(7);
        byte[] frame = new byte[1514];
        byte[] part = new byte[1024];
        var now = T0;
        int sent = 0;
        void Flood()
        {
            // A fragment of a datagram that never completes: random identification, offset and source.
            random.NextBytes(part);
            var source = new Ipv4Address(10, 0, 0, (byte)random.Next(3, 250));
            int offset = random.Next(0, 60) * 8 * 8;
            int length = WriteUdpFragment(frame, source, (ushort)random.Next(), part, offset, more: true);
            Send(raw, frame.AsSpan(0, length));
            if (++sent % 16 == 0)
            {
                now += TimeSpan.FromMilliseconds(1);
                b.Poll(now);
            }
        }
        long allocated = AllocationMeter.Measure(Flood, warmup: 1000, iterations: 20_000, windows: 3);
        b.Poll(now);
        var counters = b.Reassembler.Ipv4Counters;
        TestContext.Current.TestOutputHelper?.WriteLine($"{sent} bogus fragments; {counters}; {b.Counters}");
        Assert.Equal(0, allocated);
        Assert.Equal(8, b.Reassembler.BufferCount);
        Assert.True(b.Reassembler.AssemblingCount <= 8);
        Assert.True(counters.Evicted > 1000, counters.ToString());
        Assert.Equal(counters.Evicted, b.Counters.Dropped(InterfaceDropReason.ReassemblyEvicted));

        // A real fragmented datagram still completes while the pool is full of junk (the oldest junk is evicted).
        byte[] udp = new byte[8 + 3000];
        Fill(udp.AsSpan(8), 99);
        new UdpRepr(5000, 6000, 3000).Emit(udp, udp.AsSpan(8), InternetChecksum.PseudoHeaderSum(AddressA, AddressB, IpProtocol.Udp, udp.Length));
        for (int offset = 0; offset < udp.Length; offset += 1480)
        {
            int length = Math.Min(1480, udp.Length - offset);
            Send(raw, frame.AsSpan(0, WriteUdpFragment(frame, AddressA, 4242, udp.AsSpan(offset, length), offset, more: offset + length < udp.Length)));
        }
        b.Poll(now);
        byte[] received = new byte[4000];
        Assert.True(b.TryReceiveUdp(hb, received, out int got, out var from, out ushort port));
        Assert.Equal(3000, got);
        Assert.Equal(new IpAddress(AddressA), from);
        Assert.Equal(5000, port);
        Assert.True(udp.AsSpan(8).SequenceEqual(received.AsSpan(0, got)));
    }

    [Fact]
    public void IncompleteDatagramIsReportedWithTimeExceeded()
    {
        var (raw, b) = RawAndB();
        byte[] frame = new byte[1514];
        byte[] part = new byte[800];
        Fill(part, 5);
        Send(raw, frame.AsSpan(0, WriteUdpFragment(frame, AddressA, 321, part, 0, more: true)));
        b.Poll(T0);
        Assert.Equal(1, b.Reassembler.AssemblingCount);

        var later = T0 + b.Reassembler.Options.Ipv4Timeout + TimeSpan.FromMilliseconds(1);
        b.Poll(later);
        Assert.Equal(0, b.Reassembler.AssemblingCount);
        Assert.Equal(1, b.Counters.Dropped(InterfaceDropReason.ReassemblyTimeout));
        // B must resolve A before it can report: answer its ARP request, then read the error.
        Assert.Equal(1, raw.Receive());
        raw.ReleaseReceived(1);
        Send(raw, ArpReply());
        b.Poll(later);
        Assert.Equal(1, raw.Receive());
        var reply = raw.GetReceived(0);
        Assert.Equal(WireError.None, EthernetFrame.TryParse(reply, out var ethernet));
        Assert.Equal(WireError.None, Ipv4Packet.TryParse(ethernet.Payload, out var ip));
        Assert.Equal(AddressA, ip.Destination);
        Assert.Equal(WireError.None, Icmpv4Packet.TryParse(ip.Payload, out var icmp));
        Assert.True(icmp.VerifyChecksum());
        Assert.Equal(Icmpv4Type.TimeExceeded, icmp.Type);
        Assert.Equal((byte)Icmpv4TimeExceededCode.ReassemblyTimeExceeded, icmp.Code);
        // The quote starts with the first fragment's own IPv4 header.
        Assert.Equal(WireError.None, QuotedIpv4Packet.TryParse(icmp.QuotedDatagram, out var quoted));
        Assert.Equal(AddressA, quoted.Source);
        Assert.Equal(AddressB, quoted.Destination);
        raw.ReleaseReceived(1);
        Assert.Equal(1, b.Counters.IcmpErrorsSent);
    }

    private static void Advance(ref Instant now, ManualTimeProvider clock, Interface a, Interface b)
    {
        now += Step;
        clock.Advance(Step);
        a.Poll(now);
        b.Poll(now);
        a.Poll(now);
    }

    private static int Drain(Interface b, UdpHandle handle, byte[] buffer, bool[] seen)
    {
        int count = 0;
        byte[] expected = new byte[buffer.Length - 1];
        while (b.TryReceiveUdp(handle, buffer, out int length, out _, out _))
        {
            // Every datagram is whole and exactly as sent: a mixed-up reassembly would show here.
            Assert.Equal(expected.Length, length);
            int index = BinaryPrimitives.ReadInt32BigEndian(buffer);
            Assert.InRange(index, 0, seen.Length - 1);
            Fill(expected, index);
            Assert.True(expected.AsSpan().SequenceEqual(buffer.AsSpan(0, length)), $"datagram {index} differs");
            Assert.False(seen[index], $"datagram {index} delivered twice");
            seen[index] = true;
            count++;
        }
        return count;
    }

    private static void Fill(Span<byte> data, int index)
    {
        for (int i = 0; i < data.Length; i++) data[i] = (byte)(i * 7 + index);
        BinaryPrimitives.WriteInt32BigEndian(data, index);
    }

    private static int WriteUdpFragment(byte[] frame, Ipv4Address source, ushort identification, ReadOnlySpan<byte> part, int offset, bool more)
    {
        new EthernetRepr { Destination = MacB, Source = MacA, EtherType = EtherType.Ipv4 }.Emit(frame);
        new Ipv4Repr(source, AddressB, IpProtocol.Udp, part.Length) { Identification = identification, FragmentOffset = offset, MoreFragments = more }
            .Emit(frame.AsSpan(14));
        part.CopyTo(frame.AsSpan(34));
        return 34 + part.Length;
    }

    private static byte[] ArpReply()
    {
        byte[] frame = new byte[14 + ArpPacket.EthernetIpv4Length];
        new EthernetRepr { Destination = MacB, Source = MacA, EtherType = EtherType.Arp }.Emit(frame);
        new ArpRepr
        {
            Operation = ArpOperation.Reply,
            SenderHardwareAddress = MacA,
            SenderProtocolAddress = AddressA,
            TargetHardwareAddress = MacB,
            TargetProtocolAddress = AddressB,
        }.Emit(frame.AsSpan(14));
        return frame;
    }
}
