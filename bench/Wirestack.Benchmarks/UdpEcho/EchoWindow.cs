using System.Diagnostics;

namespace Wirestack.Benchmarks.UdpEcho;

/// <summary>
/// The time frame both threads of an echo run share: a warm-up (tiered compilation, caches) and then the measured
/// window, from timestamps fixed before the threads start, so neither thread waits on the other to begin or end.
/// </summary>
internal sealed class EchoWindow(TimeSpan warmup, TimeSpan measure)
{
    private readonly long _start = Stopwatch.GetTimestamp() + (long)(warmup.TotalSeconds * Stopwatch.Frequency);
    private readonly long _end = Stopwatch.GetTimestamp() + (long)((warmup + measure).TotalSeconds * Stopwatch.Frequency);
    private volatile bool _stopped;

    public long Start => _start;

    public long End => _end;

    /// <summary>Set by the client thread once the window has passed; the server thread then stops too.</summary>
    public bool Stopped => _stopped;

    public void Stop() => _stopped = true;
}
