using Wirestack.Wire;

namespace Wirestack.Tcp;

/// <summary>
/// HyStart++ (RFC 9406): leaves slow start when the round's minimum RTT rises clearly above the previous round's,
/// first into conservative slow start (a quarter of the growth) for a few rounds, which it abandons if the RTT
/// falls back (jitter, not queueing), then into congestion avoidance. Only the initial slow start uses it
/// (section 4.3): later ones have an ssthresh from a loss to stop at.
/// </summary>
internal struct HyStartPlusPlus
{
    public static readonly TimeSpan MinRttThreshold = TimeSpan.FromMilliseconds(4);
    public static readonly TimeSpan MaxRttThreshold = TimeSpan.FromMilliseconds(16);
    public const int MinRttDivisor = 8;
    public const int RttSamplesPerRound = 8;       // N_RTT_SAMPLE
    public const int CssGrowthDivisor = 4;
    public const int CssRounds = 5;

    private static readonly long Infinity = long.MaxValue;

    private bool _started;
    private TcpSeqNumber _windowEnd;
    private long _lastRoundMinRtt;   // ticks
    private long _currentRoundMinRtt;
    private int _samples;
    private long _cssBaselineMinRtt;
    private int _cssRoundCount;

    /// <summary>True while in conservative slow start: growth is divided by <see cref="CssGrowthDivisor"/>.</summary>
    public bool InConservativeSlowStart { get; private set; }

    /// <summary>Starts over (a new connection).</summary>
    public void Reset() => this = default;

    /// <summary>
    /// Takes a sample while in the initial slow start. Returns true when HyStart++ ends slow start: the caller then
    /// sets ssthresh = cwnd and continues in congestion avoidance.
    /// </summary>
    public bool OnRttSample(TimeSpan rtt, TcpSeqNumber ackNumber, TcpSeqNumber sndNxt)
    {
        if (!_started || ackNumber > _windowEnd)
        {
            // A new round: the first ACK beyond what was sent when the last one started (as Linux counts).
            bool first = !_started;
            _started = true;
            _windowEnd = sndNxt;
            _lastRoundMinRtt = first ? Infinity : _currentRoundMinRtt;
            _currentRoundMinRtt = Infinity;
            _samples = 0;
            if (InConservativeSlowStart && ++_cssRoundCount >= CssRounds)
            {
                InConservativeSlowStart = false;
                return true;
            }
        }

        _currentRoundMinRtt = Math.Min(_currentRoundMinRtt, rtt.Ticks);
        _samples++;
        if (_samples < RttSamplesPerRound || _currentRoundMinRtt == Infinity) return false;

        if (!InConservativeSlowStart)
        {
            if (_lastRoundMinRtt == Infinity) return false;
            long threshold = Math.Clamp(_lastRoundMinRtt / MinRttDivisor, MinRttThreshold.Ticks, MaxRttThreshold.Ticks);
            if (_currentRoundMinRtt >= _lastRoundMinRtt + threshold)
            {
                _cssBaselineMinRtt = _currentRoundMinRtt;
                _cssRoundCount = 0;
                InConservativeSlowStart = true;
            }
        }
        else if (_currentRoundMinRtt < _cssBaselineMinRtt)
        {
            // The delay increase was spurious: back to slow start.
            _cssBaselineMinRtt = Infinity;
            InConservativeSlowStart = false;
        }
        return false;
    }
}
