using System.Globalization;
using System.Text;
using Wirestack.Benchmarks.DeviceRates;
using Wirestack.Nic;
using Wirestack.Sockets;
using Wirestack.Wire;

namespace Wirestack.Benchmarks.Shards;

/// <summary>
/// The <c>shards</c> mode: UDP echo rate of a <see cref="ShardedNetwork"/> with 1 and then 2 shards (software RSS over
/// AF_PACKET on a veth, each shard a pinned stack thread plus an echo thread on its own socket), with the kernel in a
/// namespace as the client (bench/tools/udp-flows.c: many flows, a window of datagrams each). The rounds alternate
/// 1 and 2 shards, so the 1-shard rate measured next to it is each 2-shard run's baseline; the scaling ratio of every
/// round is printed, with the median and the spread. Needs root and a C compiler.
/// </summary>
internal static partial class ShardScalingCommand
{
    public const string Usage =
        "usage: sudo Wirestack.Benchmarks shards [--seconds N] [--rounds N] [--flows N] [--window N] [--payload N] [--output FILE]\n" +
        "  UDP echo/s through a ShardedNetwork of 1 and of 2 shards (AF_PACKET on a veth, the kernel's\n" +
        "  udp-flows client in a namespace), rounds alternating, reported as the 2-to-1 ratio per round.\n" +
        "  --seconds N   measured seconds per run (default 2)   --rounds N  rounds of both (default 3)\n" +
        "  --flows N     the client's flows (default 64)        --window N  datagrams in flight per flow (default 4)\n" +
        "  --payload N   bytes per datagram (default 64)        --output FILE  also write the table there";

    private const string OurCidr = "10.250.0.2";
    private const string PeerCidr = "10.250.0.1/24";
    private const ushort EchoPort = 9000;
    private static readonly MacAddress OurMac = MacAddress.Parse("02:00:0a:fa:00:02");

    public static int Run(string[] args)
    {
        var values = new Dictionary<string, double> { ["--seconds"] = 2, ["--rounds"] = 3, ["--flows"] = 64, ["--window"] = 4, ["--payload"] = 64 };
        string? output = null;
        for (int i = 0; i < args.Length; i++)
        {
            if (args[i] is "-h" or "--help")
            {
                Console.WriteLine(Usage);
                return 0;
            }
            if (i + 1 >= args.Length || (args[i] != "--output" && !values.ContainsKey(args[i])))
            {
                Console.Error.WriteLine($"shards: {(i + 1 >= args.Length ? $"{args[i]} needs a value" : $"unknown option '{args[i]}'")}.\n{Usage}");
                return 2;
            }
            if (args[i] == "--output")
            {
                output = args[++i];
                continue;
            }
            if (!double.TryParse(args[i + 1], NumberStyles.Float, CultureInfo.InvariantCulture, out double value) || value <= 0 || value > 100_000)
            {
                Console.Error.WriteLine($"shards: {args[i]} '{args[i + 1]}' must be a positive number.\n{Usage}");
                return 2;
            }
            values[args[i++]] = value;
        }
        int flows = (int)values["--flows"], window = (int)values["--window"], payload = (int)values["--payload"], rounds = (int)values["--rounds"];
        if (flows > 1024 || payload > 1472)
        {
            Console.Error.WriteLine($"shards: --flows is at most 1024 and --payload at most 1472.\n{Usage}");
            return 2;
        }
        if (geteuid() != 0)
        {
            Console.Error.WriteLine("shards: needs root (network namespaces, a veth pair, AF_PACKET); run it with sudo.");
            return 2;
        }

        using var cleanup = new CleanupRegistry();
        cleanup.Install();
        BenchNamespace.RemoveStale();
        var client = FlowClient.Build(cleanup, out string? problem);
        if (client is null)
        {
            Console.Error.WriteLine($"shards: {problem}.");
            return 2;
        }
        var ns = BenchNamespace.Create(cleanup, "shard");
        var link = VethLink.FromHost(cleanup, ns, PeerCidr, "sh");
        ns.AddNeighbour(Ipv4Address.Parse(OurCidr), OurMac, link.SecondEnd);

        var table = new StringBuilder();
        table.AppendLine("| round | 1 shard echo/s | 2 shards echo/s | ratio |");
        table.AppendLine("|---:|---:|---:|---:|");
        var ratios = new List<double>();
        double seconds = values["--seconds"];
        for (int round = 1; round <= rounds && !cleanup.Token.IsCancellationRequested; round++)
        {
            double one = Measure(link.FirstEnd, ns, client, 1, flows, window, payload, seconds);
            double two = Measure(link.FirstEnd, ns, client, 2, flows, window, payload, seconds);
            double ratio = two / one;
            ratios.Add(ratio);
            table.AppendLine(string.Create(CultureInfo.InvariantCulture, $"| {round} | {one:N0} | {two:N0} | {ratio:0.00} |"));
        }
        ratios.Sort();
        table.AppendLine();
        table.AppendLine(string.Create(CultureInfo.InvariantCulture,
            $"2-to-1 shard ratio: median {ratios[ratios.Count / 2]:0.00}, min {ratios[0]:0.00}, max {ratios[^1]:0.00} over {ratios.Count} rounds; " +
            $"{flows} flows x {window} in flight, {payload} B, {seconds} s per run, {Environment.ProcessorCount} CPUs, load average {LoadAverage()}."));
        Console.Write(table);
        if (output is not null) File.WriteAllText(output, table.ToString());
        return 0;
    }

