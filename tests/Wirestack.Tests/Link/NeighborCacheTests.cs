using Wirestack.Link;
using Wirestack.Wire;

namespace Wirestack.Tests.Link;

public class NeighborCacheTests
{
    private static readonly Instant T0 = Instant.FromMilliseconds(10_000);
    private static readonly Ipv4Address Peer = new(10, 0, 0, 2);
    private static readonly MacAddress PeerMac = MacAddress.Parse("02:00:00:00:00:02");
    private static readonly MacAddress OtherMac = MacAddress.Parse("02:00:00:00:00:99");

    private static Instant At(double seconds) => T0 + TimeSpan.FromSeconds(seconds);

    private static byte[] Packet(byte tag, int length = 40)
    {
        var packet = new byte[length];
        packet.AsSpan().Fill(tag);
        return packet;
    }

    private static NeighborRequest<TAddress>[] PollAll<TAddress>(NeighborCache<TAddress> cache, Instant now)
        where TAddress : struct, IIpAddress<TAddress>, IEquatable<TAddress>
    {
        var buffer = new NeighborRequest<TAddress>[64];
        int n = cache.Poll(now, buffer);
        return buffer[..n];
    }

    [Fact]
    public void UnansweredResolutionRetransmitsEverySecondThenFailsAndDropsQueuedPackets()
    {
        var cache = new NeighborCache<Ipv4Address>();
        Assert.Equal(Instant.MaxValue, cache.NextDeadline);

        var first = cache.Lookup(Peer, T0);
        Assert.Equal(NeighborLookupResult.SendRequest, first.Result);
        Assert.True(cache.TryQueue(Peer, Packet(1), T0));
        Assert.Equal(NeighborLookupResult.Pending, cache.Lookup(Peer, At(0.5)).Result);
        Assert.True(cache.TryQueue(Peer, Packet(2), At(0.5)));
        Assert.Equal(At(1), cache.NextDeadline);

        Assert.Empty(PollAll(cache, At(0.999)));
        var retransmit = Assert.Single(PollAll(cache, At(1)));
        Assert.Equal(Peer, retransmit.Target);
        Assert.False(retransmit.IsUnicast);
        Assert.Equal(At(2), cache.NextDeadline);

        Assert.Single(PollAll(cache, At(2)));
        Assert.Equal(At(3), cache.NextDeadline);
        Assert.Equal(NeighborState.Incomplete, cache.GetState(Peer, out _));
        Assert.Equal(2, cache.QueuedPackets);

        Assert.Empty(PollAll(cache, At(3)));
        Assert.Equal(NeighborState.None, cache.GetState(Peer, out _));
        Assert.Equal(0, cache.Count);
        Assert.Equal(0, cache.QueuedPackets);
        Assert.Equal(Instant.MaxValue, cache.NextDeadline);
        Assert.Equal(3, cache.Counters.RequestsSent);
        Assert.Equal(1, cache.Counters.ResolutionFailures);
        Assert.Equal(2, cache.Counters.PacketsQueued);
        Assert.Equal(2, cache.Counters.PacketsDroppedUnresolved);
        Assert.Equal(2, cache.Counters.Misses);
        Assert.Equal(0, cache.Counters.Hits);

        // A new packet after the failure starts a new resolution.
        Assert.Equal(NeighborLookupResult.SendRequest, cache.Lookup(Peer, At(3.5)).Result);
    }

