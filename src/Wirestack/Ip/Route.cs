using Wirestack.Wire;

namespace Wirestack.Ip;

/// <summary>
/// One entry of a <see cref="RouteTable{TAddress}"/>: destinations within <see cref="Prefix"/>/<see cref="PrefixLength"/>
/// are reached through <see cref="Gateway"/>, or directly when the route is on-link. A route is identified by
/// its prefix, prefix length and next hop, so two routers may each offer the same prefix (two default routes
/// learned from two router advertisements) and <see cref="Metric"/> chooses between them.
/// </summary>
/// <typeparam name="TAddress">The address type, <see cref="Ipv4Address"/> or <see cref="Ipv6Address"/>.</typeparam>
public readonly struct Route<TAddress> : IEquatable<Route<TAddress>>
    where TAddress : struct, IIpAddress<TAddress>, IEquatable<TAddress>
{
    /// <summary>
    /// Makes a route. Bits of <paramref name="prefix"/> after <paramref name="prefixLength"/> are cleared, as RFC 4191
    /// asks of a receiver (they are reserved and ignored), so 192.0.2.7/24 is the route 192.0.2.0/24.
    /// </summary>
    /// <param name="prefix">The destination prefix.</param>
    /// <param name="prefixLength">0 (the default route) to the address's bit length.</param>
    /// <param name="gateway">The next-hop router, or null for an on-link route.</param>
    /// <param name="metric">Preference among routes of the same prefix length: lower wins. 0 or more.</param>
    /// <param name="expiresAt">When the route stops applying (one learned from a router advertisement); null for never.</param>
    public Route(TAddress prefix, int prefixLength, TAddress? gateway = null, int metric = 0, Instant? expiresAt = null)
    {
        int bits = TAddress.Length * 8;
        if ((uint)prefixLength > (uint)bits)
            throw new ArgumentOutOfRangeException(nameof(prefixLength), prefixLength, $"A route's prefix length must be between 0 and {bits}.");
        ArgumentOutOfRangeException.ThrowIfNegative(metric);
        Prefix = prefix.Mask(prefixLength);
        PrefixLength = prefixLength;
        IsOnLink = gateway is null;
        Gateway = gateway.GetValueOrDefault();
        Metric = metric;
        ExpiresAt = expiresAt ?? Instant.MaxValue;
    }

    /// <summary>An on-link route: destinations in the prefix are neighbours, reached directly.</summary>
    public static Route<TAddress> OnLink(TAddress prefix, int prefixLength, int metric = 0, Instant? expiresAt = null) =>
        new(prefix, prefixLength, null, metric, expiresAt);

    /// <summary>A route through <paramref name="gateway"/>.</summary>
    public static Route<TAddress> Via(TAddress prefix, int prefixLength, TAddress gateway, int metric = 0, Instant? expiresAt = null) =>
        new(prefix, prefixLength, gateway, metric, expiresAt);

    /// <summary>A default route (prefix length 0) through <paramref name="gateway"/>.</summary>
    public static Route<TAddress> Default(TAddress gateway, int metric = 0, Instant? expiresAt = null) =>
        new(default, 0, gateway, metric, expiresAt);

    /// <summary>The destination prefix, with the bits after <see cref="PrefixLength"/> clear.</summary>
    public TAddress Prefix { get; }

    /// <summary>How many leading bits of <see cref="Prefix"/> a destination must share; 0 matches everything.</summary>
    public int PrefixLength { get; }

    /// <summary>True when destinations are reached directly; <see cref="Gateway"/> is then meaningless (default).</summary>
    public bool IsOnLink { get; }

    /// <summary>The next-hop router when not <see cref="IsOnLink"/>.</summary>
    public TAddress Gateway { get; }

    /// <summary>Preference among routes of equal prefix length: lower wins.</summary>
    public int Metric { get; }

    /// <summary>The route applies while now is earlier than this; <see cref="Instant.MaxValue"/> for a permanent route.</summary>
    public Instant ExpiresAt { get; }

    /// <summary>True when the route has a lifetime (it will expire).</summary>
    public bool HasExpiry => ExpiresAt != Instant.MaxValue;

    /// <summary>True when <paramref name="destination"/> is within the prefix.</summary>
    public bool Matches(TAddress destination) => Prefix.IsInSameSubnet(destination, PrefixLength);

    /// <summary>True when the route no longer applies at <paramref name="now"/> (expiry is exactly at the deadline).</summary>
    public bool IsExpired(Instant now) => now >= ExpiresAt;

    /// <summary>The address a packet to <paramref name="destination"/> is handed to: the gateway, or the destination itself on-link.</summary>
    public TAddress NextHop(TAddress destination) => IsOnLink ? destination : Gateway;

    /// <summary>True when <paramref name="other"/> is the same route (prefix, length and next hop), whatever its metric and expiry.</summary>
    public bool HasSameKey(in Route<TAddress> other) =>
        PrefixLength == other.PrefixLength && IsOnLink == other.IsOnLink && Prefix.Equals(other.Prefix) && (IsOnLink || Gateway.Equals(other.Gateway));

    /// <inheritdoc />
    public bool Equals(Route<TAddress> other) => HasSameKey(other) && Metric == other.Metric && ExpiresAt == other.ExpiresAt;

    /// <inheritdoc />
    public override bool Equals(object? obj) => obj is Route<TAddress> other && Equals(other);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(Prefix, PrefixLength, IsOnLink, Gateway, Metric, ExpiresAt);

    /// <summary>Compares two routes.</summary>
    public static bool operator ==(Route<TAddress> left, Route<TAddress> right) => left.Equals(right);

    /// <summary>Compares two routes.</summary>
    public static bool operator !=(Route<TAddress> left, Route<TAddress> right) => !left.Equals(right);

    /// <inheritdoc />
    public override string ToString() =>
        $"{Prefix}/{PrefixLength} {(IsOnLink ? "on-link" : $"via {Gateway}")} metric {Metric}{(HasExpiry ? $" expires {ExpiresAt}" : "")}";
}
