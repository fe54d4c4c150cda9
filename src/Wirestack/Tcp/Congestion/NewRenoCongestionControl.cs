using Wirestack.Wire;

namespace Wirestack.Tcp;

/// <summary>
/// NewReno congestion control (RFC 5681, RFC 6582): slow start with appropriate byte counting, L = 2·SMSS
/// (RFC 3465), and congestion avoidance that adds one SMSS per window of acknowledged bytes (byte counting,
/// the precise form of cwnd += SMSS·SMSS/cwnd per ACK). Loss halves the flight.
/// </summary>
/// <remarks>
/// See <see cref="ICongestionControl"/> for the caller's contract (window inflation in recovery is the caller's).
/// Fed RTT samples through <see cref="IRttSampleSink"/>, the initial slow start uses HyStart++ (RFC 9406).
/// </remarks>
public sealed class NewRenoCongestionControl : ICongestionControl, IRttSampleSink
{
    private HyStartPlusPlus _hystart;
    private int _mss;
    private int _cwnd;
    private int _ssthresh;
    private int _bytesAcked; // acknowledged bytes not yet turned into growth in congestion avoidance
    private bool _timedOut;  // a timeout since the last new ACK: a repeated one keeps ssthresh (RFC 5681 section 7)
    private int _undoCwnd;   // the window and threshold before the last fast retransmit, for its undoing
    private int _undoSsthresh;
    private bool _undoValid;

    /// <summary>A controller initialized for <paramref name="mss"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="mss"/> is not positive.</exception>
    public NewRenoCongestionControl(int mss) => Initialize(mss, Instant.Zero);

    /// <inheritdoc />
    public int CongestionWindow => _cwnd;

    /// <inheritdoc />
    public int SlowStartThreshold => _ssthresh;

    /// <summary>True while cwnd is below ssthresh.</summary>
    public bool InSlowStart => _cwnd < _ssthresh;

    /// <summary>Whether the initial slow start uses HyStart++ when RTT samples come in (default true).</summary>
    public bool HyStartEnabled { get; set; } = true;

    /// <summary>True while HyStart++ holds the initial slow start to a quarter of its growth.</summary>
    public bool InConservativeSlowStart => _hystart.InConservativeSlowStart;

    /// <inheritdoc />
    public void Initialize(int mss, Instant now)
    {
        _undoValid = false;
        _cwnd = CongestionControl.InitialWindow(mss);
        _mss = mss;
        _ssthresh = int.MaxValue;
        _bytesAcked = 0;
        _timedOut = false;
        _hystart.Reset();
    }

    /// <inheritdoc />
    public void OnRttSample(TimeSpan rtt, TcpSeqNumber ackNumber, TcpSeqNumber sndNxt)
    {
        // HyStart++ runs in the initial slow start only (RFC 9406 section 4.3): ssthresh still unset.
        if (!HyStartEnabled || _ssthresh != int.MaxValue) return;
        if (_hystart.OnRttSample(rtt, ackNumber, sndNxt)) _ssthresh = _cwnd;
    }

    /// <inheritdoc />
    public void OnAck(int ackedBytes, int bytesInFlight, TimeSpan smoothedRtt, Instant now)
    {
        if (ackedBytes <= 0) return;
        _timedOut = false;
        if (!WindowLimited(_cwnd, _ssthresh, ackedBytes, bytesInFlight, _mss)) return;
        ackedBytes = SlowStart(ref _cwnd, _ssthresh, ackedBytes, _mss, _hystart.InConservativeSlowStart ? HyStartPlusPlus.CssGrowthDivisor : 1);
        if (ackedBytes == 0) return;
        _bytesAcked += ackedBytes;
        if (_bytesAcked >= _cwnd)
        {
            _bytesAcked -= _cwnd;
            _cwnd = SaturatingAdd(_cwnd, _mss);
            // A stretch ACK larger than the window earns one SMSS, no more (RFC 3465 section 2.1).
            _bytesAcked = Math.Min(_bytesAcked, _cwnd - 1);
        }
    }

