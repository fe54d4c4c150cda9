using Wirestack.Tcp;

namespace Wirestack.Tests.Tcp;

public class CubicCongestionControlTests
{
    private const int Mss = 1460;

    [Fact]
    public void ConstantsAreTheRfcs()
    {
        Assert.Equal(0.7, CubicCongestionControl.Beta);
        Assert.Equal(0.4, CubicCongestionControl.C);
        Assert.Equal(0.5294, CubicCongestionControl.RenoFriendlyAlpha, 4);
        Assert.IsType<CubicCongestionControl>(CongestionControl.Create(CongestionControlAlgorithm.Cubic, Mss));
        Assert.Equal(14600, CongestionControl.Create(CongestionControlAlgorithm.Cubic, Mss).CongestionWindow);
    }

    [Fact]
    public void LossKeepsSeventyPercentOfTheFlight()
    {
        var cc = new CubicCongestionControl(Mss);
        cc.OnFastRetransmit(cc.CongestionWindow, Instant.Zero);
        Assert.Equal(10, cc.MaxWindowSegments);
        Assert.Equal(7 * Mss, cc.SlowStartThreshold);
        Assert.Equal(7 * Mss, cc.CongestionWindow);
        Assert.False(cc.InSlowStart);
    }

    [Fact]
    public void WindowFollowsTheCubicCurveOverTenSeconds()
    {
        var rtt = TimeSpan.FromMilliseconds(100);
        var cc = AfterLossAt(100, out var now);
        var epoch = now;
        var samples = new List<(double T, double Segments)>();
        Run(cc, ref now, rtt, TimeSpan.FromSeconds(10), c => samples.Add(((now - epoch).TotalSeconds, c.CongestionWindow / (double)Mss)));

        double k = Math.Cbrt(100 * (1 - CubicCongestionControl.Beta) / CubicCongestionControl.C);
        Assert.Equal(k, cc.K, 6);
        Assert.True(samples.Count > 90);
        foreach (var (t, segments) in samples)
        {
            double expected = CubicCongestionControl.C * Math.Pow(t - k, 3) + 100;
            Assert.True(Math.Abs(segments - expected) <= 0.03 * expected + 1, $"at t = {t:F2} s cwnd is {segments:F1} segments, W_cubic is {expected:F1}");
        }
        Assert.True(samples[^1].Segments > 170); // convex growth well beyond W_max
    }

    [Fact]
    public void GrowthAfterLossReachesWmaxNearK()
    {
        // At 100 ms the Reno estimate stays below the curve (at 50 ms it would overtake it after K).
        var rtt = TimeSpan.FromMilliseconds(100);
        var cc = AfterLossAt(200, out var now);
        var epoch = now;
        Run(cc, ref now, rtt, rtt, _ => { }); // the epoch starts with the first ACK
        double k = cc.K;
        Assert.Equal(Math.Cbrt(200 * 0.3 / 0.4), k, 6); // ≈ 5.3 s

        double atHalfK = 0, atK = 0, afterK = 0;
        Run(cc, ref now, rtt, TimeSpan.FromSeconds(k + 3), c =>
        {
            double t = (now - epoch).TotalSeconds;
            double segments = c.CongestionWindow / (double)Mss;
            if (atHalfK == 0 && t >= k / 2) atHalfK = segments;
            if (atK == 0 && t >= k) atK = segments;
            if (afterK == 0 && t >= k + 3) afterK = segments;
        });
        Assert.InRange(atHalfK, 175, 195);  // concave: most of the way back by K/2
        Assert.InRange(atK, 196, 202);      // plateau at W_max
        Assert.InRange(afterK, 205, 215);   // convex: probing beyond (0.4·3³ ≈ 11 segments)
    }

    [Fact]
    public void RenoFriendlyRegionDominatesAtSmallBdp()
    {
        var rtt = TimeSpan.FromMilliseconds(1);
        var cc = AfterLossAt(20, out var now);
        var epoch = now;
        // Before W_est reaches the pre-loss window it grows α_cubic ≈ 0.53 segments per RTT.
        Run(cc, ref now, rtt, TimeSpan.FromMilliseconds(5), _ => { });
        double segments = cc.CongestionWindow / (double)Mss;
        Assert.InRange(segments, 14 + 4 * 0.53, 14 + 6 * 0.53);
        Assert.True(cc.CubicWindowSegments((now - epoch).TotalSeconds) < segments);
        Assert.Equal(cc.RenoEstimateSegments, segments, 0.01);

        // Past the pre-loss window it grows like Reno, one segment per RTT, far faster than the cubic curve here.
        Run(cc, ref now, rtt, TimeSpan.FromMilliseconds(50), _ => { });
        double before = cc.CongestionWindow / (double)Mss;
        Run(cc, ref now, rtt, TimeSpan.FromMilliseconds(100), _ => { });
        double growth = cc.CongestionWindow / (double)Mss - before;
        Assert.InRange(growth, 90, 110);
        Assert.True(cc.CubicWindowSegments((now - epoch).TotalSeconds) < cc.CongestionWindow / (double)Mss);
    }

    [Fact]
    public void FastConvergenceLowersWmax()
    {
        var cc = AfterLossAt(100, out var now);
        Assert.Equal(100, cc.MaxWindowSegments, 6);
        // A second loss below W_max: some other flow is taking its share, so give up more.
        cc.OnFastRetransmit(cc.CongestionWindow, now);
        Assert.Equal(70 * (1 + CubicCongestionControl.Beta) / 2, cc.MaxWindowSegments, 1);
        Assert.InRange(cc.SlowStartThreshold, (int)(70 * Mss * CubicCongestionControl.Beta) - 2, (int)(70 * Mss * CubicCongestionControl.Beta) + 2);
    }

