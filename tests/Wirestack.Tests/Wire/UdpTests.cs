using Wirestack.Wire;

namespace Wirestack.Tests.Wire;

public class UdpTests
{
    private static readonly Ipv4Address Source = Ipv4Address.Parse("10.1.0.1");
    private static readonly Ipv4Address Destination = Ipv4Address.Parse("10.1.0.2");

    // Captured from Linux 6.18 over a veth pair with TX checksum offload turned off (so the
    // checksums are the kernel's finished ones), 10.1.0.1:42975 -> 10.1.0.2, and rechecked with
    // an independent ones'-complement sum in Python: "wirestack udp\n" to port 33434, "odd" to
    // port 9 (odd payload length), and an empty datagram to port 7.
    private static readonly byte[] Datagram = HexBytes.Parse("a7df 829a 0016 b20d 77697265737461636b207564700a");
    private static readonly byte[] OddDatagram = HexBytes.Parse("a7df 0009 000b 7086 6f6464");
    private static readonly byte[] EmptyDatagram = HexBytes.Parse("a7df 0007 0008 43f3");

    // The IPv4 packet the first datagram came in.
    private static readonly byte[] CapturedIpv4 = HexBytes.Parse("4500002a27c940004011fef50a0100010a010002 a7df829a0016b20d77697265737461636b207564700a");

    private static uint Pseudo(int udpLength) => InternetChecksum.PseudoHeaderSum(Source, Destination, IpProtocol.Udp, udpLength);

