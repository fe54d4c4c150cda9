using Wirestack.Tcp;

namespace Wirestack.Tests.Tcp;

public class RttEstimatorTests
{
    private static RttEstimator Make() => new(TimeSpan.FromSeconds(1), TimeSpan.FromMilliseconds(200), TimeSpan.FromSeconds(60));

    [Fact]
    public void BeforeAnySampleTheInitialRtoHolds()
    {
        var rtt = Make();
        Assert.False(rtt.HasSample);
        Assert.Equal(TimeSpan.FromSeconds(1), rtt.Rto);
        Assert.Equal(TimeSpan.Zero, rtt.SmoothedRtt);
        Assert.Equal(TimeSpan.Zero, rtt.MinRtt);
    }

    [Fact]
    public void FirstSampleSetsSrttAndHalfVariation()
    {
        var rtt = Make();
        rtt.AddSample(TimeSpan.FromMilliseconds(100));
        Assert.True(rtt.HasSample);
        Assert.Equal(TimeSpan.FromMilliseconds(100), rtt.SmoothedRtt);
        Assert.Equal(TimeSpan.FromMilliseconds(50), rtt.RttVariation);
        Assert.Equal(TimeSpan.FromMilliseconds(300), rtt.Rto); // 100 + 4·50
        Assert.Equal(TimeSpan.FromMilliseconds(100), rtt.MinRtt);
    }

    [Fact]
    public void LaterSamplesSmoothWithAnEighthAndAQuarter()
    {
        var rtt = Make();
        rtt.AddSample(TimeSpan.FromMilliseconds(100));
        rtt.AddSample(TimeSpan.FromMilliseconds(200));
        // RTTVAR = 3/4·50 + 1/4·|100 − 200| = 62.5; SRTT = 7/8·100 + 1/8·200 = 112.5.
        Assert.Equal(TimeSpan.FromMilliseconds(62.5), rtt.RttVariation);
        Assert.Equal(TimeSpan.FromMilliseconds(112.5), rtt.SmoothedRtt);
        Assert.Equal(TimeSpan.FromMilliseconds(362.5), rtt.Rto);
        rtt.AddSample(TimeSpan.FromMilliseconds(40));
        Assert.Equal(TimeSpan.FromMilliseconds(40), rtt.MinRtt);
    }

    [Fact]
    public void SteadySamplesConvergeAndTheFloorHolds()
    {
        var rtt = Make();
        for (int i = 0; i < 200; i++) rtt.AddSample(TimeSpan.FromMilliseconds(10));
        Assert.Equal(TimeSpan.FromMilliseconds(10), rtt.SmoothedRtt);
        Assert.True(rtt.RttVariation < TimeSpan.FromMilliseconds(0.01));
        Assert.Equal(TimeSpan.FromMilliseconds(200), rtt.Rto); // SRTT + G is below the minimum
    }

    [Fact]
    public void GranularityBoundsTheVarianceTerm()
    {
        var rtt = new RttEstimator(TimeSpan.FromSeconds(1), TimeSpan.FromTicks(1), TimeSpan.FromSeconds(60));
        for (int i = 0; i < 200; i++) rtt.AddSample(TimeSpan.FromMilliseconds(5));
        Assert.Equal(TimeSpan.FromMilliseconds(6), rtt.Rto); // 5 + max(G = 1 ms, 4·~0)
    }

    [Fact]
    public void BackoffDoublesUpToTheCeilingAndASampleEndsIt()
    {
        var rtt = Make();
        rtt.Backoff();
        Assert.Equal(TimeSpan.FromSeconds(2), rtt.Rto);
        rtt.Backoff();
        Assert.Equal(TimeSpan.FromSeconds(4), rtt.Rto);
        for (int i = 0; i < 100; i++) rtt.Backoff();
        Assert.Equal(TimeSpan.FromSeconds(60), rtt.Rto);
        Assert.Equal(102, rtt.BackoffCount);
        rtt.AddSample(TimeSpan.FromMilliseconds(100));
        Assert.Equal(0, rtt.BackoffCount);
        Assert.Equal(TimeSpan.FromMilliseconds(300), rtt.Rto);
    }

    [Fact]
    public void ConstructorRejectsNonsense()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new RttEstimator(TimeSpan.Zero, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(60)));
        Assert.Throws<ArgumentOutOfRangeException>(() => new RttEstimator(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(1)));
        var rtt = Make();
        Assert.Throws<ArgumentOutOfRangeException>(() => rtt.AddSample(TimeSpan.FromTicks(-1)));
    }

    [Fact]
    public void SynTimeoutWithoutSampleRestartsAtThreeSeconds()
    {
        // RFC 6298 section 5.7: a 1 s initial RTO backed off by a SYN timeout starts data at 3 s, without backoff.
        var rtt = Make();
        rtt.Backoff();
        rtt.RestartAfterSynTimeout(TimeSpan.FromSeconds(3));
        Assert.Equal(TimeSpan.FromSeconds(3), rtt.Rto);
        Assert.Equal(0, rtt.BackoffCount);
        // With a sample the measured RTO stands.
        var sampled = Make();
        sampled.AddSample(TimeSpan.FromMilliseconds(100));
        sampled.RestartAfterSynTimeout(TimeSpan.FromSeconds(3));
        Assert.Equal(TimeSpan.FromMilliseconds(300), sampled.Rto);
    }
}
