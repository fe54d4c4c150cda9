using Wirestack.Link;
using Wirestack.Wire;

namespace Wirestack.Tests.Link;

/// <summary>
/// Drives the cache and a naive model (lists, linear search, an explicit recency list) with the
/// same seeded random operations and compares every answer, counter and entry. The model spells
/// the rules out plainly; the cache's hash table, intrusive lists and buffer pool must agree.
/// </summary>
public class NeighborCacheModelTests
{
    private static readonly NeighborCacheOptions Small = new()
    {
        Capacity = 5,
        PacketBufferCount = 6,
        MaxQueuedPerNeighbor = 2,
        MaxPacketLength = 100,
        MaxMulticastProbes = 3,
        MaxUnicastProbes = 2,
        RetransmitInterval = TimeSpan.FromSeconds(1),
        ReachableTime = TimeSpan.FromSeconds(8),
        DelayFirstProbeTime = TimeSpan.FromSeconds(2),
        StaleTime = TimeSpan.FromSeconds(12),
    };

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    [InlineData(5)]
    public void Ipv4AgreesWithTheModel(int seed) =>
        Run(seed, n => new Ipv4Address(0xC0A8_0000u + (uint)n));

    [Theory]
    [InlineData(11)]
    [InlineData(12)]
    [InlineData(13)]
    public void Ipv6AgreesWithTheModel(int seed) =>
        Run(seed, n => new Ipv6Address(0x2001_0DB8_0000_0000UL, (ulong)n));

    [Fact]
    public void ZeroDelayFirstProbeAgreesWithTheModel() =>
        Run(99, n => new Ipv4Address(0xC0A8_0000u + (uint)n), Small with { DelayFirstProbeTime = TimeSpan.Zero });

    private static void Run<TAddress>(int seed, Func<int, TAddress> addressOf, NeighborCacheOptions? options = null)
        where TAddress : struct, IIpAddress<TAddress>, IEquatable<TAddress>
    {
        options ??= Small;
        var random = new Random(seed);
        var cache = new NeighborCache<TAddress>(options);
        var model = new Model(options);
        const int Addresses = 12;
        var requests = new NeighborRequest<TAddress>[Addresses];
        var now = Instant.FromMilliseconds(5_000);
        byte tag = 0;

        for (int step = 0; step < 20_000; step++)
        {
            if (random.Next(4) == 0) now += TimeSpan.FromMilliseconds(random.Next(0, 3) == 0 ? random.Next(0, 6000) : random.Next(0, 600));
            int n = random.Next(Addresses);
            TAddress address = addressOf(n);
            MacAddress mac = MacAddress.FromValue(0x0200_0000_0000UL + (ulong)random.Next(3));
            string where = $"seed {seed} step {step} at {now} on {n}";
            switch (random.Next(9))
            {
                case 0:
                case 1:
                {
                    var actual = cache.Lookup(address, now);
                    var expected = model.Lookup(n, now);
                    Assert.True(expected.Result == actual.Result && expected.Mac == actual.Mac, $"{where}: lookup {actual}, model {expected.Result} {expected.Mac}");
                    break;
                }

                case 2:
                {
                    var packet = new byte[random.Next(1, 110)];
                    packet.AsSpan().Fill(++tag);
                    Assert.True(model.TryQueue(n, packet, now) == cache.TryQueue(address, packet, now), $"{where}: queue");
                    break;
                }

                case 3:
                case 4:
                {
                    var evidence = (NeighborEvidence)random.Next(8);
                    Assert.True(model.Learn(n, mac, now, evidence) == cache.Learn(address, mac, now, evidence), $"{where}: learn {evidence}");
                    break;
                }

                case 5:
                    Assert.True(model.Confirm(n, now) == cache.ConfirmReachable(address, now), $"{where}: confirm");
                    break;

                case 6:
                {
                    Instant before = cache.NextDeadline;
                    int count = cache.Poll(now, requests);
                    var expected = model.Poll(now);
                    var actual = new List<(int, bool, ulong)>();
                    for (int i = 0; i < count; i++)
                    {
                        int index = Enumerable.Range(0, Addresses).First(k => addressOf(k).Equals(requests[i].Target));
                        actual.Add((index, requests[i].IsUnicast, requests[i].Destination.Value));
                    }

                    actual.Sort();
                    Assert.True(expected.SequenceEqual(actual), $"{where}: poll [{string.Join(",", actual)}], model [{string.Join(",", expected)}]");
                    if (now >= before) Assert.True(model.NextDeadline() == cache.NextDeadline, $"{where}: deadline {cache.NextDeadline}, model {model.NextDeadline()}");
                    break;
                }

                case 7:
                    while (true)
                    {
                        bool got = cache.TryDequeue(address, out var destination, out var packet);
                        var expected = model.TryDequeue(n);
                        Assert.True(got == (expected is not null), $"{where}: dequeue");
                        if (!got) break;
                        Assert.Equal(expected!.Value.Mac, destination);
                        Assert.True(packet.SequenceEqual(expected.Value.Packet), $"{where}: dequeued packet");
                    }

                    break;

                default:
                    if (random.Next(4) == 0) Assert.True(model.Remove(n) == cache.Remove(address), $"{where}: remove");
                    break;
            }

            Assert.True(cache.NextDeadline <= model.NextDeadline(), $"{where}: deadline {cache.NextDeadline} later than the model's {model.NextDeadline()}");
            Assert.Equal(model.Entries.Count, cache.Count);
            Assert.Equal(model.Entries.Sum(e => e.Queue.Count), cache.QueuedPackets);
            for (int k = 0; k < Addresses; k++)
            {
                var state = cache.GetState(addressOf(k), out var cached);
                var entry = model.Find(k);
                Assert.True((entry?.State ?? NeighborState.None) == state, $"{where}: state of {k} {state}, model {entry?.State}");
                if (entry is not null) Assert.Equal(entry.Mac, cached);
            }

            var c = cache.Counters;
            Assert.Equal(
                (model.Hits, model.Misses, model.Requests, model.Failures, model.Queued, model.DroppedFull, model.DroppedUnresolved, model.DroppedTooLong, model.Evictions, model.Refusals),
                (c.Hits, c.Misses, c.RequestsSent, c.ResolutionFailures, c.PacketsQueued, c.PacketsDroppedQueueFull, c.PacketsDroppedUnresolved, c.PacketsDroppedTooLong, c.Evictions, c.Refusals));
        }

        // The walk must have reached the interesting corners, or it proves little.
        Assert.True(model.Evictions > 0 && model.Refusals > 0 && model.Failures > 0 && model.DroppedFull > 0, "the random walk missed a full-table or failure path");
    }

