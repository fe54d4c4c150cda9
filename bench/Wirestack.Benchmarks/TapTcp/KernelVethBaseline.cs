using System.Globalization;
using System.Text.Json;
using Wirestack.Benchmarks.DeviceRates;

namespace Wirestack.Benchmarks.TapTcp;

/// <summary>
/// The baseline measured in the same run: kernel-to-kernel TCP with iperf3 between two namespaces joined by
/// veth, with the veth's offloads as they come (TSO, GSO, GRO on) or turned off (every segment MTU-sized).
/// </summary>
internal static class KernelVethBaseline
{
    public static TransferResult Measure(CleanupRegistry cleanup, double seconds, bool offloads)
    {
        string tag = offloads ? "von" : "voff";
        using var server = BenchNamespace.Create(cleanup, tag + "s");
        using var client = BenchNamespace.Create(cleanup, tag + "c");
        using var veth = VethLink.Between(cleanup, server, "10.233.0.1/24", client, "10.233.0.2/24", tag);
        if (offloads)
        {
            // Configure turned them off (it is made for frame-rate rows); turn them back on.
            server.Run("ethtool", "-K", veth.FirstEnd, "tx", "on", "tso", "on", "gso", "on", "gro", "on");
            client.Run("ethtool", "-K", veth.SecondEnd, "tx", "on", "tso", "on", "gso", "on", "gro", "on");
        }
        var iperf = server.Start("iperf3", "-s", "-1", "-B", "10.233.0.1");
        Thread.Sleep(300);
        var result = client.Run("iperf3", "-c", "10.233.0.1", "-t", seconds.ToString(CultureInfo.InvariantCulture), "-J");
        Shell.Finish(iperf, TimeSpan.FromSeconds(10));
        if (result.ExitCode != 0) throw new InvalidOperationException($"iperf3 failed: {result.StandardOutput}{result.StandardError}");
        using var json = JsonDocument.Parse(result.StandardOutput);
        var sum = json.RootElement.GetProperty("end").GetProperty("sum_received");
        long bytes = sum.GetProperty("bytes").GetInt64();
        double elapsed = sum.GetProperty("seconds").GetDouble();
        return new TransferResult($"kernel to kernel over veth, offloads {(offloads ? "on" : "off")} (iperf3)", bytes, elapsed, "");
    }
}
