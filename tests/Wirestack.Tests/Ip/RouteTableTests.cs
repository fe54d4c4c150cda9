using Wirestack.Ip;
using Wirestack.Testing;
using Wirestack.Wire;

namespace Wirestack.Tests.Ip;

public class RouteTableTests
{
    private static readonly Instant T0 = Instant.FromMilliseconds(1000);

    private static Ipv4Address V4(string text) => Ipv4Address.Parse(text);

    private static Ipv6Address V6(string text) => Ipv6Address.Parse(text);

    private static RouteTable<Ipv4Address> HandWorkedV4()
    {
        var table = new RouteTable<Ipv4Address>();
        Assert.Equal(RouteAddResult.Added, table.Add(Route<Ipv4Address>.Default(V4("192.0.2.1")), T0));
        Assert.Equal(RouteAddResult.Added, table.Add(Route<Ipv4Address>.OnLink(V4("192.0.2.0"), 24), T0));
        Assert.Equal(RouteAddResult.Added, table.Add(Route<Ipv4Address>.Via(V4("10.0.0.0"), 8, V4("192.0.2.2")), T0));
        Assert.Equal(RouteAddResult.Added, table.Add(Route<Ipv4Address>.Via(V4("10.1.0.0"), 16, V4("192.0.2.3")), T0));
        Assert.Equal(RouteAddResult.Added, table.Add(Route<Ipv4Address>.OnLink(V4("10.1.2.3"), 32), T0));
        return table;
    }

    [Theory]
    [InlineData("192.0.2.77", "192.0.2.77", 24)] // on-link: the destination is the next hop
    [InlineData("10.9.9.9", "192.0.2.2", 8)]
    [InlineData("10.1.200.1", "192.0.2.3", 16)] // /16 beats /8
    [InlineData("10.1.2.3", "10.1.2.3", 32)] // host route beats everything
    [InlineData("10.1.2.4", "192.0.2.3", 16)]
    [InlineData("11.0.0.1", "192.0.2.1", 0)] // default
    [InlineData("0.0.0.0", "192.0.2.1", 0)]
    [InlineData("255.255.255.255", "192.0.2.1", 0)]
    [InlineData("192.0.3.1", "192.0.2.1", 0)]
    public void LongestPrefixWinsInAHandWorkedTable(string destination, string nextHop, int prefixLength)
    {
        var table = HandWorkedV4();
        Assert.True(table.TryLookup(V4(destination), T0, out var hop, out var route));
        Assert.Equal(V4(nextHop), hop);
        Assert.Equal(prefixLength, route.PrefixLength);
    }

    [Fact]
    public void RoutesAreKeptLongestPrefixFirst()
    {
        var table = HandWorkedV4();
        var lengths = new List<int>();
        foreach (var route in table.Routes) lengths.Add(route.PrefixLength);
        Assert.Equal([32, 24, 16, 8, 0], lengths);
    }

    [Fact]
    public void WithoutADefaultRouteAnOffLinkDestinationIsUnroutable()
    {
        var table = new RouteTable<Ipv4Address>();
        table.Add(Route<Ipv4Address>.OnLink(V4("192.0.2.0"), 24), T0);
        Assert.False(table.TryLookup(V4("198.51.100.1"), T0, out var hop, out var route));
        Assert.Equal(default, hop);
        Assert.Equal(default, route);
        Assert.True(table.TryLookup(V4("192.0.2.9"), T0, out _));
        Assert.Equal(2, table.Counters.Lookups);
        Assert.Equal(1, table.Counters.Misses);
    }

