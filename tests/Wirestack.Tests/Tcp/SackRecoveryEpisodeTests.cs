using Wirestack.Tcp;
using Wirestack.Wire;

namespace Wirestack.Tests.Tcp;

/// <summary>
/// A loss-recovery episode driven the way the control block is meant to drive the parts (RFC 6675 section 5):
/// the scoreboard detects the loss, the controller sets the window, the pipe decides how much goes out.
/// </summary>
public class SackRecoveryEpisodeTests
{
    private const int Mss = 1000;

    [Theory]
    [InlineData(CongestionControlAlgorithm.NewReno, 10)]
    [InlineData(CongestionControlAlgorithm.Cubic, 14)]
    public void OneLostSegmentIsRepairedWhileNewDataKeepsFlowing(CongestionControlAlgorithm algorithm, int ssthreshSegments)
    {
        var cc = CongestionControl.Create(algorithm, Mss);
        // Slow start from 10 to 20 segments, then a loss with the full window out.
        while (cc.CongestionWindow < 20 * Mss) cc.OnAck(Mss, cc.CongestionWindow, TimeSpan.Zero, Instant.Zero);
        Assert.Equal(20 * Mss, cc.CongestionWindow);

        var una = new TcpSeqNumber(0xFFFF_FC00); // across the wrap, for good measure
        var nxt = una + 20 * Mss;                 // a full window out; segment 0 is lost
        var highRxt = una;
        var board = new SackScoreboard(16);
        board.Reset(una);
        bool inRecovery = false;
        var recoveryPoint = una;
        var sentLog = new List<int>();

        // ACKs for segments 1..19 arrive, each SACKing what has arrived so far.
        for (int arrived = 1; arrived < 20; arrived++)
        {
            board.Update(una, [new TcpSackBlock(una + Mss, una + (arrived + 1) * Mss)], nxt);
            if (!inRecovery && board.IsLost(una, Mss))
            {
                inRecovery = true;
                recoveryPoint = nxt;
                cc.OnFastRetransmit(nxt - una, Instant.Zero);
                // Entering recovery retransmits the first lost segment whatever the pipe (RFC 6675 section 5, step 4.3).
                Assert.True(board.TryNextSegment(una, nxt, highRxt, Mss, out var first, out int firstLength));
                sentLog.Add(first - una);
                highRxt = first + firstLength;
                continue;
            }
            if (!inRecovery) continue;
            // Send while the pipe leaves room for a segment (RFC 6675 section 5, step C).
            while (cc.CongestionWindow - board.Pipe(una, nxt, highRxt, Mss) >= Mss
                   && board.TryNextSegment(una, nxt, highRxt, Mss, canSendNewData: true, out var start, out int length))
            {
                sentLog.Add(start - una);
                if (start == nxt) nxt += length;            // rule 2: new data
                else highRxt = TcpSeqNumber.Max(highRxt, start + length);
            }
        }

        Assert.True(inRecovery);
        Assert.Equal(ssthreshSegments * Mss, cc.SlowStartThreshold);
        Assert.Equal(0, sentLog[0]);                        // the lost segment goes first
        Assert.Single(sentLog, offset => offset == 0);      // and only once
        // Loss detected at the 3rd SACK: segments 4..19 and the retransmission, 17, are in the pipe. Each of the
        // 16 later ACKs takes one out; once the pipe is below cwnd, one new segment goes per ACK, so recovery ends
        // with the pipe at cwnd: ssthresh − 1 new segments besides the retransmission.
        Assert.Equal(ssthreshSegments - 1, sentLog.Count - 1);
        Assert.Equal(cc.CongestionWindow, board.Pipe(una, nxt, highRxt, Mss));

        // The retransmission arrives: a full ACK up to the recovery point ends recovery.
        una = recoveryPoint;
        board.Update(una, [], nxt);
        cc.OnRecoveryExit(Instant.Zero);
        Assert.Equal(ssthreshSegments * Mss, cc.CongestionWindow);
        Assert.Equal(0, board.SackedBytes);
    }
}
