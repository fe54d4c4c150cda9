using System.Globalization;
using System.Text.Json;
using Wirestack.Interop.Infrastructure;
using Wirestack.Testing;

namespace Wirestack.Interop.Serve;

/// <summary>Debian's stock <c>iperf3</c> client run with <c>-J</c> inside a namespace, and the figures of its JSON report.</summary>
internal static class Iperf3Client
{
    public static string Require() => Prerequisites.RequireTool("iperf3", "iperf3");

    /// <summary>Runs <c>iperf3 -c SERVER -p PORT -J ARGS</c> and returns its report; fails with the output when it exits non-zero.</summary>
    public static Iperf3Report Run(NetworkNamespace ns, string server, int port, params string[] arguments)
    {
        var result = ns.Exec(TimeSpan.FromSeconds(40), [Require(), "-c", server, "-p", port.ToString(CultureInfo.InvariantCulture), "-J", .. arguments]);
        Assert.True(result.ExitCode == 0, $"iperf3 {string.Join(' ', arguments)} exited with {result.ExitCode}\n{result.StandardOutput}\n{result.StandardError}");
        return Iperf3Report.Parse(result.StandardOutput);
    }
}

/// <summary>The parts of an iperf3 <c>-J</c> report the tests check.</summary>
internal sealed record Iperf3Report(string Json, long SentBytes, long ReceivedBytes, double SentSeconds, double ReceivedSeconds, double ReceivedBitsPerSecond, long UdpPackets, long UdpLost, double UdpJitterMs)
{
    public static Iperf3Report Parse(string json)
    {
        using var document = JsonDocument.Parse(json);
        var root = document.RootElement;
        Assert.False(root.TryGetProperty("error", out var error), $"iperf3 reported an error: {error}");
        var end = root.GetProperty("end");
        if (end.TryGetProperty("sum_sent", out var sent) && end.TryGetProperty("sum_received", out var received))
        {
            long packets = 0, lost = 0;
            double jitter = 0;
            // UDP: the receiver's loss, datagram count and jitter (the server's, when the client sent).
            if (received.TryGetProperty("lost_packets", out var lostPackets))
            {
                lost = lostPackets.GetInt64();
                packets = received.GetProperty("packets").GetInt64();
                jitter = received.GetProperty("jitter_ms").GetDouble();
            }
            return new Iperf3Report(json, sent.GetProperty("bytes").GetInt64(), received.GetProperty("bytes").GetInt64(),
                sent.GetProperty("seconds").GetDouble(), received.GetProperty("seconds").GetDouble(),
                received.GetProperty("bits_per_second").GetDouble(), packets, lost, jitter);
        }
        Assert.Fail($"iperf3's report has no sum_sent/sum_received:\n{json}");
        return null!;
    }

    public double ReceivedGbps => ReceivedBitsPerSecond / 1e9;
}
