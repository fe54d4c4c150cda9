using System.Diagnostics;

namespace Wirestack.Cli.Serve.Iperf3;

/// <summary>The monotonic clock of the data path: seconds as a double, from <see cref="Stopwatch"/> ticks (no allocation).</summary>
internal static class Iperf3Clock
{
    private static readonly double SecondsPerTick = 1.0 / Stopwatch.Frequency;

    /// <summary>Now, in seconds since an arbitrary origin.</summary>
    public static double Now => Stopwatch.GetTimestamp() * SecondsPerTick;
}
