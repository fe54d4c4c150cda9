using Wirestack.Wire;

namespace Wirestack.Ip;

/// <summary>
/// The routes of one address family, with longest-prefix-match lookup for every packet sent.
/// </summary>
/// <remarks>
/// <para>
/// The routes live in one preallocated array kept sorted by prefix length (longest first), then metric
/// (lowest first), then age (oldest first). Lookup walks it and stops at the first route that matches and
/// has not expired, which is therefore the longest match and, among equally long ones, the preferred one.
/// For the tens of routes a host has this beats a trie: the walk is a tight loop over contiguous memory
/// with one predictable branch per route, no pointers and no allocation, and a host's traffic mostly hits
/// the on-link or default route after a handful of comparisons. Adding and removing shift the array, which
/// is fine for operations that happen when a router advertises, not per packet.
/// </para>
/// <para>
/// Expired routes are skipped by lookups at once (a route applies while now is earlier than its expiry)
/// and dropped by <see cref="RemoveExpired"/>, which the owner calls when <see cref="NextExpiry"/> is due.
/// When the table is full, <see cref="Add"/> first drops expired routes, then refuses with
/// <see cref="RouteAddResult.TableFull"/> (counted in <see cref="RouteTableCounters.RejectedFull"/>): the
/// routes already there were configured or advertised first and are not displaced.
/// </para>
/// <para>Not thread-safe: one owner, as for the rest of the core.</para>
/// </remarks>
/// <typeparam name="TAddress">The address type, <see cref="Ipv4Address"/> or <see cref="Ipv6Address"/>.</typeparam>
public sealed class RouteTable<TAddress>
    where TAddress : struct, IIpAddress<TAddress>, IEquatable<TAddress>
{
    private readonly Route<TAddress>[] _routes;
    private int _count;

    /// <summary>Makes an empty table with room for <see cref="RouteTableOptions.Capacity"/> routes.</summary>
    public RouteTable(RouteTableOptions? options = null)
    {
        options ??= new RouteTableOptions();
        options.Validate();
        _routes = new Route<TAddress>[options.Capacity];
    }

    /// <summary>The most routes the table holds.</summary>
    public int Capacity => _routes.Length;

    /// <summary>How many routes the table holds (expired ones not yet removed included).</summary>
    public int Count => _count;

    /// <summary>What the table has done.</summary>
    public RouteTableCounters Counters { get; } = new();

    /// <summary>The routes in lookup order: longest prefix first, then lowest metric, then oldest. Valid until the table changes.</summary>
    public ReadOnlySpan<Route<TAddress>> Routes => _routes.AsSpan(0, _count);

    /// <summary>The earliest expiry of any route, or <see cref="Instant.MaxValue"/> when none expires: when to call <see cref="RemoveExpired"/>.</summary>
    public Instant NextExpiry
    {
        get
        {
            var next = Instant.MaxValue;
            for (int i = 0; i < _count; i++)
                if (_routes[i].ExpiresAt < next) next = _routes[i].ExpiresAt;
            return next;
        }
    }

    /// <summary>
    /// Finds the route for <paramref name="destination"/>: the longest prefix that matches and has not expired
    /// at <paramref name="now"/>. Allocation-free.
    /// </summary>
    /// <param name="destination">Where the packet is going.</param>
    /// <param name="now">The current time, to skip expired routes.</param>
    /// <param name="nextHop">The gateway, or <paramref name="destination"/> itself when the route is on-link.</param>
    /// <param name="route">The route chosen.</param>
    /// <returns>False when no route matches (no default route): the packet is unroutable.</returns>
    public bool TryLookup(TAddress destination, Instant now, out TAddress nextHop, out Route<TAddress> route)
    {
        Counters.LookupsField++;
        var routes = _routes;
        int count = _count;
        for (int i = 0; i < count; i++)
        {
            ref readonly var candidate = ref routes[i];
            if (candidate.Prefix.IsInSameSubnet(destination, candidate.PrefixLength) && now < candidate.ExpiresAt)
            {
                route = candidate;
                nextHop = candidate.IsOnLink ? destination : candidate.Gateway;
                return true;
            }
        }
        Counters.MissesField++;
        route = default;
        nextHop = default;
        return false;
    }

    /// <summary>Finds the next hop for <paramref name="destination"/>, as <see cref="TryLookup(TAddress, Instant, out TAddress, out Route{TAddress})"/>.</summary>
    public bool TryLookup(TAddress destination, Instant now, out TAddress nextHop) => TryLookup(destination, now, out nextHop, out _);

    /// <summary>
    /// Adds <paramref name="route"/>, or replaces the metric and expiry of the route with the same prefix, length
    /// and next hop. When the table is full, routes expired at <paramref name="now"/> are dropped first; if it is
    /// still full the route is refused.
    /// </summary>
    public RouteAddResult Add(in Route<TAddress> route, Instant now)
    {
        int existing = IndexOf(route);
        if (existing >= 0)
        {
            if (_routes[existing].Metric == route.Metric)
            {
                // Same place in the order: only the expiry changes (a router re-advertising the route).
                _routes[existing] = route;
            }
            else
            {
                RemoveAt(existing);
                Insert(route);
            }
            Counters.ReplacedField++;
            return RouteAddResult.Replaced;
        }
        if (_count == _routes.Length && RemoveExpired(now) == 0)
        {
            Counters.RejectedFullField++;
            return RouteAddResult.TableFull;
        }
        Insert(route);
        Counters.AddedField++;
        return RouteAddResult.Added;
    }

    /// <summary>Removes the route with the same prefix, length and next hop as <paramref name="route"/> (metric and expiry are not compared).</summary>
    /// <returns>False when there was no such route.</returns>
    public bool Remove(in Route<TAddress> route)
    {
        int index = IndexOf(route);
        if (index < 0) return false;
        RemoveAt(index);
        Counters.RemovedField++;
        return true;
    }

    /// <summary>Removes every route through <paramref name="gateway"/> (a router that has gone away); on-link routes stay.</summary>
    /// <returns>How many routes were removed.</returns>
    public int RemoveVia(TAddress gateway)
    {
        int kept = 0;
        for (int i = 0; i < _count; i++)
        {
            if (!_routes[i].IsOnLink && _routes[i].Gateway.Equals(gateway)) continue;
            _routes[kept++] = _routes[i];
        }
        int removed = _count - kept;
        ClearTail(kept);
        Counters.RemovedField += removed;
        return removed;
    }

    /// <summary>Drops every route whose expiry is at or before <paramref name="now"/>.</summary>
    /// <returns>How many routes were dropped.</returns>
    public int RemoveExpired(Instant now)
    {
        int kept = 0;
        for (int i = 0; i < _count; i++)
        {
            if (_routes[i].IsExpired(now)) continue;
            _routes[kept++] = _routes[i];
        }
        int expired = _count - kept;
        ClearTail(kept);
        Counters.ExpiredField += expired;
        return expired;
    }

    /// <summary>Removes every route (counted as removed).</summary>
    public void Clear()
    {
        Counters.RemovedField += _count;
        ClearTail(0);
    }

    private int IndexOf(in Route<TAddress> route)
    {
        for (int i = 0; i < _count; i++)
            if (_routes[i].HasSameKey(route)) return i;
        return -1;
    }

    private void Insert(in Route<TAddress> route)
    {
        // After every route that sorts before or level with it, so equal routes keep their age order.
        int index = 0;
        while (index < _count && !SortsBefore(route, _routes[index])) index++;
        Array.Copy(_routes, index, _routes, index + 1, _count - index);
        _routes[index] = route;
        _count++;
    }

    private static bool SortsBefore(in Route<TAddress> a, in Route<TAddress> b) =>
        a.PrefixLength > b.PrefixLength || (a.PrefixLength == b.PrefixLength && a.Metric < b.Metric);

    private void RemoveAt(int index)
    {
        Array.Copy(_routes, index + 1, _routes, index, _count - index - 1);
        _count--;
        _routes[_count] = default;
    }

    private void ClearTail(int count)
    {
        Array.Clear(_routes, count, _count - count);
        _count = count;
    }
}
