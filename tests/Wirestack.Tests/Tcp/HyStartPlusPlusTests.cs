using Wirestack.Tcp;
using Wirestack.Wire;

namespace Wirestack.Tests.Tcp;

public class HyStartPlusPlusTests
{
    private const int Mss = 1000;

    public static TheoryData<CongestionControlAlgorithm> Algorithms => [CongestionControlAlgorithm.Cubic, CongestionControlAlgorithm.NewReno];

    [Theory]
    [MemberData(nameof(Algorithms))]
    public void SteadyRttKeepsPlainSlowStart(CongestionControlAlgorithm algorithm)
    {
        var sender = new Sender(CongestionControl.Create(algorithm, Mss));
        for (int round = 0; round < 6; round++) sender.Round(TimeSpan.FromMilliseconds(50));
        Assert.Equal(10 * Mss << 6, sender.Cc.CongestionWindow);
        Assert.Equal(int.MaxValue, sender.Cc.SlowStartThreshold);
    }

    [Theory]
    [MemberData(nameof(Algorithms))]
    public void RisingRttEntersConservativeSlowStartThenCongestionAvoidance(CongestionControlAlgorithm algorithm)
    {
        var sender = new Sender(CongestionControl.Create(algorithm, Mss));
        sender.Round(TimeSpan.FromMilliseconds(50));
        sender.Round(TimeSpan.FromMilliseconds(50));
        Assert.Equal(40 * Mss, sender.Cc.CongestionWindow);
        // The queue builds: +8 ms is above the threshold of clamp(50/8, 4, 16) = 6.25 ms.
        sender.Round(TimeSpan.FromMilliseconds(58));
        Assert.True(InCss(sender.Cc));
        int atEntry = sender.Cc.CongestionWindow;
        Assert.True(atEntry < 80 * Mss, "growth slowed within the round");
        sender.Round(TimeSpan.FromMilliseconds(60));
        int afterOneCssRound = sender.Cc.CongestionWindow;
        Assert.InRange(afterOneCssRound - atEntry, atEntry / 4 - 2 * Mss, atEntry / 4 + 2 * Mss); // a quarter of slow start's doubling
        for (int round = 0; round < 4; round++) sender.Round(TimeSpan.FromMilliseconds(60));
        Assert.False(InCss(sender.Cc));
        Assert.NotEqual(int.MaxValue, sender.Cc.SlowStartThreshold);
        Assert.InRange(sender.Cc.SlowStartThreshold, sender.Cc.CongestionWindow - 2 * Mss, sender.Cc.CongestionWindow);
    }

    [Theory]
    [MemberData(nameof(Algorithms))]
    public void FallingRttAfterASpikeResumesSlowStart(CongestionControlAlgorithm algorithm)
    {
        var sender = new Sender(CongestionControl.Create(algorithm, Mss));
        sender.Round(TimeSpan.FromMilliseconds(50));
        sender.Round(TimeSpan.FromMilliseconds(50));
        sender.Round(TimeSpan.FromMilliseconds(70));
        Assert.True(InCss(sender.Cc));
        sender.Round(TimeSpan.FromMilliseconds(50)); // jitter, not a queue: below the CSS baseline
        Assert.False(InCss(sender.Cc));
        Assert.Equal(int.MaxValue, sender.Cc.SlowStartThreshold);
        int before = sender.Cc.CongestionWindow;
        sender.Round(TimeSpan.FromMilliseconds(50));
        Assert.Equal(2 * before, sender.Cc.CongestionWindow);
    }

    [Theory]
    [MemberData(nameof(Algorithms))]
    public void OnlyTheInitialSlowStartUsesIt(CongestionControlAlgorithm algorithm)
    {
        var sender = new Sender(CongestionControl.Create(algorithm, Mss));
        sender.Cc.OnRetransmitTimeout(100 * Mss, Instant.Zero);
        Assert.Equal(Mss, sender.Cc.CongestionWindow);
        sender.Round(TimeSpan.FromMilliseconds(50));
        sender.Round(TimeSpan.FromMilliseconds(50));
        sender.Round(TimeSpan.FromMilliseconds(80));
        Assert.False(InCss(sender.Cc));
        Assert.Equal(8 * Mss, sender.Cc.CongestionWindow);
    }

    private static bool InCss(ICongestionControl cc) => cc switch
    {
        CubicCongestionControl cubic => cubic.InConservativeSlowStart,
        NewRenoCongestionControl reno => reno.InConservativeSlowStart,
        _ => false,
    };

    // An ACK-clocked sender: each round acknowledges what was in flight at its start, one segment per ACK,
    // every ACK carrying an RTT sample; the window refills as ACKs arrive.
    private sealed class Sender(ICongestionControl cc)
    {
        private TcpSeqNumber _una = new(0xFFFF_F000);
        private TcpSeqNumber _nxt = new(0xFFFF_F000);
        private Instant _now = Instant.FromMilliseconds(10);

        public ICongestionControl Cc { get; } = cc;

        public void Round(TimeSpan rtt)
        {
            _nxt = _una + Cc.CongestionWindow;
            var roundEnd = _nxt;
            while (_una < roundEnd)
            {
                _una += Mss;
                _now += TimeSpan.FromMicroseconds(100);
                ((IRttSampleSink)Cc).OnRttSample(rtt, _una, _nxt);
                Cc.OnAck(Mss, _nxt - _una, rtt, _now);
                _nxt = TcpSeqNumber.Max(_nxt, _una + Cc.CongestionWindow); // refill
            }
        }
    }
}
