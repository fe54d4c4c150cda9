using Wirestack.Wire;

namespace Wirestack.Tests.Wire;

public class EthernetTests
{
    private static readonly byte[] Untagged = HexBytes.Parse("ffffffffffff 020000000001 0806 aabb");
    private static readonly byte[] DoubleTagged = HexBytes.Parse("333300000001 020000000002 88a8 0064 8100 a00a 86dd 00");

    [Fact]
    public void ParsesHandCheckedUntaggedFrame()
    {
        Assert.Equal(WireError.None, EthernetFrame.TryParse(Untagged, out var frame));
        Assert.Equal(MacAddress.Broadcast, frame.Destination);
        Assert.Equal(MacAddress.Parse("02:00:00:00:00:01"), frame.Source);
        Assert.Equal(EtherType.Arp, frame.EtherType);
        Assert.Equal(14, frame.HeaderLength);
        Assert.Equal(new byte[] { 0xAA, 0xBB }, frame.Payload.ToArray());
    }

    [Fact]
    public void ParsesQinQTags()
    {
        Assert.Equal(WireError.None, EthernetFrame.TryParse(DoubleTagged, out var frame));
        Assert.Equal(2, frame.VlanTagCount);
        Assert.Equal(new VlanTag(100, 0, false, EtherType.ServiceVlan), frame.GetVlanTag(0));
        Assert.Equal(new VlanTag(10, 5, false), frame.GetVlanTag(1));
        Assert.Equal(EtherType.Ipv6, frame.EtherType);
        Assert.Equal(22, frame.HeaderLength);
    }

    [Theory]
    [InlineData("")]
    [InlineData("ffffffffffff020000000001")]
    [InlineData("ffffffffffff020000000001 8100 0001")]
    [InlineData("ffffffffffff020000000001 8100 0001 81")]
    public void TruncatedFramesAreRejected(string hex) =>
        Assert.Equal(WireError.Truncated, EthernetFrame.TryParse(HexBytes.Parse(hex), out _));

    [Fact]
    public void ThreeTagsAreTooMany() =>
        Assert.Equal(WireError.TooManyVlanTags, EthernetFrame.TryParse(HexBytes.Parse("ffffffffffff020000000001 8100 0001 8100 0002 8100 0003 0800"), out _));

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void EmitRoundTrips(bool tagged)
    {
        var bytes = tagged ? DoubleTagged : Untagged;
        EthernetFrame.TryParse(bytes, out var frame);
        EthernetRepr.Parse(frame, out var repr);
        var emitted = new byte[repr.HeaderLength];
        repr.Emit(emitted);
        Assert.Equal(bytes.AsSpan(0, repr.HeaderLength).ToArray(), emitted);
    }

    [Fact]
    public void EmitIntoShortBufferSaysHowToFix()
    {
        var repr = new EthernetRepr { EtherType = EtherType.Ipv4 };
        var ex = Assert.Throws<ArgumentException>(() => repr.Emit(new byte[13]));
        Assert.Contains("needs 14", ex.Message, StringComparison.Ordinal);
    }
}
