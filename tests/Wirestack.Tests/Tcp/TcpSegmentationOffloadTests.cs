using Wirestack.Tests.Support;
using Wirestack.Iface;
using Wirestack.Nic;
using Wirestack.Tcp;
using Wirestack.Testing;
using Wirestack.Tests.Nic;
using Wirestack.Wire;

namespace Wirestack.Tests.Tcp;

/// <summary>
/// TCP on a device that segments (TSO/GSO): the sender hands the IP layer segments of many MSS, in whole MSS, cut
/// by the device; what arrives is intact; retransmissions stay MSS-sized; nothing is allocated per segment; and a
/// frame whose checksum the device vouches for is taken while one it does not is still verified.
/// </summary>
public sealed class TcpSegmentationOffloadTests
{
    [Fact]
    public void BulkDataGoesAsLargeSegmentsOfWholeMss()
    {
        using var sim = new TcpSimulation(3, segmentationOffload: true, tcp: o => o with { SendBufferLength = 1 << 20, ReceiveBufferLength = 1 << 20 });
        var (a, b) = sim.Connect();
        var transfer = new TcpTransfer(sim.A, a, sim.B, b, 8 << 20, 3);
        Assert.True(sim.RunUntil(() => transfer.Pump(sim.Now), TimeSpan.FromMinutes(5)), sim.Describe("transfer"));
        var (sent, received) = transfer.Hashes();
        Assert.Equal(sent, received);
        var segmenter = sim.SegmenterA!;
        long dataSegments = sim.A.TcpCounters.SegmentsSent;
        // 8 MiB in 1448-byte segments is 5793 on the wire; the stack handed over a small fraction of that.
        Assert.True(segmenter.SegmentsMade >= 5793 * 9 / 10, $"{segmenter.SegmentsMade} segments made");
        Assert.True(dataSegments < segmenter.SegmentsMade / 5, $"the stack sent {dataSegments} segments for {segmenter.SegmentsMade} on the wire");
        // The transfer writes 16 KiB at a time, so a segment carries up to that much (and more once the ring backs up).
        Assert.True(segmenter.LongestFrame > 8 * 1448, $"the longest frame was {segmenter.LongestFrame} bytes");
        Assert.Equal(0, segmenter.Dropped);
        Assert.Equal(0, sim.A.TcpCounters.RetransmittedSegments);
    }

    [Fact]
    public void SteadyStateLargeSegmentsAllocateNothing()
    {
        using var sim = new TcpSimulation(1, segmentationOffload: true, tcp: o => o with { SendBufferLength = 1 << 20, ReceiveBufferLength = 1 << 20 });
        var (a, b) = sim.Connect();
        var data = new byte[64 * 1024];
        var buffer = new byte[256 * 1024];
        long before = sim.SegmenterA!.LargeFrames;
        void Round()
        {
            sim.A.WriteTcp(a, data, sim.Now);
            sim.Step();
            while (sim.B.ReadTcp(b, buffer, sim.Now) > 0) { }
        }
        long bytes = AllocationMeter.Measure(Round, warmup: 500, iterations: 500);
        // About one large segment per 64 KiB round; with one ACK per receive batch the sender's bursts line up with
        // the rounds a little less evenly, so "most rounds" rather than "every round" shows that the path was measured.
        Assert.True(sim.SegmenterA.LargeFrames - before > 450, $"only {sim.SegmenterA.LargeFrames - before} large segments in the measured rounds");
        Assert.Equal(0, bytes);
    }

    [Fact]
    public void ChecksumTheDeviceVouchesForIsNotVerifiedAndOthersAre()
    {
        var device = new OffloadReportingDevice();
        var iface = new Interface(device, new InterfaceOptions
        {
            MacAddress = MacAddress.Parse("02:00:00:00:00:0b"),
            Ipv4Addresses = [new Ipv4InterfaceAddress(new Ipv4Address(10, 0, 0, 2), 24)],
            AnnounceAddresses = false,
            EnableIpv6 = false,
        });
        Assert.True(iface.TryListenTcp(new IpEndpoint(IpAddress.AnyIpv4, 80), 4, out _));
        // A SYN whose checksum field holds only the pseudo-header sum, as the kernel leaves it for the NIC to finish.
        byte[] syn = TcpFrame(partialChecksum: true);
        device.Deliver(syn, new FrameOffload { TransportChecksumTrusted = false });
        iface.Poll(Instant.Zero);
        Assert.Equal(1, iface.Counters.Dropped(InterfaceDropReason.TcpBadChecksum));
        Assert.Equal(0, iface.TcpCounters.SegmentsReceived);
        device.Deliver(syn, new FrameOffload { TransportChecksumTrusted = true });
        iface.Poll(Instant.Zero);
        Assert.Equal(1, iface.Counters.Dropped(InterfaceDropReason.TcpBadChecksum));
        Assert.Equal(1, iface.TcpCounters.SegmentsReceived);
    }

    private static byte[] TcpFrame(bool partialChecksum)
    {
        var source = new Ipv4Address(10, 0, 0, 1);
        var destination = new Ipv4Address(10, 0, 0, 2);
        var tcp = new TcpRepr { SourcePort = 40000, DestinationPort = 80, SequenceNumber = new TcpSeqNumber(1000), Flags = TcpFlags.Syn, WindowSize = 65535, MaxSegmentSize = 1460 };
        int tcpLength = tcp.TotalLength;
        var frame = new byte[14 + 20 + tcpLength];
        new EthernetRepr { Destination = MacAddress.Parse("02:00:00:00:00:0b"), Source = MacAddress.Parse("02:00:00:00:00:0a"), EtherType = EtherType.Ipv4 }.Emit(frame);
        var ip = new Ipv4Repr(source, destination, IpProtocol.Tcp, tcpLength, 64);
        ip.Emit(frame.AsSpan(14));
        var segment = frame.AsSpan(34);
        tcp.EmitHeader(segment);
        uint pseudo = InternetChecksum.PseudoHeaderSum(source, destination, IpProtocol.Tcp, tcpLength);
        if (partialChecksum) System.Buffers.Binary.BinaryPrimitives.WriteUInt16BigEndian(segment[16..], (ushort)InternetChecksum.Add(pseudo, 0));
        else TcpRepr.FillChecksum(segment, pseudo);
        return frame;
    }
}
