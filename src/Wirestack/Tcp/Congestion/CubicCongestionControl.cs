using Wirestack.Wire;

namespace Wirestack.Tcp;

/// <summary>
/// CUBIC congestion control (RFC 9438): after a loss the window grows along W_cubic(t) = C·(t − K)³ + W_max,
/// concave up to the window where the loss happened and convex beyond it, and never slower than Reno would
/// (the Reno-friendly region). Below ssthresh it slow-starts like <see cref="NewRenoCongestionControl"/>.
/// </summary>
/// <remarks>
/// <para>
/// The window is counted in bytes; the cubic function runs in segments of the current MSS, as the RFC writes it.
/// Time comes from the <see cref="Instant"/>s the caller passes; nothing reads a clock. t counts from the start of
/// the congestion-avoidance epoch (the first ACK after a reduction); <see cref="OnIdleRestart"/> moves the epoch
/// forward by the idle time so a pause does not count as growth time.
/// </para>
/// <para>See <see cref="ICongestionControl"/> for the caller's contract. Fed RTT samples through
/// <see cref="IRttSampleSink"/>, the initial slow start uses HyStart++ (RFC 9406).</para>
/// </remarks>
public sealed class CubicCongestionControl : ICongestionControl, IRttSampleSink
{
    /// <summary>β_cubic: the window keeps 70 % on a loss.</summary>
    public const double Beta = 0.7;

    /// <summary>C: the aggressiveness of the cubic growth, in segments per second³.</summary>
    public const double C = 0.4;

    /// <summary>α_cubic = 3(1 − β)/(1 + β): the Reno-friendly estimate's growth per RTT before it reaches the pre-loss window.</summary>
    public const double RenoFriendlyAlpha = 3 * (1 - Beta) / (1 + Beta);

    private int _mss;
    private double _cwnd;       // bytes; fractional growth accumulates here
    private int _ssthresh;
    private bool _timedOut;     // a timeout since the last new ACK: a repeated one keeps ssthresh
    private bool _afterTimeout; // the next epoch is the first after a timeout: K = 0, W_max = cwnd (RFC 9438 section 4.8)
    private double _wMax;       // segments
    private double _cwndPrior;  // segments; the window when ssthresh was last set
    private bool _inEpoch;
    private Instant _epochStart;
    private double _k;          // seconds
    private double _wEst;       // segments
    private Instant _lastAck;
    private HyStartPlusPlus _hystart;
    private UndoState _undo;    // the state before the last fast retransmit (RFC 9438 section 4.9)
    private bool _undoValid;

    private record struct UndoState(double Cwnd, int Ssthresh, double WMax, double CwndPrior, bool InEpoch, Instant EpochStart, double K, double WEst);

    /// <summary>A controller initialized for <paramref name="mss"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="mss"/> is not positive.</exception>
    public CubicCongestionControl(int mss) => Initialize(mss, Instant.Zero);

    /// <inheritdoc />
    public int CongestionWindow => (int)Math.Min(_cwnd, int.MaxValue);

    /// <inheritdoc />
    public int SlowStartThreshold => _ssthresh;

    /// <summary>True while cwnd is below ssthresh.</summary>
    public bool InSlowStart => _cwnd < _ssthresh;

    /// <summary>Whether the initial slow start uses HyStart++ when RTT samples come in (default true).</summary>
    public bool HyStartEnabled { get; set; } = true;

    /// <summary>True while HyStart++ holds the initial slow start to a quarter of its growth.</summary>
    public bool InConservativeSlowStart => _hystart.InConservativeSlowStart;

    /// <summary>W_max in segments: the window the last loss happened at (lowered by fast convergence).</summary>
    public double MaxWindowSegments => _wMax;

    /// <summary>K in seconds: how long the current epoch takes to grow back to W_max; zero outside an epoch.</summary>
    public double K => _inEpoch ? _k : 0;

    /// <summary>W_est in segments: the window a Reno flow would have reached in the current epoch.</summary>
    public double RenoEstimateSegments => _wEst;

    /// <inheritdoc />
    public void Initialize(int mss, Instant now)
    {
        _cwnd = CongestionControl.InitialWindow(mss);
        _mss = mss;
        _ssthresh = int.MaxValue;
        _timedOut = false;
        _afterTimeout = false;
        _wMax = 0;
        _cwndPrior = 0;
        _inEpoch = false;
        _k = 0;
        _wEst = 0;
        _lastAck = now;
        _hystart.Reset();
        _undoValid = false;
    }

    /// <inheritdoc />
    public void OnRttSample(TimeSpan rtt, TcpSeqNumber ackNumber, TcpSeqNumber sndNxt)
    {
        // HyStart++ runs in the initial slow start only (RFC 9406 section 4.3): ssthresh still unset.
        if (!HyStartEnabled || _ssthresh != int.MaxValue) return;
        if (_hystart.OnRttSample(rtt, ackNumber, sndNxt)) _ssthresh = CongestionWindow;
    }

    /// <summary>W_cubic(t) in segments, t in seconds from the epoch's start (RFC 9438 eq. 1).</summary>
    public double CubicWindowSegments(double t)
    {
        double d = t - _k;
        return C * d * d * d + _wMax;
    }

