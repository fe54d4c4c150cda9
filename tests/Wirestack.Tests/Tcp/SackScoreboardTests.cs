using Wirestack.Tcp;
using Wirestack.Wire;

namespace Wirestack.Tests.Tcp;

public class SackScoreboardTests
{
    private const int Mss = 100;

    private static TcpSeqNumber S(uint value) => new(value);

    private static TcpSackBlock B(TcpSeqNumber left, int from, int to) => new(left + from, left + to);

    [Fact]
    public void SingleLossIsDetectedAfterThreeSegmentsAreSacked()
    {
        var una = S(1000);
        var nxt = una + 10 * Mss;
        var board = new SackScoreboard(8);
        board.Reset(una);

        board.Update(una, [B(una, 100, 200)], nxt);
        Assert.False(board.IsLost(una, Mss));
        board.Update(una, [B(una, 100, 300)], nxt);
        Assert.False(board.IsLost(una, Mss)); // exactly 2·SMSS is not more than (DupThresh − 1)·SMSS
        Assert.False(board.TryNextSegment(una, nxt, una, Mss, canSendNewData: false, out _, out _) && board.IsLost(una, Mss));
        board.Update(una, [B(una, 100, 400)], nxt);
        Assert.True(board.IsLost(una, Mss));
        Assert.True(board.IsSacked(una + 100) && board.IsSacked(una + 399) && !board.IsSacked(una + 400) && !board.IsSacked(una + 99));
        Assert.Equal(300, board.SackedBytes);
        Assert.Equal(una + 400, board.HighestSacked);

        Assert.True(board.TryNextSegment(una, nxt, una, Mss, out var start, out int length));
        Assert.Equal((una, Mss), (start, length));
        // The lost segment is out of the pipe, the unSACKed tail is in it.
        Assert.Equal(600, board.Pipe(una, nxt, una, Mss));
        // Once retransmitted, its copy is in the pipe, and nothing more is due by rules 1 and 3.
        var highRxt = una + Mss;
        Assert.Equal(700, board.Pipe(una, nxt, highRxt, Mss));
        Assert.False(board.TryNextSegment(una, nxt, highRxt, Mss, out _, out _));
        Assert.True(board.TryNextSegment(una, nxt, highRxt, Mss, canSendNewData: true, out start, out length));
        Assert.Equal((nxt, Mss), (start, length)); // rule 2: new data

        // The retransmission arrives: the cumulative ACK jumps over the SACKed bytes.
        board.Update(una + 400, [], nxt);
        Assert.Equal(0, board.Count);
        Assert.Equal(0, board.SackedBytes);
        Assert.Equal(una + 400, board.HighestSacked);
    }

    [Fact]
    public void MultipleHolesAcrossTheSequenceWrap()
    {
        var una = S(0xFFFF_FF00); // the segments wrap past zero
        var nxt = una + 10 * Mss;
        var board = new SackScoreboard(8);
        board.Reset(una);
        // Segments 0, 2 and 4 lost; 1, 3, 5..9 arrive, reported most recent first.
        board.Update(una, [B(una, 500, 1000), B(una, 300, 400), B(una, 100, 200)], nxt);
        Assert.Equal(3, board.Count);
        Assert.Equal(700, board.SackedBytes);
        Assert.Equal(nxt, board.HighestSacked);
        Assert.True(board.IsLost(una, Mss));
        Assert.True(board.IsLost(una + 200, Mss));
        Assert.True(board.IsLost(una + 400, Mss));   // 500 bytes SACKed above

        // NextSeg walks the holes in order as HighRxt advances.
        var highRxt = una;
        var sent = new List<int>();
        while (board.TryNextSegment(una, nxt, highRxt, Mss, out var start, out int length))
        {
            sent.Add(start - una);
            Assert.Equal(Mss, length);
            highRxt = start + length;
        }
        Assert.Equal([0, 200, 400], sent);
        Assert.Equal(300, board.Pipe(una, nxt, highRxt, Mss)); // the three retransmissions

        // The first retransmission arrives: the ACK moves to the second hole, across the wrap.
        board.Update(una + 200, [B(una, 500, 1000), B(una, 300, 400)], nxt);
        Assert.Equal(2, board.Count);
        Assert.Equal(600, board.SackedBytes);
        Assert.True(board.IsLost(una + 200, Mss));
    }

    [Fact]
    public void LossDetectionByRangeCount()
    {
        var una = S(5000);
        var nxt = una + 20 * Mss;
        var board = new SackScoreboard(8);
        board.Reset(una);
        // Three small, discontiguous ranges (1 byte each) above the first hole: DupThresh ranges.
        board.Update(una, [B(una, 100, 101), B(una, 300, 301), B(una, 500, 501)], nxt);
        Assert.True(board.IsLost(una, Mss));
        Assert.True(board.IsLost(una + 99, Mss));
        Assert.False(board.IsLost(una + 101, Mss)); // two ranges above
    }

