using Wirestack.Ip;
using Wirestack.Testing;
using Wirestack.Wire;

namespace Wirestack.Tests.Ip;

public class PathMtuCacheTests
{
    private static readonly Instant T0 = Instant.FromMilliseconds(5000);
    private static readonly Ipv4Address A = Ipv4Address.Parse("198.51.100.1");
    private static readonly Ipv4Address B = Ipv4Address.Parse("198.51.100.2");
    private static readonly Ipv4Address C = Ipv4Address.Parse("198.51.100.3");
    private static readonly Ipv4Address D = Ipv4Address.Parse("198.51.100.4");

    [Fact]
    public void WithoutAnEntryTheAnswerIsTheLinkMtu()
    {
        var cache = new PathMtuCache<Ipv4Address>(new PathMtuCacheOptions { LinkMtu = 9000 });
        Assert.Equal(9000, cache.GetMtu(A, T0, out bool below));
        Assert.False(below);
        Assert.Equal(1, cache.Counters.Misses);
    }

    [Fact]
    public void OnlyDecreasesAreLearned()
    {
        var cache = new PathMtuCache<Ipv4Address>();
        Assert.Equal(PathMtuUpdateResult.Ignored, cache.Update(A, 1500, T0)); // not below the link MTU
        Assert.Equal(PathMtuUpdateResult.Ignored, cache.Update(A, 9000, T0));
        Assert.Equal(0, cache.Count);
        Assert.Equal(PathMtuUpdateResult.Learned, cache.Update(A, 1400, T0));
        Assert.Equal(PathMtuUpdateResult.Ignored, cache.Update(A, 1450, T0));
        Assert.Equal(PathMtuUpdateResult.Ignored, cache.Update(A, 1400, T0));
        Assert.Equal(1400, cache.GetMtu(A, T0));
        Assert.Equal(PathMtuUpdateResult.Lowered, cache.Update(A, 1280, T0));
        Assert.Equal(1280, cache.GetMtu(A, T0));
        Assert.Equal(1500, cache.GetMtu(B, T0));
        Assert.Equal((1L, 1L, 4L), (cache.Counters.Learned, cache.Counters.Lowered, cache.Counters.Ignored));
    }

    [Theory]
    [InlineData(0, 552)] // an old router that leaves the field zero
    [InlineData(68, 552)]
    [InlineData(300, 552)]
    [InlineData(551, 552)]
    [InlineData(552, 552)]
    [InlineData(553, 553)]
    public void Ipv4ReportsAreClampedToTheMinimumAndMarked(int reported, int expected)
    {
        var cache = new PathMtuCache<Ipv4Address>();
        Assert.Equal(PathMtuUpdateResult.Learned, cache.Update(A, reported, T0));
        Assert.Equal(expected, cache.GetMtu(A, T0, out bool below));
        Assert.Equal(reported < 552, below);
        Assert.Equal(reported < 552 ? 1 : 0, cache.Counters.Clamped);
    }

    [Fact]
    public void AReportBelowTheMinimumMarksAnEntryAlreadyAtIt()
    {
        var cache = new PathMtuCache<Ipv4Address>();
        cache.Update(A, 552, T0);
        Assert.Equal(PathMtuUpdateResult.Lowered, cache.Update(A, 400, T0 + TimeSpan.FromSeconds(1)));
        Assert.Equal(552, cache.GetMtu(A, T0 + TimeSpan.FromSeconds(1), out bool below));
        Assert.True(below);
        Assert.Equal(PathMtuUpdateResult.Ignored, cache.Update(A, 300, T0 + TimeSpan.FromSeconds(2)));
    }

    [Fact]
    public void TheIpv4MinimumCanBeRfc1191s68()
    {
        var cache = new PathMtuCache<Ipv4Address>(new PathMtuCacheOptions { MinimumIpv4Mtu = 68 });
        cache.Update(A, 296, T0);
        Assert.Equal(296, cache.GetMtu(A, T0));
        cache.Update(B, 20, T0);
        Assert.Equal(68, cache.GetMtu(B, T0, out bool below));
        Assert.True(below);
    }

    [Fact]
    public void Ipv6ReportsAreClampedTo1280WithoutAMark()
    {
        var cache = new PathMtuCache<Ipv6Address>();
        var destination = Ipv6Address.Parse("2001:db8::1");
        Assert.Equal(1280, cache.MinimumMtu);
        Assert.Equal(PathMtuUpdateResult.Learned, cache.Update(destination, 1000, T0));
        Assert.Equal(1280, cache.GetMtu(destination, T0, out bool below));
        Assert.False(below);
        Assert.Equal(1, cache.Counters.Clamped);

        // On a 1280-byte link there is nothing below the link MTU to learn.
        var narrow = new PathMtuCache<Ipv6Address>(new PathMtuCacheOptions { LinkMtu = 1280 });
        Assert.Equal(PathMtuUpdateResult.Ignored, narrow.Update(destination, 576, T0));
        Assert.Equal(0, narrow.Count);
    }

