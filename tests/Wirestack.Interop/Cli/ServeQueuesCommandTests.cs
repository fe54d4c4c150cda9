using System.Text.RegularExpressions;
using Wirestack.Interop.Infrastructure;
using Wirestack.Testing;

namespace Wirestack.Interop.Cli;

/// <summary>
/// `wirestack serve --queues 2` as its own process: two stack threads on two kernel queues (a multi-queue TAP device whose
/// kernel end is in a namespace; AF_PACKET fanout on a veth pair), with many kernel clients at once from the namespace.
/// The per-shard counters it prints on SIGTERM must show both shards accepting connections.
/// </summary>
public sealed class ServeQueuesCommandTests
{
    private const string KernelIpv4 = "10.241.0.1";
    private const string StackIpv4 = "10.241.0.2";
    private const int Connections = 16;
    private const int EchoBytes = 256 * 1024;
    private const int HttpClients = 16;
    private static readonly TimeSpan Startup = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan Shutdown = TimeSpan.FromSeconds(15);

    [Fact]
    public void Serves_many_kernel_clients_on_two_queues_of_a_multi_queue_tap()
    {
        ServeCommandTests.RequireTools();
        Prerequisites.RequireTool("curl", "curl");
        using var ns = NetworkNamespace.Create();
        // The CLI attaches its queues to this interface: it must be made multi-queue, as a persistent TAP device keeps the flag it was made with.
        string tap = IpRoute2.UniqueInterfaceName("wsmq");
        ns.Exec("ip", "tuntap", "add", "dev", tap, "mode", "tap", "multi_queue").EnsureSuccess("ip tuntap add multi_queue");
        ns.Exec("ip", "addr", "add", KernelIpv4 + "/24", "dev", tap).EnsureSuccess("ip addr add");
        ns.Exec("ip", "link", "set", tap, "up").EnsureSuccess("ip link set up");
        using var serve = CliProcess.StartIn(ns, "serve", "--device", $"tap:{tap}", "--queues", "2", "--ip", StackIpv4 + "/24",
            "--echo", "7", "--udp-echo", "7", "--http", "8080");
        ServeAndCheck(serve, ns, $"ready wirestack on tap:{tap} queues 2 ");
    }

    [Fact]
    public void Serves_many_kernel_clients_on_two_af_packet_fanout_queues_on_veth()
    {
        ServeCommandTests.RequireTools();
        Prerequisites.RequireTool("curl", "curl");
        using var link = QuietVethLink.Create(KernelIpv4 + "/24");
        using var serve = CliProcess.Start(CliProcess.Command("serve", "--device", $"packet:{link.HostEnd}", "--queues", "2", "--ip", StackIpv4 + "/24",
            "--echo", "7", "--udp-echo", "7", "--http", "8080"));
        ServeAndCheck(serve, link.Namespace, $"ready wirestack on packet:{link.HostEnd} queues 2 ");
    }

    private static void ServeAndCheck(CliProcess serve, NetworkNamespace ns, string readyPrefix)
    {
        Assert.EndsWith("; echo tcp/7 udp-echo udp/7 http tcp/8080", serve.ReadLineStartingWith(readyPrefix, Startup), StringComparison.Ordinal);

        // ARP and ICMP go to queue 0; the shard there answers them for both.
        ns.Exec("ping", "-c", "2", "-i", "0.2", "-W", "5", StackIpv4).EnsureSuccess("ping the stack");
        EchoManyChecked(ns);
        var udp = ns.Exec(TimeSpan.FromSeconds(30), "sh", "-c", $"printf 'udp on queues' | socat -t 1 - UDP4:{StackIpv4}:7");
        Assert.Equal("udp on queues", udp.StandardOutput.TrimEnd('\n'));
        CurlManyChecked(ns);

        serve.Signal("TERM");
        var (code, output, error) = serve.WaitForExit(Shutdown);
        Assert.True(code == 0, output + error);
        Assert.Equal("", error);
        Assert.Matches($@"(?m)^echo +tcp/7: {Connections} connections \(0 open, 0 reset or failed\); {Connections * EchoBytes} bytes received, {Connections * EchoBytes} sent; 0 errors$", output);
        Assert.Matches(@"(?m)^udp-echo +udp/7: 1 datagrams received, 1 sent; ", output);
        Assert.Matches($@"(?m)^http +tcp/8080: {HttpClients} requests; 0 body bytes received, [1-9]\d* sent; 0 errors$", output);
        Assert.Matches(@"(?m)^interface +shard 0: [1-9]\d* frames received; .*ICMP echo [2-9]\d* answered", output);
        Assert.Matches(@"(?m)^interface +shard 1: [1-9]\d* frames received; ", output);
        Assert.Matches(@"(?m)^drops +shard 1: ", output);
        Assert.DoesNotMatch(@"(?m)^(interface|udp|tcp|drops) +(?! |shard)", output); // no unsharded lines
        // Every connection was accepted by one shard or the other, and the kernel's hash spread them over both.
        int accepted = 0;
        for (int shard = 0; shard < 2; shard++)
        {
            var tcp = Regex.Match(output, $@"(?m)^tcp +shard {shard}: (\d+) accepted, 0 opened; ");
            Assert.True(tcp.Success, output);
            int count = int.Parse(tcp.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
            Assert.True(count > 0, $"shard {shard} accepted no connection:\n{output}");
            accepted += count;
        }
        Assert.Equal(Connections + HttpClients, accepted);
    }

    // Connections at once, each from its own source port (so the kernel spreads them over the queues), each with its own
    // random bytes: what comes back on each is exactly what it sent.
    private static void EchoManyChecked(NetworkNamespace ns)
    {
        using var files = new TempDirectory();
        var sent = new byte[Connections][];
        var script = new System.Text.StringBuilder();
        for (int i = 0; i < Connections; i++)
        {
            sent[i] = new byte[EchoBytes];
            Random.Shared.NextBytes(sent[i]);
            string input = files.Write($"echo{i}.in", sent[i]);
            script.Append($"nc -N -w 10 {StackIpv4} 7 < {input} > {files.Path($"echo{i}.out")} & ");
        }
        script.Append("wait");
        ns.Exec(TimeSpan.FromSeconds(90), "sh", "-c", script.ToString()).EnsureSuccess("nc to echo, many at once");
        for (int i = 0; i < Connections; i++)
        {
            byte[] received = File.ReadAllBytes(files.Path($"echo{i}.out"));
            Assert.Equal(sent[i].Length, received.Length);
            Assert.True(sent[i].AsSpan().SequenceEqual(received), $"connection {i}: the echoed bytes differ from those sent");
        }
    }

    // Separate curl processes at once, so separate connections from separate source ports; each must get the page.
    private static void CurlManyChecked(NetworkNamespace ns)
    {
        using var files = new TempDirectory();
        var script = new System.Text.StringBuilder();
        for (int i = 0; i < HttpClients; i++)
            script.Append($"curl -sS --fail -m 20 -o {files.Path($"page{i}.html")} http://{StackIpv4}:8080/ & ");
        script.Append("wait");
        ns.Exec(TimeSpan.FromSeconds(60), "sh", "-c", script.ToString()).EnsureSuccess("curl, many at once");
        for (int i = 0; i < HttpClients; i++)
            Assert.Contains("<h1>Served by ASP.NET Core</h1>", File.ReadAllText(files.Path($"page{i}.html")), StringComparison.Ordinal);
    }
}
