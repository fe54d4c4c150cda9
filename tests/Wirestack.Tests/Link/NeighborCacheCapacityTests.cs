using Wirestack.Link;
using Wirestack.Testing;
using Wirestack.Wire;

namespace Wirestack.Tests.Link;

public class NeighborCacheCapacityTests
{
    private static readonly Instant T0 = Instant.FromMilliseconds(1_000);

    private static Ipv4Address Host(int n) => new(0x0A00_0000u + (uint)n);

    private static MacAddress Mac(int n) => MacAddress.FromValue(0x0200_0000_0000UL + (ulong)n);

    private static void Resolve(NeighborCache<Ipv4Address> cache, int n, Instant now)
    {
        Assert.Equal(NeighborLookupResult.SendRequest, cache.Lookup(Host(n), now).Result);
        cache.Learn(Host(n), Mac(n), now, NeighborEvidence.ArpReply);
    }

    [Fact]
    public void CapacityOneEvictsTheResolvedEntryButRefusesWhileItResolves()
    {
        var cache = new NeighborCache<Ipv4Address>(new NeighborCacheOptions { Capacity = 1 });
        Assert.Equal(NeighborLookupResult.SendRequest, cache.Lookup(Host(1), T0).Result);
        cache.TryQueue(Host(1), new byte[20], T0);

        // The only entry is resolving: a second destination is refused, and so is a learned one.
        Assert.Equal(NeighborLookupResult.Refused, cache.Lookup(Host(2), T0).Result);
        Assert.False(cache.Learn(Host(3), Mac(3), T0, NeighborEvidence.ArpRequestForUs));
        Assert.Equal(2, cache.Counters.Refusals);
        Assert.Equal(NeighborState.Incomplete, cache.GetState(Host(1), out _));

        // Resolved, it can be evicted; its undrained packet is dropped with it.
        cache.Learn(Host(1), Mac(1), T0, NeighborEvidence.ArpReply);
        Assert.Equal(NeighborLookupResult.SendRequest, cache.Lookup(Host(2), T0).Result);
        Assert.Equal(1, cache.Counters.Evictions);
        Assert.Equal(1, cache.Counters.PacketsDroppedUnresolved);
        Assert.Equal(0, cache.QueuedPackets);
        Assert.Equal(NeighborState.None, cache.GetState(Host(1), out _));
        Assert.Equal(1, cache.Count);
    }

    [Fact]
    public void FullTableEvictsTheLeastRecentlyUsed()
    {
        var cache = new NeighborCache<Ipv4Address>(new NeighborCacheOptions { Capacity = 3 });
        Resolve(cache, 1, T0);
        Resolve(cache, 2, T0);
        Resolve(cache, 3, T0);
        cache.Lookup(Host(1), T0); // order of use, most recent first: 1, 3, 2

        Resolve(cache, 4, T0);
        Assert.Equal(NeighborState.None, cache.GetState(Host(2), out _));
        Resolve(cache, 5, T0);
        Assert.Equal(NeighborState.None, cache.GetState(Host(3), out _));
        Resolve(cache, 6, T0);
        Assert.Equal(NeighborState.None, cache.GetState(Host(1), out _));
        Assert.Equal(3, cache.Counters.Evictions);
        Assert.Equal(3, cache.Count);
    }

    [Fact]
    public void UnsolicitedSendersEvictEachOtherBeforeEntriesInUse()
    {
        var cache = new NeighborCache<Ipv4Address>(new NeighborCacheOptions { Capacity = 3 });
        Resolve(cache, 1, T0);
        Resolve(cache, 2, T0);
        Resolve(cache, 3, T0);

        // A flood of requests from new senders costs one entry in use (the coldest), no more.
        for (int n = 100; n < 200; n++) cache.Learn(Host(n), Mac(n), T0, NeighborEvidence.ArpRequestForUs);
        Assert.Equal(NeighborState.None, cache.GetState(Host(1), out _));
        Assert.Equal(NeighborState.Reachable, cache.GetState(Host(2), out _));
        Assert.Equal(NeighborState.Reachable, cache.GetState(Host(3), out _));
        Assert.Equal(NeighborState.Stale, cache.GetState(Host(199), out _));
        Assert.Equal(100, cache.Counters.Evictions);
    }

    [Fact]
    public void TableFullOfIncompleteEntriesRefusesAndRecoversAsTheyFail()
    {
        var cache = new NeighborCache<Ipv4Address>(new NeighborCacheOptions { Capacity = 4 });
        for (int n = 1; n <= 4; n++) cache.Lookup(Host(n), T0);
        Assert.Equal(NeighborLookupResult.Refused, cache.Lookup(Host(5), T0).Result);
        Assert.Equal(1, cache.Counters.Refusals);

        var requests = new NeighborRequest<Ipv4Address>[8];
        cache.Poll(T0 + TimeSpan.FromSeconds(1), requests);
        cache.Poll(T0 + TimeSpan.FromSeconds(2), requests);
        cache.Poll(T0 + TimeSpan.FromSeconds(3), requests);
        Assert.Equal(0, cache.Count);
        Assert.Equal(4, cache.Counters.ResolutionFailures);
        Assert.Equal(NeighborLookupResult.SendRequest, cache.Lookup(Host(5), T0 + TimeSpan.FromSeconds(3)).Result);
    }

