using System.Globalization;
using System.Net;
using System.Text;
using Wirestack.Interop.AspNetCore;
using Wirestack.Interop.Iface;
using Wirestack.Interop.Infrastructure;
using Wirestack.Interop.Sockets;
using Wirestack.Testing;
using static Wirestack.Interop.Iface.KernelLink;

namespace Wirestack.Interop.Bench;

/// <summary>
/// <c>wrk</c> against the same ASP.NET Core app (<see cref="Wirestack.AspNetCore.HttpDemoEndpoints"/>) on Kestrel over
/// Wirestack and over kernel sockets, in one run, printed as a table with ratios against the kernel on the same kind of
/// link: small keep-alive responses on one connection (the round trip) and on ten (requests/s, p50, p99) and 1 MiB responses (throughput). Links: TAP with its
/// offloads (64 KiB TCP segments, as a Netstack opens a TAP by default) against kernel sockets over a veth with its
/// offloads (TSO, GSO, GRO), and so does AF_PACKET with PACKET_VNET_HDR on a veth with its offloads; TAP without offloads and AF_PACKET on a veth without offloads (MTU-sized frames on the link; AF_PACKET
/// with PACKET_VNET_HDR, whose 64 KiB segments the kernel cuts in software as it does its own TCP's, and without, the stack
/// sending MTU-sized frames) against kernel sockets over a veth without offloads; and the same links with two stack threads, each on a kernel queue of its
/// own (multi-queue TAP, AF_PACKET fanout), as <c>Wirestack:Queues=2</c> builds them. The kernel's rows run before and
/// after the Wirestack rows, which are compared with their mean (the two show how far the machine drifted meanwhile). Each load first runs unmeasured as long as it is then measured,
/// so that every path is measured with its code compiled at its final tier (a path would otherwise pay for the JIT).
/// The full run is opt-in, because it takes a while and its figures are only meaningful on a quiet machine
/// (otherwise each row runs for one second, as a smoke test):
/// <c>WIRESTACK_HTTP_BENCH=1 dotnet test tests/Wirestack.Interop -c Release --filter KestrelHttpBenchmark</c>
/// (<c>WIRESTACK_HTTP_BENCH_SECONDS</c> sets each wrk run's length, default 5; <c>WIRESTACK_HTTP_BENCH_ROWS</c> picks
/// the Wirestack rows whose name contains it, <c>WIRESTACK_HTTP_BENCH_LOADS</c> the loads).
/// </summary>
public class KestrelHttpBenchmark
{
    private const int Port = 8080;
    private const string KernelOffloads = "kernel sockets, veth with offloads";
    private const string KernelPlain = "kernel sockets, veth without offloads";
    private static readonly IPAddress KernelServer = IPAddress.Parse("10.241.0.1");

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Fact]
    public async Task WrkAgainstWirestackAndKernelSockets()
    {
        // Without the opt-in it still runs, as a 1-second smoke test of every row (all responses good, no socket
        // errors), so that CI keeps the benchmark working; its figures then mean little.
        bool full = Environment.GetEnvironmentVariable("WIRESTACK_HTTP_BENCH") == "1";
        string wrk = Prerequisites.RequireTool("wrk", "wrk");
        Prerequisites.RequireTool("ethtool", "ethtool");
        int seconds = int.TryParse(Environment.GetEnvironmentVariable("WIRESTACK_HTTP_BENCH_SECONDS"), out int s) && s > 0 ? s : full ? 5 : 1;
        var rows = new List<Row>();
        // A path whose code runs for the first time pays for the JIT's later tiers (a row measured first ran 10-30 %
        // slower than the same row measured later; a profile of a fresh sharded row found the JIT on a third of the CPU):
        // in the full run every load warms up as long as it is measured.
        int warmup = full ? seconds : 1;
        // The kernel's rows run first and last, and each Wirestack row is compared with their mean: on a shared machine
        // the load drifts over the minutes the run takes, and the two kernel rows show by how much.
        await RunKernelAsync(rows, wrk, seconds, warmup, "before");
        // Polling: the stack thread's default (polls on for NetstackOptions.PollBeforeSleep after traffic), sleeping
        // at once, or never sleeping (BusyPolling).
        var sleepsAtOnce = TimeSpan.Zero;
        foreach (var (kind, path, baseline, busy, pollBeforeSleep) in ((LinkKind, string, string, bool, TimeSpan?)[])[
            (LinkKind.TapOffloads, "Wirestack, TAP with offloads", KernelOffloads, false, null),
            (LinkKind.TapOffloads, "Wirestack, TAP with offloads, stack thread sleeps at once", KernelOffloads, false, sleepsAtOnce),
            (LinkKind.TapOffloads, "Wirestack, TAP with offloads, busy-polling stack thread", KernelOffloads, true, null),
            (LinkKind.PacketRingOffloads, "Wirestack, AF_PACKET on veth with offloads", KernelOffloads, false, null),
            (LinkKind.Tap, "Wirestack, TAP without offloads", KernelPlain, false, null),
            (LinkKind.PacketRingSoftwareSegmentation, "Wirestack, AF_PACKET on veth without offloads (the kernel segments)", KernelPlain, false, null),
            (LinkKind.PacketRing, "Wirestack, AF_PACKET on veth without offloads, MTU-sized sends", KernelPlain, false, null)])
        {
            if (!Selected(path)) continue;
            using var link = KernelLink.Create(kind, "wab");
            await using var stack = KestrelKernelTests.StackOn(link, busy, pollBeforeSleep);
            await using var host = await DemoAppHost.StartAsync(OurAddress.ToIPAddress(), Port, stack, Token);
            RunBoth(rows, path, baseline, link.Namespace, wrk, OurAddress.ToIPAddress(), seconds, warmup);
            TestContext.Current.TestOutputHelper?.WriteLine($"{path}: {stack.Counters}");
            Assert.True(host.Problems.IsEmpty, string.Join("\n", host.Problems));
        }
        // Two stack threads, each with a kernel queue of its own (multi-queue TAP, AF_PACKET fanout).
        foreach (var (kind, path, baseline) in ((LinkKind, string, string)[])[
            (LinkKind.TapOffloads, "Wirestack, 2 queues, TAP with offloads", KernelOffloads),
            (LinkKind.Tap, "Wirestack, 2 queues, TAP without offloads", KernelPlain),
            (LinkKind.PacketRingSoftwareSegmentation, "Wirestack, 2 queues, AF_PACKET on veth without offloads (the kernel segments)", KernelPlain)])
        {
            if (!Selected(path)) continue;
            using var link = ShardedKernelLink.Create(kind, "wab");
            await using var host = await DemoAppHost.StartAsync(OurAddress.ToIPAddress(), Port, link.Network, Token);
            RunBoth(rows, path, baseline, link.Namespace, wrk, OurAddress.ToIPAddress(), seconds, warmup);
            for (int i = 0; i < link.Network.Shards.Count; i++)
                TestContext.Current.TestOutputHelper?.WriteLine($"{path}, shard {i}: {link.Network.Shards[i].Counters}");
            Assert.True(host.Problems.IsEmpty, string.Join("\n", host.Problems));
        }
        await RunKernelAsync(rows, wrk, seconds, warmup, "after");
        string table = Render(rows, seconds);
        TestContext.Current.TestOutputHelper?.WriteLine(table);
        Console.WriteLine(table);
        Assert.All(rows, row => Assert.True(row.Result.Requests > 0 && row.Result.Non2xx == 0 && row.Result.SocketErrors == "", $"{row.Path} {row.Load}: {row.Result}"));
    }

    private static async Task RunKernelAsync(List<Row> rows, string wrk, int seconds, int warmup, string when)
    {
        foreach (bool offloads in (bool[])[true, false])
        {
            using var ns = NetworkNamespace.Create();
            using var veth = VethPair.Create(ns, "10.241.0.2/24");
            if (offloads)
            {
                // VethPair turns segmentation and checksum offloads off; this baseline has the kernel's defaults back.
                ns.Exec("ethtool", "-K", veth.PeerEnd, "tx", "on", "tso", "on", "gso", "on", "gro", "on").EnsureSuccess("ethtool -K");
                ProcessRunner.Run("ethtool", "-K", veth.HostEnd, "tx", "on", "tso", "on", "gso", "on", "gro", "on");
            }
            IpRoute2.Run("addr", "add", "10.241.0.1/24", "dev", veth.HostEnd);
            await using var host = await DemoAppHost.StartAsync(KernelServer, Port, stack: null, Token);
            string baseline = offloads ? KernelOffloads : KernelPlain;
            RunBoth(rows, $"{baseline} ({when})", baseline, ns, wrk, KernelServer, seconds, warmup);
        }
    }

    // The kernel's figures for a kind of link and load: the mean of its runs before and after the Wirestack rows.
    private static WrkResult Kernel(List<Row> rows, string baseline, string load)
    {
        double rps = 0, mean = 0, p50 = 0, p99 = 0;
        int n = 0;
        foreach (var row in rows)
        {
            if (row.Load != load || !row.Path.StartsWith(baseline + " (", StringComparison.Ordinal)) continue;
            rps += row.Result.RequestsPerSecond;
            mean += row.Result.MeanMicroseconds;
            p50 += row.Result.P50Microseconds;
            p99 += row.Result.P99Microseconds;
            n++;
        }
        return new WrkResult(rps / n, p50 / n, p99 / n, 0, "", 0, mean / n);
    }

    // WIRESTACK_HTTP_BENCH_ROWS=TEXT runs only the Wirestack rows whose name contains TEXT (the kernel's always run), and
    // WIRESTACK_HTTP_BENCH_LOADS=TEXT only the loads whose name does: for profiling one path.
    private static bool Selected(string path) =>
        Environment.GetEnvironmentVariable("WIRESTACK_HTTP_BENCH_ROWS") is not { Length: > 0 } only || path.Contains(only, StringComparison.Ordinal);

    private static void RunBoth(List<Row> rows, string path, string baseline, NetworkNamespace ns, string wrk, IPAddress server, int seconds, int warmup)
    {
        foreach (var (load, url, connections) in (ReadOnlySpan<(string, string, int)>)[
            // One connection: nothing queues, so p50 is the round trip of one request through each stack and the app.
            ("100 B, 1 conn", $"http://{server}:{Port}/bytes/100", 1),
            ("100 B, 10 conn", $"http://{server}:{Port}/bytes/100", 10),
            ("1 MiB, 4 conn", $"http://{server}:{Port}/bytes/1048576", 4)])
        {
            if (Environment.GetEnvironmentVariable("WIRESTACK_HTTP_BENCH_LOADS") is { Length: > 0 } loads && !load.Contains(loads, StringComparison.Ordinal)) continue;
            // Also in the smoke test: a cold app on a loaded machine can take longer than its one second for the
            // first response (ARP, then the JIT for the whole request path), and a row with no request fails it.
            Run(ns, wrk, url, connections, warmup);
            rows.Add(new Row(path, baseline, load, Run(ns, wrk, url, connections, seconds)));
        }
    }

    private static WrkResult Run(NetworkNamespace ns, string wrk, string url, int connections, int seconds)
    {
        var run = ns.Exec(TimeSpan.FromSeconds(seconds + 30), wrk, "-t1", $"-c{connections}", $"-d{seconds}s", "--latency", url);
        Assert.True(run.ExitCode == 0, run.StandardOutput + run.StandardError);
        TestContext.Current.TestOutputHelper?.WriteLine(run.StandardOutput);
        return WrkResult.Parse(run.StandardOutput);
    }

    private static string Render(List<Row> rows, int seconds)
    {
        var text = new StringBuilder();
        var c = CultureInfo.InvariantCulture;
        text.AppendLine(c, $"wrk -t1, {seconds} s per run after a warm-up as long, the demo app on Kestrel; ratios against the kernel on the same kind of link (the mean of its runs before and after)");
        text.AppendLine("| path | load | requests/s | MiB/s | mean µs | p50 µs | p99 µs | × kernel req/s | × kernel mean | × kernel p50 | × kernel p99 |");
        text.AppendLine("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var row in rows)
        {
            var r = row.Result;
            var kernel = Kernel(rows, row.Baseline, row.Load);
            double bytes = row.Load.StartsWith("1 MiB", StringComparison.Ordinal) ? 1 << 20 : 100;
            text.AppendLine(c, $"| {row.Path} | {row.Load} | {r.RequestsPerSecond:F0} | {r.RequestsPerSecond * bytes / (1 << 20):F1} | {r.MeanMicroseconds:F0} | {r.P50Microseconds:F0} | {r.P99Microseconds:F0} | " +
                $"{r.RequestsPerSecond / kernel.RequestsPerSecond:F2} | {r.MeanMicroseconds / kernel.MeanMicroseconds:F2} | {r.P50Microseconds / kernel.P50Microseconds:F2} | {r.P99Microseconds / kernel.P99Microseconds:F2} |");
        }
        return text.ToString();
    }

    private sealed record Row(string Path, string Baseline, string Load, WrkResult Result);
}
