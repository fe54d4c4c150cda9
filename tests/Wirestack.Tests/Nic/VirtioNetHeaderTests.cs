using System.Buffers.Binary;
using Wirestack.Nic;
using Wirestack.Nic.Linux;
using Wirestack.Tests.Wire;
using Wirestack.Wire;

namespace Wirestack.Tests.Nic;

/// <summary>
/// The virtio_net_hdr that TAP (IFF_VNET_HDR) and AF_PACKET (PACKET_VNET_HDR) devices exchange with the kernel: headers
/// as linux/virtio_net.h lays them out, read into <see cref="FrameOffload"/> and written from it.
/// </summary>
public class VirtioNetHeaderTests
{
    [Fact]
    public void APlainFrameHasNothingToSay()
    {
        Assert.True(VirtioNetHeader.TryRead(new byte[10], out var offload));
        Assert.Equal(FrameOffload.None, offload);
    }

    [Theory]
    [InlineData("01 00 0000 0000 2200 1000", true)] // NEEDS_CSUM: the local stack left the sum partial
    [InlineData("02 00 0000 0000 0000 0000", true)] // DATA_VALID: the kernel checked it
    [InlineData("00 00 0000 0000 0000 0000", false)]
    public void ChecksumFlagsMakeTheChecksumTrusted(string hex, bool trusted)
    {
        Assert.True(VirtioNetHeader.TryRead(HexBytes.Parse(hex), out var offload));
        Assert.Equal(trusted, offload.TransportChecksumTrusted);
        Assert.Equal(0, offload.SegmentSize);
    }

    [Theory]
    [InlineData("01 01 4200 a805 2200 1000", 1448)] // TCPv4, hdr_len 66, gso_size 1448: a kernel TSO segment
    [InlineData("01 04 5600 9805 3600 1000", 1432)] // TCPv6
    [InlineData("01 81 4200 a805 2200 1000", 1448)] // TCPv4 with the ECN bit
    public void TcpSegmentsReportTheirSegmentSize(string hex, int segmentSize)
    {
        Assert.True(VirtioNetHeader.TryRead(HexBytes.Parse(hex), out var offload));
        Assert.Equal(segmentSize, offload.SegmentSize);
        Assert.True(offload.TransportChecksumTrusted);
    }

    [Theory]
    [InlineData("01 05 2a00 e803 2200 0600", 1000)] // USO: a local sender's UDP_SEGMENT, gso_size 1000, sum partial
    [InlineData("02 05 2a00 b004 0000 0000", 1200)] // UDP GRO: checked by the kernel
    [InlineData("00 05 2a00 b004 0000 0000", 1200)] // no flag: still trusted, no single sum could vouch for each datagram
    [InlineData("01 85 2a00 0000 2200 0600", 0)] // a zero size is reported as it is, for the interface to drop and count
    public void UdpSuperDatagramsReportTheirDatagramSize(string hex, int segmentSize)
    {
        Assert.True(VirtioNetHeader.TryRead(HexBytes.Parse(hex), out var offload));
        Assert.True(offload.UdpSegments);
        Assert.Equal(segmentSize, offload.SegmentSize);
        Assert.True(offload.TransportChecksumTrusted);
    }

    [Fact]
    public void TcpSegmentsAreNotUdpSegments()
    {
        Assert.True(VirtioNetHeader.TryRead(HexBytes.Parse("01 01 4200 a805 2200 1000"), out var offload));
        Assert.False(offload.UdpSegments);
    }

    [Theory]
    [InlineData("01 03 2a00 c805 2200 0600")] // UFO: coalesced from IP fragments
    [InlineData("00 07 0000 0000 0000 0000")] // a kind this code does not know
    public void SegmentsTheStackCannotTakeApartAreRefused(string hex) =>
        Assert.False(VirtioNetHeader.TryRead(HexBytes.Parse(hex), out _));

    [Fact]
    public void AnUnsegmentedFrameGetsAnAllZeroHeader()
    {
        byte[] header = [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF];
        VirtioNetHeader.Write(header, TcpFrame(ipv6: false, tcpHeaderLength: 32), FrameOffload.None);
        Assert.Equal(new byte[10], header);
    }

