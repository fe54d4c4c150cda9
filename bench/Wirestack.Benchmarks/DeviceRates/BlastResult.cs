using System.Diagnostics;
using System.Globalization;

namespace Wirestack.Benchmarks.DeviceRates;

/// <summary>
/// What udp-blast reports when it ends: datagrams the kernel took, over how long, failed sends, and
/// how many it had sent at moments ~5 ms apart (CLOCK_MONOTONIC nanoseconds).
/// </summary>
internal sealed record BlastResult(long Packets, double Seconds, long Errors, IReadOnlyList<(long Nanoseconds, long Packets)> Samples)
{
    /// <summary>The sender's own rate over its whole run: datagrams the kernel accepted per second.</summary>
    public double PacketsPerSecond => Seconds > 0 ? Packets / Seconds : 0;

    /// <summary>
    /// The sender's rate between two <see cref="Stopwatch"/> timestamps (a receiver's window),
    /// interpolated between samples; null when the samples do not cover the window. On Linux
    /// Stopwatch reads CLOCK_MONOTONIC in nanoseconds, the clock the sender samples.
    /// </summary>
    public double? PacketsPerSecondBetween(long startTimestamp, long endTimestamp)
    {
        if (Samples.Count < 2 || endTimestamp <= startTimestamp) return null;
        long start = ToNanoseconds(startTimestamp), end = ToNanoseconds(endTimestamp);
        if (start < Samples[0].Nanoseconds || end > Samples[^1].Nanoseconds) return null;
        return (SentAt(end) - SentAt(start)) / ((end - start) / 1e9);
    }

    /// <summary>Reads the <c>sample NANOSECONDS PACKETS</c> lines and the line <c>packets=N seconds=S rate=R errors=E</c>.</summary>
    public static BlastResult Parse(string output)
    {
        long packets = -1, errors = 0;
        double seconds = -1;
        var samples = new List<(long, long)>();
        foreach (string line in output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            string[] words = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (words is ["sample", var time, var count])
            {
                samples.Add((long.Parse(time, CultureInfo.InvariantCulture), long.Parse(count, CultureInfo.InvariantCulture)));
                continue;
            }
            foreach (string field in words)
            {
                int equals = field.IndexOf('=', StringComparison.Ordinal);
                if (equals < 0) continue;
                string value = field[(equals + 1)..];
                switch (field[..equals])
                {
                    case "packets": packets = long.Parse(value, CultureInfo.InvariantCulture); break;
                    case "seconds": seconds = double.Parse(value, CultureInfo.InvariantCulture); break;
                    case "errors": errors = long.Parse(value, CultureInfo.InvariantCulture); break;
                }
            }
        }
        if (packets < 0 || seconds < 0) throw new FormatException($"udp-blast printed no result line: '{output.Trim()}'");
        return new BlastResult(packets, seconds, errors, samples);
    }

    private static long ToNanoseconds(long timestamp) =>
        Stopwatch.Frequency == 1_000_000_000 ? timestamp : (long)(timestamp * (1e9 / Stopwatch.Frequency));

    // Packets sent by time t, on the straight line between the samples either side.
    private double SentAt(long t)
    {
        int high = 1;
        while (high < Samples.Count - 1 && Samples[high].Nanoseconds < t) high++;
        var (t0, p0) = Samples[high - 1];
        var (t1, p1) = Samples[high];
        return t1 == t0 ? p1 : p0 + (double)(p1 - p0) * (t - t0) / (t1 - t0);
    }
}