    [Fact]
    public void InvalidAndDuplicateBlocksAreIgnored()
    {
        var una = S(1000);
        var nxt = una + 10 * Mss;
        var board = new SackScoreboard(8);
        board.Reset(una);
        board.Update(una, [new TcpSackBlock(una - 200, una - 100)], nxt);      // D-SACK below the ACK
        board.Update(una, [new TcpSackBlock(una + 900, una + 1100)], nxt);     // beyond SND.NXT
        board.Update(una, [new TcpSackBlock(una + 300, una + 200)], nxt);      // inverted
        board.Update(una, [new TcpSackBlock(una + 300, una + 300)], nxt);      // empty
        Assert.Equal(0, board.Count);
        board.Update(una, [new TcpSackBlock(una - 50, una + 100)], nxt);       // straddles the ACK: the part above counts
        Assert.Equal(1, board.Count);
        Assert.Equal(new TcpSackBlock(una, una + 100), board.Ranges[0]);
        board.Update(una, [B(una, 400, 500), B(una, 400, 500), B(una, 420, 480)], nxt); // D-SACK inside a block
        Assert.Equal(2, board.Count);
        Assert.Equal(200, board.SackedBytes);
        // A stale cumulative ACK moves nothing.
        board.Update(una - 100, [], nxt);
        Assert.Equal(200, board.SackedBytes);
    }

    [Fact]
    public void BlocksMergeWhenTheyTouchOrOverlap()
    {
        var una = S(0);
        var nxt = una + 100 * Mss;
        var board = new SackScoreboard(8);
        board.Reset(una);
        board.Update(una, [B(una, 100, 200), B(una, 300, 400), B(una, 500, 600)], nxt);
        Assert.Equal(3, board.Count);
        board.Update(una, [B(una, 200, 300)], nxt); // adjacent on both sides
        Assert.Equal(2, board.Count);
        Assert.Equal(B(una, 100, 400), board.Ranges[0]);
        board.Update(una, [B(una, 50, 700)], nxt);   // swallows everything
        Assert.Equal(1, board.Count);
        Assert.Equal(650, board.SackedBytes);
        board.Update(una + 150, [], nxt);            // the ACK lands inside the range: trimmed
        Assert.Equal(B(una, 150, 700), board.Ranges[0]);
        Assert.Equal(550, board.SackedBytes);
    }

    [Fact]
    public void WhenFullTheHighestRangesAreForgotten()
    {
        var una = S(0);
        var nxt = una + 100 * Mss;
        var board = new SackScoreboard(4);
        board.Reset(una);
        board.Update(una, [B(una, 900, 1000), B(una, 700, 800), B(una, 500, 600), B(una, 300, 400)], nxt);
        Assert.Equal(4, board.Count);
        board.Update(una, [B(una, 1100, 1200)], nxt); // the new highest does not fit: forgotten
        Assert.Equal(una + 1000, board.HighestSacked);
        board.Update(una, [B(una, 100, 200)], nxt);   // a low one does: the highest gives way
        Assert.Equal(4, board.Count);
        Assert.Equal(una + 800, board.HighestSacked);
        Assert.Equal(400, board.SackedBytes);
        Assert.Equal([B(una, 100, 200), B(una, 300, 400), B(una, 500, 600), B(una, 700, 800)], board.Ranges.ToArray());
        // Forgotten bytes are simply not SACKed: a retransmission candidate, never a stall.
        Assert.False(board.IsSacked(una + 950));
    }

    [Fact]
    public void PipeAndNextSegmentAgreeWithTheRfcsPerByteDefinitions()
    {
        var random = new Random(6675);
        for (int trial = 0; trial < 300; trial++)
        {
            var una = new TcpSeqNumber((uint)random.NextInt64(0, 1L << 32));
            int sent = random.Next(1, 40) * Mss;
            var nxt = una + sent;
            var board = new SackScoreboard(16);
            board.Reset(una);
            var blocks = new TcpSackBlock[random.Next(0, 8)];
            for (int b = 0; b < blocks.Length; b++)
            {
                int from = random.Next(0, sent);
                blocks[b] = new TcpSackBlock(una + from, una + Math.Min(sent, from + random.Next(1, 4 * Mss)));
            }
            for (int b = 0; b < blocks.Length; b += 4) board.Update(una, blocks.AsSpan(b, Math.Min(4, blocks.Length - b)), nxt);
            var highRxt = una + random.Next(0, sent / 2);

            long pipe = 0;
            int? rule1 = null, rule3 = null;
            var highest = board.HighestSacked;
            for (int off = 0; off < sent; off++)
            {
                var s = una + off;
                bool sacked = false;
                foreach (var block in blocks) sacked |= s >= block.Left && s < block.Right;
                Assert.Equal(sacked, board.IsSacked(s));
                if (sacked) continue;
                bool lost = board.IsLost(s, Mss);
                if (!lost) pipe++;
                if (s < highRxt) pipe++;
                if (s >= highRxt && s < highest)
                {
                    if (lost) rule1 ??= off;
                    rule3 ??= off;
                }
            }
            Assert.Equal(pipe, board.Pipe(una, nxt, highRxt, Mss));
            bool found = board.TryNextSegment(una, nxt, highRxt, Mss, out var start, out int length);
            int? expected = rule1 ?? rule3;
            Assert.Equal(expected.HasValue, found);
            if (found)
            {
                Assert.Equal(expected!.Value, start - una);
                Assert.InRange(length, 1, Mss);
                for (int k = 0; k < length; k++) Assert.False(board.IsSacked(start + k));
            }
        }
    }

