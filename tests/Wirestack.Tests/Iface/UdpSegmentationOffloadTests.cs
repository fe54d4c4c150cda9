using System.Buffers.Binary;
using Wirestack.Tests.Support;
using Wirestack.Iface;
using Wirestack.Nic;
using Wirestack.Testing;
using Wirestack.Wire;

namespace Wirestack.Tests.Iface;

/// <summary>
/// UDP super-datagrams (the kernel's UDP GSO, <c>UDP_SEGMENT</c>, handed over whole by an AF_PACKET device with
/// offloads as <see cref="FrameOffload.UdpSegments"/>): one IP and UDP header whose lengths cover the whole, then the
/// payloads of several datagrams. The interface delivers each as its own datagram, counts each, and drops one whose
/// sizes do not add up.
/// </summary>
public sealed class UdpSegmentationOffloadTests
{
    private static readonly MacAddress Mac = MacAddress.Parse("02:00:00:00:00:0b");
    private static readonly MacAddress PeerMac = MacAddress.Parse("02:00:00:00:00:0a");
    private static readonly Ipv4Address Local4 = new(10, 0, 0, 2);
    private static readonly Ipv4Address Peer4 = new(10, 0, 0, 1);
    private static readonly Ipv6Address Local6 = Ipv6Address.Parse("fd00::b");
    private static readonly Ipv6Address Peer6 = Ipv6Address.Parse("fd00::a");
    private const ushort Port = 4433;
    private const ushort PeerPort = 50000;

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void ASuperDatagramIsDeliveredAsTheDatagramsItCarries(bool ipv6)
    {
        var (device, iface) = Create();
        Assert.True(iface.TryBindUdp(Port, out var handle));
        byte[] payload = Payload(10_000, 1200);
        device.Deliver(Frame(ipv6, payload), new FrameOffload { UdpSegments = true, SegmentSize = 1200, TransportChecksumTrusted = true });
        iface.Poll(Instant.Zero);

        Assert.Equal(9, iface.PendingUdpDatagrams(handle)); // 8 × 1200 + 400
        byte[] buffer = new byte[65536];
        for (int i = 0; i < 9; i++)
        {
            Assert.True(iface.TryReceiveUdp(handle, buffer, out int length, out var source, out ushort sourcePort));
            Assert.Equal(i < 8 ? 1200 : 400, length);
            Assert.Equal(payload.AsSpan(i * 1200, length), buffer.AsSpan(0, length));
            Assert.Equal(i, BinaryPrimitives.ReadInt32BigEndian(buffer));
            Assert.Equal(ipv6 ? (IpAddress)Peer6 : Peer4, source);
            Assert.Equal(PeerPort, sourcePort);
        }
        Assert.False(iface.TryReceiveUdp(handle, buffer, out _, out _, out _));
        Assert.Equal(9, iface.Counters.UdpDatagramsReceived);
        Assert.Equal(0, iface.Counters.TotalDropped);
    }

