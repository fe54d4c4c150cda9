using System.Numerics;
using Wirestack.Wire;

namespace Wirestack.Ip;

/// <summary>
/// The path MTU learned per destination from ICMPv4 fragmentation-needed and ICMPv6 packet-too-big messages
/// (RFC 1191, RFC 8201), consulted whenever a segment size is chosen.
/// </summary>
/// <remarks>
/// <para>
/// Only decreases are learned: a report not below what the destination already has is ignored, because a
/// larger path MTU is found by letting the entry time out and trying the link MTU again, not by believing a
/// message. Reports are clamped up to the family's floor (<see cref="PathMtuCacheOptions.MinimumIpv4Mtu"/>,
/// or 1280 for IPv6). An entry applies while now is earlier than its deadline, <see cref="PathMtuCacheOptions.Timeout"/>
/// after it was last lowered.
/// </para>
/// <para>
/// Storage is preallocated: entries in arrays indexed by a stable slot number, found through an
/// open-addressing table of slot numbers (linear probing, at most half full, backward-shift deletion so no
/// tombstones build up) and linked in least-recently-used order. When all <see cref="PathMtuCacheOptions.Capacity"/>
/// entries are taken, learning a new destination evicts the least recently used one (counted in
/// <see cref="PathMtuCacheCounters.Evicted"/>): a flood of forged reports can only displace entries, not grow memory.
/// </para>
/// <para>Not thread-safe: one owner, as for the rest of the core.</para>
/// </remarks>
/// <typeparam name="TAddress">The address type, <see cref="Ipv4Address"/> or <see cref="Ipv6Address"/>.</typeparam>
public sealed class PathMtuCache<TAddress>
    where TAddress : struct, IIpAddress<TAddress>, IEquatable<TAddress>
{
    private const int None = -1;

    private readonly ulong _seed;
    private readonly TimeSpan _timeout;
    private readonly int _capacity;

    // Entries, by slot.
    private readonly TAddress[] _keys;
    private readonly uint[] _hashes;
    private readonly int[] _mtus;
    private readonly bool[] _belowMinimum;
    private readonly Instant[] _expiries;
    private readonly int[] _newer;
    private readonly int[] _older;

    // The hash table: slot + 1, or 0 for an empty bucket (so a fresh array is an empty table).
    private readonly int[] _buckets;
    private readonly int _bucketMask;

    private int _count;
    private int _newest = None;
    private int _oldest = None;
    private int _free; // head of the free slots, chained through _older
    private int _linkMtu;
    private Instant _nextExpiry = Instant.MaxValue;

    /// <summary>Makes an empty cache from <paramref name="options"/> (defaults when null).</summary>
    public PathMtuCache(PathMtuCacheOptions? options = null)
    {
        options ??= new PathMtuCacheOptions();
        MinimumMtu = TAddress.Length == 4 ? options.MinimumIpv4Mtu : 1280;
        options.Validate(TAddress.Length == 4 ? 68 : 1280);
        _capacity = options.Capacity;
        _linkMtu = options.LinkMtu;
        _seed = options.HashSeed;
        _timeout = options.Timeout;
        _keys = new TAddress[_capacity];
        _hashes = new uint[_capacity];
        _mtus = new int[_capacity];
        _belowMinimum = new bool[_capacity];
        _expiries = new Instant[_capacity];
        _newer = new int[_capacity];
        _older = new int[_capacity];
        _buckets = new int[(int)BitOperations.RoundUpToPowerOf2((uint)_capacity * 2)];
        _bucketMask = _buckets.Length - 1;
        for (int i = 0; i < _capacity; i++) _older[i] = i + 1 < _capacity ? i + 1 : None;
        _free = 0;
    }

    /// <summary>The most destinations remembered.</summary>
    public int Capacity => _capacity;

    /// <summary>How many destinations have an entry (expired ones not yet dropped included).</summary>
    public int Count => _count;

    /// <summary>The floor reports are clamped to: <see cref="PathMtuCacheOptions.MinimumIpv4Mtu"/> for IPv4, 1280 for IPv6.</summary>
    public int MinimumMtu { get; }

    /// <summary>What the cache has done.</summary>
    public PathMtuCacheCounters Counters { get; } = new();

    /// <summary>
    /// The link's MTU: the answer for a destination without an entry, and a ceiling on every answer. It may be
    /// changed when the link's MTU does; entries above a lowered link MTU are answered with the link MTU.
    /// </summary>
    public int LinkMtu
    {
        get => _linkMtu;
        set
        {
            int familyMinimum = TAddress.Length == 4 ? 68 : 1280;
            if (value < familyMinimum || value > 65535)
                throw new ArgumentOutOfRangeException(nameof(value), value, $"PathMtuCache.LinkMtu must be between {familyMinimum} and 65535.");
            _linkMtu = value;
        }
    }

    /// <summary>
    /// No entry expires before this; <see cref="Instant.MaxValue"/> when the cache is empty. It may be earlier than
    /// the real next expiry (an entry since removed or refreshed), never later: a deadline for <see cref="RemoveExpired"/>.
    /// </summary>
    public Instant NextExpiry => _nextExpiry;

    /// <summary>The path MTU to <paramref name="destination"/>: its entry, or the link MTU when it has none. Allocation-free.</summary>
    public int GetMtu(TAddress destination, Instant now) => GetMtu(destination, now, out _);

    /// <summary>
    /// The path MTU to <paramref name="destination"/>: its entry, or the link MTU when it has none. An entry found
    /// counts as used for eviction; one found expired is dropped. Allocation-free.
    /// </summary>
    /// <param name="destination">Where the packet is going.</param>
    /// <param name="now">The current time.</param>
    /// <param name="belowMinimum">
    /// True when a report for this path was below <see cref="MinimumMtu"/> and was raised to it: the real path is
    /// narrower, so an IPv4 sender should let routers fragment (clear DF). For IPv6 nothing more can be done.
    /// </param>
    public int GetMtu(TAddress destination, Instant now, out bool belowMinimum)
    {
        uint hash = Hash(destination);
        int slot = Find(destination, hash, out int bucket);
        if (slot != None)
        {
            if (now < _expiries[slot])
            {
                Counters.HitsField++;
                Touch(slot);
                belowMinimum = _belowMinimum[slot];
                return Math.Min(_mtus[slot], _linkMtu);
            }
            Counters.ExpiredField++;
            Delete(slot, bucket);
        }
        Counters.MissesField++;
        belowMinimum = false;
        return _linkMtu;
    }

    /// <summary>True when <paramref name="destination"/> has an entry that has not expired at <paramref name="now"/>; does not count as a use.</summary>
    public bool Contains(TAddress destination, Instant now)
    {
        int slot = Find(destination, Hash(destination), out _);
        return slot != None && now < _expiries[slot];
    }

    /// <summary>
    /// Learns that the path to <paramref name="destination"/> takes at most <paramref name="reportedMtu"/> bytes
    /// (the MTU field of the ICMP message; 0 from an old router becomes the minimum). Only a decrease is learned;
    /// it restarts the entry's timeout.
    /// </summary>
    public PathMtuUpdateResult Update(TAddress destination, int reportedMtu, Instant now)
    {
        bool clamped = reportedMtu < MinimumMtu;
        int mtu = clamped ? MinimumMtu : reportedMtu;
        if (clamped) Counters.ClampedField++;
        // Only IPv4 can act on a path narrower than the floor (by letting routers fragment); an IPv6 sender
        // just uses 1280 (RFC 8201 section 4), so there is nothing to mark.
        clamped &= TAddress.Length == 4;

        uint hash = Hash(destination);
        int slot = Find(destination, hash, out int bucket);
        if (slot != None && now >= _expiries[slot])
        {
            Counters.ExpiredField++;
            Delete(slot, bucket);
            slot = Find(destination, hash, out bucket);
        }

        var expiry = now + _timeout;
        if (slot != None)
        {
            int current = Math.Min(_mtus[slot], _linkMtu);
            bool newlyBelow = clamped && !_belowMinimum[slot];
            if (mtu > current || (mtu == current && !newlyBelow))
            {
                Counters.IgnoredField++;
                return PathMtuUpdateResult.Ignored;
            }
            _mtus[slot] = mtu;
            _belowMinimum[slot] |= clamped;
            _expiries[slot] = expiry;
            Touch(slot);
            Counters.LoweredField++;
            return PathMtuUpdateResult.Lowered;
        }

        if (mtu >= _linkMtu && !clamped)
        {
            Counters.IgnoredField++;
            return PathMtuUpdateResult.Ignored;
        }
        if (_count == _capacity)
        {
            Counters.EvictedField++;
            int victim = _oldest;
            Find(_keys[victim], _hashes[victim], out int victimBucket);
            Delete(victim, victimBucket);
            bucket = FindEmptyBucket(hash); // the deletion may have moved the bucket we were going to use
        }

        slot = _free;
        _free = _older[slot];
        _keys[slot] = destination;
        _hashes[slot] = hash;
        _mtus[slot] = Math.Min(mtu, _linkMtu);
        _belowMinimum[slot] = clamped;
        _expiries[slot] = expiry;
        _buckets[bucket] = slot + 1;
        _count++;
        PushNewest(slot);
        if (expiry < _nextExpiry) _nextExpiry = expiry;
        Counters.LearnedField++;
        return PathMtuUpdateResult.Learned;
    }

    /// <summary>Forgets <paramref name="destination"/>'s entry.</summary>
    /// <returns>False when it had none.</returns>
    public bool Remove(TAddress destination)
    {
        int slot = Find(destination, Hash(destination), out int bucket);
        if (slot == None) return false;
        Delete(slot, bucket);
        Counters.RemovedField++;
        return true;
    }

    /// <summary>Drops every entry whose timeout has run out at <paramref name="now"/>, and recomputes <see cref="NextExpiry"/>.</summary>
    /// <returns>How many entries were dropped.</returns>
    public int RemoveExpired(Instant now)
    {
        int dropped = 0;
        var next = Instant.MaxValue;
        int slot = _oldest;
        while (slot != None)
        {
            int newer = _newer[slot];
            if (now >= _expiries[slot])
            {
                Find(_keys[slot], _hashes[slot], out int bucket);
                Delete(slot, bucket);
                dropped++;
            }
            else if (_expiries[slot] < next)
            {
                next = _expiries[slot];
            }
            slot = newer;
        }
        _nextExpiry = next;
        Counters.ExpiredField += dropped;
        return dropped;
    }

    /// <summary>Forgets every entry (counted as removed).</summary>
    public void Clear()
    {
        Counters.RemovedField += _count;
        while (_oldest != None) Delete(_oldest, FindBucketOf(_oldest));
        _nextExpiry = Instant.MaxValue;
    }

    private uint Hash(TAddress address) => AddressHash.Compute(address, _seed);

    /// <summary>The slot holding <paramref name="key"/>, or None; <paramref name="bucket"/> is its bucket, or the empty bucket where it would go.</summary>
    private int Find(TAddress key, uint hash, out int bucket)
    {
        int i = (int)hash & _bucketMask;
        while (true)
        {
            int entry = _buckets[i];
            if (entry == 0)
            {
                bucket = i;
                return None;
            }
            int slot = entry - 1;
            if (_hashes[slot] == hash && _keys[slot].Equals(key))
            {
                bucket = i;
                return slot;
            }
            i = (i + 1) & _bucketMask;
        }
    }

    private int FindEmptyBucket(uint hash)
    {
        int i = (int)hash & _bucketMask;
        while (_buckets[i] != 0) i = (i + 1) & _bucketMask;
        return i;
    }

    private int FindBucketOf(int slot)
    {
        Find(_keys[slot], _hashes[slot], out int bucket);
        return bucket;
    }

    private void Delete(int slot, int bucket)
    {
        // Backward-shift deletion: pull later members of the probe run into the hole when their home bucket
        // is not between the hole and where they sit, so every entry stays reachable from its home.
        int hole = bucket;
        int i = bucket;
        while (true)
        {
            i = (i + 1) & _bucketMask;
            int entry = _buckets[i];
            if (entry == 0) break;
            int home = (int)_hashes[entry - 1] & _bucketMask;
            bool reachableWithoutHole = hole <= i ? home > hole && home <= i : home > hole || home <= i;
            if (reachableWithoutHole) continue;
            _buckets[hole] = entry;
            hole = i;
        }
        _buckets[hole] = 0;

        Unlink(slot);
        _keys[slot] = default;
        _older[slot] = _free;
        _free = slot;
        _count--;
    }

    private void Touch(int slot)
    {
        if (slot == _newest) return;
        Unlink(slot);
        PushNewest(slot);
    }

    private void PushNewest(int slot)
    {
        _newer[slot] = None;
        _older[slot] = _newest;
        if (_newest != None) _newer[_newest] = slot;
        _newest = slot;
        if (_oldest == None) _oldest = slot;
    }

    private void Unlink(int slot)
    {
        int newer = _newer[slot];
        int older = _older[slot];
        if (newer != None) _older[newer] = older; else _newest = older;
        if (older != None) _newer[older] = newer; else _oldest = newer;
    }
}