    [Fact]
    public void RandomUpdatesKeepTheRangesSortedDisjointAndCounted()
    {
        var random = new Random(2018);
        var una = S(0xFFFF_0000);
        var nxt = una + 200 * Mss;
        var board = new SackScoreboard(6);
        board.Reset(una);
        var storage = new TcpSackBlock[4];
        for (int step = 0; step < 5000; step++)
        {
            if (random.Next(10) == 0)
            {
                int acked = random.Next(0, 20 * Mss);
                una += acked;
                nxt += acked + random.Next(0, 5 * Mss);
            }
            var blocks = storage.AsSpan(0, random.Next(0, 5));
            for (int b = 0; b < blocks.Length; b++)
            {
                int from = random.Next(-5 * Mss, nxt - una + 5 * Mss);
                blocks[b] = new TcpSackBlock(una + from, una + from + random.Next(-Mss, 5 * Mss));
            }
            board.Update(una, blocks, nxt);
            long sum = 0;
            for (int r = 0; r < board.Count; r++)
            {
                var range = board.Ranges[r];
                Assert.True(range.Left >= una && range.Left < range.Right && range.Right <= nxt);
                if (r > 0) Assert.True(range.Left > board.Ranges[r - 1].Right, "ranges are disjoint and not adjacent");
                sum += range.Right - range.Left;
            }
            Assert.Equal(sum, board.SackedBytes);
        }
    }

    [Fact]
    public void RescueRetransmissionResendsTheTailOncePerRecovery()
    {
        var una = S(0xFFFF_FFF0);
        var nxt = una + 10 * Mss;
        var board = new SackScoreboard(8);
        board.Reset(una);
        // Segments 0 and 9 lost; 1..8 SACKed. Segment 0 was retransmitted on entering recovery.
        board.Update(una, [B(una, 100, 900)], nxt);
        var rescueRxt = una + Mss;
        var recoveryPoint = nxt;
        Assert.False(board.TryRescueSegment(una, nxt, Mss, ref rescueRxt, recoveryPoint, out _, out _)); // the ACK hasn't moved yet

        // The retransmission of segment 0 arrives: the ACK jumps to 900; segment 9, the tail, is still missing and
        // nothing SACKed lies above it, so rules 1 to 3 have nothing.
        una += 900;
        board.Update(una, [], nxt);
        Assert.False(board.TryNextSegment(una, nxt, una, Mss, out _, out _));
        Assert.True(board.TryRescueSegment(una, nxt, Mss, ref rescueRxt, recoveryPoint, out var start, out int length));
        Assert.Equal((una, Mss), (start, length));
        Assert.Equal(recoveryPoint, rescueRxt);
        Assert.False(board.TryRescueSegment(una, nxt, Mss, ref rescueRxt, recoveryPoint, out _, out _)); // once only

        // With a SACKed block at the very top, the rescue takes the end of the hole below it.
        var board2 = new SackScoreboard(8);
        var una2 = S(0);
        var nxt2 = una2 + 10 * Mss;
        board2.Reset(una2);
        board2.Update(una2, [B(una2, 950, 1000)], nxt2);
        var rescue2 = una2 - 1;
        Assert.True(board2.TryRescueSegment(una2, nxt2, Mss, ref rescue2, nxt2, out start, out length));
        Assert.Equal((una2 + 850, Mss), (start, length));
    }

    [Fact]
    public void UpdatingAllocatesNothing()
    {
        var board = new SackScoreboard(32);
        var una = S(0);
        board.Reset(una);
        var blocks = new TcpSackBlocks(B(una, 300, 400), B(una, 100, 200), B(una, 500, 600));
        uint round = 0;
        long bytes = Testing.AllocationMeter.Measure(() =>
        {
            var base_ = una + (int)(round++ * 1000);
            var nxt = base_ + 1000;
            board.Update(base_, blocks.AsSpan(), nxt);
            board.Update(base_, [new TcpSackBlock(base_ + 700, base_ + 800)], nxt);
            _ = board.Pipe(base_, nxt, base_, Mss);
            _ = board.TryNextSegment(base_, nxt, base_, Mss, out _, out _);
            board.Reset(nxt);
        });
        Assert.Equal(0, bytes);
    }
}
