namespace Wirestack.Ip;

/// <summary>
/// A token bucket on exact integer arithmetic: tokens are held in millionths, and each microsecond adds the
/// rate per second in millionths, so refilling over any split of the same interval gives the same tokens
/// (no rounding drift) and a token arrives exactly every 1/rate seconds.
/// </summary>
internal struct TokenBucket
{
    private const long Scale = 1_000_000;

    private long _tokens; // millionths of a token
    private Instant _last;
    private bool _started;

    /// <summary>Adds the tokens earned up to <paramref name="now"/>; a bucket used for the first time starts full.</summary>
    public void Refill(Instant now, long ratePerSecond, long burst)
    {
        long full = burst * Scale;
        if (!_started)
        {
            _started = true;
            _tokens = full;
            _last = now;
            return;
        }
        long elapsed = now.TotalMicroseconds - _last.TotalMicroseconds;
        if (elapsed <= 0) return; // time does not go back; an earlier now earns nothing
        // Past the time to fill the bucket from empty the answer is "full" anyway; capping first keeps the product in range.
        long toFill = full / ratePerSecond + 1;
        _tokens = Math.Min(full, _tokens + Math.Min(elapsed, toFill) * ratePerSecond);
        _last = now;
    }

    /// <summary>True when a whole token is there.</summary>
    public readonly bool HasToken => _tokens >= Scale;

    /// <summary>Spends one token; call only when <see cref="HasToken"/>.</summary>
    public void Take() => _tokens -= Scale;
}
