using Wirestack.Tcp;
using Wirestack.Wire;

namespace Wirestack.Tests.Tcp;

public class InitialSequenceNumbersTests
{
    private static readonly byte[] Key = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16];
    private static readonly IpEndpoint Local = new(IpAddress.Parse("192.0.2.1"), 80);
    private static readonly IpEndpoint Remote = new(IpAddress.Parse("198.51.100.7"), 40000);

    [Fact]
    public void SameTupleAdvancesWithTheFourMicrosecondClock()
    {
        var isn = new InitialSequenceNumbers(Key);
        var t0 = Instant.FromMilliseconds(1000);
        var a = isn.Next(Local, Remote, t0);
        Assert.Equal(a, isn.Next(Local, Remote, t0));
        Assert.Equal(a + 250, isn.Next(Local, Remote, t0 + TimeSpan.FromMilliseconds(1)));
        Assert.Equal(a + 1, isn.Next(Local, Remote, t0 + TimeSpan.FromMicroseconds(4)));
    }

    [Fact]
    public void EveryPartOfTheTupleAndTheKeyChangesTheNumber()
    {
        var isn = new InitialSequenceNumbers(Key);
        var now = Instant.FromMilliseconds(5);
        var a = isn.Next(Local, Remote, now);
        Assert.NotEqual(a, isn.Next(Local with { Port = 81 }, Remote, now));
        Assert.NotEqual(a, isn.Next(Local, Remote with { Port = 40001 }, now));
        Assert.NotEqual(a, isn.Next(Local with { Address = IpAddress.Parse("192.0.2.2") }, Remote, now));
        Assert.NotEqual(a, isn.Next(Local, Remote with { Address = IpAddress.Parse("198.51.100.8") }, now));
        Assert.NotEqual(a, isn.Next(Remote, Local, now)); // direction matters
        byte[] other = (byte[])Key.Clone();
        other[15] ^= 1;
        Assert.NotEqual(a, new InitialSequenceNumbers(other).Next(Local, Remote, now));
    }

    [Fact]
    public void WorksForIpv6()
    {
        var isn = new InitialSequenceNumbers(Key);
        var local = new IpEndpoint(IpAddress.Parse("2001:db8::1"), 443);
        var remote = new IpEndpoint(IpAddress.Parse("2001:db8::2"), 50000);
        var now = Instant.FromMilliseconds(7);
        var a = isn.Next(local, remote, now);
        Assert.NotEqual(a, isn.Next(local, remote with { Address = IpAddress.Parse("2001:db8::3") }, now));
        Assert.NotEqual(a, isn.Next(Local, Remote, now));
    }

    [Fact]
    public void RejectsAShortKey() =>
        Assert.Throws<ArgumentException>(() => new InitialSequenceNumbers(new byte[8]));

    [Fact]
    public void ChoosingAllocatesNothing()
    {
        var isn = new InitialSequenceNumbers(Key);
        uint sink = 0;
        Assert.Equal(0, Testing.AllocationMeter.Measure(() => sink ^= isn.Next(Local, Remote, Instant.FromMicroseconds(sink)).Value));
    }
}