    [Fact]
    public void PerNeighborQueueLimitDropsTheOldest()
    {
        var cache = new NeighborCache<Ipv4Address>(new NeighborCacheOptions { MaxQueuedPerNeighbor = 2 });
        cache.Lookup(Host(1), T0);
        for (byte i = 1; i <= 5; i++) Assert.True(cache.TryQueue(Host(1), new[] { i }, T0));
        Assert.Equal(3, cache.Counters.PacketsDroppedQueueFull);
        Assert.Equal(5, cache.Counters.PacketsQueued);
        Assert.Equal(2, cache.QueuedPackets);

        Assert.True(cache.Learn(Host(1), Mac(1), T0, NeighborEvidence.ArpReply));
        Assert.True(cache.TryDequeue(Host(1), out _, out var first));
        Assert.Equal(4, first[0]);
        Assert.True(cache.TryDequeue(Host(1), out _, out var second));
        Assert.Equal(5, second[0]);
        Assert.False(cache.TryDequeue(Host(1), out _, out _));
    }

    [Fact]
    public void EmptyPoolDropsTheNeighborsOldestOrTheNewPacket()
    {
        var cache = new NeighborCache<Ipv4Address>(new NeighborCacheOptions { PacketBufferCount = 2, MaxQueuedPerNeighbor = 2 });
        cache.Lookup(Host(1), T0);
        cache.Lookup(Host(2), T0);
        Assert.True(cache.TryQueue(Host(1), new byte[] { 1 }, T0));
        Assert.True(cache.TryQueue(Host(1), new byte[] { 2 }, T0));

        // Host 2 has nothing to give up: its packet is the one dropped.
        Assert.False(cache.TryQueue(Host(2), new byte[] { 9 }, T0));
        Assert.Equal(1, cache.Counters.PacketsDroppedQueueFull);

        // Host 1 recycles its own oldest.
        Assert.True(cache.TryQueue(Host(1), new byte[] { 3 }, T0));
        Assert.Equal(2, cache.Counters.PacketsDroppedQueueFull);
        cache.Learn(Host(1), Mac(1), T0, NeighborEvidence.ArpReply);
        Assert.True(cache.TryDequeue(Host(1), out _, out var p));
        Assert.Equal(2, p[0]);

        // A buffer came back to the pool: host 2 can queue now.
        Assert.True(cache.TryQueue(Host(2), new byte[] { 9 }, T0));
    }

    [Fact]
    public void ManyEntriesStayFindableThroughChurn()
    {
        // Consecutive addresses and removals in every order exercise probing and backward-shift deletion.
        var cache = new NeighborCache<Ipv4Address>(new NeighborCacheOptions { Capacity = 500 });
        for (int n = 0; n < 500; n++) Resolve(cache, n, T0);
        for (int n = 0; n < 500; n += 3) Assert.True(cache.Remove(Host(n)));
        for (int n = 0; n < 500; n++)
        {
            var state = cache.GetState(Host(n), out var mac);
            if (n % 3 == 0) Assert.Equal(NeighborState.None, state);
            else Assert.Equal(Mac(n), mac);
        }

        Assert.Equal(500 - 167, cache.Count);
    }

    [Fact]
    public void SteadyStateAllocatesNothingForIpv4()
    {
        var cache = new NeighborCache<Ipv4Address>(new NeighborCacheOptions { Capacity = 8 });
        var requests = new NeighborRequest<Ipv4Address>[8];
        var packet = new byte[100];
        long t = 0;
        Resolve(cache, 1, T0);
        long bytes = AllocationMeter.Measure(() =>
        {
            t += 1_000_000;
            var now = T0 + TimeSpan.FromMicroseconds(t);
            cache.Lookup(Host(1), now);
            cache.Lookup(Host(2), now);
            cache.TryQueue(Host(2), packet, now);
            cache.Poll(now, requests);
            cache.Learn(Host(2), Mac(2), now, NeighborEvidence.ArpReply);
            while (cache.TryDequeue(Host(2), out _, out _)) { }
            cache.ConfirmReachable(Host(1), now);
            cache.Learn(Host(3), Mac(3), now, NeighborEvidence.ArpRequestForUs);
            cache.Remove(Host(2));
        });
        Assert.Equal(0, bytes);
    }

    [Fact]
    public void SteadyStateAllocatesNothingForIpv6()
    {
        var cache = new NeighborCache<Ipv6Address>(new NeighborCacheOptions { Capacity = 8 });
        var requests = new NeighborRequest<Ipv6Address>[8];
        var packet = new byte[100];
        var a = Ipv6Address.Parse("2001:db8::1");
        var b = Ipv6Address.Parse("2001:db8::2");
        long t = 0;
        long bytes = AllocationMeter.Measure(() =>
        {
            t += 1_000_000;
            var now = T0 + TimeSpan.FromMicroseconds(t);
            cache.Lookup(a, now);
            cache.TryQueue(a, packet, now);
            cache.Poll(now, requests);
            cache.Learn(a, Mac(1), now, NeighborEvidence.NdpSolicitedOverrideAdvertisement);
            while (cache.TryDequeue(a, out _, out _)) { }
            cache.Learn(b, Mac(2), now, NeighborEvidence.NdpSource);
            cache.Lookup(b, now);
            cache.ConfirmReachable(b, now);
            cache.Remove(a);
        });
        Assert.Equal(0, bytes);
    }
}
