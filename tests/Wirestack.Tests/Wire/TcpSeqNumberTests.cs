using Wirestack.Wire;

namespace Wirestack.Tests.Wire;

public class TcpSeqNumberTests
{
    [Fact]
    public void ComparesAcrossTheWrap()
    {
        var before = new TcpSeqNumber(0xFFFF_FFF0);
        var after = before + 0x20;
        Assert.Equal(0x10u, after.Value);
        Assert.True(before < after);
        Assert.True(after > before);
        Assert.True(before <= after && after >= before);
        Assert.False(before > after);
        Assert.Equal(0x20, after - before);
        Assert.Equal(-0x20, before - after);
        Assert.Equal(before, after - 0x20);
        Assert.Equal(after, TcpSeqNumber.Max(before, after));
        Assert.Equal(before, TcpSeqNumber.Min(after, before));
    }

    [Fact]
    public void OrderHoldsUpToHalfTheSpace()
    {
        var a = new TcpSeqNumber(123);
        Assert.True(a + int.MaxValue > a);
        Assert.True(a + int.MaxValue + 1 < a); // 2^31 ahead reads as behind: the window rule keeps TCP away from here
        Assert.True(a + (-5) < a);
        var same = new TcpSeqNumber(123);
        Assert.True(a <= same && a >= same && !(a < same) && !(a > same));
    }

    [Fact]
    public void EqualityAndText()
    {
        Assert.Equal(new TcpSeqNumber(5), new TcpSeqNumber(5));
        Assert.True(new TcpSeqNumber(5) != new TcpSeqNumber(6));
        Assert.Equal("4294967295", new TcpSeqNumber(uint.MaxValue).ToString());
    }
}