    /// <inheritdoc />
    public void OnAck(int ackedBytes, int bytesInFlight, TimeSpan smoothedRtt, Instant now)
    {
        if (ackedBytes <= 0) return;
        _timedOut = false;
        _lastAck = now;
        int cwnd = CongestionWindow;
        if (!NewRenoCongestionControl.WindowLimited(cwnd, _ssthresh, ackedBytes, bytesInFlight, _mss)) return;
        if (cwnd < _ssthresh)
        {
            int before = cwnd;
            ackedBytes = NewRenoCongestionControl.SlowStart(ref cwnd, _ssthresh, ackedBytes, _mss, _hystart.InConservativeSlowStart ? HyStartPlusPlus.CssGrowthDivisor : 1);
            _cwnd += cwnd - before;
            if (ackedBytes == 0) return;
        }
        CongestionAvoidance(ackedBytes, smoothedRtt, now);
    }

    private void CongestionAvoidance(int ackedBytes, TimeSpan smoothedRtt, Instant now)
    {
        double cwnd = _cwnd / _mss;
        if (!_inEpoch) StartEpoch(cwnd, now);
        double t = (now - _epochStart).TotalSeconds;
        double acked = (double)ackedBytes / _mss;

        // Reno-friendly estimate (RFC 9438 section 4.3): α_cubic until it reaches the pre-loss window, then Reno's 1.
        double alpha = _wEst >= _cwndPrior ? 1.0 : RenoFriendlyAlpha;
        _wEst += alpha * acked / cwnd;

        double cubic = CubicWindowSegments(t);
        if (cubic < _wEst)
        {
            cwnd = Math.Max(cwnd, _wEst);
        }
        else
        {
            // Concave or convex region (sections 4.4, 4.5): aim at W_cubic one RTT ahead, at most 1.5·cwnd.
            double target = Math.Clamp(CubicWindowSegments(t + smoothedRtt.TotalSeconds), cwnd, 1.5 * cwnd);
            cwnd += (target - cwnd) / cwnd * acked;
        }
        _cwnd = Math.Min(cwnd * _mss, int.MaxValue);
    }

    private void StartEpoch(double cwnd, Instant now)
    {
        _inEpoch = true;
        _epochStart = now;
        _wEst = cwnd;
        if (_afterTimeout || _wMax <= cwnd)
        {
            _afterTimeout = false;
            _wMax = cwnd;
            _k = 0;
        }
        else
        {
            _k = Math.Cbrt((_wMax - cwnd) / C);
        }
    }

    /// <inheritdoc />
    public void OnFastRetransmit(int bytesInFlight, Instant now)
    {
        _undo = new UndoState(_cwnd, _ssthresh, _wMax, _cwndPrior, _inEpoch, _epochStart, _k, _wEst);
        _undoValid = true;
        Reduce(bytesInFlight);
        _cwnd = _ssthresh;
    }

    /// <inheritdoc />
    public void OnSpuriousFastRetransmit(Instant now)
    {
        // RFC 9438 section 4.9: back to the state before the congestion event, the epoch included.
        if (!_undoValid) return;
        _undoValid = false;
        _cwnd = Math.Max(_cwnd, _undo.Cwnd);
        _ssthresh = _undo.Ssthresh;
        _wMax = _undo.WMax;
        _cwndPrior = _undo.CwndPrior;
        _inEpoch = _undo.InEpoch;
        _epochStart = _undo.EpochStart;
        _k = _undo.K;
        _wEst = _undo.WEst;
    }

    /// <inheritdoc />
    public void OnRecoveryExit(Instant now)
    {
        _cwnd = _ssthresh;
        _inEpoch = false;
    }

    /// <inheritdoc />
    public void OnRetransmitTimeout(int bytesInFlight, Instant now)
    {
        if (!_timedOut) Reduce(bytesInFlight);
        _timedOut = true;
        _afterTimeout = true;
        _undoValid = false;
        _cwnd = _mss;
    }

    /// <summary>Multiplicative decrease with fast convergence (RFC 9438 sections 4.6, 4.7).</summary>
    private void Reduce(int bytesInFlight)
    {
        double cwnd = _cwnd / _mss;
        // Fast convergence: a loss below the last W_max means a new flow is taking its share, so give some up.
        _wMax = cwnd < _wMax ? cwnd * (1 + Beta) / 2 : cwnd;
        _cwndPrior = cwnd;
        _ssthresh = (int)Math.Max(bytesInFlight * Beta, 2.0 * _mss);
        _inEpoch = false;
    }

    /// <inheritdoc />
    public void OnIdleRestart(Instant now)
    {
        // The idle time is not growth time: move the epoch forward by it (RFC 9438 section 5.8, as Linux does).
        if (_inEpoch && now > _lastAck) _epochStart += now - _lastAck;
        _lastAck = now;
        int cwnd = CongestionWindow;
        _ssthresh = Math.Max(_ssthresh, (int)(3L * cwnd / 4));
        _cwnd = Math.Min(cwnd, CongestionControl.InitialWindow(_mss));
    }

    /// <inheritdoc />
    public void OnMssChanged(int mss)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(mss, 0, nameof(mss));
        // W_max, W_est and K are in segments and carry over; the byte counts scale.
        _cwnd = Math.Max(_cwnd / _mss * mss, mss);
        if (_ssthresh != int.MaxValue) _ssthresh = Math.Max(NewRenoCongestionControl.Rescale(_ssthresh, _mss, mss), 2 * mss);
        _mss = mss;
    }
}