    private sealed class ModelEntry
    {
        public int Key;
        public NeighborState State;
        public MacAddress Mac;
        public Instant Deadline;
        public int Probes;
        public List<byte[]> Queue = [];
    }

    private sealed class Model(NeighborCacheOptions options)
    {
        public List<ModelEntry> Entries { get; } = [];

        // Resolved entries only, most recently used first.
        private readonly List<ModelEntry> _recency = [];

        public long Hits, Misses, Requests, Failures, Queued, DroppedFull, DroppedUnresolved, DroppedTooLong, Evictions, Refusals;

        public ModelEntry? Find(int key) => Entries.Find(e => e.Key == key);

        public Instant NextDeadline() => Entries.Count == 0 ? Instant.MaxValue : Entries.Min(e => e.Deadline);

        private void Drop(ModelEntry e)
        {
            DroppedUnresolved += e.Queue.Count;
            Entries.Remove(e);
            _recency.Remove(e);
        }

        private ModelEntry? Live(int key, Instant now)
        {
            var e = Find(key);
            while (e is not null && e.Deadline <= now)
            {
                if (e.State == NeighborState.Reachable)
                {
                    e.State = NeighborState.Stale;
                    e.Deadline += options.StaleTime;
                }
                else if (e.State == NeighborState.Stale)
                {
                    Drop(e);
                    return null;
                }
                else if ((e.State == NeighborState.Incomplete && e.Probes >= options.MaxMulticastProbes) ||
                         (e.State == NeighborState.Probe && e.Probes >= options.MaxUnicastProbes))
                {
                    Failures++;
                    Drop(e);
                    return null;
                }
                else
                {
                    break;
                }
            }

            return e;
        }

        private ModelEntry? Create(int key)
        {
            if (Entries.Count == options.Capacity)
            {
                if (_recency.Count == 0) return null;
                Evictions++;
                Drop(_recency[^1]);
            }

            var e = new ModelEntry { Key = key };
            Entries.Add(e);
            return e;
        }

