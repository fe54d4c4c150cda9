using Wirestack.Interop.Infrastructure;
using Wirestack.Interop.Serve;
using Wirestack.Testing;

namespace Wirestack.Interop.Cli;

/// <summary>
/// `wirestack serve --iperf3` as its own process on a TAP device (with TCP offloads on), measured by Debian's stock
/// iperf3 client from the namespace that holds the TAP's kernel end: TCP both ways and paced UDP, each report parsed.
/// </summary>
public sealed class ServeIperf3CommandTests
{
    private const string StackIpv4 = "10.241.0.2";
    private static readonly TimeSpan Startup = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan Shutdown = TimeSpan.FromSeconds(15);

    [Fact]
    public void The_stock_iperf3_client_measures_serve_over_tap_tcp_both_ways_and_udp()
    {
        ServeCommandTests.RequireTools();
        Iperf3Client.Require();
        using var ns = NetworkNamespace.Create();
        string tap = ServeCommandTests.TapInNamespace(ns);
        using var serve = CliProcess.StartIn(ns, "serve", "--device", $"tap:{tap}", "--ip", StackIpv4 + "/24", "--iperf3", "5201");
        Assert.EndsWith("; iperf3 tcp/5201", serve.ReadLineStartingWith("ready ", Startup), StringComparison.Ordinal);

        var forward = Iperf3Client.Run(ns, StackIpv4, 5201, "-t", "2");
        var reverse = Iperf3Client.Run(ns, StackIpv4, 5201, "-t", "2", "-R");
        var udp = Iperf3Client.Run(ns, StackIpv4, 5201, "-t", "2", "-u", "-b", "50M");

        Assert.True(forward.SentBytes > 0 && forward.ReceivedBytes > 0, forward.Json);
        Assert.True(reverse.SentBytes > 0 && reverse.ReceivedBytes > 0, reverse.Json);
        // The server counted what it received; the client's sum_received is the server's report.
        Assert.True(udp.SentBytes > 0 && udp.ReceivedBytes > 0 && udp.UdpPackets > 0, udp.Json);
        // 50 Mbit/s for 2 s is about 12.5 MB: a UDP test that paced and delivered most of it.
        Assert.InRange(udp.ReceivedBytes, 8_000_000, 16_000_000);

        serve.Signal("TERM");
        var (code, output, error) = serve.WaitForExit(Shutdown);
        Assert.True(code == 0, output + error);
        Assert.Equal("", error);
        Assert.Matches(@"(?m)^iperf3 \S+ TCP forward -P 1: completed, ", output);
        Assert.Matches(@"(?m)^iperf3 \S+ TCP reverse -P 1: completed, ", output);
        Assert.Matches(@"(?m)^iperf3 \S+ UDP forward -P 1: completed, ", output);
        Assert.Matches(@"(?m)^iperf3 +tcp/5201: [1-9]\d* connections \(0 open, 0 reset or failed\); [1-9]\d* bytes received, [1-9]\d* sent; 0 errors$", output);
    }
}