    [Fact]
    public void AnEntryExpiresExactlyAtItsDeadlineAndLoweringRestartsIt()
    {
        var timeout = TimeSpan.FromMinutes(10);
        var cache = new PathMtuCache<Ipv4Address>();
        cache.Update(A, 1400, T0);
        Assert.Equal(T0 + timeout, cache.NextExpiry);
        Assert.Equal(1400, cache.GetMtu(A, T0 + timeout - TimeSpan.FromMicroseconds(1)));
        Assert.True(cache.Contains(A, T0 + timeout - TimeSpan.FromMicroseconds(1)));
        Assert.False(cache.Contains(A, T0 + timeout));
        Assert.Equal(1500, cache.GetMtu(A, T0 + timeout)); // probing upward again
        Assert.Equal(0, cache.Count);
        Assert.Equal(1, cache.Counters.Expired);

        var t1 = T0 + timeout;
        cache.Update(B, 1400, t1);
        var later = t1 + TimeSpan.FromMinutes(6);
        cache.Update(B, 1300, later);
        Assert.Equal(1300, cache.GetMtu(B, t1 + timeout));
        Assert.Equal(1300, cache.GetMtu(B, later + timeout - TimeSpan.FromMicroseconds(1)));
        Assert.Equal(1500, cache.GetMtu(B, later + timeout));
    }

    [Fact]
    public void AnIgnoredReportDoesNotRestartTheTimeout()
    {
        var timeout = TimeSpan.FromSeconds(30);
        var cache = new PathMtuCache<Ipv4Address>(new PathMtuCacheOptions { Timeout = timeout });
        cache.Update(A, 1400, T0);
        cache.Update(A, 1400, T0 + TimeSpan.FromSeconds(20));
        Assert.Equal(1500, cache.GetMtu(A, T0 + timeout));
    }

    [Fact]
    public void AnExpiredEntryIsRelearnedEvenWithAHigherValue()
    {
        var cache = new PathMtuCache<Ipv4Address>(new PathMtuCacheOptions { Timeout = TimeSpan.FromSeconds(1) });
        cache.Update(A, 1000, T0);
        var t1 = T0 + TimeSpan.FromSeconds(1);
        Assert.Equal(PathMtuUpdateResult.Learned, cache.Update(A, 1400, t1));
        Assert.Equal(1400, cache.GetMtu(A, t1));
        Assert.Equal(1, cache.Count);
    }

    [Fact]
    public void RemoveExpiredSweepsAndRecomputesTheNextExpiry()
    {
        var timeout = TimeSpan.FromSeconds(10);
        var cache = new PathMtuCache<Ipv4Address>(new PathMtuCacheOptions { Timeout = timeout });
        Assert.Equal(Instant.MaxValue, cache.NextExpiry);
        cache.Update(A, 1400, T0);
        cache.Update(B, 1400, T0 + TimeSpan.FromSeconds(3));
        cache.Update(C, 1400, T0 + TimeSpan.FromSeconds(5));
        Assert.Equal(T0 + timeout, cache.NextExpiry);
        Assert.Equal(0, cache.RemoveExpired(T0 + timeout - TimeSpan.FromMicroseconds(1)));
        Assert.Equal(1, cache.RemoveExpired(T0 + timeout));
        Assert.Equal(T0 + TimeSpan.FromSeconds(13), cache.NextExpiry);
        Assert.Equal(2, cache.RemoveExpired(T0 + TimeSpan.FromSeconds(15)));
        Assert.Equal(Instant.MaxValue, cache.NextExpiry);
        Assert.Equal(0, cache.Count);
        Assert.Equal(3, cache.Counters.Expired);
    }

    [Fact]
    public void AFullCacheEvictsTheLeastRecentlyUsedEntry()
    {
        var cache = new PathMtuCache<Ipv4Address>(new PathMtuCacheOptions { Capacity = 3 });
        cache.Update(A, 1400, T0);
        cache.Update(B, 1400, T0);
        cache.Update(C, 1400, T0);
        Assert.Equal(1400, cache.GetMtu(A, T0)); // A is now the most recent; B the least
        Assert.Equal(PathMtuUpdateResult.Learned, cache.Update(D, 1300, T0));
        Assert.Equal(3, cache.Count);
        Assert.Equal(1, cache.Counters.Evicted);
        Assert.False(cache.Contains(B, T0));
        Assert.True(cache.Contains(A, T0) && cache.Contains(C, T0) && cache.Contains(D, T0));
        cache.Update(C, 1200, T0); // a decrease counts as a use too: A is now the least recent
        cache.Update(B, 1200, T0);
        Assert.False(cache.Contains(A, T0));
        Assert.Equal(2, cache.Counters.Evicted);
    }

