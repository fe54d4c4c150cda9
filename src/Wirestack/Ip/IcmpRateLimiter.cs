using Wirestack.Wire;

namespace Wirestack.Ip;

/// <summary>
/// Limits the ICMP error messages an interface sends (RFC 1812 section 4.3.2.8, RFC 4443 section 2.4 (f)) with
/// a token bucket for the interface and, optionally, one per destination, so that a flood of bad packets
/// cannot turn the stack into a flood of errors, nor aim all of them at one victim.
/// </summary>
/// <remarks>
/// An error goes only when both its destination's bucket and the interface's have a token, and then takes
/// one from each; a suppressed error takes none, so one busy destination does not drain the interface's
/// bucket for the others. Buckets start full. Arithmetic is exact: at rate r a token arrives every 1/r seconds
/// to the microsecond. Not thread-safe: one owner, as for the rest of the core.
/// </remarks>
public sealed class IcmpRateLimiter
{
    private readonly long _rate;
    private readonly long _burst;
    private readonly long _perDestinationRate;
    private readonly long _perDestinationBurst;
    private readonly ulong _seed;
    private readonly TokenBucket[] _perDestination;
    private TokenBucket _global;

    /// <summary>Makes a limiter from <paramref name="options"/> (defaults when null).</summary>
    public IcmpRateLimiter(IcmpRateLimiterOptions? options = null)
    {
        options ??= new IcmpRateLimiterOptions();
        options.Validate();
        _rate = options.RatePerSecond;
        _burst = options.Burst;
        _perDestinationRate = options.PerDestinationRatePerSecond;
        _perDestinationBurst = options.PerDestinationBurst;
        _seed = options.HashSeed;
        _perDestination = new TokenBucket[options.PerDestinationBuckets];
    }

    /// <summary>What the limiter has let through and held back.</summary>
    public IcmpRateLimiterCounters Counters { get; } = new();

    /// <summary>True when per-destination limiting is on (<see cref="IcmpRateLimiterOptions.PerDestinationBuckets"/> above 0).</summary>
    public bool LimitsPerDestination => _perDestination.Length > 0;

    /// <summary>Takes a token from the interface's bucket: true when an error may be sent at <paramref name="now"/>.</summary>
    public bool TryTake(Instant now)
    {
        _global.Refill(now, _rate, _burst);
        if (!_global.HasToken)
        {
            Counters.SuppressedGlobalField++;
            return false;
        }
        _global.Take();
        Counters.AllowedField++;
        return true;
    }

    /// <summary>
    /// Takes a token from <paramref name="destination"/>'s bucket and the interface's: true when an error to
    /// <paramref name="destination"/> may be sent at <paramref name="now"/>. Without per-destination limiting this
    /// is <see cref="TryTake(Instant)"/>.
    /// </summary>
    public bool TryTake<TAddress>(TAddress destination, Instant now)
        where TAddress : struct, IIpAddress<TAddress>
    {
        if (_perDestination.Length == 0) return TryTake(now);
        ref var bucket = ref _perDestination[(int)AddressHash.Compute(destination, _seed) & (_perDestination.Length - 1)];
        bucket.Refill(now, _perDestinationRate, _perDestinationBurst);
        if (!bucket.HasToken)
        {
            Counters.SuppressedPerDestinationField++;
            return false;
        }
        _global.Refill(now, _rate, _burst);
        if (!_global.HasToken)
        {
            Counters.SuppressedGlobalField++;
            return false;
        }
        bucket.Take();
        _global.Take();
        Counters.AllowedField++;
        return true;
    }
}
