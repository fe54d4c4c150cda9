using Wirestack.Ip;
using Wirestack.Testing;
using Wirestack.Wire;

namespace Wirestack.Tests.Ip;

public class IcmpRateLimiterTests
{
    private static readonly Instant T0 = Instant.FromMilliseconds(7000);

    private static TimeSpan Micro(long microseconds) => TimeSpan.FromMicroseconds(microseconds);

    [Fact]
    public void ABurstGoesThenOneTokenArrivesExactlyEveryIntervalAfter()
    {
        var limiter = new IcmpRateLimiter(new IcmpRateLimiterOptions { RatePerSecond = 10, Burst = 3 });
        Assert.True(limiter.TryTake(T0));
        Assert.True(limiter.TryTake(T0));
        Assert.True(limiter.TryTake(T0));
        Assert.False(limiter.TryTake(T0));
        Assert.False(limiter.TryTake(T0 + Micro(99_999)));
        Assert.True(limiter.TryTake(T0 + Micro(100_000)));
        Assert.False(limiter.TryTake(T0 + Micro(100_000)));
        Assert.False(limiter.TryTake(T0 + Micro(199_999)));
        Assert.True(limiter.TryTake(T0 + Micro(200_000)));
        Assert.Equal(5, limiter.Counters.Allowed);
        Assert.Equal(4, limiter.Counters.SuppressedGlobal);
        Assert.Equal(4, limiter.Counters.Suppressed);
    }

    [Fact]
    public void PartialIntervalsAddUpWithoutRoundingLoss()
    {
        // 3 per second is a token every 333 333.3 µs: split the wait into odd pieces and the third token must
        // still come at exactly one second, not later for rounding each piece down.
        var limiter = new IcmpRateLimiter(new IcmpRateLimiterOptions { RatePerSecond = 3, Burst = 3 });
        for (int i = 0; i < 3; i++) Assert.True(limiter.TryTake(T0));
        var t = T0;
        int allowed = 0;
        while (t < T0 + TimeSpan.FromSeconds(1) - Micro(1))
        {
            t += Micro(7);
            if (t > T0 + TimeSpan.FromSeconds(1) - Micro(1)) t = T0 + TimeSpan.FromSeconds(1) - Micro(1);
            if (limiter.TryTake(t)) allowed++;
        }
        Assert.Equal(2, allowed); // at 333 334 µs and 666 667 µs
        Assert.True(limiter.TryTake(T0 + TimeSpan.FromSeconds(1)));
    }

    [Fact]
    public void ALongQuietSpellRefillsOnlyUpToTheBurst()
    {
        var limiter = new IcmpRateLimiter(new IcmpRateLimiterOptions { RatePerSecond = 1_000_000, Burst = 2 });
        Assert.True(limiter.TryTake(T0));
        Assert.True(limiter.TryTake(T0));
        Assert.False(limiter.TryTake(T0));
        var muchLater = T0 + TimeSpan.FromDays(365 * 1000);
        Assert.True(limiter.TryTake(muchLater));
        Assert.True(limiter.TryTake(muchLater));
        Assert.False(limiter.TryTake(muchLater));
    }

    [Fact]
    public void AnEarlierNowEarnsNothing()
    {
        var limiter = new IcmpRateLimiter(new IcmpRateLimiterOptions { RatePerSecond = 1, Burst = 1 });
        Assert.True(limiter.TryTake(T0));
        Assert.False(limiter.TryTake(T0 - TimeSpan.FromSeconds(5)));
        Assert.False(limiter.TryTake(T0 + Micro(999_999)));
        Assert.True(limiter.TryTake(T0 + TimeSpan.FromSeconds(1)));
    }

    [Fact]
    public void PerDestinationLimitsOneVictimWithoutStarvingOthers()
    {
        var limiter = new IcmpRateLimiter(new IcmpRateLimiterOptions
        {
            RatePerSecond = 1,
            Burst = 100,
            PerDestinationBuckets = 1024,
            PerDestinationRatePerSecond = 1,
            PerDestinationBurst = 2,
        });
        Assert.True(limiter.LimitsPerDestination);
        var victim = Ipv4Address.Parse("198.51.100.1");
        var other = Ipv6Address.Parse("2001:db8::1");
        Assert.True(limiter.TryTake(victim, T0));
        Assert.True(limiter.TryTake(victim, T0));
        for (int i = 0; i < 10; i++) Assert.False(limiter.TryTake(victim, T0));
        Assert.True(limiter.TryTake(other, T0));
        Assert.Equal(10, limiter.Counters.SuppressedPerDestination);
        Assert.Equal(0, limiter.Counters.SuppressedGlobal);
        // Suppressed messages took nothing from the interface's bucket: 97 more can go at once.
        int allowed = 0;
        for (int i = 0; i < 200; i++)
            if (limiter.TryTake(T0)) allowed++;
        Assert.Equal(97, allowed);
        Assert.False(limiter.TryTake(victim, T0 + Micro(999_999)));
        Assert.True(limiter.TryTake(victim, T0 + TimeSpan.FromSeconds(1))); // one token back in both buckets
        Assert.False(limiter.TryTake(other, T0 + TimeSpan.FromSeconds(1))); // other has tokens; the interface has none
        Assert.Equal(103 + 1, limiter.Counters.SuppressedGlobal); // the 103 plain tries above, then other's
        Assert.Equal(10 + 1, limiter.Counters.SuppressedPerDestination); // the ten at T0, then the one just short of a second
    }