    [Fact]
    public void HostBitsOfThePrefixAreCleared()
    {
        var route = Route<Ipv4Address>.OnLink(V4("192.0.2.77"), 24);
        Assert.Equal(V4("192.0.2.0"), route.Prefix);
        var v6 = Route<Ipv6Address>.OnLink(V6("2001:db8:1:2:3:4:5:6"), 52);
        Assert.Equal(V6("2001:db8:1::"), v6.Prefix);
        var table = new RouteTable<Ipv4Address>();
        table.Add(route, T0);
        Assert.Equal(RouteAddResult.Replaced, table.Add(Route<Ipv4Address>.OnLink(V4("192.0.2.1"), 24), T0));
        Assert.Equal(1, table.Count);
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(33)]
    public void APrefixLengthOutsideTheAddressIsRefused(int length)
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => Route<Ipv4Address>.OnLink(V4("10.0.0.0"), length));
        Assert.Contains("between 0 and 32", e.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => Route<Ipv6Address>.OnLink(V6("::"), 129));
        Assert.Throws<ArgumentOutOfRangeException>(() => Route<Ipv4Address>.Default(V4("10.0.0.1"), metric: -1));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1025)]
    public void OptionsOutOfRangeNameTheSetting(int capacity)
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => new RouteTable<Ipv4Address>(new RouteTableOptions { Capacity = capacity }));
        Assert.Contains("RouteTableOptions.Capacity", e.Message);
    }

    [Fact]
    public void LowerMetricWinsAmongEqualPrefixesAndTiesGoToTheOlderRoute()
    {
        var table = new RouteTable<Ipv6Address>();
        var r1 = V6("fe80::1");
        var r2 = V6("fe80::2");
        var r3 = V6("fe80::3");
        table.Add(Route<Ipv6Address>.Default(r1, metric: 100), T0);
        table.Add(Route<Ipv6Address>.Default(r2, metric: 50), T0);
        table.Add(Route<Ipv6Address>.Default(r3, metric: 50), T0);
        Assert.Equal(3, table.Count);
        Assert.True(table.TryLookup(V6("2001:db8::1"), T0, out var hop));
        Assert.Equal(r2, hop);

        // Replacing r2's metric moves it behind r1; same metric as r3 then, but r3 is older at that metric.
        Assert.Equal(RouteAddResult.Replaced, table.Add(Route<Ipv6Address>.Default(r2, metric: 200), T0));
        Assert.True(table.TryLookup(V6("2001:db8::1"), T0, out hop));
        Assert.Equal(r3, hop);
        Assert.True(table.Remove(Route<Ipv6Address>.Default(r3)));
        Assert.True(table.TryLookup(V6("2001:db8::1"), T0, out hop));
        Assert.Equal(r1, hop);
        Assert.Equal(3, table.Counters.Added);
        Assert.Equal(1, table.Counters.Replaced);
        Assert.Equal(1, table.Counters.Removed);
    }

    [Fact]
    public void OnLinkAndGatewayRoutesToTheSamePrefixAreDistinct()
    {
        var table = new RouteTable<Ipv4Address>();
        table.Add(Route<Ipv4Address>.Via(V4("10.0.0.0"), 8, V4("192.0.2.1"), metric: 10), T0);
        Assert.Equal(RouteAddResult.Added, table.Add(Route<Ipv4Address>.OnLink(V4("10.0.0.0"), 8, metric: 5), T0));
        Assert.True(table.TryLookup(V4("10.2.3.4"), T0, out var hop, out var route));
        Assert.True(route.IsOnLink);
        Assert.Equal(V4("10.2.3.4"), hop);
        Assert.False(table.Remove(Route<Ipv4Address>.Via(V4("10.0.0.0"), 8, V4("192.0.2.9"))));
        Assert.True(table.Remove(Route<Ipv4Address>.OnLink(V4("10.0.0.0"), 8)));
        Assert.True(table.TryLookup(V4("10.2.3.4"), T0, out hop));
        Assert.Equal(V4("192.0.2.1"), hop);
    }

    [Fact]
    public void ADuplicateReplacesTheExpiryInPlace()
    {
        var table = new RouteTable<Ipv6Address>();
        var router = V6("fe80::1");
        table.Add(Route<Ipv6Address>.Default(router, expiresAt: T0 + TimeSpan.FromSeconds(30)), T0);
        Assert.Equal(RouteAddResult.Replaced, table.Add(Route<Ipv6Address>.Default(router, expiresAt: T0 + TimeSpan.FromSeconds(1800)), T0));
        Assert.Equal(1, table.Count);
        Assert.Equal(T0 + TimeSpan.FromSeconds(1800), table.Routes[0].ExpiresAt);
        Assert.True(table.TryLookup(V6("2001:db8::5"), T0 + TimeSpan.FromSeconds(60), out _));
    }

    [Fact]
    public void AFullTableRefusesWithAResultAndCountsIt()
    {
        var table = new RouteTable<Ipv4Address>(new RouteTableOptions { Capacity = 3 });
        for (int i = 0; i < 3; i++)
            Assert.Equal(RouteAddResult.Added, table.Add(Route<Ipv4Address>.OnLink(new Ipv4Address(10, (byte)i, 0, 0), 16), T0));
        Assert.Equal(RouteAddResult.TableFull, table.Add(Route<Ipv4Address>.Default(V4("10.0.0.1")), T0));
        Assert.Equal(1, table.Counters.RejectedFull);
        Assert.Equal(3, table.Count);
        Assert.False(table.TryLookup(V4("192.0.2.1"), T0, out _));
        // A duplicate is a replacement, not an addition: it goes in even when full.
        Assert.Equal(RouteAddResult.Replaced, table.Add(Route<Ipv4Address>.OnLink(V4("10.1.0.0"), 16, metric: 7), T0));
        Assert.True(table.Remove(Route<Ipv4Address>.OnLink(V4("10.1.0.0"), 16)));
        Assert.Equal(RouteAddResult.Added, table.Add(Route<Ipv4Address>.Default(V4("10.0.0.1")), T0));
    }

    [Fact]
    public void AFullTableDropsExpiredRoutesBeforeRefusing()
    {
        var table = new RouteTable<Ipv4Address>(new RouteTableOptions { Capacity = 2 });
        var deadline = T0 + TimeSpan.FromSeconds(10);
        table.Add(Route<Ipv4Address>.OnLink(V4("10.0.0.0"), 8), T0);
        table.Add(Route<Ipv4Address>.Via(V4("172.16.0.0"), 12, V4("10.0.0.1"), expiresAt: deadline), T0);
        var extra = Route<Ipv4Address>.Default(V4("10.0.0.1"));
        Assert.Equal(RouteAddResult.TableFull, table.Add(extra, deadline - TimeSpan.FromMicroseconds(1)));
        Assert.Equal(RouteAddResult.Added, table.Add(extra, deadline));
        Assert.Equal(1, table.Counters.Expired);
        Assert.Equal(2, table.Count);
    }

    [Fact]
    public void ARouteExpiresExactlyAtItsDeadline()
    {
        var table = new RouteTable<Ipv6Address>();
        var deadline = T0 + TimeSpan.FromSeconds(1800);
        table.Add(Route<Ipv6Address>.Default(V6("fe80::1"), metric: 1024), T0);
        table.Add(Route<Ipv6Address>.Via(V6("2001:db8::"), 32, V6("fe80::2"), expiresAt: deadline), T0);
        Assert.Equal(deadline, table.NextExpiry);

        var destination = V6("2001:db8:aa::1");
        Assert.True(table.TryLookup(destination, deadline - TimeSpan.FromMicroseconds(1), out var hop));
        Assert.Equal(V6("fe80::2"), hop);
        Assert.True(table.TryLookup(destination, deadline, out hop)); // skipped from the deadline on, before any sweep
        Assert.Equal(V6("fe80::1"), hop);

        Assert.Equal(0, table.RemoveExpired(deadline - TimeSpan.FromMicroseconds(1)));
        Assert.Equal(1, table.RemoveExpired(deadline));
        Assert.Equal(1, table.Count);
        Assert.Equal(Instant.MaxValue, table.NextExpiry);
        Assert.Equal(1, table.Counters.Expired);
    }

    [Fact]
    public void RemoveViaDropsEveryRouteThroughAGatewayAndKeepsOnLinkOnes()
    {
        var table = HandWorkedV4();
        table.Add(Route<Ipv4Address>.Via(V4("172.16.0.0"), 12, V4("192.0.2.2")), T0);
        Assert.Equal(2, table.RemoveVia(V4("192.0.2.2")));
        Assert.Equal(4, table.Count);
        Assert.True(table.TryLookup(V4("10.9.9.9"), T0, out var hop));
        Assert.Equal(V4("192.0.2.1"), hop);
        Assert.Equal(0, table.RemoveVia(V4("192.0.2.77")));
        table.Clear();
        Assert.Equal(0, table.Count);
        Assert.False(table.TryLookup(V4("10.9.9.9"), T0, out _));
        Assert.Equal(6, table.Counters.Removed);
    }

    [Fact]
    public void Ipv6PrefixesAcrossTheHalvesMatch()
    {
        var table = new RouteTable<Ipv6Address>();
        table.Add(Route<Ipv6Address>.Via(V6("2001:db8::"), 32, V6("fe80::1")), T0);
        table.Add(Route<Ipv6Address>.OnLink(V6("2001:db8:0:1::"), 64), T0);
        table.Add(Route<Ipv6Address>.Via(V6("2001:db8:0:1:8000::"), 65, V6("fe80::65")), T0);
        table.Add(Route<Ipv6Address>.Via(V6("2001:db8:0:1::2"), 127, V6("fe80::127")), T0);
        table.Add(Route<Ipv6Address>.Via(V6("2001:db8:0:1::3"), 128, V6("fe80::128")), T0);

        void Expect(string destination, string nextHop)
        {
            Assert.True(table.TryLookup(V6(destination), T0, out var hop));
            Assert.Equal(V6(nextHop), hop);
        }

        Expect("2001:db8:ffff::1", "fe80::1");
        Expect("2001:db8:0:1::9", "2001:db8:0:1::9");
        Expect("2001:db8:0:1:8000::1", "fe80::65");
        Expect("2001:db8:0:1::2", "fe80::127");
        Expect("2001:db8:0:1::3", "fe80::128");
        Expect("2001:db8:0:2::3", "fe80::1");
        Assert.False(table.TryLookup(V6("2001:db9::1"), T0, out _));
    }

    [Fact]
    public void Ipv4LookupMatchesANaiveReferenceOverRandomTables() =>
        CompareWithReference<Ipv4Address>(seed: 1191, addressOf: RandomIpv4, bits: 32);

    [Fact]
    public void Ipv6LookupMatchesANaiveReferenceOverRandomTables() =>
        CompareWithReference<Ipv6Address>(seed: 8201, addressOf: RandomIpv6, bits: 128);

    [Fact]
    public void LookupAllocatesNothing()
    {
        var v4 = HandWorkedV4();
        var v6 = new RouteTable<Ipv6Address>();
        v6.Add(Route<Ipv6Address>.Default(V6("fe80::1")), T0);
        v6.Add(Route<Ipv6Address>.OnLink(V6("2001:db8::"), 64), T0);
        var d4 = V4("10.1.9.9");
        var d6 = V6("2001:db8::77");
        long sink = 0;
        long bytes = AllocationMeter.Measure(() =>
        {
            if (v4.TryLookup(d4, T0, out var hop4, out _)) sink += hop4.Value;
            if (v6.TryLookup(d6, T0, out var hop6)) sink += (long)hop6.Low;
        });
        Assert.Equal(0, bytes);
        Assert.NotEqual(0, sink);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(8)]
    [InlineData(31)]
    [InlineData(32)]
    public void Ipv4MaskAndSubnetAgreeWithBitByBit(int length)
    {
        var rng = new Random(length);
        for (int i = 0; i < 200; i++)
        {
            var a = new Ipv4Address((uint)rng.NextInt64(0, 1L << 32));
            var b = rng.Next(2) == 0 ? new Ipv4Address((uint)rng.NextInt64(0, 1L << 32)) : RandomIpv4(rng, a, length);
            Assert.Equal(SameBits(a, b, length), a.IsInSameSubnet(b, length));
            Assert.True(SameBits(a, a.Mask(length), length));
            Assert.True(BitsAfterAreZero(a.Mask(length), length));
        }
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(63)]
    [InlineData(64)]
    [InlineData(65)]
    [InlineData(127)]
    [InlineData(128)]
    public void Ipv6MaskAndSubnetAgreeWithBitByBit(int length)
    {
        var rng = new Random(length);
        for (int i = 0; i < 200; i++)
        {
            var a = new Ipv6Address((ulong)rng.NextInt64(), (ulong)rng.NextInt64() * 3);
            var b = rng.Next(2) == 0 ? new Ipv6Address((ulong)rng.NextInt64(), (ulong)rng.NextInt64()) : RandomIpv6(rng, a, length);
            Assert.Equal(SameBits(a, b, length), a.IsInSameSubnet(b, length));
            Assert.True(SameBits(a, a.Mask(length), length));
            Assert.True(BitsAfterAreZero(a.Mask(length), length));
        }
    }

    // ---- reference model ----

    private sealed record ReferenceRoute<T>(Route<T> Route, long Sequence)
        where T : struct, IIpAddress<T>, IEquatable<T>;

    private static void CompareWithReference<T>(int seed, Func<Random, T, int, T> addressOf, int bits)
        where T : struct, IIpAddress<T>, IEquatable<T>
    {
        var rng = new Random(seed);
        for (int round = 0; round < 40; round++)
        {
            int capacity = rng.Next(1, 65);
            var table = new RouteTable<T>(new RouteTableOptions { Capacity = capacity });
            var model = new List<ReferenceRoute<T>>();
            long sequence = 0;
            var now = T0;
            var bases = new T[4];
            for (int i = 0; i < bases.Length; i++) bases[i] = addressOf(rng, default, 0);
            var gateways = new T[3];
            for (int i = 0; i < gateways.Length; i++) gateways[i] = addressOf(rng, default, 0);

            for (int step = 0; step < 400; step++)
            {
                int op = rng.Next(10);
                if (op < 4)
                {
                    // Prefixes cluster under a few bases so routes nest and compete.
                    int length = rng.Next(0, bits + 1);
                    var prefix = addressOf(rng, bases[rng.Next(bases.Length)], rng.Next(0, length + 1));
                    T? gateway = rng.Next(3) == 0 ? null : gateways[rng.Next(gateways.Length)];
                    int metric = rng.Next(3);
                    Instant? expiry = rng.Next(3) == 0 ? now + TimeSpan.FromMicroseconds(rng.Next(1, 5000)) : null;
                    var route = new Route<T>(prefix, length, gateway, metric, expiry);

                    int existing = model.FindIndex(r => r.Route.HasSameKey(route));
                    RouteAddResult expected;
                    if (existing >= 0)
                    {
                        // Same metric keeps its age; a new metric makes it the youngest at that metric.
                        long keep = model[existing].Route.Metric == metric ? model[existing].Sequence : sequence++;
                        model[existing] = new ReferenceRoute<T>(route, keep);
                        expected = RouteAddResult.Replaced;
                    }
                    else
                    {
                        if (model.Count == capacity) model.RemoveAll(r => now >= r.Route.ExpiresAt);
                        if (model.Count == capacity)
                        {
                            expected = RouteAddResult.TableFull;
                        }
                        else
                        {
                            model.Add(new ReferenceRoute<T>(route, sequence++));
                            expected = RouteAddResult.Added;
                        }
                    }
                    Assert.Equal(expected, table.Add(route, now));
                }
                else if (op == 4 && model.Count > 0)
                {
                    var victim = model[rng.Next(model.Count)].Route;
                    model.RemoveAll(r => r.Route.HasSameKey(victim));
                    Assert.True(table.Remove(victim));
                }
                else if (op == 5)
                {
                    now += TimeSpan.FromMicroseconds(rng.Next(0, 2000));
                    if (rng.Next(2) == 0)
                        Assert.Equal(model.RemoveAll(r => now >= r.Route.ExpiresAt), table.RemoveExpired(now));
                }
                else
                {
                    for (int probe = 0; probe < 8; probe++)
                    {
                        // Destinations near the bases (to hit nested routes) and anywhere (to hit the default or nothing).
                        var destination = rng.Next(4) == 0 ? addressOf(rng, default, 0) : addressOf(rng, bases[rng.Next(bases.Length)], rng.Next(0, bits + 1));
                        ReferenceRoute<T>? best = null;
                        foreach (var candidate in model)
                        {
                            if (now >= candidate.Route.ExpiresAt || !SameBits(candidate.Route.Prefix, destination, candidate.Route.PrefixLength)) continue;
                            if (best is null || Better(candidate, best)) best = candidate;
                        }
                        bool found = table.TryLookup(destination, now, out var hop, out var route);
                        Assert.Equal(best is not null, found);
                        if (best is null) continue;
                        Assert.Equal(best.Route, route);
                        Assert.Equal(best.Route.IsOnLink ? destination : best.Route.Gateway, hop);
                    }
                }
                Assert.Equal(model.Count, table.Count);
                var soonest = Instant.MaxValue;
                foreach (var r in model) soonest = Instant.Min(soonest, r.Route.ExpiresAt);
                Assert.Equal(soonest, table.NextExpiry);
            }
        }
    }

    private static bool Better<T>(ReferenceRoute<T> a, ReferenceRoute<T> b)
        where T : struct, IIpAddress<T>, IEquatable<T> =>
        a.Route.PrefixLength != b.Route.PrefixLength ? a.Route.PrefixLength > b.Route.PrefixLength
        : a.Route.Metric != b.Route.Metric ? a.Route.Metric < b.Route.Metric
        : a.Sequence < b.Sequence;

    /// <summary>Bit-by-bit over the wire bytes: independent of the shifts IsInSameSubnet and Mask use.</summary>
    internal static bool SameBits<T>(T a, T b, int length)
        where T : struct, IIpAddress<T>
    {
        Span<byte> x = stackalloc byte[16];
        Span<byte> y = stackalloc byte[16];
        a.WriteTo(x);
        b.WriteTo(y);
        for (int bit = 0; bit < length; bit++)
            if (((x[bit / 8] >> (7 - bit % 8)) & 1) != ((y[bit / 8] >> (7 - bit % 8)) & 1)) return false;
        return true;
    }

    private static bool BitsAfterAreZero<T>(T a, int length)
        where T : struct, IIpAddress<T>
    {
        Span<byte> x = stackalloc byte[16];
        a.WriteTo(x);
        for (int bit = length; bit < T.Length * 8; bit++)
            if (((x[bit / 8] >> (7 - bit % 8)) & 1) != 0) return false;
        return true;
    }

    /// <summary>A random address sharing the first <paramref name="length"/> bits of <paramref name="template"/>.</summary>
    internal static Ipv4Address RandomIpv4(Random rng, Ipv4Address template, int length)
    {
        uint random = (uint)rng.NextInt64(0, 1L << 32);
        uint mask = length == 0 ? 0 : uint.MaxValue << (32 - length);
        return new Ipv4Address((template.Value & mask) | (random & ~mask));
    }

    /// <summary>A random address sharing the first <paramref name="length"/> bits of <paramref name="template"/>.</summary>
    internal static Ipv6Address RandomIpv6(Random rng, Ipv6Address template, int length)
    {
        Span<byte> bytes = stackalloc byte[16];
        Span<byte> t = stackalloc byte[16];
        rng.NextBytes(bytes);
        template.WriteTo(t);
        for (int bit = 0; bit < length; bit++)
        {
            int mask = 1 << (7 - bit % 8);
            bytes[bit / 8] = (byte)((bytes[bit / 8] & ~mask) | (t[bit / 8] & mask));
        }
        return Ipv6Address.Read(bytes);
    }
}
