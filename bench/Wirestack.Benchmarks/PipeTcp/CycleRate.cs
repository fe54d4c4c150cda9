using System.Diagnostics;

namespace Wirestack.Benchmarks;

/// <summary>
/// Cycles per second after a warm-up: call <see cref="Done"/> before each cycle; it starts counting once the warm-up
/// has passed and says when the measured span is over, with the rate over that span.
/// </summary>
internal struct CycleRate(TimeSpan warmup, TimeSpan measure)
{
    private readonly long _begin = Stopwatch.GetTimestamp();
    private long _cycles;
    private long _countFrom = -1;
    private long _startedAt;

    /// <summary>True when the measured span is over; <paramref name="rate"/> is then the cycles per second in it.</summary>
    public bool Done(out double rate)
    {
        rate = 0;
        long now = Stopwatch.GetTimestamp();
        if (_countFrom < 0)
        {
            if (Stopwatch.GetElapsedTime(_begin, now) >= warmup)
            {
                _countFrom = _cycles;
                _startedAt = now;
            }
        }
        else if (Stopwatch.GetElapsedTime(_startedAt, now) >= measure)
        {
            rate = (_cycles - _countFrom) / Stopwatch.GetElapsedTime(_startedAt, now).TotalSeconds;
            return true;
        }
        _cycles++;
        return false;
    }
}