    [Fact]
    public void AGloballySuppressedMessageKeepsItsDestinationsToken()
    {
        var limiter = new IcmpRateLimiter(new IcmpRateLimiterOptions
        {
            RatePerSecond = 1,
            Burst = 1,
            PerDestinationBuckets = 16,
            PerDestinationRatePerSecond = 1,
            PerDestinationBurst = 1,
        });
        var a = Ipv4Address.Parse("192.0.2.1");
        Assert.True(limiter.TryTake(T0)); // the interface's only token, spent without a destination
        Assert.False(limiter.TryTake(a, T0));
        Assert.Equal(1, limiter.Counters.SuppressedGlobal);
        Assert.True(limiter.TryTake(a, T0 + TimeSpan.FromSeconds(1))); // a's token was not spent by the suppressed try
    }

    [Fact]
    public void WithoutPerDestinationBucketsADestinationIsIgnored()
    {
        var limiter = new IcmpRateLimiter(new IcmpRateLimiterOptions { RatePerSecond = 1, Burst = 2 });
        Assert.False(limiter.LimitsPerDestination);
        var a = Ipv4Address.Parse("192.0.2.1");
        Assert.True(limiter.TryTake(a, T0));
        Assert.True(limiter.TryTake(a, T0));
        Assert.False(limiter.TryTake(Ipv4Address.Parse("192.0.2.2"), T0));
        Assert.Equal(1, limiter.Counters.SuppressedGlobal);
    }

    [Theory]
    [InlineData(nameof(IcmpRateLimiterOptions.RatePerSecond))]
    [InlineData(nameof(IcmpRateLimiterOptions.Burst))]
    [InlineData(nameof(IcmpRateLimiterOptions.PerDestinationBuckets))]
    [InlineData(nameof(IcmpRateLimiterOptions.PerDestinationRatePerSecond))]
    [InlineData(nameof(IcmpRateLimiterOptions.PerDestinationBurst))]
    public void OptionsOutOfRangeNameTheSetting(string setting)
    {
        var options = setting switch
        {
            nameof(IcmpRateLimiterOptions.RatePerSecond) => new IcmpRateLimiterOptions { RatePerSecond = 0 },
            nameof(IcmpRateLimiterOptions.Burst) => new IcmpRateLimiterOptions { Burst = 1_000_001 },
            nameof(IcmpRateLimiterOptions.PerDestinationBuckets) => new IcmpRateLimiterOptions { PerDestinationBuckets = 100 },
            nameof(IcmpRateLimiterOptions.PerDestinationRatePerSecond) => new IcmpRateLimiterOptions { PerDestinationRatePerSecond = -1 },
            _ => new IcmpRateLimiterOptions { PerDestinationBurst = 0 },
        };
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => new IcmpRateLimiter(options));
        Assert.Contains("IcmpRateLimiterOptions." + setting, e.Message);
    }

    [Theory]
    [InlineData(1, 1, 1)]
    [InlineData(10, 3, 2)]
    [InlineData(1000, 50, 3)]
    [InlineData(8, 5, 4)]
    [InlineData(250_000, 7, 5)]
    public void MatchesAVirtualSchedulingModel(int rate, int burst, int seed)
    {
        // GCRA (the "virtual scheduling" form of a token bucket): with an emission interval T = 1/rate
        // (whole microseconds for these rates) and tolerance (burst - 1) T, a message at t conforms when
        // t >= TAT - tolerance, and then TAT = max(TAT, t) + T. It shares no arithmetic with the bucket.
        var limiter = new IcmpRateLimiter(new IcmpRateLimiterOptions { RatePerSecond = rate, Burst = burst });
        long interval = 1_000_000 / rate;
        long tolerance = (burst - 1) * interval;
        var rng = new Random(seed);
        long t = T0.TotalMicroseconds;
        long tat = t;
        for (int i = 0; i < 20_000; i++)
        {
            t += rng.Next(4) switch { 0 => 0, 1 => rng.Next(0, (int)Math.Min(interval, 1000) + 1), 2 => interval, _ => rng.Next(0, (int)interval * 2 + 1) };
            bool expected = t >= tat - tolerance;
            if (expected) tat = Math.Max(tat, t) + interval;
            Assert.Equal(expected, limiter.TryTake(Instant.FromMicroseconds(t)));
        }
    }

    [Fact]
    public void TakingAllocatesNothing()
    {
        var limiter = new IcmpRateLimiter(new IcmpRateLimiterOptions { PerDestinationBuckets = 64 });
        var a = Ipv4Address.Parse("192.0.2.1");
        var b = Ipv6Address.Parse("2001:db8::1");
        long t = T0.TotalMicroseconds;
        long bytes = AllocationMeter.Measure(() =>
        {
            t += 100;
            var now = Instant.FromMicroseconds(t);
            limiter.TryTake(now);
            limiter.TryTake(a, now);
            limiter.TryTake(b, now);
        });
        Assert.Equal(0, bytes);
    }
}