    /// <inheritdoc />
    public void OnFastRetransmit(int bytesInFlight, Instant now)
    {
        _undoCwnd = _cwnd;
        _undoSsthresh = _ssthresh;
        _undoValid = true;
        _ssthresh = HalfFlight(bytesInFlight, _mss);
        _cwnd = _ssthresh;
        _bytesAcked = 0;
    }

    /// <inheritdoc />
    public void OnSpuriousFastRetransmit(Instant now)
    {
        if (!_undoValid) return;
        _undoValid = false;
        _cwnd = Math.Max(_cwnd, _undoCwnd);
        _ssthresh = _undoSsthresh;
        _bytesAcked = 0;
    }

    /// <inheritdoc />
    public void OnRecoveryExit(Instant now)
    {
        _cwnd = _ssthresh;
        _bytesAcked = 0;
    }

    /// <inheritdoc />
    public void OnRetransmitTimeout(int bytesInFlight, Instant now)
    {
        if (!_timedOut) _ssthresh = HalfFlight(bytesInFlight, _mss);
        _timedOut = true;
        _undoValid = false;
        _cwnd = _mss;
        _bytesAcked = 0;
    }

    /// <inheritdoc />
    public void OnIdleRestart(Instant now)
    {
        // RFC 2861: remember the window reached in ssthresh before cutting back to the restart window.
        _ssthresh = Math.Max(_ssthresh, (int)(3L * _cwnd / 4));
        _cwnd = Math.Min(_cwnd, CongestionControl.InitialWindow(_mss));
        _bytesAcked = 0;
    }

    /// <inheritdoc />
    public void OnMssChanged(int mss)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(mss, 0, nameof(mss));
        _cwnd = Rescale(_cwnd, _mss, mss);
        if (_ssthresh != int.MaxValue) _ssthresh = Math.Max(Rescale(_ssthresh, _mss, mss), 2 * mss);
        _bytesAcked = 0;
        _mss = mss;
    }

    /// <summary>ssthresh = max(FlightSize / 2, 2·SMSS) (RFC 5681 eq. 4).</summary>
    internal static int HalfFlight(int bytesInFlight, int mss) => Math.Max(bytesInFlight / 2, 2 * mss);

    /// <summary>
    /// True when the sender was using its window when the ACK arrived, so growth is earned (RFC 7661; Linux's
    /// tcp_is_cwnd_limited): in slow start half the window in use suffices, beyond it all but one segment.
    /// </summary>
    internal static bool WindowLimited(int cwnd, int ssthresh, int ackedBytes, int bytesInFlight, int mss)
    {
        long flightBefore = (long)bytesInFlight + ackedBytes;
        return cwnd < ssthresh ? 2 * flightBefore >= cwnd : flightBefore + mss >= cwnd;
    }

    /// <summary>
    /// Slow start with appropriate byte counting (RFC 3465, L = 2·SMSS): grows cwnd up to ssthresh and returns
    /// the acknowledged bytes left over for congestion avoidance. HyStart++'s conservative slow start divides the growth.
    /// </summary>
    internal static int SlowStart(ref int cwnd, int ssthresh, int ackedBytes, int mss, int divisor)
    {
        if (cwnd >= ssthresh) return ackedBytes;
        int growth = Math.Min(ackedBytes, 2 * mss) / divisor;
        if (growth < ssthresh - cwnd)
        {
            cwnd += growth;
            return 0;
        }
        int used = ssthresh - cwnd;
        cwnd = ssthresh;
        return ackedBytes - used;
    }

    internal static int Rescale(int bytes, int oldMss, int newMss) =>
        (int)Math.Clamp((long)bytes * newMss / oldMss, newMss, int.MaxValue);

    private static int SaturatingAdd(int a, int b) => a > int.MaxValue - b ? int.MaxValue : a + b;
}
