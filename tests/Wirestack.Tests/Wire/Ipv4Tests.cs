using Wirestack.Wire;

namespace Wirestack.Tests.Wire;

public class Ipv4Tests
{
    // 192.168.0.1 -> 192.168.0.199, UDP, DF, TTL 64, 0x73 bytes: a header whose checksum (b861) is well known.
    private static byte[] Packet()
    {
        var bytes = new byte[0x73];
        HexBytes.Parse("45000073000040004011b861c0a80001c0a800c7").CopyTo(bytes, 0);
        return bytes;
    }

    [Fact]
    public void ParsesHandCheckedHeader()
    {
        Assert.Equal(WireError.None, Ipv4Packet.TryParse(Packet(), out var packet));
        Assert.Equal(WireError.None, Ipv4Repr.Parse(packet, out var repr));
        Assert.Equal(Ipv4Address.Parse("192.168.0.1"), repr.Source);
        Assert.Equal(Ipv4Address.Parse("192.168.0.199"), repr.Destination);
        Assert.Equal(IpProtocol.Udp, repr.Protocol);
        Assert.Equal(0x73 - 20, repr.PayloadLength);
        Assert.True(repr.DontFragment);
        Assert.False(repr.MoreFragments);
        Assert.Equal(64, repr.TimeToLive);
    }

    [Fact]
    public void LinkPaddingIsTrimmed()
    {
        var padded = new byte[0x73 + 10];
        Packet().CopyTo(padded, 0);
        Ipv4Packet.TryParse(padded, out var packet);
        Assert.Equal(0x73, packet.Buffer.Length);
        Assert.Equal(0x73 - 20, packet.Payload.Length);
    }

    [Fact]
    public void OptionsAndFragmentFieldsRoundTrip()
    {
        var repr = new Ipv4Repr(Ipv4Address.Parse("10.0.0.1"), Ipv4Address.Parse("224.0.0.22"), IpProtocol.Igmp, 8, 1)
        {
            Options = Ipv4Options.FromBytes(HexBytes.Parse("94040000")), // router alert
            MoreFragments = true,
            FragmentOffset = 1480,
            Identification = 0xBEEF,
            Dscp = 46,
            Ecn = 1,
        };
        var bytes = new byte[repr.TotalLength];
        repr.Emit(bytes);
        Assert.Equal(0x46, bytes[0]);
        Assert.Equal(WireError.None, Ipv4Packet.TryParse(bytes, out var packet));
        Assert.Equal(WireError.None, Ipv4Repr.Parse(packet, out var parsed));
        Assert.Equal(repr.Options.Bytes.ToArray(), parsed.Options.Bytes.ToArray());
        Assert.Equal((repr.FragmentOffset, repr.MoreFragments, repr.Identification, repr.Dscp, repr.Ecn, repr.TimeToLive),
            (parsed.FragmentOffset, parsed.MoreFragments, parsed.Identification, parsed.Dscp, parsed.Ecn, parsed.TimeToLive));
        var again = new byte[parsed.TotalLength];
        parsed.Emit(again);
        Assert.Equal(bytes, again);
    }

    [Theory]
    [InlineData("4500007300004000401100", WireError.Truncated)]               // shorter than 20 bytes
    [InlineData("65000014000040004011b861c0a80001c0a800c7", WireError.BadVersion)]
    [InlineData("44000014000040004011b861c0a80001c0a800c7", WireError.BadHeaderLength)] // IHL 4
    [InlineData("46000018000040004011b861c0a80001c0a800c7", WireError.Truncated)]        // options past the buffer
    [InlineData("45000013000040004011b861c0a80001c0a800c7", WireError.BadLength)]        // total < header
    [InlineData("45000015000040004011b861c0a80001c0a800c7", WireError.Truncated)]        // total > buffer
    public void BadHeadersAreRejected(string hex, WireError expected) =>
        Assert.Equal(expected, Ipv4Packet.TryParse(HexBytes.Parse(hex), out _));

    [Fact]
    public void BadChecksumIsRejectedUnlessOffloaded()
    {
        var bytes = Packet();
        bytes[11] ^= 1;
        Ipv4Packet.TryParse(bytes, out var packet);
        Assert.Equal(WireError.BadChecksum, Ipv4Repr.Parse(packet, out _));
        Assert.Equal(WireError.None, Ipv4Repr.Parse(packet, out _, verifyChecksum: false));
    }
}