    [Fact]
    public void FailureIsAppliedAtItsInstantEvenWithoutAPoll()
    {
        var cache = new NeighborCache<Ipv4Address>();
        cache.Lookup(Peer, T0);
        cache.TryQueue(Peer, Packet(1), T0);
        Assert.Single(PollAll(cache, At(1)));
        Assert.Single(PollAll(cache, At(2)));

        // No poll at t0+3: the next lookup sees the failure first and starts over.
        Assert.Equal(NeighborLookupResult.SendRequest, cache.Lookup(Peer, At(3.2)).Result);
        Assert.Equal(1, cache.Counters.ResolutionFailures);
        Assert.Equal(1, cache.Counters.PacketsDroppedUnresolved);

        // The deadline is a lower bound: the old failure instant wakes a poll that finds nothing and sets it right.
        Assert.Equal(At(3), cache.NextDeadline);
        Assert.Empty(PollAll(cache, At(3.2)));
        Assert.Equal(At(4.2), cache.NextDeadline);
    }

    [Fact]
    public void ReplyResolvesAndQueuedPacketsDrainInOrder()
    {
        var cache = new NeighborCache<Ipv4Address>();
        cache.Lookup(Peer, T0);
        for (byte i = 1; i <= 3; i++) Assert.True(cache.TryQueue(Peer, Packet(i, 20 + i), T0));

        Assert.True(cache.Learn(Peer, PeerMac, At(0.2), NeighborEvidence.ArpReply));
        Assert.Equal(NeighborState.Reachable, cache.GetState(Peer, out var mac));
        Assert.Equal(PeerMac, mac);

        for (byte i = 1; i <= 3; i++)
        {
            Assert.True(cache.TryDequeue(Peer, out var destination, out var packet));
            Assert.Equal(PeerMac, destination);
            Assert.Equal(20 + i, packet.Length);
            Assert.True(packet.IndexOfAnyExcept(i) < 0);
        }

        Assert.False(cache.TryDequeue(Peer, out _, out _));
        Assert.Equal(0, cache.QueuedPackets);

        var hit = cache.Lookup(Peer, At(0.3));
        Assert.True(hit.IsFound);
        Assert.Equal(PeerMac, hit.Mac);
        Assert.Empty(PollAll(cache, At(2))); // no retransmission after the answer
        Assert.Equal(1, cache.Counters.RequestsSent);
    }

    [Fact]
    public void ReachableTurnsStaleThenIsRemovedWhenUnused()
    {
        var cache = new NeighborCache<Ipv4Address>();
        cache.Lookup(Peer, T0);
        cache.Learn(Peer, PeerMac, T0, NeighborEvidence.ArpReply);
        Assert.Equal(At(1), cache.NextDeadline); // the cancelled retransmission, still a lower bound
        Assert.Empty(PollAll(cache, At(1)));
        Assert.Equal(At(30), cache.NextDeadline);

        PollAll(cache, At(30));
        Assert.Equal(NeighborState.Stale, cache.GetState(Peer, out _));
        Assert.Equal(At(90), cache.NextDeadline);

        PollAll(cache, At(90));
        Assert.Equal(NeighborState.None, cache.GetState(Peer, out _));
        Assert.Equal(0, cache.Counters.ResolutionFailures);
    }

    [Fact]
    public void UsedStaleArpEntryIsProbedUnicastAndRemovedWhenProbesFail()
    {
        var cache = new NeighborCache<Ipv4Address>();
        cache.Learn(Peer, PeerMac, T0, NeighborEvidence.ArpRequestForUs);
        Assert.Equal(NeighborState.Stale, cache.GetState(Peer, out _));

        var hit = cache.Lookup(Peer, At(10));
        Assert.Equal(PeerMac, hit.Mac);
        Assert.Equal(NeighborState.Delay, cache.GetState(Peer, out _));
        Assert.Equal(At(15), cache.NextDeadline);

        Assert.Empty(PollAll(cache, At(14.9)));
        var probe = Assert.Single(PollAll(cache, At(15)));
        Assert.True(probe.IsUnicast);
        Assert.Equal(PeerMac, probe.Destination);
        Assert.Equal(NeighborState.Probe, cache.GetState(Peer, out _));

        // Still usable while probing.
        Assert.Equal(PeerMac, cache.Lookup(Peer, At(15.5)).Mac);
        Assert.Single(PollAll(cache, At(16)));
        Assert.Single(PollAll(cache, At(17)));
        Assert.Empty(PollAll(cache, At(18)));
        Assert.Equal(NeighborState.None, cache.GetState(Peer, out _));
        Assert.Equal(1, cache.Counters.ResolutionFailures);
        Assert.Equal(3, cache.Counters.RequestsSent);
    }