    [Fact]
    public void ALoweredLinkMtuCapsEveryAnswer()
    {
        var cache = new PathMtuCache<Ipv4Address>();
        cache.Update(A, 1400, T0);
        cache.LinkMtu = 1300;
        Assert.Equal(1300, cache.GetMtu(A, T0));
        Assert.Equal(1300, cache.GetMtu(B, T0));
        Assert.Equal(PathMtuUpdateResult.Ignored, cache.Update(A, 1350, T0));
        Assert.Equal(PathMtuUpdateResult.Lowered, cache.Update(A, 1200, T0));
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => cache.LinkMtu = 67);
        Assert.Contains("LinkMtu", e.Message);
    }

    [Fact]
    public void RemoveAndClearForget()
    {
        var cache = new PathMtuCache<Ipv4Address>();
        cache.Update(A, 1400, T0);
        cache.Update(B, 1400, T0);
        Assert.True(cache.Remove(A));
        Assert.False(cache.Remove(A));
        Assert.Equal(1500, cache.GetMtu(A, T0));
        Assert.Equal(1400, cache.GetMtu(B, T0));
        cache.Clear();
        Assert.Equal(0, cache.Count);
        Assert.Equal(1500, cache.GetMtu(B, T0));
        Assert.Equal(2, cache.Counters.Removed);
        // Every slot is free again.
        for (byte i = 0; i < 255; i++) cache.Update(new Ipv4Address(10, 0, 0, i), 1400, T0);
        Assert.Equal(255, cache.Count);
        Assert.Equal(0, cache.Counters.Evicted);
    }

    [Theory]
    [InlineData(nameof(PathMtuCacheOptions.Capacity))]
    [InlineData(nameof(PathMtuCacheOptions.LinkMtu))]
    [InlineData(nameof(PathMtuCacheOptions.Timeout))]
    [InlineData(nameof(PathMtuCacheOptions.MinimumIpv4Mtu))]
    public void OptionsOutOfRangeNameTheSetting(string setting)
    {
        var options = setting switch
        {
            nameof(PathMtuCacheOptions.Capacity) => new PathMtuCacheOptions { Capacity = 0 },
            nameof(PathMtuCacheOptions.LinkMtu) => new PathMtuCacheOptions { LinkMtu = 67 },
            nameof(PathMtuCacheOptions.Timeout) => new PathMtuCacheOptions { Timeout = TimeSpan.Zero },
            _ => new PathMtuCacheOptions { MinimumIpv4Mtu = 577 },
        };
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => new PathMtuCache<Ipv4Address>(options));
        Assert.Contains("PathMtuCacheOptions." + setting, e.Message);
    }

    [Fact]
    public void AnIpv6CacheNeedsALinkOfAtLeast1280()
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => new PathMtuCache<Ipv6Address>(new PathMtuCacheOptions { LinkMtu = 1279 }));
        Assert.Contains("between 1280", e.Message);
    }

    [Theory]
    [InlineData(1, 7)]
    [InlineData(8, 11)]
    [InlineData(8, 12)]
    [InlineData(64, 13)]
    public void Ipv4MatchesAReferenceModelUnderRandomOperations(int capacity, int seed) =>
        CompareWithModel(capacity, seed, rng => new Ipv4Address(10, 0, 0, (byte)rng.Next(capacity * 3 + 2)));

    [Theory]
    [InlineData(8, 21)]
    [InlineData(32, 22)]
    public void Ipv6MatchesAReferenceModelUnderRandomOperations(int capacity, int seed) =>
        CompareWithModel(capacity, seed, rng => new Ipv6Address(0x2001_0db8_0000_0000UL + (uint)rng.Next(3), (uint)rng.Next(capacity * 2)));

    [Fact]
    public void LookupsAndUpdatesAllocateNothing()
    {
        var v4 = new PathMtuCache<Ipv4Address>();
        var v6 = new PathMtuCache<Ipv6Address>();
        var d6 = Ipv6Address.Parse("2001:db8::1");
        v4.Update(A, 1400, T0);
        v6.Update(d6, 1400, T0);
        int mtu = 1400;
        long sum = 0;
        long bytes = AllocationMeter.Measure(() =>
        {
            sum += v4.GetMtu(A, T0) + v4.GetMtu(B, T0) + v6.GetMtu(d6, T0, out _);
            mtu = mtu > 1290 ? mtu - 1 : 1400;
            v4.Update(C, mtu, T0);
            v6.Update(d6, mtu, T0);
            v4.Remove(C);
        });
        Assert.Equal(0, bytes);
        Assert.NotEqual(0, sum);
    }

    private sealed class ModelEntry
    {
        public int Mtu;
        public bool Below;
        public Instant Expiry;
    }

    /// <summary>A dictionary plus a list in use order: no hashing, no probing, no slots.</summary>
    private static void CompareWithModel<T>(int capacity, int seed, Func<Random, T> pick)
        where T : struct, IIpAddress<T>, IEquatable<T>
    {
        var rng = new Random(seed);
        var timeout = TimeSpan.FromMilliseconds(50);
        var cache = new PathMtuCache<T>(new PathMtuCacheOptions { Capacity = capacity, Timeout = timeout, HashSeed = (ulong)seed });
        int minimum = cache.MinimumMtu;
        bool v4 = T.Length == 4;
        var entries = new Dictionary<T, ModelEntry>();
        var order = new List<T>(); // least recently used first
        var now = T0;
        long evicted = 0;

        void Use(T key)
        {
            order.Remove(key);
            order.Add(key);
        }

        void Drop(T key)
        {
            entries.Remove(key);
            order.Remove(key);
        }

        for (int step = 0; step < 20_000; step++)
        {
            var key = pick(rng);
            switch (rng.Next(8))
            {
                case 0:
                case 1:
                case 2:
                {
                    int reported = rng.Next(4) == 0 ? rng.Next(0, 1400) : rng.Next(1200, 1600);
                    bool clamped = reported < minimum;
                    int mtu = Math.Max(reported, minimum);
                    bool mark = clamped && v4;
                    PathMtuUpdateResult expected;
                    if (entries.TryGetValue(key, out var entry) && now >= entry.Expiry) Drop(key);
                    if (entries.TryGetValue(key, out entry))
                    {
                        if (mtu < entry.Mtu || (mtu == entry.Mtu && mark && !entry.Below))
                        {
                            entry.Mtu = mtu;
                            entry.Below |= mark;
                            entry.Expiry = now + timeout;
                            Use(key);
                            expected = PathMtuUpdateResult.Lowered;
                        }
                        else
                        {
                            expected = PathMtuUpdateResult.Ignored;
                        }
                    }
                    else if (mtu >= 1500 && !mark)
                    {
                        expected = PathMtuUpdateResult.Ignored;
                    }
                    else
                    {
                        if (entries.Count == capacity)
                        {
                            Drop(order[0]);
                            evicted++;
                        }
                        entries[key] = new ModelEntry { Mtu = Math.Min(mtu, 1500), Below = mark, Expiry = now + timeout };
                        order.Add(key);
                        expected = PathMtuUpdateResult.Learned;
                    }
                    Assert.Equal(expected, cache.Update(key, reported, now));
                    break;
                }
                case 3:
                case 4:
                {
                    int expected = 1500;
                    bool below = false;
                    if (entries.TryGetValue(key, out var entry))
                    {
                        if (now < entry.Expiry)
                        {
                            expected = entry.Mtu;
                            below = entry.Below;
                            Use(key);
                        }
                        else
                        {
                            Drop(key);
                        }
                    }
                    Assert.Equal(expected, cache.GetMtu(key, now, out bool actualBelow));
                    Assert.Equal(below, actualBelow);
                    break;
                }
                case 5:
                    Assert.Equal(entries.Remove(key), cache.Remove(key));
                    order.Remove(key);
                    break;
                case 6:
                    now += TimeSpan.FromMilliseconds(rng.Next(0, 12));
                    break;
                default:
                {
                    int expired = 0;
                    foreach (var k in order.ToArray())
                    {
                        if (now < entries[k].Expiry) continue;
                        Drop(k);
                        expired++;
                    }
                    Assert.Equal(expired, cache.RemoveExpired(now));
                    break;
                }
            }
            Assert.Equal(entries.Count, cache.Count);
            Assert.Equal(evicted, cache.Counters.Evicted);
            foreach (var pair in entries)
                Assert.True(cache.NextExpiry <= pair.Value.Expiry, "NextExpiry must never be later than an entry's expiry");
        }
        // Every remembered entry is still reachable after all the probing and deleting.
        foreach (var pair in entries)
            Assert.Equal(pair.Value.Expiry > now, cache.Contains(pair.Key, now));
    }
}