    [Theory]
    [InlineData(false, 32, "00 01 4200 a805 0000 0000")] // 14 + 20 + 32 = 66 bytes of headers
    [InlineData(false, 20, "00 01 3600 b405 0000 0000")]
    [InlineData(true, 32, "00 04 5600 a805 0000 0000")] // 14 + 40 + 32 = 86
    public void ASegmentToCutNamesItsFamilyHeadersAndSegmentSize(bool ipv6, int tcpHeaderLength, string expected)
    {
        var header = new byte[10];
        int segmentSize = tcpHeaderLength == 20 ? 1460 : 1448;
        VirtioNetHeader.Write(header, TcpFrame(ipv6, tcpHeaderLength), FrameOffload.TcpSegmentation(segmentSize));
        Assert.Equal(HexBytes.Parse(expected), header);
    }

    [Fact]
    public void WrittenSegmentHeadersReadBack()
    {
        var header = new byte[10];
        VirtioNetHeader.Write(header, TcpFrame(ipv6: true, tcpHeaderLength: 20), FrameOffload.TcpSegmentation(8940));
        Assert.True(VirtioNetHeader.TryRead(header, out var offload));
        Assert.Equal(8940, offload.SegmentSize);
        Assert.False(offload.TransportChecksumTrusted); // our checksums are complete; the flags say nothing
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void APartialChecksumIsThePseudoHeaderSumThatTheSegmenterFinishes(bool ipv6)
    {
        // A complete segment as the stack writes it: addresses, random payload, a valid checksum.
        var frame = TcpFrame(ipv6, 32);
        int tcpAt = 14 + (ipv6 ? 40 : 20);
        new Random(9).NextBytes(frame.AsSpan(tcpAt + 32));
        var segment = frame.AsSpan(tcpAt);
        uint pseudo;
        if (ipv6)
        {
            new Random(1).NextBytes(frame.AsSpan(14 + 8, 32));
            pseudo = InternetChecksum.PseudoHeaderSum(Ipv6Address.Read(frame.AsSpan(22, 16)), Ipv6Address.Read(frame.AsSpan(38, 16)), IpProtocol.Tcp, segment.Length);
        }
        else
        {
            new Random(1).NextBytes(frame.AsSpan(14 + 12, 8));
            pseudo = InternetChecksum.PseudoHeaderSum(Ipv4Address.Read(frame.AsSpan(26, 4)), Ipv4Address.Read(frame.AsSpan(30, 4)), IpProtocol.Tcp, segment.Length);
        }
        TcpRepr.FillChecksum(segment, pseudo);
        ushort complete = BinaryPrimitives.ReadUInt16BigEndian(segment[16..]);

        var header = new byte[10];
        VirtioNetHeader.WritePartialChecksum(header, frame, FrameOffload.TcpSegmentation(1448));
        Assert.Equal(VirtioNetHeader.FlagNeedsChecksum, header[0]);
        Assert.Equal(tcpAt, header[6] | header[7] << 8);
        Assert.Equal(16, header[8] | header[9] << 8);
        // What the kernel does with NEEDS_CSUM: sum from csum_start to the end (the field included) and store the
        // complement. That must give back the complete checksum.
        Assert.Equal(complete, InternetChecksum.Compute(segment));
    }

    [Fact]
    public void AFrameNotToCutKeepsItsCompleteChecksum()
    {
        var frame = TcpFrame(ipv6: false, 20);
        frame[14 + 20 + 16] = 0x12;
        var header = new byte[10];
        VirtioNetHeader.WritePartialChecksum(header, frame, FrameOffload.None);
        Assert.Equal(new byte[10], header);
        Assert.Equal(0x12, frame[14 + 20 + 16]);
    }

    // An Ethernet frame with an IPv4 (IHL 5) or IPv6 header and a TCP header of the given length, then payload.
    private static byte[] TcpFrame(bool ipv6, int tcpHeaderLength)
    {
        int ip = ipv6 ? 40 : 20;
        var frame = new byte[14 + ip + tcpHeaderLength + 3000];
        frame[12] = ipv6 ? (byte)0x86 : (byte)0x08;
        frame[13] = ipv6 ? (byte)0xDD : (byte)0x00;
        frame[14] = ipv6 ? (byte)0x60 : (byte)0x45;
        frame[14 + ip + 12] = (byte)(tcpHeaderLength / 4 << 4);
        return frame;
    }
}
