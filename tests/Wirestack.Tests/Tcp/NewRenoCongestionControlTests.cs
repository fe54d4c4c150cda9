using Wirestack.Tcp;

namespace Wirestack.Tests.Tcp;

public class NewRenoCongestionControlTests
{
    private const int Mss = 1460;
    private static readonly TimeSpan Rtt = TimeSpan.FromMilliseconds(10);

    [Theory]
    [InlineData(1460, 14600)]
    [InlineData(536, 5360)]
    [InlineData(8960, 17920)]  // max(2·mss, 14600) caps at 2 segments
    [InlineData(4000, 14600)]
    public void InitialWindowFollowsRfc6928(int mss, int expected)
    {
        Assert.Equal(expected, CongestionControl.InitialWindow(mss));
        var cc = CongestionControl.Create(CongestionControlAlgorithm.NewReno, mss);
        Assert.Equal(expected, cc.CongestionWindow);
        Assert.Equal(int.MaxValue, cc.SlowStartThreshold);
    }

    [Fact]
    public void ASpuriousFastRetransmitIsUndoneOnceAndNotAfterATimeout()
    {
        var cc = new NewRenoCongestionControl(Mss);
        for (int i = 0; i < 40; i++) cc.OnAck(Mss, cc.CongestionWindow, Rtt, Instant.Zero);
        int cwnd = cc.CongestionWindow, ssthresh = cc.SlowStartThreshold;
        cc.OnFastRetransmit(cwnd, Instant.Zero);
        Assert.Equal(cwnd / 2, cc.CongestionWindow);
        cc.OnSpuriousFastRetransmit(Instant.Zero);
        Assert.Equal(cwnd, cc.CongestionWindow);
        Assert.Equal(ssthresh, cc.SlowStartThreshold);
        cc.OnFastRetransmit(cwnd, Instant.Zero);
        cc.OnRetransmitTimeout(cwnd, Instant.Zero);
        cc.OnSpuriousFastRetransmit(Instant.Zero);
        Assert.Equal(Mss, cc.CongestionWindow);
    }

    [Fact]
    public void SlowStartCountsBytesUpToTwoSegmentsPerAck()
    {
        var cc = new NewRenoCongestionControl(Mss);
        int cwnd = cc.CongestionWindow;
        cc.OnAck(Mss, cwnd - Mss, Rtt, Instant.Zero);
        Assert.Equal(cwnd + Mss, cc.CongestionWindow);
        cc.OnAck(5 * Mss, cwnd, Rtt, Instant.Zero); // a stretch ACK earns at most L = 2·SMSS
        Assert.Equal(cwnd + 3 * Mss, cc.CongestionWindow);
        cc.OnAck(100, cwnd, Rtt, Instant.Zero);     // a partial segment earns its bytes
        Assert.Equal(cwnd + 3 * Mss + 100, cc.CongestionWindow);
    }

    [Fact]
    public void SlowStartDoublesPerRoundTrip()
    {
        var cc = new NewRenoCongestionControl(Mss);
        int start = cc.CongestionWindow;
        AckOneWindow(cc, delayedAck: false);
        Assert.Equal(2 * start, cc.CongestionWindow);
    }

    [Fact]
    public void CongestionAvoidanceAddsOneSegmentPerWindow()
    {
        var cc = new NewRenoCongestionControl(Mss);
        cc.OnFastRetransmit(40 * Mss, Instant.Zero);
        Assert.Equal(20 * Mss, cc.SlowStartThreshold);
        Assert.Equal(20 * Mss, cc.CongestionWindow);
        for (int round = 1; round <= 5; round++)
        {
            AckOneWindow(cc, delayedAck: true);
            Assert.Equal((20 + round) * Mss, cc.CongestionWindow);
        }
    }

    [Fact]
    public void ApplicationLimitedSenderDoesNotGrow()
    {
        var cc = new NewRenoCongestionControl(Mss);
        int cwnd = cc.CongestionWindow;
        cc.OnAck(Mss, 0, Rtt, Instant.Zero); // one segment out of a ten-segment window
        Assert.Equal(cwnd, cc.CongestionWindow);
    }

