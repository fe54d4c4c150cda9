using Wirestack.Wire;

namespace Wirestack.Link;

/// <summary>
/// The neighbour cache shared by ARP (<see cref="Ipv4Address"/>) and NDP (<see cref="Ipv6Address"/>):
/// protocol address to link-layer address, with the entry states of RFC 4861 section 7.3 and a
/// bounded queue of packets waiting for resolution. A pure state machine: it sends nothing and
/// reads no clock; every method that depends on time takes <c>now</c>, and requests to send are
/// handed back as decisions (<see cref="Lookup"/>, <see cref="Poll"/>). One owner thread.
/// </summary>
/// <remarks>
/// <para>
/// ARP and NDP share one state machine. ARP has no reachability confirmation of its own, so for
/// IPv4 an entry is confirmed only by an ARP reply (or by the caller's upper-layer hint through
/// <see cref="ConfirmReachable"/>, as Linux does for both families): a reachable entry turns stale
/// after <see cref="NeighborCacheOptions.ReachableTime"/>, an unused stale entry is removed after
/// <see cref="NeighborCacheOptions.StaleTime"/>, and a used stale entry is re-verified with unicast
/// probes after <see cref="NeighborCacheOptions.DelayFirstProbeTime"/>, while still being used.
/// </para>
/// <para>
/// Bounds: a full table evicts its least recently used resolved entry; entries still resolving are
/// never evicted, and when they fill the table a new entry is refused. Entries created by received
/// traffic join the recency list at its cold end, so a flood of unsolicited senders evicts at most
/// one entry in use and then churns among its own. Waiting packets live in a fixed pool; when a
/// neighbour's share or the pool is full its oldest packet is dropped (as Linux does). Every drop,
/// eviction and refusal is counted in <see cref="Counters"/>.
/// </para>
/// <para>
/// Memory: all arrays are allocated in the constructor. Lookups hash into an open-addressing table
/// (linear probing, backward-shift deletion); recency is an intrusive doubly-linked list of entry
/// indices; each neighbour's waiting packets are a singly-linked list of pool buffers.
/// </para>
/// </remarks>
/// <typeparam name="TAddress">The protocol address type.</typeparam>
public sealed class NeighborCache<TAddress>
    where TAddress : struct, IIpAddress<TAddress>, IEquatable<TAddress>
{
    private const int Nil = -1;

    private readonly Entry[] _entries;
    private readonly int[] _slots; // entry index + 1; 0 is an empty slot
    private readonly int _slotMask;
    private readonly int _hashShift;
    private readonly byte[] _pool;
    private readonly int[] _bufferLength;
    private readonly int[] _bufferNext;
    private readonly int _bufferSize;
    private readonly int _maxQueuedPerNeighbor;
    private readonly int _maxMulticastProbes;
    private readonly int _maxUnicastProbes;
    private readonly TimeSpan _retransmitInterval;
    private readonly TimeSpan _reachableTime;
    private readonly TimeSpan _delayFirstProbeTime;
    private readonly TimeSpan _staleTime;
    private int _freeEntry;
    private int _lruHead = Nil; // most recently used
    private int _lruTail = Nil; // least recently used: evicted first
    private int _count;
    private int _freeBuffer;
    private int _queuedPackets;

    // A lower bound on the earliest entry deadline: lowered whenever a deadline is set, recomputed
    // exactly by a poll that finds something due. Being early costs one scan; being late would
    // miss a retransmission, so it is never allowed to be late.
    private Instant _nextDeadline = Instant.MaxValue;

    /// <summary>Builds a cache, allocating all its memory.</summary>
    /// <param name="options">Sizes and timers; null for the defaults.</param>
    public NeighborCache(NeighborCacheOptions? options = null)
    {
        options ??= new NeighborCacheOptions();
        options.Validate();
        Options = options;
        _entries = new Entry[options.Capacity];
        int slotCount = (int)Math.Max(2u, System.Numerics.BitOperations.RoundUpToPowerOf2((uint)options.Capacity * 2));
        _slots = new int[slotCount];
        _slotMask = slotCount - 1;
        _hashShift = 32 - System.Numerics.BitOperations.Log2((uint)slotCount);
        for (int i = 0; i < _entries.Length; i++)
        {
            _entries[i].LruNext = i + 1 < _entries.Length ? i + 1 : Nil;
            _entries[i].QueueHead = Nil;
            _entries[i].QueueTail = Nil;
        }

        _freeEntry = 0;
        _bufferSize = options.MaxPacketLength;
        _pool = new byte[options.PacketBufferCount * _bufferSize];
        _bufferLength = new int[options.PacketBufferCount];
        _bufferNext = new int[options.PacketBufferCount];
        for (int i = 0; i < _bufferNext.Length; i++) _bufferNext[i] = i + 1 < _bufferNext.Length ? i + 1 : Nil;
        _freeBuffer = 0;
        _maxQueuedPerNeighbor = options.MaxQueuedPerNeighbor;
        _maxMulticastProbes = options.MaxMulticastProbes;
        _maxUnicastProbes = options.MaxUnicastProbes;
        _retransmitInterval = options.RetransmitInterval;
        _reachableTime = options.ReachableTime;
        _delayFirstProbeTime = options.DelayFirstProbeTime;
        _staleTime = options.StaleTime;
    }

    /// <summary>The options the cache was built with.</summary>
    public NeighborCacheOptions Options { get; }

    /// <summary>What the cache has done and dropped.</summary>
    public NeighborCacheCounters Counters { get; } = new();

    /// <summary>The entries in use, in any state.</summary>
    public int Count => _count;

    /// <summary>Packets waiting in the pool (queued for resolution, or resolved and not yet drained).</summary>
    public int QueuedPackets => _queuedPackets;

    /// <summary>
    /// When <see cref="Poll"/> next has something to do (a request to send, or an entry to age or
    /// remove); <see cref="Instant.MaxValue"/> when nothing is scheduled. Never later than the real
    /// next event. It may be earlier (an answer or a confirmation moved a timer later): a poll at
    /// or after it scans the entries and sets it exactly, so being early costs one such poll.
    /// </summary>
    public Instant NextDeadline => _nextDeadline;

    /// <summary>
    /// Looks up the link-layer address for a packet about to be sent. Counts a hit or a miss. When
    /// the address is unknown an entry is made and the answer is <see cref="NeighborLookupResult.SendRequest"/>:
    /// the caller sends the first request now; retransmissions come from <see cref="Poll"/>. Using
    /// a stale entry starts its verification (RFC 4861 section 7.3.3).
    /// </summary>
    /// <param name="address">The next hop's protocol address (unicast; the caller maps multicast itself).</param>
    /// <param name="now">The current time.</param>
    public NeighborLookup Lookup(TAddress address, Instant now)
    {
        int hash = Hash(address);
        int index = Find(address, hash);
        if (index != Nil && Advance(index, now))
        {
            ref Entry entry = ref _entries[index];
            if (entry.State == NeighborState.Incomplete)
            {
                Counters.MissesField++;
                return new NeighborLookup(NeighborLookupResult.Pending, default);
            }

            Counters.HitsField++;
            MoveToFront(index);
            if (entry.State == NeighborState.Stale)
            {
                entry.State = NeighborState.Delay;
                Schedule(ref entry, now + _delayFirstProbeTime);
            }

            return new NeighborLookup(NeighborLookupResult.Found, entry.Mac);
        }

        Counters.MissesField++;
        index = Allocate(address, hash);
        if (index == Nil)
        {
            Counters.RefusalsField++;
            return new NeighborLookup(NeighborLookupResult.Refused, default);
        }

        ref Entry created = ref _entries[index];
        created.State = NeighborState.Incomplete;
        created.Mac = default;
        created.Probes = 1;
        Schedule(ref created, now + _retransmitInterval);
        Counters.RequestsSentField++;
        return new NeighborLookup(NeighborLookupResult.SendRequest, default);
    }

    /// <summary>
    /// Copies a packet (an IP packet without link header) into the pool to wait for its neighbour's
    /// resolution. Call it after <see cref="Lookup"/> answered <see cref="NeighborLookupResult.SendRequest"/>
    /// or <see cref="NeighborLookupResult.Pending"/>. When the neighbour already has
    /// <see cref="NeighborCacheOptions.MaxQueuedPerNeighbor"/> packets waiting, or the pool is
    /// empty, the neighbour's oldest packet is dropped to make room; if it has none the new packet is dropped.
    /// </summary>
    /// <returns>True if the packet was queued; false if it was dropped (and counted).</returns>
    public bool TryQueue(TAddress address, ReadOnlySpan<byte> packet, Instant now)
    {
        if (packet.Length > _bufferSize)
        {
            Counters.PacketsDroppedTooLongField++;
            return false;
        }

        int index = Find(address, Hash(address));
        if (index == Nil || !Advance(index, now) || _entries[index].State != NeighborState.Incomplete)
        {
            Counters.PacketsDroppedUnresolvedField++;
            return false;
        }

        ref Entry entry = ref _entries[index];
        int buffer;
        if (entry.QueueCount >= _maxQueuedPerNeighbor || _freeBuffer == Nil)
        {
            if (entry.QueueCount == 0)
            {
                Counters.PacketsDroppedQueueFullField++;
                return false;
            }

            // Reuse the oldest packet's buffer: newer data is worth more once the answer comes.
            buffer = PopQueue(ref entry);
            Counters.PacketsDroppedQueueFullField++;
        }
        else
        {
            buffer = _freeBuffer;
            _freeBuffer = _bufferNext[buffer];
            _queuedPackets++;
        }

        packet.CopyTo(_pool.AsSpan(buffer * _bufferSize, _bufferSize));
        _bufferLength[buffer] = packet.Length;
        _bufferNext[buffer] = Nil;
        if (entry.QueueTail == Nil) entry.QueueHead = buffer;
        else _bufferNext[entry.QueueTail] = buffer;
        entry.QueueTail = buffer;
        entry.QueueCount++;
        Counters.PacketsQueuedField++;
        return true;
    }

    /// <summary>
    /// Takes the oldest packet waiting for a resolved neighbour, lending it in place: call it until
    /// it returns false after <see cref="Learn"/> returns true. The packet's buffer is back in the
    /// pool already; the span stays valid until the next <see cref="TryQueue"/>.
    /// </summary>
    /// <param name="address">The neighbour.</param>
    /// <param name="destination">The neighbour's link-layer address.</param>
    /// <param name="packet">The IP packet, as it was queued.</param>
    /// <returns>False when the neighbour is unknown, still resolving, or has nothing waiting.</returns>
    public bool TryDequeue(TAddress address, out MacAddress destination, out ReadOnlySpan<byte> packet)
    {
        int index = Find(address, Hash(address));
        if (index == Nil || _entries[index].State == NeighborState.Incomplete || _entries[index].QueueCount == 0)
        {
            destination = default;
            packet = default;
            return false;
        }

        ref Entry entry = ref _entries[index];
        int buffer = PopQueue(ref entry);
        FreeBuffer(buffer);
        destination = entry.Mac;
        packet = _pool.AsSpan(buffer * _bufferSize, _bufferLength[buffer]);
        return true;
    }

    /// <summary>
    /// Learns a neighbour's link-layer address from received traffic, by the rules of RFC 4861
    /// section 7.2.3 and 7.2.5 for NDP and RFC 826's merge rule for ARP (see <see cref="NeighborEvidence"/>).
    /// A neighbour advertisement without a target link-layer address option only confirms: call
    /// <see cref="ConfirmReachable"/> if its S flag is set.
    /// </summary>
    /// <param name="address">The sender's (or advertised target's) protocol address.</param>
    /// <param name="mac">Its link-layer address.</param>
    /// <param name="now">The current time.</param>
    /// <param name="evidence">What kind of packet said so.</param>
    /// <returns>True when the neighbour is resolved and has packets waiting: drain them with <see cref="TryDequeue"/>.</returns>
    public bool Learn(TAddress address, MacAddress mac, Instant now, NeighborEvidence evidence)
    {
        bool create, overrides, solicited;
        switch (evidence)
        {
            case NeighborEvidence.ArpRequestForUs: create = true; overrides = true; solicited = false; break;
            case NeighborEvidence.ArpReply: create = false; overrides = true; solicited = true; break;
            case NeighborEvidence.ArpOther: create = false; overrides = true; solicited = false; break;
            case NeighborEvidence.NdpSource: create = true; overrides = true; solicited = false; break;
            case NeighborEvidence.NdpAdvertisement: create = false; overrides = false; solicited = false; break;
            case NeighborEvidence.NdpSolicitedAdvertisement: create = false; overrides = false; solicited = true; break;
            case NeighborEvidence.NdpOverrideAdvertisement: create = false; overrides = true; solicited = false; break;
            case NeighborEvidence.NdpSolicitedOverrideAdvertisement: create = false; overrides = true; solicited = true; break;
            default: throw new ArgumentOutOfRangeException(nameof(evidence), evidence, "Not a NeighborEvidence value.");
        }

        int hash = Hash(address);
        int index = Find(address, hash);
        if (index == Nil || !Advance(index, now))
        {
            if (!create) return false;
            index = Allocate(address, hash);
            if (index == Nil)
            {
                Counters.RefusalsField++;
                return false;
            }

            ref Entry created = ref _entries[index];
            created.Mac = mac;
            created.Probes = 0;
            created.State = NeighborState.Stale;
            Schedule(ref created, now + _staleTime);

            // Unused yet: the cold end, so unsolicited senders are the first to be evicted.
            LinkBack(index);
            return false;
        }

        ref Entry entry = ref _entries[index];
        if (entry.State == NeighborState.Incomplete)
        {
            // Any answer resolves, whatever its O flag (RFC 4861 section 7.2.5); the entry was
            // made for a packet we are sending, so it is in use.
            entry.Mac = mac;
            entry.Probes = 0;
            SetResolved(ref entry, solicited ? NeighborState.Reachable : NeighborState.Stale, now);
            LinkFront(index);
            return entry.QueueCount > 0;
        }

        bool changed = entry.Mac != mac;
        if (changed && !overrides)
        {
            // Keep the address, but doubt it: the next use verifies it.
            if (entry.State == NeighborState.Reachable) SetResolved(ref entry, NeighborState.Stale, now);
        }
        else if (solicited)
        {
            entry.Mac = mac;
            SetResolved(ref entry, NeighborState.Reachable, now);
        }
        else if (changed)
        {
            entry.Mac = mac;
            SetResolved(ref entry, NeighborState.Stale, now);
        }

        return entry.QueueCount > 0;
    }

    /// <summary>
    /// Upper-layer reachability confirmation (RFC 4861 section 7.3.1): forward progress, such as a
    /// TCP acknowledgement of new data, or a solicited advertisement without a link-layer address.
    /// A resolved entry becomes reachable; an unknown or resolving one is left alone.
    /// </summary>
    /// <returns>True if an entry was confirmed.</returns>
    public bool ConfirmReachable(TAddress address, Instant now)
    {
        int index = Find(address, Hash(address));
        if (index == Nil || !Advance(index, now) || _entries[index].State == NeighborState.Incomplete) return false;
        SetResolved(ref _entries[index], NeighborState.Reachable, now);
        return true;
    }

    /// <summary>
    /// Runs every due timer: retransmits requests, sends probes, ages reachable entries to stale,
    /// and removes stale entries nobody used and entries whose last request went unanswered
    /// (dropping their waiting packets). Returns at once when nothing is due.
    /// </summary>
    /// <param name="now">The current time.</param>
    /// <param name="requests">Receives the requests to send. If it fills, the rest stay due and <see cref="NextDeadline"/> stays at or before <paramref name="now"/>.</param>
    /// <returns>How many requests were written.</returns>
    public int Poll(Instant now, Span<NeighborRequest<TAddress>> requests)
    {
        if (now < _nextDeadline) return 0;
        int written = 0;
        Instant next = Instant.MaxValue;
        Entry[] entries = _entries;
        for (int i = 0; i < entries.Length; i++)
        {
            if (entries[i].State == NeighborState.None || !Advance(i, now)) continue;
            ref Entry entry = ref entries[i];

            // Advance left only timers that send something (exhausted ones removed their entry).
            if (entry.Deadline <= now && written < requests.Length)
            {
                switch (entry.State)
                {
                    case NeighborState.Incomplete:
                        entry.Probes++;
                        requests[written++] = new NeighborRequest<TAddress>(entry.Address, false, default);
                        break;
                    case NeighborState.Delay:
                        entry.State = NeighborState.Probe;
                        entry.Probes = 1;
                        requests[written++] = new NeighborRequest<TAddress>(entry.Address, true, entry.Mac);
                        break;
                    case NeighborState.Probe:
                        entry.Probes++;
                        requests[written++] = new NeighborRequest<TAddress>(entry.Address, true, entry.Mac);
                        break;
                }

                entry.Deadline = now + _retransmitInterval;
                Counters.RequestsSentField++;
            }

            if (entry.Deadline < next) next = entry.Deadline;
        }

        _nextDeadline = next;
        return written;
    }

    /// <summary>The state and link-layer address of an entry as the last operation left it (no timer is run).</summary>
    /// <param name="address">The neighbour.</param>
    /// <param name="mac">The cached link-layer address; zero when none.</param>
    /// <returns><see cref="NeighborState.None"/> when there is no entry.</returns>
    public NeighborState GetState(TAddress address, out MacAddress mac)
    {
        int index = Find(address, Hash(address));
        if (index == Nil)
        {
            mac = default;
            return NeighborState.None;
        }

        mac = _entries[index].Mac;
        return _entries[index].State;
    }

    /// <summary>Removes an entry (for example when a route or address goes away), dropping and counting its waiting packets.</summary>
    /// <returns>True if there was an entry.</returns>
    public bool Remove(TAddress address)
    {
        int index = Find(address, Hash(address));
        if (index == Nil) return false;
        Release(index);
        return true;
    }

    /// <summary>
    /// Applies the timers of one entry that send nothing, at the instants they were due, so an
    /// entry's state does not depend on when the owner last polled: reachable turns stale, unused
    /// stale is removed, and an entry whose last request or probe went unanswered is removed.
    /// </summary>
    /// <returns>False if the entry was removed.</returns>
    private bool Advance(int index, Instant now)
    {
        ref Entry entry = ref _entries[index];
        while (entry.Deadline <= now)
        {
            switch (entry.State)
            {
                case NeighborState.Reachable:
                    entry.State = NeighborState.Stale;
                    entry.Deadline += _staleTime;
                    break;
                case NeighborState.Stale:
                    Release(index);
                    return false;
                case NeighborState.Incomplete when entry.Probes >= _maxMulticastProbes:
                case NeighborState.Probe when entry.Probes >= _maxUnicastProbes:
                    Counters.ResolutionFailuresField++;
                    Release(index);
                    return false;
                default:
                    return true;
            }
        }

        return true;
    }

    private void SetResolved(ref Entry entry, NeighborState state, Instant now)
    {
        entry.State = state;
        entry.Probes = 0;
        Schedule(ref entry, now + (state == NeighborState.Reachable ? _reachableTime : _staleTime));
    }

    private void Schedule(ref Entry entry, Instant deadline)
    {
        entry.Deadline = deadline;
        if (deadline < _nextDeadline) _nextDeadline = deadline;
    }

    private static int Hash(TAddress address) =>
        // Fibonacci hashing: the top bits of the product mix all of an IPv4 address's bits, so
        // consecutive addresses spread over the table instead of clustering.
        (int)((uint)EqualityComparer<TAddress>.Default.GetHashCode(address) * 0x9E37_79B9u);

    private int Find(TAddress address, int hash)
    {
        int slot = (int)((uint)hash >> _hashShift);
        while (true)
        {
            int index = _slots[slot] - 1;
            if (index < 0) return Nil;
            if (_entries[index].Hash == hash && _entries[index].Address.Equals(address)) return index;
            slot = (slot + 1) & _slotMask;
        }
    }

    /// <summary>Takes a free entry (evicting the least recently used resolved one if none is free) and indexes it; null-state fields are the caller's to set.</summary>
    private int Allocate(TAddress address, int hash)
    {
        if (_freeEntry == Nil)
        {
            if (_lruTail == Nil) return Nil;
            Counters.EvictionsField++;
            Release(_lruTail);
        }

        int index = _freeEntry;
        ref Entry entry = ref _entries[index];
        _freeEntry = entry.LruNext;
        entry.Address = address;
        entry.Hash = hash;
        entry.LruPrev = Nil;
        entry.LruNext = Nil;
        entry.QueueHead = Nil;
        entry.QueueTail = Nil;
        entry.QueueCount = 0;
        int slot = (int)((uint)hash >> _hashShift);
        while (_slots[slot] != 0) slot = (slot + 1) & _slotMask;
        _slots[slot] = index + 1;
        _count++;
        return index;
    }

    /// <summary>Frees an entry: drops its packets, unlinks it from the recency list and the hash table.</summary>
    private void Release(int index)
    {
        ref Entry entry = ref _entries[index];
        if (entry.QueueCount > 0)
        {
            Counters.PacketsDroppedUnresolvedField += entry.QueueCount;
            while (entry.QueueCount > 0) FreeBuffer(PopQueue(ref entry));
        }

        // Entries still resolving are kept off the recency list, so they are never evicted.
        if (entry.State != NeighborState.Incomplete) Unlink(index);

        int slot = (int)((uint)entry.Hash >> _hashShift);
        while (_slots[slot] != index + 1) slot = (slot + 1) & _slotMask;

        // Backward-shift deletion: pull later members of the probe run into the hole unless their
        // home slot lies cyclically after the hole, so lookups never meet a false empty slot.
        int hole = slot;
        int next = slot;
        while (true)
        {
            next = (next + 1) & _slotMask;
            int other = _slots[next] - 1;
            if (other < 0) break;
            int home = (int)((uint)_entries[other].Hash >> _hashShift);
            bool stays = hole <= next ? hole < home && home <= next : hole < home || home <= next;
            if (stays) continue;
            _slots[hole] = _slots[next];
            hole = next;
        }

        _slots[hole] = 0;
        entry.State = NeighborState.None;
        entry.Address = default;
        entry.Mac = default;
        entry.Deadline = default;
        entry.LruPrev = Nil;
        entry.LruNext = _freeEntry;
        _freeEntry = index;
        _count--;
    }

    private int PopQueue(ref Entry entry)
    {
        int buffer = entry.QueueHead;
        entry.QueueHead = _bufferNext[buffer];
        if (entry.QueueHead == Nil) entry.QueueTail = Nil;
        entry.QueueCount--;
        return buffer;
    }

    private void FreeBuffer(int buffer)
    {
        _bufferNext[buffer] = _freeBuffer;
        _freeBuffer = buffer;
        _queuedPackets--;
    }

    private void MoveToFront(int index)
    {
        if (_lruHead == index) return;
        Unlink(index);
        LinkFront(index);
    }

    private void LinkFront(int index)
    {
        ref Entry entry = ref _entries[index];
        entry.LruPrev = Nil;
        entry.LruNext = _lruHead;
        if (_lruHead != Nil) _entries[_lruHead].LruPrev = index;
        else _lruTail = index;
        _lruHead = index;
    }

    private void LinkBack(int index)
    {
        ref Entry entry = ref _entries[index];
        entry.LruNext = Nil;
        entry.LruPrev = _lruTail;
        if (_lruTail != Nil) _entries[_lruTail].LruNext = index;
        else _lruHead = index;
        _lruTail = index;
    }

    private void Unlink(int index)
    {
        ref Entry entry = ref _entries[index];
        if (entry.LruPrev != Nil) _entries[entry.LruPrev].LruNext = entry.LruNext;
        else _lruHead = entry.LruNext;
        if (entry.LruNext != Nil) _entries[entry.LruNext].LruPrev = entry.LruPrev;
        else _lruTail = entry.LruPrev;
        entry.LruPrev = Nil;
        entry.LruNext = Nil;
    }

    private struct Entry
    {
        public TAddress Address;
        public MacAddress Mac;
        public Instant Deadline; // the next timer; what it does depends on State
        public int Hash;
        public NeighborState State;
        public int Probes; // requests or probes sent in the current Incomplete or Probe phase
        public int LruPrev;
        public int LruNext; // also chains free entries
        public int QueueHead;
        public int QueueTail;
        public int QueueCount;
    }
}