    [Fact]
    public void ParsesCapturedDatagramThroughIpv4()
    {
        Assert.Equal(WireError.None, Ipv4Packet.TryParse(CapturedIpv4, out var ip));
        Assert.Equal(WireError.None, Ipv4Repr.Parse(ip, out var ipRepr));
        Assert.Equal(WireError.None, UdpPacket.TryParse(ip.Payload, out var packet));
        Assert.Equal(42975, packet.SourcePort);
        Assert.Equal(33434, packet.DestinationPort);
        Assert.Equal(22, packet.Length);
        Assert.Equal(0xB20D, packet.Checksum);
        Assert.True(packet.HasChecksum);
        Assert.True(packet.VerifyChecksum(ipRepr.PseudoHeaderSum()));
        Assert.Equal("wirestack udp\n"u8.ToArray(), packet.Payload.ToArray());
        Assert.Equal(WireError.None, UdpRepr.Parse(packet, ipRepr.PseudoHeaderSum(), out var repr));
        Assert.Equal(new UdpRepr(42975, 33434, 14), repr);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    public void CapturedDatagramsReEmitByteForByte(int which)
    {
        var bytes = which switch { 0 => Datagram, 1 => OddDatagram, _ => EmptyDatagram };
        Assert.Equal(WireError.None, UdpPacket.TryParse(bytes, out var packet));
        Assert.Equal(WireError.None, UdpRepr.Parse(packet, Pseudo(bytes.Length), out var repr));
        Assert.Equal(bytes.Length, repr.BufferLength);
        var emitted = new byte[repr.BufferLength];
        repr.Emit(emitted, packet.Payload, Pseudo(repr.BufferLength));
        Assert.Equal(bytes, emitted);
    }

    [Fact]
    public void HeaderThenFillChecksumMatchesFusedEmit()
    {
        var repr = new UdpRepr(42975, 33434, 14);
        var buffer = new byte[repr.BufferLength];
        repr.EmitHeader(buffer);
        Assert.Equal(HexBytes.Parse("a7df829a00160000"), buffer[..8]); // zero checksum until filled
        "wirestack udp\n"u8.CopyTo(buffer.AsSpan(8));
        UdpRepr.FillChecksum(buffer, Pseudo(repr.BufferLength));
        Assert.Equal(Datagram, buffer);
        // Filling again over a stale checksum gives the same answer.
        UdpRepr.FillChecksum(buffer, Pseudo(repr.BufferLength));
        Assert.Equal(Datagram, buffer);
    }

    [Fact]
    public void LinkAndIpPaddingPastTheLengthFieldIsTrimmed()
    {
        var padded = OddDatagram.Concat(new byte[] { 0, 0, 0, 0, 0 }).ToArray();
        Assert.Equal(WireError.None, UdpPacket.TryParse(padded, out var packet));
        Assert.Equal(11, packet.Buffer.Length);
        Assert.Equal("odd"u8.ToArray(), packet.Payload.ToArray());
        Assert.Equal(WireError.None, UdpRepr.Parse(packet, Pseudo(11), out var repr));
        Assert.Equal(3, repr.PayloadLength);
    }

    [Fact]
    public void ComputedZeroChecksumIsSentAsAllOnes()
    {
        // 10.0.0.1:1234 -> 10.0.0.2:5678 with payload d0d7: the pseudo-header, header and payload
        // sum to 0xFFFF (worked out by hand in Python), so the computed checksum is 0 and RFC 768
        // has it sent as 0xFFFF, which still verifies.
        var a = Ipv4Address.Parse("10.0.0.1");
        var b = Ipv4Address.Parse("10.0.0.2");
        uint pseudo = InternetChecksum.PseudoHeaderSum(a, b, IpProtocol.Udp, 10);
        var repr = new UdpRepr(1234, 5678, 2);
        var fused = new byte[10];
        repr.Emit(fused, HexBytes.Parse("d0d7"), pseudo);
        Assert.Equal(HexBytes.Parse("04d2 162e 000a ffff d0d7"), fused);

        var split = new byte[10];
        repr.EmitHeader(split);
        split[8] = 0xD0;
        split[9] = 0xD7;
        UdpRepr.FillChecksum(split, pseudo);
        Assert.Equal(fused, split);

        UdpPacket.TryParse(fused, out var packet);
        Assert.True(packet.HasChecksum);
        Assert.Equal(WireError.None, UdpRepr.Parse(packet, pseudo, out _, allowZeroChecksum: false));
    }

    [Fact]
    public void ZeroChecksumMeansNoneOverIpv4Only()
    {
        var bytes = (byte[])Datagram.Clone();
        bytes[6] = 0;
        bytes[7] = 0;
        UdpPacket.TryParse(bytes, out var packet);
        Assert.False(packet.HasChecksum);
        Assert.False(packet.VerifyChecksum(Pseudo(bytes.Length)));
        Assert.Equal(WireError.None, UdpRepr.Parse(packet, Pseudo(bytes.Length), out var repr));
        Assert.Equal(14, repr.PayloadLength);
        Assert.Equal(WireError.BadChecksum, UdpRepr.Parse(packet, Pseudo(bytes.Length), out _, allowZeroChecksum: false));

        // A header-only emit leaves the field zero: how a checksum-less datagram re-emits.
        var emitted = new byte[repr.BufferLength];
        repr.EmitHeader(emitted);
        packet.Payload.CopyTo(emitted.AsSpan(8));
        Assert.Equal(bytes, emitted);
    }

    [Fact]
    public void BadChecksumIsRejectedUnlessOffloaded()
    {
        var bytes = (byte[])Datagram.Clone();
        bytes[^1] ^= 0x20;
        UdpPacket.TryParse(bytes, out var packet);
        Assert.Equal(WireError.BadChecksum, UdpRepr.Parse(packet, Pseudo(bytes.Length), out _));
        Assert.Equal(WireError.None, UdpRepr.Parse(packet, Pseudo(bytes.Length), out _, verifyChecksum: false));
        // The right bytes with the wrong pseudo-header (another destination) fail too.
        UdpPacket.TryParse(Datagram, out var good);
        uint wrong = InternetChecksum.PseudoHeaderSum(Source, Ipv4Address.Parse("10.1.0.3"), IpProtocol.Udp, Datagram.Length);
        Assert.Equal(WireError.BadChecksum, UdpRepr.Parse(good, wrong, out _));
    }

    [Theory]
    [InlineData("", WireError.Truncated)]
    [InlineData("a7df 0009 000b 70", WireError.Truncated)]       // shorter than a header
    [InlineData("a7df 0009 0007 7086 6f6464", WireError.BadLength)] // length below 8
    [InlineData("a7df 0009 0000 7086 6f6464", WireError.BadLength)] // length 0
    [InlineData("a7df 0009 000c 7086 6f6464", WireError.Truncated)] // length one past the buffer
    [InlineData("a7df 0009 ffff 7086 6f6464", WireError.Truncated)]
    public void LyingLengthsAreRejected(string hex, WireError expected) =>
        Assert.Equal(expected, UdpPacket.TryParse(HexBytes.Parse(hex), out _));

    [Fact]
    public void EmitRejectsCallerBugs()
    {
        var repr = new UdpRepr(1, 2, 3);
        var ex = Assert.Throws<ArgumentException>(() => repr.Emit(new byte[11], "no"u8, 0));
        Assert.Contains("PayloadLength is 3", ex.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => repr.Emit(new byte[10], "odd"u8, 0));
        Assert.Throws<ArgumentException>(() => repr.EmitHeader(new byte[7]));
        repr.PayloadLength = UdpRepr.MaxPayloadLength + 1;
        Assert.Throws<ArgumentException>(() => repr.EmitHeader(new byte[8]));
        Assert.Throws<ArgumentException>(() => UdpRepr.FillChecksum(new byte[7], 0));
    }

    [Fact]
    public void LargeDatagramRoundTripsThroughVectorisedCopy()
    {
        var payload = new byte[1472];
        new Random(768).NextBytes(payload);
        var repr = new UdpRepr(5353, 5353, payload.Length);
        uint pseudo = Pseudo(repr.BufferLength);
        var fused = new byte[repr.BufferLength];
        repr.Emit(fused, payload, pseudo);
        Assert.Equal(WireError.None, UdpPacket.TryParse(fused, out var packet));
        Assert.True(packet.VerifyChecksum(pseudo));
        Assert.Equal(payload, packet.Payload.ToArray());

        var split = new byte[repr.BufferLength];
        repr.EmitHeader(split);
        payload.CopyTo(split, 8);
        UdpRepr.FillChecksum(split, pseudo);
        Assert.Equal(fused, split);
    }

    [Fact]
    public void MutatedDatagramsNeverThrowAndReEmitConsistently()
    {
        int parsed = 0;
        foreach (var bytes in Mutations.Of(Datagram, 20_000, 768))
        {
            if (Check(bytes)) parsed++;
        }
        Assert.InRange(parsed, 5_000, 19_900);
    }

    private static bool Check(byte[] bytes)
    {
        if (UdpPacket.TryParse(bytes, out var packet) != WireError.None) return false;
        _ = (packet.SourcePort, packet.DestinationPort, packet.Checksum, packet.HasChecksum, packet.Payload.Length);
        uint pseudo = Pseudo(packet.Length);
        // Checksums are checked on the way, but not required, so that mutations reach the repr.
        var verified = UdpRepr.Parse(packet, pseudo, out _);
        Assert.Equal(!packet.HasChecksum || packet.VerifyChecksum(pseudo) ? WireError.None : WireError.BadChecksum, verified);
        Assert.Equal(WireError.None, UdpRepr.Parse(packet, pseudo, out var repr, verifyChecksum: false));
        var emitted = new byte[repr.BufferLength];
        repr.Emit(emitted, packet.Payload, pseudo);
        Assert.Equal(WireError.None, UdpPacket.TryParse(emitted, out var again));
        Assert.True(again.VerifyChecksum(pseudo));
        Assert.Equal(WireError.None, UdpRepr.Parse(again, pseudo, out var reparsed));
        Assert.Equal(repr, reparsed);
        if (verified == WireError.None && packet.HasChecksum) Assert.Equal(packet.Buffer.ToArray(), emitted);
        return true;
    }
}
