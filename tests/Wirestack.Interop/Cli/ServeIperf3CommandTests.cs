using Wirestack.Interop.Infrastructure;
using Wirestack.Interop.Serve;
using Wirestack.Testing;

namespace Wirestack.Interop.Cli;

/// <summary>
/// `wirestack serve --iperf3` as its own process on a TAP device (with TCP offloads on), measured by Debian's stock
/// iperf3 client from the namespace that holds the TAP's kernel end: TCP both ways and paced UDP, each report parsed,
/// and a capture on the kernel's side of the TAP that shows the stack's segments larger than the MTU, all valid.
/// </summary>
public sealed class ServeIperf3CommandTests
{
    private const string StackIpv4 = "10.241.0.2";
    private static readonly TimeSpan Startup = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan Shutdown = TimeSpan.FromSeconds(15);
    // Whole frames (up to 64 KiB each with offloads), so only the first few hundred of the reverse test.
    private const int CapturedFrames = 400;

    [Fact]
    public async Task The_stock_iperf3_client_measures_serve_over_tap_tcp_both_ways_and_udp()
    {
        ServeCommandTests.RequireTools();
        Iperf3Client.Require();
        string tcpdump = Prerequisites.RequireTool("tcpdump", "tcpdump");
        string tshark = Prerequisites.RequireTool("tshark", "tshark");
        using var ns = NetworkNamespace.Create();
        string tap = ServeCommandTests.TapInNamespace(ns);
        using var serve = CliProcess.StartIn(ns, "serve", "--device", $"tap:{tap}", "--ip", StackIpv4 + "/24", "--iperf3", "5201");
        Assert.EndsWith("; iperf3 tcp/5201", serve.ReadLineStartingWith("ready ", Startup), StringComparison.Ordinal);

        var forward = Iperf3Client.Run(ns, StackIpv4, 5201, "-t", "2");
        using var files = new TempDirectory();
        string capture = files.Path("reverse.pcap");
        var dump = ns.Start(tcpdump, "-i", tap, "-s", "0", "-U", "-c", CapturedFrames.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "-w", capture, "tcp", "and", "src", "host", StackIpv4);
        // tcpdump says "listening on" once the socket is bound: from then on nothing the stack sends is missed.
        var listening = Task.Run(() =>
        {
            while (dump.StandardError.ReadLine() is { } line)
                if (line.Contains("listening on", StringComparison.Ordinal)) return true;
            return false;
        }, TestContext.Current.CancellationToken);
        Assert.True(await listening.WaitAsync(TimeSpan.FromSeconds(20), TestContext.Current.CancellationToken), "tcpdump ended without listening");
        var reverse = Iperf3Client.Run(ns, StackIpv4, 5201, "-t", "2", "-R");
        Assert.True(dump.WaitForExit(TimeSpan.FromSeconds(10)), $"tcpdump did not capture {CapturedFrames} frames of the reverse test");
        var udp = Iperf3Client.Run(ns, StackIpv4, 5201, "-t", "2", "-u", "-b", "50M");

        Assert.True(forward.SentBytes > 0 && forward.ReceivedBytes > 0, forward.Json);
        Assert.True(reverse.SentBytes > 0 && reverse.ReceivedBytes > 0, reverse.Json);
        // The server counted what it received; the client's sum_received is the server's report.
        Assert.True(udp.SentBytes > 0 && udp.ReceivedBytes > 0 && udp.UdpPackets > 0, udp.Json);
        // 50 Mbit/s for 2 s is about 12.5 MB: a UDP test that paced and delivered most of it.
        Assert.InRange(udp.ReceivedBytes, 8_000_000, 16_000_000);

        CheckCapture(tshark, capture);

        serve.Signal("TERM");
        var (code, output, error) = serve.WaitForExit(Shutdown);
        Assert.True(code == 0, output + error);
        Assert.Equal("", error);
        Assert.Matches(@"(?m)^iperf3 \S+ TCP forward -P 1: completed, ", output);
        Assert.Matches(@"(?m)^iperf3 \S+ TCP reverse -P 1: completed, ", output);
        Assert.Matches(@"(?m)^iperf3 \S+ UDP forward -P 1: completed, ", output);
        Assert.Matches(@"(?m)^iperf3 +tcp/5201: [1-9]\d* connections \(0 open, 0 reset or failed\); [1-9]\d* bytes received, [1-9]\d* sent; 0 errors$", output);
    }

    // With offloads the kernel's side of the TAP sees the stack's TCP segments whole, larger than the MTU (it cuts them
    // only when it forwards them), and each must carry a correct checksum and dissect cleanly.
    private static void CheckCapture(string tshark, string capture)
    {
        var bad = ProcessRunner.Run(tshark, ["-r", capture, "-o", "tcp.check_checksum:TRUE", "-o", "ip.check_checksum:TRUE",
            "-Y", "_ws.malformed || ip.checksum.status!=1 || tcp.checksum.status!=1 || _ws.expert.severity==error"], TimeSpan.FromSeconds(60));
        Assert.Equal(0, bad.ExitCode);
        Assert.Equal("", bad.StandardOutput.Trim());
        var large = ProcessRunner.Run(tshark, ["-r", capture, "-Y", "frame.len > 1514", "-T", "fields", "-e", "frame.len"], TimeSpan.FromSeconds(60));
        Assert.Equal(0, large.ExitCode);
        string[] lengths = large.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.True(lengths.Length > 0, "no segment larger than the MTU crossed the TAP: offloads are off");
    }
}