    [Fact]
    public void SlowStartStopsAtSsthreshAndCarriesTheRestOver()
    {
        var cc = new NewRenoCongestionControl(Mss);
        cc.OnRetransmitTimeout(25 * Mss, Instant.Zero);
        Assert.Equal(Mss, cc.CongestionWindow);
        Assert.Equal(12 * Mss + Mss / 2, cc.SlowStartThreshold);
        int acks = 0;
        while (cc.InSlowStart)
        {
            cc.OnAck(2 * Mss, cc.CongestionWindow, Rtt, Instant.Zero);
            acks++;
        }
        Assert.Equal(12 * Mss + Mss / 2, cc.CongestionWindow);
        Assert.Equal(6, acks);
    }

    [Fact]
    public void RepeatedTimeoutsKeepSsthresh()
    {
        var cc = new NewRenoCongestionControl(Mss);
        cc.OnRetransmitTimeout(20 * Mss, Instant.Zero);
        cc.OnRetransmitTimeout(Mss, Instant.Zero);
        Assert.Equal(10 * Mss, cc.SlowStartThreshold);
        Assert.Equal(Mss, cc.CongestionWindow);
        cc.OnAck(Mss, 0, Rtt, Instant.Zero);
        cc.OnRetransmitTimeout(2 * Mss, Instant.Zero);
        Assert.Equal(2 * Mss, cc.SlowStartThreshold);
    }

    [Fact]
    public void FastRetransmitHalvesTheFlightAndRecoveryExitRestoresSsthresh()
    {
        var cc = new NewRenoCongestionControl(Mss);
        cc.OnFastRetransmit(3 * Mss, Instant.Zero);
        Assert.Equal(2 * Mss, cc.SlowStartThreshold); // never below two segments
        Assert.Equal(2 * Mss, cc.CongestionWindow);
        cc.OnFastRetransmit(30 * Mss, Instant.Zero);
        cc.OnRecoveryExit(Instant.Zero);
        Assert.Equal(15 * Mss, cc.CongestionWindow);
    }

    [Fact]
    public void IdleRestartFallsBackToTheInitialWindowAndRemembersInSsthresh()
    {
        var cc = new NewRenoCongestionControl(Mss);
        cc.OnFastRetransmit(80 * Mss, Instant.Zero);
        cc.OnIdleRestart(Instant.FromMilliseconds(5000));
        Assert.Equal(10 * Mss, cc.CongestionWindow);
        Assert.Equal(40 * Mss, cc.SlowStartThreshold);
        var small = new NewRenoCongestionControl(Mss);
        small.OnRetransmitTimeout(0, Instant.Zero);
        small.OnIdleRestart(Instant.Zero);
        Assert.Equal(Mss, small.CongestionWindow); // never grows
    }

    [Fact]
    public void MssChangeKeepsTheWindowInSegments()
    {
        var cc = new NewRenoCongestionControl(Mss);
        cc.OnFastRetransmit(40 * Mss, Instant.Zero);
        cc.OnMssChanged(1200);
        Assert.Equal(20 * 1200, cc.CongestionWindow);
        Assert.Equal(20 * 1200, cc.SlowStartThreshold);
        Assert.Throws<ArgumentOutOfRangeException>(() => cc.OnMssChanged(0));
    }

    [Fact]
    public void AckingAllocatesNothing()
    {
        ICongestionControl cc = new NewRenoCongestionControl(Mss);
        long bytes = Testing.AllocationMeter.Measure(() =>
        {
            cc.OnAck(Mss, cc.CongestionWindow, Rtt, Instant.Zero);
            if (cc.CongestionWindow > 1_000_000) cc.OnFastRetransmit(cc.CongestionWindow, Instant.Zero);
        });
        Assert.Equal(0, bytes);
    }

    // Acknowledges one window's worth of bytes, segment by segment (or two at a time); the sender refills the
    // window after each ACK, as an ACK-clocked bulk sender does.
    private static void AckOneWindow(ICongestionControl cc, bool delayedAck)
    {
        int remaining = cc.CongestionWindow;
        int step = delayedAck ? 2 * Mss : Mss;
        while (remaining > 0)
        {
            int acked = Math.Min(step, remaining);
            remaining -= acked;
            cc.OnAck(acked, cc.CongestionWindow - acked, Rtt, Instant.Zero);
        }
    }
}
