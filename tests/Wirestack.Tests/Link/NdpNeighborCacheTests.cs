using Wirestack.Link;
using Wirestack.Wire;

namespace Wirestack.Tests.Link;

public class NdpNeighborCacheTests
{
    private static readonly Instant T0 = Instant.FromMicroseconds(123_456_789);
    private static readonly Ipv6Address Peer = Ipv6Address.Parse("fe80::2");
    private static readonly MacAddress PeerMac = MacAddress.Parse("02:00:00:00:00:02");
    private static readonly MacAddress OtherMac = MacAddress.Parse("02:00:00:00:00:99");

    private static Instant At(double seconds) => T0 + TimeSpan.FromSeconds(seconds);

    private static NeighborRequest<Ipv6Address>[] PollAll(NeighborCache<Ipv6Address> cache, Instant now)
    {
        var buffer = new NeighborRequest<Ipv6Address>[16];
        return buffer[..cache.Poll(now, buffer)];
    }

    private static NeighborCache<Ipv6Address> Reachable()
    {
        var cache = new NeighborCache<Ipv6Address>();
        Assert.Equal(NeighborLookupResult.SendRequest, cache.Lookup(Peer, T0).Result);
        cache.Learn(Peer, PeerMac, T0, NeighborEvidence.NdpSolicitedOverrideAdvertisement);
        Assert.Equal(NeighborState.Reachable, cache.GetState(Peer, out _));
        return cache;
    }

    [Fact]
    public void StaleDelayProbeAndConfirmation()
    {
        var cache = Reachable();
        Assert.Empty(PollAll(cache, At(30)));
        Assert.Equal(NeighborState.Stale, cache.GetState(Peer, out _));

        Assert.Equal(PeerMac, cache.Lookup(Peer, At(40)).Mac);
        Assert.Equal(NeighborState.Delay, cache.GetState(Peer, out _));
        Assert.Equal(At(45), cache.NextDeadline);

        var probe = Assert.Single(PollAll(cache, At(45)));
        Assert.True(probe.IsUnicast);
        Assert.Equal(Peer, probe.Target);
        Assert.Equal(PeerMac, probe.Destination);
        Assert.Equal(NeighborState.Probe, cache.GetState(Peer, out _));

        // A solicited advertisement answers the probe.
        Assert.False(cache.Learn(Peer, PeerMac, At(45.1), NeighborEvidence.NdpSolicitedAdvertisement));
        Assert.Equal(NeighborState.Reachable, cache.GetState(Peer, out _));
        Assert.Empty(PollAll(cache, At(46)));
        Assert.Equal(At(75.1), cache.NextDeadline);
    }

    [Fact]
    public void UpperLayerConfirmationDuringDelaySkipsTheProbe()
    {
        var cache = Reachable();
        cache.Lookup(Peer, At(31));
        Assert.Equal(NeighborState.Delay, cache.GetState(Peer, out _));
        Assert.True(cache.ConfirmReachable(Peer, At(33)));
        Assert.Empty(PollAll(cache, At(36)));
        Assert.Equal(NeighborState.Reachable, cache.GetState(Peer, out _));
        Assert.Equal(1, cache.Counters.RequestsSent);
    }

    [Fact]
    public void AdvertisementWithoutOverrideDoesNotReplaceTheAddress()
    {
        var cache = Reachable();
        cache.Learn(Peer, OtherMac, At(1), NeighborEvidence.NdpSolicitedAdvertisement);
        Assert.Equal(NeighborState.Stale, cache.GetState(Peer, out var mac));
        Assert.Equal(PeerMac, mac);

        // Stale already: a second one changes nothing.
        cache.Learn(Peer, OtherMac, At(2), NeighborEvidence.NdpAdvertisement);
        Assert.Equal(NeighborState.Stale, cache.GetState(Peer, out mac));
        Assert.Equal(PeerMac, mac);

        // Override replaces; unsolicited leaves it stale.
        cache.Learn(Peer, OtherMac, At(3), NeighborEvidence.NdpOverrideAdvertisement);
        Assert.Equal(NeighborState.Stale, cache.GetState(Peer, out mac));
        Assert.Equal(OtherMac, mac);

        // Same address, solicited, no override: confirms.
        cache.Learn(Peer, OtherMac, At(4), NeighborEvidence.NdpSolicitedAdvertisement);
        Assert.Equal(NeighborState.Reachable, cache.GetState(Peer, out _));

        // Same address, unsolicited override: state unchanged.
        cache.Learn(Peer, OtherMac, At(5), NeighborEvidence.NdpOverrideAdvertisement);
        Assert.Equal(NeighborState.Reachable, cache.GetState(Peer, out _));
    }

    [Fact]
    public void AnyAdvertisementResolvesAnIncompleteEntry()
    {
        var cache = new NeighborCache<Ipv6Address>();
        cache.Lookup(Peer, T0);
        cache.TryQueue(Peer, new byte[60], T0);
        Assert.True(cache.Learn(Peer, PeerMac, At(0.1), NeighborEvidence.NdpAdvertisement));
        Assert.Equal(NeighborState.Stale, cache.GetState(Peer, out var mac));
        Assert.Equal(PeerMac, mac);
        Assert.True(cache.TryDequeue(Peer, out var destination, out var packet));
        Assert.Equal(PeerMac, destination);
        Assert.Equal(60, packet.Length);
    }

    [Fact]
    public void AdvertisementsNeverCreateEntriesButSolicitationsDo()
    {
        var cache = new NeighborCache<Ipv6Address>();
        cache.Learn(Peer, PeerMac, T0, NeighborEvidence.NdpSolicitedOverrideAdvertisement);
        Assert.Equal(0, cache.Count);
        cache.Learn(Peer, PeerMac, T0, NeighborEvidence.NdpSource);
        Assert.Equal(NeighborState.Stale, cache.GetState(Peer, out var mac));
        Assert.Equal(PeerMac, mac);
        cache.Learn(Peer, OtherMac, At(1), NeighborEvidence.NdpSource);
        Assert.Equal(OtherMac, cache.Lookup(Peer, At(1)).Mac);
    }

    [Fact]
    public void SolicitationFailsAfterThreeMulticastRequests()
    {
        var cache = new NeighborCache<Ipv6Address>();
        cache.Lookup(Peer, T0);
        var r1 = Assert.Single(PollAll(cache, At(1)));
        Assert.False(r1.IsUnicast);
        Assert.Single(PollAll(cache, At(2)));
        Assert.Empty(PollAll(cache, At(3)));
        Assert.Equal(0, cache.Count);
        Assert.Equal(1, cache.Counters.ResolutionFailures);
    }
}
