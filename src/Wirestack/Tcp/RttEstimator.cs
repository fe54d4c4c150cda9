namespace Wirestack.Tcp;

/// <summary>
/// The retransmission timer's estimate of the round-trip time, per RFC 6298: a smoothed RTT and its
/// variation from which the retransmission timeout is computed, and the exponential backoff applied
/// while retransmissions go unanswered.
/// </summary>
/// <remarks>
/// <para>
/// Karn's rule is the caller's job (RFC 6298 section 3): never feed a sample measured on a segment that
/// was retransmitted, because its ACK may answer either transmission. With TCP timestamps (RFC 7323)
/// every ACK echoing a timestamp yields a valid sample, retransmitted or not.
/// </para>
/// <para>
/// A mutable struct: keep it in a field of the control block and call its methods on that field (a copy
/// read through a property would be changed and the change lost). Use the constructor; a default
/// value has a zero timeout.
/// </para>
/// </remarks>
public struct RttEstimator
{
    /// <summary>The clock granularity G of RFC 6298 section 2: the core keeps time in microseconds, but
    /// timers are polled, so a millisecond is the finest that is honest.</summary>
    public static readonly TimeSpan ClockGranularity = TimeSpan.FromMilliseconds(1);

    private readonly long _minRtoTicks;
    private readonly long _maxRtoTicks;
    private long _baseRtoTicks;
    private long _srttTicks;
    private long _rttvarTicks;
    private long _minRttTicks;
    private int _backoff;
    private bool _hasSample;

    /// <summary>Starts without samples, with a timeout of <paramref name="initialRto"/> (RFC 6298 says 1 s).</summary>
    /// <param name="initialRto">The timeout before the first sample.</param>
    /// <param name="minRto">The floor of the timeout (RFC 6298 says 1 s; Linux uses 200 ms).</param>
    /// <param name="maxRto">The ceiling of the timeout, backoff included (at least 60 s per RFC 6298).</param>
    /// <exception cref="ArgumentOutOfRangeException">A value is not positive, or <paramref name="minRto"/> is above <paramref name="maxRto"/>.</exception>
    public RttEstimator(TimeSpan initialRto, TimeSpan minRto, TimeSpan maxRto)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(initialRto, TimeSpan.Zero, nameof(initialRto));
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(minRto, TimeSpan.Zero, nameof(minRto));
        if (maxRto < minRto)
            throw new ArgumentOutOfRangeException(nameof(maxRto), maxRto, $"The maximum RTO must not be below the minimum RTO ({minRto}).");
        _minRtoTicks = minRto.Ticks;
        _maxRtoTicks = maxRto.Ticks;
        _baseRtoTicks = initialRto.Ticks;
    }

    /// <summary>The retransmission timeout, backoff applied, clamped to the minimum and maximum.</summary>
    public readonly TimeSpan Rto
    {
        get
        {
            long rto = Math.Clamp(_baseRtoTicks, _minRtoTicks, _maxRtoTicks);
            // Doubling stops at the ceiling, so a long run of backoffs cannot overflow.
            for (int i = 0; i < _backoff && rto < _maxRtoTicks; i++) rto = Math.Min(rto * 2, _maxRtoTicks);
            return TimeSpan.FromTicks(rto);
        }
    }

    /// <summary>SRTT: the smoothed round-trip time; zero before the first sample.</summary>
    public readonly TimeSpan SmoothedRtt => TimeSpan.FromTicks(_srttTicks);

    /// <summary>RTTVAR: the smoothed mean deviation of the round-trip time; zero before the first sample.</summary>
    public readonly TimeSpan RttVariation => TimeSpan.FromTicks(_rttvarTicks);

    /// <summary>True once a sample was added.</summary>
    public readonly bool HasSample => _hasSample;

    /// <summary>The smallest sample seen; zero before the first sample.</summary>
    public readonly TimeSpan MinRtt => TimeSpan.FromTicks(_minRttTicks);

    /// <summary>How many times the timeout was doubled since the last sample (the caller gives up after a limit).</summary>
    public readonly int BackoffCount => _backoff;

    /// <summary>
    /// Adds a round-trip measurement (RFC 6298 section 2): the first sets SRTT = R and RTTVAR = R/2, later
    /// ones smooth with α = 1/8 and β = 1/4; RTO = SRTT + max(G, 4·RTTVAR). A sample ends any backoff.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="rtt"/> is negative.</exception>
    public void AddSample(TimeSpan rtt)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(rtt, TimeSpan.Zero, nameof(rtt));
        long r = rtt.Ticks;
        if (!_hasSample)
        {
            _srttTicks = r;
            _rttvarTicks = r / 2;
            _minRttTicks = r;
            _hasSample = true;
        }
        else
        {
            // RTTVAR is updated with the old SRTT, as the RFC orders it.
            _rttvarTicks += (Math.Abs(_srttTicks - r) - _rttvarTicks) / 4;
            _srttTicks += (r - _srttTicks) / 8;
            _minRttTicks = Math.Min(_minRttTicks, r);
        }
        _baseRtoTicks = _srttTicks + Math.Max(ClockGranularity.Ticks, 4 * _rttvarTicks);
        _backoff = 0;
    }

    /// <summary>
    /// RFC 6298 section 5.7: when the SYN (or SYN-ACK) timed out and no sample was taken, data transmission starts
    /// with a timeout of at least <paramref name="floor"/> (the RFC says 3 s) and no backoff. Does nothing once a
    /// sample exists.
    /// </summary>
    public void RestartAfterSynTimeout(TimeSpan floor)
    {
        if (_hasSample) return;
        _baseRtoTicks = Math.Max(_baseRtoTicks, floor.Ticks);
        _backoff = 0;
    }

    /// <summary>Doubles the timeout after it expired (RFC 6298 section 5.5), up to the maximum.</summary>
    public void Backoff()
    {
        if (_backoff < int.MaxValue) _backoff++;
    }
}
