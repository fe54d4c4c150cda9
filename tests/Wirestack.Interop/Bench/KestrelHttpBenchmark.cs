using System.Globalization;
using System.Net;
using System.Text;
using Wirestack.Interop.AspNetCore;
using Wirestack.Interop.Iface;
using Wirestack.Interop.Infrastructure;
using Wirestack.Testing;
using static Wirestack.Interop.Iface.KernelLink;

namespace Wirestack.Interop.Bench;

/// <summary>
/// <c>wrk</c> against the same ASP.NET Core app (<see cref="Wirestack.AspNetCore.HttpDemoEndpoints"/>) on Kestrel over
/// Wirestack (TAP, and AF_PACKET on veth) and over kernel sockets (veth into wrk's namespace), in one run, printed as
/// a table with ratios against the kernel: small keep-alive responses (requests/s, p50, p99) and 1 MiB responses
/// (throughput). The full run is opt-in, because it takes a while and its figures are only meaningful on a quiet machine
/// (otherwise each row runs for one second, as a smoke test):
/// <c>WIRESTACK_HTTP_BENCH=1 dotnet test tests/Wirestack.Interop -c Release --filter KestrelHttpBenchmark</c>
/// (<c>WIRESTACK_HTTP_BENCH_SECONDS</c> sets each wrk run's length, default 5).
/// </summary>
public class KestrelHttpBenchmark
{
    private const int Port = 8080;
    private static readonly IPAddress KernelServer = IPAddress.Parse("10.241.0.1");

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Fact]
    public async Task WrkAgainstWirestackAndKernelSockets()
    {
        // Without the opt-in it still runs, as a 1-second smoke test of every row (all responses good, no socket
        // errors), so that CI keeps the benchmark working; its figures then mean little.
        bool full = Environment.GetEnvironmentVariable("WIRESTACK_HTTP_BENCH") == "1";
        string wrk = Prerequisites.RequireTool("wrk", "wrk");
        int seconds = int.TryParse(Environment.GetEnvironmentVariable("WIRESTACK_HTTP_BENCH_SECONDS"), out int s) && s > 0 ? s : full ? 5 : 1;
        var rows = new List<(string Path, string Load, WrkResult Result)>();
        foreach (var kind in (LinkKind[])[LinkKind.Tap, LinkKind.PacketRing])
        {
            using var link = KernelLink.Create(kind, "wab");
            await using var stack = KestrelKernelTests.StackOn(link);
            await using var host = await DemoAppHost.StartAsync(OurAddress.ToIPAddress(), Port, stack, Token);
            string path = kind == LinkKind.Tap ? "Wirestack, TAP" : "Wirestack, AF_PACKET on veth";
            RunBoth(rows, path, link.Namespace, wrk, OurAddress.ToIPAddress(), seconds);
            TestContext.Current.TestOutputHelper?.WriteLine($"{path}: {stack.Counters}");
            Assert.True(host.Problems.IsEmpty, string.Join("\n", host.Problems));
        }
        using (var ns = NetworkNamespace.Create())
        using (var veth = VethPair.Create(ns, "10.241.0.2/24"))
        {
            IpRoute2.Run("addr", "add", "10.241.0.1/24", "dev", veth.HostEnd);
            await using var host = await DemoAppHost.StartAsync(KernelServer, Port, stack: null, Token);
            RunBoth(rows, "kernel sockets, veth", ns, wrk, KernelServer, seconds);
        }
        string table = Render(rows, seconds);
        TestContext.Current.TestOutputHelper?.WriteLine(table);
        Console.WriteLine(table);
        Assert.All(rows, row => Assert.True(row.Result.Requests > 0 && row.Result.Non2xx == 0 && row.Result.SocketErrors == "", $"{row.Path} {row.Load}: {row.Result}"));
    }

    private static void RunBoth(List<(string, string, WrkResult)> rows, string path, NetworkNamespace ns, string wrk, IPAddress server, int seconds)
    {
        rows.Add((path, "100 B, 10 conn", Run(ns, wrk, $"http://{server}:{Port}/bytes/100", 10, seconds)));
        rows.Add((path, "1 MiB, 4 conn", Run(ns, wrk, $"http://{server}:{Port}/bytes/1048576", 4, seconds)));
    }

    private static WrkResult Run(NetworkNamespace ns, string wrk, string url, int connections, int seconds)
    {
        var run = ns.Exec(TimeSpan.FromSeconds(seconds + 30), wrk, "-t1", $"-c{connections}", $"-d{seconds}s", "--latency", url);
        Assert.True(run.ExitCode == 0, run.StandardOutput + run.StandardError);
        TestContext.Current.TestOutputHelper?.WriteLine(run.StandardOutput);
        return WrkResult.Parse(run.StandardOutput);
    }

    private static string Render(List<(string Path, string Load, WrkResult Result)> rows, int seconds)
    {
        var text = new StringBuilder();
        var c = CultureInfo.InvariantCulture;
        text.AppendLine(c, $"wrk -t1, {seconds} s per run, the demo app on Kestrel");
        text.AppendLine("| path | load | requests/s | MiB/s | p50 µs | p99 µs | × kernel req/s | × kernel p50 | × kernel p99 |");
        text.AppendLine("|---|---|---|---|---|---|---|---|---|");
        foreach (var (path, load, r) in rows)
        {
            var kernel = rows.First(k => k.Path.StartsWith("kernel", StringComparison.Ordinal) && k.Load == load).Result;
            double bytes = load.StartsWith("1 MiB", StringComparison.Ordinal) ? 1 << 20 : 100;
            text.AppendLine(c, $"| {path} | {load} | {r.RequestsPerSecond:F0} | {r.RequestsPerSecond * bytes / (1 << 20):F1} | {r.P50Microseconds:F0} | {r.P99Microseconds:F0} | " +
                $"{r.RequestsPerSecond / kernel.RequestsPerSecond:F2} | {r.P50Microseconds / kernel.P50Microseconds:F2} | {r.P99Microseconds / kernel.P99Microseconds:F2} |");
        }
        return text.ToString();
    }
}
