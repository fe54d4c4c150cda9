using Wirestack.Storage;
using Wirestack.Wire;

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

    [Fact]
    public void ReceiveRingStagesTheSameBytesWriteWouldStoreAndSumsAllOfThem()
    {
        // Against a model: a stream read back in order must come out intact whatever was staged (good or corrupted)
        // at whatever offset, across the wrap, over held ranges, below the in-order end and beyond the window.
        var random = new Random(17);
        var stream = new byte[20_000];
        random.NextBytes(stream);
        var ring = new ReceiveRing(64, 4);
        long read = 0;
        var scratch = new byte[200];
        for (int step = 0; step < 20_000 && ring.InOrderEnd < stream.Length - 200; step++)
        {
            int op = random.Next(10);
            if (op < 2)
            {
                int n = ring.Read(scratch.AsSpan(0, random.Next(1, 80)));
                Assert.Equal(stream.AsSpan((int)read, n).ToArray(), scratch[..n]);
                read += n;
                continue;
            }
            int offset = random.Next(-30, ring.Window + 20);
            long absolute = ring.InOrderEnd + offset;
            if (absolute < 0) continue;
            var data = stream.AsSpan((int)absolute, random.Next(1, 90)).ToArray();
            if (op == 2)
            {
                // A corrupted copy, staged and then dropped.
                data[random.Next(data.Length)] ^= 0x40;
                Assert.Equal(InternetChecksum.Sum(data), ring.StageAndSum(offset, data, out _));
                continue;
            }
            long end = ring.InOrderEnd;
            bool staged = false;
            if (op < 8) Assert.Equal(InternetChecksum.Sum(data), ring.StageAndSum(offset, data, out staged));
            int advanced = ring.Write(offset, data, staged, out _);
            Assert.True(ring.InOrderEnd == end + advanced);
            Assert.True(ring.Readable <= ring.Capacity);
        }
        Assert.True(ring.InOrderEnd > 5_000);
        while (ring.Readable > 0)
        {
            int n = ring.Read(scratch);
            Assert.Equal(stream.AsSpan((int)read, n).ToArray(), scratch[..n]);
            read += n;
        }
    }

    [Fact]
    public void ReceiveRingStagingSumsAnOddSplitAcrossTheWrap()
    {
        var ring = new ReceiveRing(64, 4);
        var fill = new byte[61];
        Assert.Equal(61, ring.Write(0, fill, out _));
        Assert.Equal(61, ring.Read(new byte[64]));
        // The in-order end sits 3 bytes before the buffer's end: 3 bytes, then 40 from the start.
        var data = new byte[43];
        for (int i = 0; i < data.Length; i++) data[i] = (byte)(0xA0 + i);
        Assert.Equal(InternetChecksum.Sum(data), ring.StageAndSum(0, data, out bool staged));
        Assert.True(staged);
        Assert.Equal(43, ring.Write(0, data, staged: true, out _));
        var read = new byte[64];
        Assert.Equal(43, ring.Read(read));
        Assert.Equal(data, read[..43]);
    }
}
