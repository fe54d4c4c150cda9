using Wirestack.Storage;

namespace Wirestack.Tests.Storage;

public sealed class RingTests
{
    [Fact]
    public void SendRingReadsAnyRangeAcrossTheWrap()
    {
        var ring = new SendRing(1000);
        Assert.Equal(1024, ring.Capacity);
        var data = new byte[1024];
        for (int i = 0; i < data.Length; i++) data[i] = (byte)i;
        Assert.Equal(1000, ring.Write(data.AsSpan(0, 1000)));
        ring.Consume(900);
        Assert.Equal(924, ring.Write(data));
        Assert.Equal(0, ring.Write(data));
        // 100 old bytes (900..999) then 924 new ones, the range wrapping the buffer's end.
        ring.Read(50, 200, out var first, out var second);
        var joined = first.ToArray().Concat(second.ToArray()).ToArray();
        Assert.Equal(200, joined.Length);
        Assert.Equal(data.AsSpan(950, 50).ToArray(), joined[..50]);
        Assert.Equal(data.AsSpan(0, 150).ToArray(), joined[50..]);
        Assert.Throws<ArgumentOutOfRangeException>(() => ring.Read(1000, 25, out _, out _));
    }

    [Fact]
    public void OutOfOrderRangesMergeAndReportMostRecentFirst()
    {
        var ranges = new OutOfOrderRanges(3);
        Assert.True(ranges.Add(100, 200));
        Assert.True(ranges.Add(300, 400));
        Assert.True(ranges.Add(500, 600));
        Assert.False(ranges.Add(700, 800));
        Assert.True(ranges.Add(200, 300)); // joins the first two
        Assert.Equal(2, ranges.Count);
        Assert.Equal((100L, 400L), ranges[0]);
        Span<(long, long)> recent = stackalloc (long, long)[4];
        Assert.Equal(2, ranges.GetMostRecent(recent));
        Assert.Equal((100L, 400L), recent[0]);
        Assert.Equal((500L, 600L), recent[1]);
        Assert.Equal(50, ranges.AdvanceTo(50));
        Assert.Equal(400, ranges.AdvanceTo(100));
        Assert.Equal(1, ranges.Count);
    }

    [Fact]
    public void ReceiveRingFillsTheGapWithoutAnotherCopy()
    {
        var ring = new ReceiveRing(64, 4);
        var data = new byte[80];
        for (int i = 0; i < data.Length; i++) data[i] = (byte)(i + 1);
        Assert.Equal(0, ring.Write(20, data.AsSpan(20, 20), out bool stored));
        Assert.True(stored);
        Assert.Equal(0, ring.Readable);
        Assert.Equal(64, ring.Window);
        Assert.Equal(40, ring.Write(0, data.AsSpan(0, 20), out _));
        Assert.Equal(24, ring.Window);
        // Data beyond the window is cut to it; data before the in-order end is trimmed.
        Assert.Equal(24, ring.Write(-5, data.AsSpan(35), out _));
        var read = new byte[64];
        Assert.Equal(64, ring.Read(read));
        Assert.Equal(data[..64], read);
        Assert.Equal(64, ring.Window);
    }
}