    [Fact]
    public void AfterATimeoutTheFirstEpochStartsAtTheCurrentWindowWithKZero()
    {
        var rtt = TimeSpan.FromMilliseconds(20);
        var cc = AfterLossAt(100, out var now);
        cc.OnRetransmitTimeout(70 * Mss, now);
        cc.OnRetransmitTimeout(Mss, now); // a repeated timeout keeps ssthresh
        Assert.Equal(Mss, cc.CongestionWindow);
        Assert.Equal(49 * Mss, cc.SlowStartThreshold);
        while (cc.InSlowStart) Run(cc, ref now, rtt, rtt, _ => { });
        Run(cc, ref now, rtt, rtt, _ => { });
        Assert.Equal(0, cc.K);
        Assert.Equal(49, cc.MaxWindowSegments, 0.5);
    }

    [Fact]
    public void IdleTimeDoesNotCountAsGrowthTime()
    {
        var rtt = TimeSpan.FromMilliseconds(100);
        var cc = AfterLossAt(100, out var now);
        var epoch = now;
        Run(cc, ref now, rtt, TimeSpan.FromSeconds(1), _ => { });
        now += TimeSpan.FromSeconds(20);
        cc.OnIdleRestart(now);
        Assert.Equal(10 * Mss, cc.CongestionWindow); // RFC 5681 restart window
        Run(cc, ref now, rtt, TimeSpan.FromSeconds(1), _ => { });
        double active = (now - epoch).TotalSeconds - 20;
        double expected = cc.CubicWindowSegments(active);
        double segments = cc.CongestionWindow / (double)Mss;
        Assert.True(Math.Abs(segments - expected) < 0.1 * expected, $"cwnd {segments:F1} segments, W_cubic(active time) {expected:F1}");
    }

    [Fact]
    public void MssChangeKeepsTheSegmentState()
    {
        var cc = AfterLossAt(100, out _);
        cc.OnMssChanged(1200);
        Assert.InRange(cc.CongestionWindow, 70 * 1200 - 1, 70 * 1200 + 1);
        Assert.Equal(100, cc.MaxWindowSegments, 6);
    }

    [Fact]
    public void AckingAllocatesNothing()
    {
        var cc = AfterLossAt(100, out var start);
        long micros = start.TotalMicroseconds;
        long bytes = Testing.AllocationMeter.Measure(() =>
        {
            micros += 100;
            cc.OnAck(Mss, cc.CongestionWindow - Mss, TimeSpan.FromMilliseconds(10), Instant.FromMicroseconds(micros));
            if (cc.CongestionWindow > 10_000_000) cc.OnFastRetransmit(cc.CongestionWindow, Instant.FromMicroseconds(micros));
        });
        Assert.Equal(0, bytes);
    }

    [Fact]
    public void ASpuriousFastRetransmitIsUndoneToTheStateBeforeIt()
    {
        // RFC 9438 section 4.9: cwnd, ssthresh, W_max, K and the epoch go back to what they were before the event.
        var cc = AfterLossAt(100, out var now);
        var rtt = TimeSpan.FromMilliseconds(10);
        Run(cc, ref now, rtt, TimeSpan.FromSeconds(2), _ => { });
        int cwnd = cc.CongestionWindow, ssthresh = cc.SlowStartThreshold;
        double wMax = cc.MaxWindowSegments, k = cc.K;
        cc.OnFastRetransmit(cwnd, now);
        Assert.True(cc.CongestionWindow < cwnd);
        cc.OnSpuriousFastRetransmit(now);
        Assert.Equal(cwnd, cc.CongestionWindow);
        Assert.Equal(ssthresh, cc.SlowStartThreshold);
        Assert.Equal(wMax, cc.MaxWindowSegments);
        Assert.Equal(k, cc.K);
        // Once only.
        cc.OnFastRetransmit(cwnd, now);
        cc.OnSpuriousFastRetransmit(now);
        cc.OnSpuriousFastRetransmit(now);
        Assert.Equal(cwnd, cc.CongestionWindow);
    }

    [Fact]
    public void NothingIsUndoneAfterATimeout()
    {
        var cc = AfterLossAt(100, out var now);
        int cwnd = cc.CongestionWindow;
        cc.OnFastRetransmit(cwnd, now);
        cc.OnRetransmitTimeout(cwnd, now);
        cc.OnSpuriousFastRetransmit(now);
        Assert.Equal(Mss, cc.CongestionWindow);
    }

    // A controller that has just seen a loss with a window of `segments` segments in flight (W_max = segments).
    private static CubicCongestionControl AfterLossAt(int segments, out Instant now)
    {
        var cc = new CubicCongestionControl(Mss);
        now = Instant.FromMilliseconds(1000);
        while (cc.CongestionWindow < segments * Mss) cc.OnAck(Mss, cc.CongestionWindow, TimeSpan.Zero, now); // +1 segment each
        cc.OnFastRetransmit(segments * Mss, now);
        cc.OnRecoveryExit(now);
        return cc;
    }

    // An ACK-clocked bulk sender over a fixed RTT: each round the window's worth of segments is acknowledged
    // one by one, evenly spread over the round, and the sender refills the window as ACKs arrive.
    private static void Run(CubicCongestionControl cc, ref Instant now, TimeSpan rtt, TimeSpan duration, Action<CubicCongestionControl> afterRound)
    {
        var end = now + duration;
        while (now < end)
        {
            var roundStart = now;
            int segments = Math.Max(1, cc.CongestionWindow / Mss);
            for (int i = 1; i <= segments; i++)
            {
                now = roundStart + rtt * i / segments;
                cc.OnAck(Mss, cc.CongestionWindow - Mss, rtt, now);
            }
            afterRound(cc);
        }
    }
}
