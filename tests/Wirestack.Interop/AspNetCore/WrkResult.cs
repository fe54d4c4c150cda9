using System.Globalization;
using System.Text.RegularExpressions;

namespace Wirestack.Interop.AspNetCore;

/// <summary>What one <c>wrk --latency</c> run reported: requests per second, mean latency and percentiles, errors.</summary>
internal sealed partial record WrkResult(double RequestsPerSecond, double P50Microseconds, double P99Microseconds, long Requests, string SocketErrors, long Non2xx,
    double MeanMicroseconds)
{
    /// <summary>Parses wrk's report; throws with the report when a figure is missing.</summary>
    public static WrkResult Parse(string report)
    {
        var rps = RpsPattern().Match(report);
        var p50 = PercentilePattern().Matches(report).FirstOrDefault(m => m.Groups[1].Value == "50");
        var p99 = PercentilePattern().Matches(report).FirstOrDefault(m => m.Groups[1].Value == "99");
        var requests = RequestsPattern().Match(report);
        var mean = MeanPattern().Match(report);
        if (!rps.Success || p50 is null || p99 is null || !requests.Success || !mean.Success)
            throw new FormatException("wrk's report lacks requests/s, the mean or 50%/99% latencies or the request count (was --latency given?):\n" + report);
        var errors = SocketErrorsPattern().Match(report);
        var non2xx = Non2xxPattern().Match(report);
        return new WrkResult(
            double.Parse(rps.Groups[1].Value, CultureInfo.InvariantCulture),
            Microseconds(p50.Groups[2].Value, p50.Groups[3].Value), Microseconds(p99.Groups[2].Value, p99.Groups[3].Value),
            long.Parse(requests.Groups[1].Value, CultureInfo.InvariantCulture),
            errors.Success ? errors.Groups[1].Value.Trim() : "",
            non2xx.Success ? long.Parse(non2xx.Groups[1].Value, CultureInfo.InvariantCulture) : 0,
            Microseconds(mean.Groups[1].Value, mean.Groups[2].Value));
    }

    private static double Microseconds(string number, string unit)
    {
        double value = double.Parse(number, CultureInfo.InvariantCulture);
        return unit switch
        {
            "us" => value,
            "ms" => value * 1000,
            "s" => value * 1_000_000,
            "m" => value * 60_000_000,
            _ => throw new FormatException($"wrk latency unit '{unit}' is not known."),
        };
    }

    [GeneratedRegex(@"Requests/sec:\s+([0-9.]+)")]
    private static partial Regex RpsPattern();

    [GeneratedRegex(@"^\s+(50|75|90|99)%\s+([0-9.]+)(us|ms|s|m)\s*$", RegexOptions.Multiline)]
    private static partial Regex PercentilePattern();

    // "    Latency   282.50us  715.93us  10.64ms   95.34%": the mean comes first.
    [GeneratedRegex(@"^\s+Latency\s+([0-9.]+)(us|ms|s|m)\s", RegexOptions.Multiline)]
    private static partial Regex MeanPattern();

    [GeneratedRegex(@"(\d+) requests in")]
    private static partial Regex RequestsPattern();

    [GeneratedRegex(@"Socket errors:([^\n]*)")]
    private static partial Regex SocketErrorsPattern();

    [GeneratedRegex(@"Non-2xx or 3xx responses:\s+(\d+)")]
    private static partial Regex Non2xxPattern();
}
