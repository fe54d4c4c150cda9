namespace Wirestack.Ip;

/// <summary>How a <see cref="PathMtuCache{TAddress}"/> is sized and how it treats reports.</summary>
public sealed record PathMtuCacheOptions
{
    /// <summary>The most destinations remembered, 1 to 65536. Default 256. When full, the least recently used entry is evicted.</summary>
    public int Capacity { get; init; } = 256;

    /// <summary>The link's MTU, what a destination without an entry gets. At least the family's minimum (68 for IPv4, 1280 for IPv6), at most 65535. Default 1500.</summary>
    public int LinkMtu { get; init; } = 1500;

    /// <summary>
    /// How long a learned MTU is believed. After it the entry is dropped and the link MTU is tried again, which
    /// is how an increase in the path MTU is discovered (RFC 1191 section 6.3, RFC 8201 section 5.3 suggest 10
    /// minutes). Above zero, at most one day. Default 10 minutes.
    /// </summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>
    /// The lowest IPv4 path MTU believed, 68 to 576. Default 552, as Linux's min_pmtu. A report below it is
    /// clamped up to it and the entry marked <c>belowMinimum</c>, so the sender can send those datagrams without
    /// the don't-fragment bit and let routers fragment them. 68, RFC 1191's floor, lets a single forged ICMP
    /// message make TCP send 28-byte segments (RFC 5927 section 7); the clamp bounds that damage at a small
    /// cost on the rare real path below 552 bytes. IPv6's floor is fixed at 1280 (RFC 8200, RFC 8201).
    /// </summary>
    public int MinimumIpv4Mtu { get; init; } = 552;

    /// <summary>
    /// Keys the hash of destinations. Set it from a random source when the stack starts, so an attacker
    /// forging reports for chosen destinations cannot aim them at one bucket; a fixed seed keeps a
    /// simulation repeatable. Default 0.
    /// </summary>
    public ulong HashSeed { get; init; }

    internal void Validate(int familyMinimum)
    {
        if (Capacity is < 1 or > 65536)
            throw new ArgumentOutOfRangeException(nameof(Capacity), Capacity, "PathMtuCacheOptions.Capacity must be between 1 and 65536.");
        if (LinkMtu < familyMinimum || LinkMtu > 65535)
            throw new ArgumentOutOfRangeException(nameof(LinkMtu), LinkMtu, $"PathMtuCacheOptions.LinkMtu must be between {familyMinimum} (this address family's minimum) and 65535.");
        if (Timeout <= TimeSpan.Zero || Timeout > TimeSpan.FromDays(1))
            throw new ArgumentOutOfRangeException(nameof(Timeout), Timeout, "PathMtuCacheOptions.Timeout must be above zero and at most one day.");
        if (MinimumIpv4Mtu is < 68 or > 576)
            throw new ArgumentOutOfRangeException(nameof(MinimumIpv4Mtu), MinimumIpv4Mtu, "PathMtuCacheOptions.MinimumIpv4Mtu must be between 68 (RFC 791's minimum) and 576.");
    }
}
