using System.Diagnostics;

namespace Wirestack.Cli.Serve.Iperf3;

/// <summary>The process's CPU time over a wall-clock interval, in percent of one core (as iperf3 reports it).</summary>
internal readonly record struct Iperf3CpuUse(double UserPercent, double SystemPercent)
{
    /// <summary>User and system together.</summary>
    public double TotalPercent => UserPercent + SystemPercent;

    /// <summary>A reading to measure from.</summary>
    public static (TimeSpan User, TimeSpan System, long Timestamp) Sample()
    {
        using var process = Process.GetCurrentProcess();
        return (process.UserProcessorTime, process.PrivilegedProcessorTime, Stopwatch.GetTimestamp());
    }

    /// <summary>The use since <paramref name="start"/>.</summary>
    public static Iperf3CpuUse Since((TimeSpan User, TimeSpan System, long Timestamp) start)
    {
        var now = Sample();
        double wall = Stopwatch.GetElapsedTime(start.Timestamp, now.Timestamp).TotalSeconds;
        if (wall <= 0) return default;
        return new((now.User - start.User).TotalSeconds / wall * 100, (now.System - start.System).TotalSeconds / wall * 100);
    }
}
