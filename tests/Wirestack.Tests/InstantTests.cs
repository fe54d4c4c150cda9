namespace Wirestack.Tests;

public class InstantTests
{
    [Fact]
    public void ArithmeticAndComparisonWork()
    {
        var a = Instant.FromMilliseconds(1500);
        var b = a + TimeSpan.FromMilliseconds(250);
        Assert.Equal(1_750_000, b.TotalMicroseconds);
        Assert.Equal(TimeSpan.FromMilliseconds(250), b - a);
        Assert.True(a < b && b > a && a <= b && b >= a && a != b && a == Instant.FromMicroseconds(1_500_000));
        Assert.Equal(a, b - TimeSpan.FromMilliseconds(250));
        Assert.Equal(b, Instant.Max(a, b));
        Assert.Equal(a, Instant.Min(a, b));
        Assert.Equal("1.750000s", b.ToString());
    }

    [Fact]
    public void AddingToMaxValueSaturates() =>
        Assert.Equal(Instant.MaxValue, Instant.MaxValue + TimeSpan.FromDays(1));

    [Fact]
    public void NowFollowsTheTimeProvidersCounter()
    {
        var clock = new Nic.ManualTimeProvider();
        var before = Instant.Now(clock);
        clock.Advance(TimeSpan.FromMilliseconds(3.5));
        Assert.Equal(TimeSpan.FromMilliseconds(3.5), Instant.Now(clock) - before);
    }
}