    // One run: a sharded network on the host end, an echo thread per shard on its own socket, the kernel client for `seconds`.
    private static double Measure(string hostEnd, BenchNamespace ns, FlowClient client, int shards, int flows, int window, int payload, double seconds)
    {
        Console.Error.WriteLine($"shards: {shards} shard(s), {seconds} s");
        var device = PacketRingDevice.Open(hostEnd);
        using var network = ShardedNetwork.Create(device, shards,
            b => b.WithMacAddress(OurMac).AddAddress($"{OurCidr}/24").WithIpv6(false), pinThreads: true);
        using var stop = new CancellationTokenSource();
        var threads = new List<Thread>();
        for (int i = 0; i < shards; i++)
        {
            var socket = network.Shards[i].CreateUdpSocket();
            socket.Bind(new IpEndpoint(IpAddress.AnyIpv4, EchoPort));
            var thread = new Thread(() => Echo(socket, stop.Token)) { IsBackground = true, Name = $"echo {i}" };
            thread.Start();
            threads.Add(thread);
        }
        var result = ns.Run(client.ExecutablePath, OurCidr, EchoPort.ToString(CultureInfo.InvariantCulture), flows.ToString(CultureInfo.InvariantCulture),
            window.ToString(CultureInfo.InvariantCulture), payload.ToString(CultureInfo.InvariantCulture), "0.5", seconds.ToString(CultureInfo.InvariantCulture));
        stop.Cancel();
        foreach (var thread in threads) thread.Join();
        result.EnsureSuccess("udp-flows");
        string line = result.StandardOutput.Trim();
        int at = line.IndexOf("rate=", StringComparison.Ordinal);
        int end = line.IndexOf(' ', at);
        return double.Parse(line[(at + 5)..end], CultureInfo.InvariantCulture);
    }

    private static void Echo(UdpSocket socket, CancellationToken stop)
    {
        var buffer = new byte[2048];
        using (socket)
        {
            while (!stop.IsCancellationRequested)
            {
                try
                {
                    int n = socket.ReceiveFrom(buffer, out var from, TimeSpan.FromMilliseconds(100));
                    socket.SendTo(buffer.AsSpan(0, n), from, TimeSpan.FromSeconds(1));
                }
                catch (WirestackException e) when (e.ErrorCode == WirestackErrorCode.TimedOut)
                {
                }
            }
        }
    }

    private static string LoadAverage()
    {
        try
        {
            return File.ReadAllText("/proc/loadavg").Split(' ')[0];
        }
        catch (IOException)
        {
            return "?";
        }
    }

    [System.Runtime.InteropServices.LibraryImport("libc", EntryPoint = "geteuid")]
    private static partial uint geteuid();
}