    [Fact]
    public void ArpMergeRuleUpdatesButNeverCreatesFromGratuitousOrUnaskedReplies()
    {
        var cache = new NeighborCache<Ipv4Address>();
        Assert.False(cache.Learn(Peer, PeerMac, T0, NeighborEvidence.ArpOther));
        Assert.False(cache.Learn(Peer, PeerMac, T0, NeighborEvidence.ArpReply));
        Assert.Equal(0, cache.Count);

        cache.Lookup(Peer, T0);
        cache.Learn(Peer, PeerMac, T0, NeighborEvidence.ArpReply);

        // A gratuitous ARP announcing a new MAC replaces the cached one and marks it stale.
        cache.Learn(Peer, OtherMac, At(1), NeighborEvidence.ArpOther);
        Assert.Equal(NeighborState.Stale, cache.GetState(Peer, out var mac));
        Assert.Equal(OtherMac, mac);

        // The same MAC again changes nothing.
        cache.Learn(Peer, OtherMac, At(2), NeighborEvidence.ArpOther);
        Assert.Equal(NeighborState.Stale, cache.GetState(Peer, out _));

        // A request from the resolving neighbour answers the question too (stale, not confirmed).
        var third = new Ipv4Address(10, 0, 0, 3);
        cache.Lookup(third, At(3));
        cache.TryQueue(third, Packet(7), At(3));
        Assert.True(cache.Learn(third, PeerMac, At(3.1), NeighborEvidence.ArpRequestForUs));
        Assert.Equal(NeighborState.Stale, cache.GetState(third, out _));
    }

    [Fact]
    public void ReachabilityConfirmationRefreshesAResolvedEntryOnly()
    {
        var cache = new NeighborCache<Ipv4Address>();
        Assert.False(cache.ConfirmReachable(Peer, T0));
        cache.Lookup(Peer, T0);
        Assert.False(cache.ConfirmReachable(Peer, T0));
        Assert.Equal(NeighborState.Incomplete, cache.GetState(Peer, out _));

        cache.Learn(Peer, PeerMac, T0, NeighborEvidence.ArpRequestForUs);
        cache.Lookup(Peer, At(1));
        Assert.Equal(NeighborState.Delay, cache.GetState(Peer, out _));
        Assert.True(cache.ConfirmReachable(Peer, At(2)));
        Assert.Equal(NeighborState.Reachable, cache.GetState(Peer, out _));
        Assert.Empty(PollAll(cache, At(6))); // the delay's probe is cancelled
        Assert.Equal(At(32), cache.NextDeadline);
    }

    [Fact]
    public void QueueingNeedsAResolutionUnderWayAndAFittingPacket()
    {
        var cache = new NeighborCache<Ipv4Address>(new NeighborCacheOptions { MaxPacketLength = 100 });
        Assert.False(cache.TryQueue(Peer, Packet(1), T0));
        Assert.Equal(1, cache.Counters.PacketsDroppedUnresolved);

        cache.Lookup(Peer, T0);
        Assert.False(cache.TryQueue(Peer, Packet(1, 101), T0));
        Assert.Equal(1, cache.Counters.PacketsDroppedTooLong);
        Assert.True(cache.TryQueue(Peer, Packet(1, 100), T0));

        cache.Learn(Peer, PeerMac, T0, NeighborEvidence.ArpReply);
        Assert.False(cache.TryQueue(Peer, Packet(2), T0));
        Assert.Equal(2, cache.Counters.PacketsDroppedUnresolved);
    }