        public (NeighborLookupResult Result, MacAddress Mac) Lookup(int key, Instant now)
        {
            var e = Live(key, now);
            if (e is not null)
            {
                if (e.State == NeighborState.Incomplete)
                {
                    Misses++;
                    return (NeighborLookupResult.Pending, default);
                }

                Hits++;
                _recency.Remove(e);
                _recency.Insert(0, e);
                if (e.State == NeighborState.Stale)
                {
                    e.State = NeighborState.Delay;
                    e.Deadline = now + options.DelayFirstProbeTime;
                }

                return (NeighborLookupResult.Found, e.Mac);
            }

            Misses++;
            e = Create(key);
            if (e is null)
            {
                Refusals++;
                return (NeighborLookupResult.Refused, default);
            }

            e.State = NeighborState.Incomplete;
            e.Probes = 1;
            e.Deadline = now + options.RetransmitInterval;
            Requests++;
            return (NeighborLookupResult.SendRequest, default);
        }

        public bool TryQueue(int key, byte[] packet, Instant now)
        {
            if (packet.Length > options.MaxPacketLength)
            {
                DroppedTooLong++;
                return false;
            }

            var e = Live(key, now);
            if (e is null || e.State != NeighborState.Incomplete)
            {
                DroppedUnresolved++;
                return false;
            }

            int inUse = Entries.Sum(x => x.Queue.Count);
            if (e.Queue.Count >= options.MaxQueuedPerNeighbor || inUse == options.PacketBufferCount)
            {
                DroppedFull++;
                if (e.Queue.Count == 0) return false;
                e.Queue.RemoveAt(0);
            }

            e.Queue.Add(packet);
            Queued++;
            return true;
        }

        public (MacAddress Mac, byte[] Packet)? TryDequeue(int key)
        {
            var e = Find(key);
            if (e is null || e.State == NeighborState.Incomplete || e.Queue.Count == 0) return null;
            var packet = e.Queue[0];
            e.Queue.RemoveAt(0);
            return (e.Mac, packet);
        }

        private void Resolve(ModelEntry e, NeighborState state, Instant now)
        {
            e.State = state;
            e.Probes = 0;
            e.Deadline = now + (state == NeighborState.Reachable ? options.ReachableTime : options.StaleTime);
        }

        public bool Learn(int key, MacAddress mac, Instant now, NeighborEvidence evidence)
        {
            bool create = evidence is NeighborEvidence.ArpRequestForUs or NeighborEvidence.NdpSource;
            bool overrides = evidence is not (NeighborEvidence.NdpAdvertisement or NeighborEvidence.NdpSolicitedAdvertisement);
            bool solicited = evidence is NeighborEvidence.ArpReply or NeighborEvidence.NdpSolicitedAdvertisement or NeighborEvidence.NdpSolicitedOverrideAdvertisement;
            var e = Live(key, now);
            if (e is null)
            {
                if (!create) return false;
                e = Create(key);
                if (e is null)
                {
                    Refusals++;
                    return false;
                }

                e.Mac = mac;
                Resolve(e, NeighborState.Stale, now);
                _recency.Add(e);
                return false;
            }

            if (e.State == NeighborState.Incomplete)
            {
                e.Mac = mac;
                Resolve(e, solicited ? NeighborState.Reachable : NeighborState.Stale, now);
                _recency.Insert(0, e);
            }
            else if (e.Mac != mac && !overrides)
            {
                if (e.State == NeighborState.Reachable) Resolve(e, NeighborState.Stale, now);
            }
            else if (solicited)
            {
                e.Mac = mac;
                Resolve(e, NeighborState.Reachable, now);
            }
            else if (e.Mac != mac)
            {
                e.Mac = mac;
                Resolve(e, NeighborState.Stale, now);
            }

            return e.Queue.Count > 0;
        }

        public bool Confirm(int key, Instant now)
        {
            var e = Live(key, now);
            if (e is null || e.State == NeighborState.Incomplete) return false;
            Resolve(e, NeighborState.Reachable, now);
            return true;
        }

        public bool Remove(int key)
        {
            var e = Find(key);
            if (e is null) return false;
            Drop(e);
            return true;
        }

        public List<(int, bool, ulong)> Poll(Instant now)
        {
            var sent = new List<(int, bool, ulong)>();
            foreach (var key in Entries.Select(e => e.Key).ToList())
            {
                var e = Live(key, now);
                if (e is null || e.Deadline > now) continue;
                if (e.State == NeighborState.Incomplete)
                {
                    e.Probes++;
                    sent.Add((key, false, 0));
                }
                else
                {
                    if (e.State == NeighborState.Delay)
                    {
                        e.State = NeighborState.Probe;
                        e.Probes = 0;
                    }

                    e.Probes++;
                    sent.Add((key, true, e.Mac.Value));
                }

                e.Deadline = now + options.RetransmitInterval;
                Requests++;
            }

            sent.Sort();
            return sent;
        }
    }
}
