using Wirestack.Tcp;
using Wirestack.Wire;

namespace Wirestack.Tests.Tcp;

public class SynCookiesTests
{
    private static readonly byte[] Key = [9, 8, 7, 6, 5, 4, 3, 2, 1, 0, 11, 22, 33, 44, 55, 66];
    private static readonly IpEndpoint Local = new(IpAddress.Parse("192.0.2.1"), 80);
    private static readonly IpEndpoint Remote = new(IpAddress.Parse("198.51.100.7"), 40000);
    private static readonly TcpSeqNumber ClientIsn = new(0xDEADBEEF);
    private static readonly Instant Now = Instant.FromMilliseconds(1_000_000);

    [Theory]
    [InlineData(1460, 1460)]
    [InlineData(1459, 1452)] // rounds down
    [InlineData(1500, 1460)]
    [InlineData(9000, 8960)]
    [InlineData(65495, 8960)]
    [InlineData(1220, 1220)]
    [InlineData(1279, 1220)]
    [InlineData(536, 536)]
    [InlineData(100, 536)]   // below the smallest: the IPv4 minimum every host accepts
    public void RoundTripCarriesTheMssRoundedDown(int announced, int expected)
    {
        uint cookie = SynCookies.Encode(Key, Local, Remote, ClientIsn, announced, Now);
        Assert.True(SynCookies.TryDecode(Key, Local, Remote, ClientIsn, new TcpSeqNumber(cookie), Now + TimeSpan.FromSeconds(1), out int mss));
        Assert.Equal(expected, mss);
    }

    [Fact]
    public void WorksForIpv6()
    {
        var local = new IpEndpoint(IpAddress.Parse("2001:db8::1"), 443);
        var remote = new IpEndpoint(IpAddress.Parse("2001:db8::2"), 50000);
        uint cookie = SynCookies.Encode(Key, local, remote, ClientIsn, 1440, Now);
        Assert.True(SynCookies.TryDecode(Key, local, remote, ClientIsn, new TcpSeqNumber(cookie), Now, out int mss));
        Assert.Equal(1440, mss);
        Assert.False(SynCookies.TryDecode(Key, local, remote with { Address = IpAddress.Parse("2001:db8::3") }, ClientIsn, new TcpSeqNumber(cookie), Now, out _));
    }

    [Fact]
    public void AnythingChangedIsRejected()
    {
        var cookie = new TcpSeqNumber(SynCookies.Encode(Key, Local, Remote, ClientIsn, 1460, Now));
        byte[] otherKey = (byte[])Key.Clone();
        otherKey[0] ^= 0x80;
        Assert.False(SynCookies.TryDecode(otherKey, Local, Remote, ClientIsn, cookie, Now, out _));
        Assert.False(SynCookies.TryDecode(Key, Local with { Port = 81 }, Remote, ClientIsn, cookie, Now, out _));
        Assert.False(SynCookies.TryDecode(Key, Local, Remote with { Port = 40001 }, ClientIsn, cookie, Now, out _));
        Assert.False(SynCookies.TryDecode(Key, Local, Remote with { Address = IpAddress.Parse("198.51.100.8") }, ClientIsn, cookie, Now, out _));
        Assert.False(SynCookies.TryDecode(Key, Local, Remote, ClientIsn + 1, cookie, Now, out _));
        Assert.False(SynCookies.TryDecode(Key, Local, Remote, ClientIsn, cookie + 1, Now, out _));
        // Flipping the MSS index bits is caught by the MAC.
        Assert.False(SynCookies.TryDecode(Key, Local, Remote, ClientIsn, new TcpSeqNumber(cookie.Value ^ (1u << 24)), Now, out int mss));
        Assert.Equal(0, mss);
    }

    [Fact]
    public void OnlyTheCurrentAndPreviousPeriodsAreAccepted()
    {
        var period = SynCookies.Period;
        var start = Instant.FromMicroseconds(1000 * (long)period.TotalMicroseconds); // the start of a period
        var cookie = new TcpSeqNumber(SynCookies.Encode(Key, Local, Remote, ClientIsn, 1460, start + period - TimeSpan.FromSeconds(1)));
        Assert.True(SynCookies.TryDecode(Key, Local, Remote, ClientIsn, cookie, start + period - TimeSpan.FromMilliseconds(1), out _));
        Assert.True(SynCookies.TryDecode(Key, Local, Remote, ClientIsn, cookie, start + period, out _));
        Assert.True(SynCookies.TryDecode(Key, Local, Remote, ClientIsn, cookie, start + 2 * period - TimeSpan.FromMilliseconds(1), out _));
        Assert.False(SynCookies.TryDecode(Key, Local, Remote, ClientIsn, cookie, start + 2 * period, out _));
        // 32 periods later the 5-bit counter matches again, but the MAC covers the whole counter.
        Assert.False(SynCookies.TryDecode(Key, Local, Remote, ClientIsn, cookie, start + 32 * period, out _));
        Assert.False(SynCookies.TryDecode(Key, Local, Remote, ClientIsn, cookie, start + 33 * period, out _));
        // A cookie from the future (a period ahead) is not accepted either.
        Assert.False(SynCookies.TryDecode(Key, Local, Remote, ClientIsn, cookie, start - TimeSpan.FromSeconds(1), out _));
    }

    [Theory]
    [InlineData(-1, false)]
    [InlineData(0, true)]
    [InlineData(7, false)]
    [InlineData(14, true)]
    public void TimestampOptionsRoundTrip(int windowScale, bool sack)
    {
        uint clock = 123_456_789;
        uint tsval = SynCookies.EncodeTimestampOptions(clock, windowScale, sack);
        Assert.True(tsval <= clock && clock - tsval < 32, "the TSval never runs ahead of the clock, and lags it by less than 32");
        SynCookies.DecodeTimestampOptions(tsval, out int scale, out bool sackPermitted);
        Assert.Equal(windowScale, scale);
        Assert.Equal(sack, sackPermitted);
        Assert.Throws<ArgumentOutOfRangeException>(() => SynCookies.EncodeTimestampOptions(clock, 15, sack));
    }

    [Fact]
    public void EncodingAndDecodingAllocateNothing()
    {
        uint sink = 0;
        long bytes = Testing.AllocationMeter.Measure(() =>
        {
            uint cookie = SynCookies.Encode(Key, Local, Remote, ClientIsn, 1460, Now);
            if (SynCookies.TryDecode(Key, Local, Remote, ClientIsn, new TcpSeqNumber(cookie), Now, out int mss)) sink += (uint)mss;
        });
        Assert.Equal(0, bytes);
        Assert.NotEqual(0u, sink);
    }
}