    [Fact]
    public void RemoveDropsAndCountsWaitingPackets()
    {
        var cache = new NeighborCache<Ipv4Address>();
        cache.Lookup(Peer, T0);
        cache.TryQueue(Peer, Packet(1), T0);
        Assert.True(cache.Remove(Peer));
        Assert.False(cache.Remove(Peer));
        Assert.Equal(0, cache.QueuedPackets);
        Assert.Equal(1, cache.Counters.PacketsDroppedUnresolved);
    }

    [Fact]
    public void PollStopsWhenTheRequestSpanIsFullAndLeavesTheRestDue()
    {
        var cache = new NeighborCache<Ipv4Address>();
        for (byte i = 1; i <= 3; i++) cache.Lookup(new Ipv4Address(10, 0, 0, i), T0);
        var one = new NeighborRequest<Ipv4Address>[1];
        Assert.Equal(1, cache.Poll(At(1), one));
        Assert.True(cache.NextDeadline <= At(1));
        Assert.Equal(1, cache.Poll(At(1), one));
        Assert.Equal(1, cache.Poll(At(1), one));
        Assert.Equal(0, cache.Poll(At(1), one));
        Assert.Equal(At(2), cache.NextDeadline);
    }

    [Theory]
    [InlineData(nameof(NeighborCacheOptions.Capacity), 0)]
    [InlineData(nameof(NeighborCacheOptions.PacketBufferCount), 0)]
    [InlineData(nameof(NeighborCacheOptions.MaxPacketLength), 67)]
    [InlineData(nameof(NeighborCacheOptions.MaxQueuedPerNeighbor), 65)]
    [InlineData(nameof(NeighborCacheOptions.MaxMulticastProbes), 0)]
    [InlineData(nameof(NeighborCacheOptions.MaxUnicastProbes), 256)]
    [InlineData(nameof(NeighborCacheOptions.RetransmitInterval), 0)]
    [InlineData(nameof(NeighborCacheOptions.ReachableTime), -1)]
    [InlineData(nameof(NeighborCacheOptions.DelayFirstProbeTime), -1)]
    [InlineData(nameof(NeighborCacheOptions.StaleTime), 0)]
    public void BadOptionsAreRejectedByName(string name, int value)
    {
        var options = name switch
        {
            nameof(NeighborCacheOptions.Capacity) => new NeighborCacheOptions { Capacity = value },
            nameof(NeighborCacheOptions.PacketBufferCount) => new NeighborCacheOptions { PacketBufferCount = value },
            nameof(NeighborCacheOptions.MaxPacketLength) => new NeighborCacheOptions { MaxPacketLength = value },
            nameof(NeighborCacheOptions.MaxQueuedPerNeighbor) => new NeighborCacheOptions { MaxQueuedPerNeighbor = value },
            nameof(NeighborCacheOptions.MaxMulticastProbes) => new NeighborCacheOptions { MaxMulticastProbes = value },
            nameof(NeighborCacheOptions.MaxUnicastProbes) => new NeighborCacheOptions { MaxUnicastProbes = value },
            nameof(NeighborCacheOptions.RetransmitInterval) => new NeighborCacheOptions { RetransmitInterval = TimeSpan.FromSeconds(value) },
            nameof(NeighborCacheOptions.ReachableTime) => new NeighborCacheOptions { ReachableTime = TimeSpan.FromSeconds(value) },
            nameof(NeighborCacheOptions.DelayFirstProbeTime) => new NeighborCacheOptions { DelayFirstProbeTime = TimeSpan.FromSeconds(value) },
            _ => new NeighborCacheOptions { StaleTime = TimeSpan.FromSeconds(value) },
        };
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => new NeighborCache<Ipv4Address>(options));
        Assert.Equal(name, e.ParamName);
        Assert.Contains("NeighborCacheOptions." + name, e.Message, StringComparison.Ordinal);
    }
}
