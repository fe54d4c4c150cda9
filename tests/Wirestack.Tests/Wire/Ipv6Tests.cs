using Wirestack.Wire;

namespace Wirestack.Tests.Wire;

public class Ipv6Tests
{
    [Fact]
    public void ParsesLinuxHeaderWithTrafficClassAndFlowLabel()
    {
        var bytes = HexBytes.Parse(Ipv6Vectors.EchoRequestWithFlowLabel);
        Assert.Equal(WireError.None, Ipv6Packet.TryParse(bytes, out var packet));
        Assert.Equal(6, packet.Version);
        Assert.Equal(0xB9, packet.TrafficClass);
        Assert.Equal(46, packet.Dscp);
        Assert.Equal(1, packet.Ecn);
        Assert.Equal(0x12345u, packet.FlowLabel);
        Assert.Equal(64, packet.PayloadLength);
        Assert.Equal(IpProtocol.Icmpv6, packet.NextHeader);
        Assert.Equal(64, packet.HopLimit);
        Assert.Equal(Ipv6Vectors.HostA, packet.Source);
        Assert.Equal(Ipv6Vectors.Router1, packet.Destination);
        Assert.Equal(64, packet.Payload.Length);

        Assert.Equal(WireError.None, Ipv6Repr.Parse(packet, out var repr));
        Assert.Equal((46, 1, 0x12345u, 64, IpProtocol.Icmpv6, (byte)64), (repr.Dscp, repr.Ecn, repr.FlowLabel, repr.PayloadLength, repr.NextHeader, repr.HopLimit));
        var again = new byte[repr.HeaderLength];
        repr.Emit(again);
        Assert.Equal(bytes[..40], again);
        Assert.Equal(bytes.Length, repr.TotalLength);
    }

    [Fact]
    public void LinkPaddingIsTrimmed()
    {
        // A 16-byte router solicitation is 56 bytes of IPv6; pad it as a link might.
        var bytes = new byte[80];
        HexBytes.Parse(Ipv6Vectors.RouterSolicitation).CopyTo(bytes, 0);
        bytes.AsSpan(56).Fill(0xEE);
        Assert.Equal(WireError.None, Ipv6Packet.TryParse(bytes, out var packet));
        Assert.Equal(56, packet.Buffer.Length);
        Assert.Equal(16, packet.Payload.Length);
    }

    [Theory]
    [InlineData("6000000000003a40", WireError.Truncated)] // shorter than 40 bytes
    [InlineData("4000000000003a4020010db800010000000000000000000a20010db800010000000000000000000a", WireError.BadVersion)]
    [InlineData("6000000000013a4020010db800010000000000000000000a20010db800010000000000000000000a", WireError.Truncated)] // payload past the buffer
    [InlineData("600000000000004020010db800010000000000000000000a20010db800010000000000000000000a", WireError.Unsupported)] // jumbogram
    [InlineData("6000000000003b4020010db800010000000000000000000a20010db800010000000000000000000a", WireError.None)] // empty, no next header
    public void HeadersAreChecked(string hex, WireError expected) =>
        Assert.Equal(expected, Ipv6Packet.TryParse(HexBytes.Parse(hex), out _));

    [Fact]
    public void PseudoHeaderSumMatchesReference()
    {
        var (ip, _, upper, message) = Ipv6TestPackets.Split(Ipv6Vectors.EchoRequest);
        // With the checksum field zeroed the sums are not all ones, so agreeing means something.
        var zeroed = (byte[])message.Clone();
        zeroed[2] = zeroed[3] = 0;
        Assert.Equal(ReferenceChecksum.Sum(ip.Source, ip.Destination, (byte)upper, zeroed), InternetChecksum.Sum(zeroed, ip.PseudoHeaderSum()));
        // And with the captured checksum the pseudo-header plus the message sums to all ones.
        Assert.True(ReferenceChecksum.IsValid(ip.Source, ip.Destination, (byte)upper, message));
        Assert.True(InternetChecksum.IsValid(message, ip.PseudoHeaderSum()));
        Assert.True(InternetChecksum.IsValid(message, ip.PseudoHeaderSum(IpProtocol.Icmpv6, message.Length)));
    }

    [Fact]
    public void EmitRejectsFieldsThatDoNotFit()
    {
        var repr = new Ipv6Repr(Ipv6Vectors.HostA, Ipv6Vectors.HostC, IpProtocol.Udp, 8);
        var buffer = new byte[40];
        Assert.Throws<ArgumentException>(() => (repr with { FlowLabel = 0x10_0000 }).Emit(buffer));
        Assert.Throws<ArgumentException>(() => (repr with { PayloadLength = 65536 }).Emit(buffer));
        Assert.Throws<ArgumentException>(() => (repr with { Dscp = 64 }).Emit(buffer));
        Assert.Throws<ArgumentException>(() => repr.Emit(new byte[39]));
        repr.Emit(buffer);
        Assert.Equal("6000000000081140", Convert.ToHexStringLower(buffer, 0, 8));
    }
}
