namespace Wirestack.Ip;

/// <summary>How fast an <see cref="IcmpRateLimiter"/> lets ICMP error messages go.</summary>
public sealed record IcmpRateLimiterOptions
{
    /// <summary>Errors per second the interface may send on average, 1 to 1 000 000. Default 1000, as Linux's icmp_msgs_per_sec.</summary>
    public int RatePerSecond { get; init; } = 1000;

    /// <summary>Errors that may go at once after a quiet spell (the bucket's size), 1 to 1 000 000. Default 50, as Linux's icmp_msgs_burst.</summary>
    public int Burst { get; init; } = 50;

    /// <summary>
    /// Buckets for per-destination limiting, 0 (default: off) or a power of two up to 65536. Destinations are
    /// hashed onto the buckets; two that collide share one, which only makes the limit stricter for them,
    /// and keeps memory fixed whatever the number of destinations.
    /// </summary>
    public int PerDestinationBuckets { get; init; }

    /// <summary>Errors per second to one destination, 1 to 1 000 000. Default 1, as Linux's icmp_ratelimit of one second.</summary>
    public int PerDestinationRatePerSecond { get; init; } = 1;

    /// <summary>Errors that may go to one destination at once, 1 to 1 000 000. Default 6, as Linux's per-peer burst.</summary>
    public int PerDestinationBurst { get; init; } = 6;

    /// <summary>Keys the hash of destinations onto buckets; set it from a random source in production, fixed in a simulation. Default 0.</summary>
    public ulong HashSeed { get; init; }

    internal void Validate()
    {
        if (RatePerSecond is < 1 or > 1_000_000)
            throw new ArgumentOutOfRangeException(nameof(RatePerSecond), RatePerSecond, "IcmpRateLimiterOptions.RatePerSecond must be between 1 and 1000000.");
        if (Burst is < 1 or > 1_000_000)
            throw new ArgumentOutOfRangeException(nameof(Burst), Burst, "IcmpRateLimiterOptions.Burst must be between 1 and 1000000.");
        if (PerDestinationBuckets < 0 || PerDestinationBuckets > 65536 || (PerDestinationBuckets & (PerDestinationBuckets - 1)) != 0)
            throw new ArgumentOutOfRangeException(nameof(PerDestinationBuckets), PerDestinationBuckets, "IcmpRateLimiterOptions.PerDestinationBuckets must be 0 (off) or a power of two up to 65536.");
        if (PerDestinationRatePerSecond is < 1 or > 1_000_000)
            throw new ArgumentOutOfRangeException(nameof(PerDestinationRatePerSecond), PerDestinationRatePerSecond, "IcmpRateLimiterOptions.PerDestinationRatePerSecond must be between 1 and 1000000.");
        if (PerDestinationBurst is < 1 or > 1_000_000)
            throw new ArgumentOutOfRangeException(nameof(PerDestinationBurst), PerDestinationBurst, "IcmpRateLimiterOptions.PerDestinationBurst must be between 1 and 1000000.");
    }
}