    [Theory]
    [InlineData(false, 1000, 10)] // a whole number of datagrams: the last is full
    [InlineData(true, 1000, 10)]
    [InlineData(false, 20_000, 1)] // no longer than one datagram: just that datagram
    public void EvenlyCutAndSingleDatagramSuperDatagramsAddUp(bool ipv6, int segmentSize, int expected)
    {
        var (device, iface) = Create();
        Assert.True(iface.TryBindUdp(Port, out var handle));
        byte[] payload = Payload(10_000, segmentSize);
        device.Deliver(Frame(ipv6, payload), new FrameOffload { UdpSegments = true, SegmentSize = segmentSize, TransportChecksumTrusted = true });
        iface.Poll(Instant.Zero);
        Assert.Equal(expected, iface.Counters.UdpDatagramsReceived);
        byte[] buffer = new byte[65536];
        int offset = 0;
        while (iface.TryReceiveUdp(handle, buffer, out int length, out _, out _))
        {
            Assert.Equal(payload.AsSpan(offset, length), buffer.AsSpan(0, length));
            offset += length;
        }
        Assert.Equal(payload.Length, offset);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void ASuperDatagramWithoutADatagramSizeIsDroppedAndCounted(bool ipv6)
    {
        var (device, iface) = Create();
        Assert.True(iface.TryBindUdp(Port, out var handle));
        device.Deliver(Frame(ipv6, Payload(10_000, 1200)), new FrameOffload { UdpSegments = true, SegmentSize = 0, TransportChecksumTrusted = true });
        iface.Poll(Instant.Zero);
        Assert.Equal(0, iface.PendingUdpDatagrams(handle));
        Assert.Equal(0, iface.Counters.UdpDatagramsReceived);
        Assert.Equal(1, iface.Counters.Dropped(InterfaceDropReason.UdpBadSegmentation));
        Assert.Equal(1, iface.Counters.TotalDropped);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void ASuperDatagramClaimingMoreThanTheFrameHoldsIsDroppedAndCounted(bool ipv6)
    {
        var (device, iface) = Create();
        Assert.True(iface.TryBindUdp(Port, out var handle));
        byte[] frame = Frame(ipv6, Payload(10_000, 1200));
        // The frame ends 2000 bytes before the IP and UDP lengths say it does.
        device.Deliver(frame[..^2000], new FrameOffload { UdpSegments = true, SegmentSize = 1200, TransportChecksumTrusted = true });
        iface.Poll(Instant.Zero);
        Assert.Equal(0, iface.PendingUdpDatagrams(handle));
        Assert.Equal(0, iface.Counters.UdpDatagramsReceived);
        Assert.Equal(1, iface.Counters.Dropped(InterfaceDropReason.Malformed));
        Assert.Equal(1, iface.Counters.Malformed(WireError.Truncated));

        // The same with only the UDP length claiming more than the IP packet carries.
        frame = Frame(ipv6, Payload(10_000, 1200));
        int udpAt = 14 + (ipv6 ? 40 : 20);
        BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(udpAt + 4), 8 + 10_000 + 1200);
        device.Deliver(frame, new FrameOffload { UdpSegments = true, SegmentSize = 1200, TransportChecksumTrusted = true });
        iface.Poll(Instant.Zero);
        Assert.Equal(0, iface.PendingUdpDatagrams(handle));
        Assert.Equal(2, iface.Counters.Malformed(WireError.Truncated));
        Assert.Equal(2, iface.Counters.TotalDropped);
    }

    [Fact]
    public void EveryDatagramToAnUnboundPortIsCountedAsDropped()
    {
        var (device, iface) = Create(o => o with { SendPortUnreachable = false });
        device.Deliver(Frame(false, Payload(10_000, 1200)), new FrameOffload { UdpSegments = true, SegmentSize = 1200, TransportChecksumTrusted = true });
        iface.Poll(Instant.Zero);
        Assert.Equal(9, iface.Counters.Dropped(InterfaceDropReason.NoSocket));
    }

    [Fact]
    public void TakingSuperDatagramsApartAllocatesNothing()
    {
        var (device, iface) = Create();
        Assert.True(iface.TryBindUdp(Port, out var handle));
        byte[] frame = Frame(true, Payload(10_000, 1200));
        var offload = new FrameOffload { UdpSegments = true, SegmentSize = 1200, TransportChecksumTrusted = true };
        byte[] buffer = new byte[2048];
        void Round()
        {
            device.Deliver(frame, offload);
            iface.Poll(Instant.Zero);
            while (iface.TryReceiveUdp(handle, buffer, out _, out _, out _)) { }
        }
        long bytes = AllocationMeter.Measure(Round, warmup: 100, iterations: 200);
        Assert.Equal(0, bytes);
        Assert.Equal(300 * 9, iface.Counters.UdpDatagramsReceived);
    }

    private static (OffloadReportingDevice Device, Interface Iface) Create(Func<InterfaceOptions, InterfaceOptions>? adjust = null)
    {
        var device = new OffloadReportingDevice();
        var options = new InterfaceOptions
        {
            MacAddress = Mac,
            Ipv4Addresses = [new Ipv4InterfaceAddress(Local4, 24)],
            Ipv6Addresses = [new Ipv6InterfaceAddress(Local6, 64)],
            EnableIpv6 = true,
            AnnounceAddresses = false,
            RandomSeed = 7,
        };
        return (device, new Interface(device, adjust is null ? options : adjust(options)));
    }

    // Each datagram's payload starts with its index (4 bytes, big-endian), then a pattern.
    private static byte[] Payload(int length, int segmentSize)
    {
        var payload = new byte[length];
        for (int i = 0; i < length; i++) payload[i] = (byte)(i * 7 + 3);
        for (int offset = 0, index = 0; offset + 4 <= length; offset += segmentSize, index++)
            BinaryPrimitives.WriteInt32BigEndian(payload.AsSpan(offset), index);
        return payload;
    }

    // A super-datagram as the kernel hands it over: IP and UDP lengths covering the whole payload, and the UDP
    // checksum field holding only the pseudo-header sum (NEEDS_CSUM), for whoever cuts it to finish per datagram.
    private static byte[] Frame(bool ipv6, byte[] payload)
    {
        int udpLength = UdpPacket.HeaderLength + payload.Length;
        int ipLength = ipv6 ? Ipv6Packet.HeaderLength : 20;
        var frame = new byte[14 + ipLength + udpLength];
        new EthernetRepr { Destination = Mac, Source = PeerMac, EtherType = ipv6 ? EtherType.Ipv6 : EtherType.Ipv4 }.Emit(frame);
        uint pseudo;
        if (ipv6)
        {
            new Ipv6Repr(Peer6, Local6, IpProtocol.Udp, udpLength).Emit(frame.AsSpan(14));
            pseudo = InternetChecksum.PseudoHeaderSum(Peer6, Local6, IpProtocol.Udp, udpLength);
        }
        else
        {
            new Ipv4Repr(Peer4, Local4, IpProtocol.Udp, udpLength).Emit(frame.AsSpan(14));
            pseudo = InternetChecksum.PseudoHeaderSum(Peer4, Local4, IpProtocol.Udp, udpLength);
        }
        var udp = frame.AsSpan(14 + ipLength);
        new UdpRepr(PeerPort, Port, payload.Length).EmitHeader(udp);
        payload.CopyTo(udp[UdpPacket.HeaderLength..]);
        BinaryPrimitives.WriteUInt16BigEndian(udp[6..], (ushort)InternetChecksum.Add(pseudo, 0));
        return frame;
    }
}
