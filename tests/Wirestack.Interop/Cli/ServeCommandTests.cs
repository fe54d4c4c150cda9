using System.Text;
using System.Text.RegularExpressions;
using Wirestack.Cli.Serve;
using Wirestack.Interop.Infrastructure;
using Wirestack.Testing;

namespace Wirestack.Interop.Cli;

/// <summary>
/// `wirestack serve` run as its own process, with the kernel's stock tools as the clients: over a TAP device whose
/// kernel end is in a namespace, over AF_PACKET on a veth pair, and on kernel sockets (--network kernel) in a namespace.
/// Each test ends the server with a signal and checks the counters it prints against what the clients did.
/// </summary>
public sealed class ServeCommandTests
{
    private const string KernelIpv4 = "10.241.0.1";
    private const string StackIpv4 = "10.241.0.2";
    private const string KernelIpv6 = "fd41::1";
    private const string StackIpv6 = "fd41::2";
    private const int EchoBytes = 1 << 20;
    private static readonly TimeSpan Startup = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan Shutdown = TimeSpan.FromSeconds(15);

    // RFC 864's first two lines of the suggested pattern.
    private const string ChargenFirstLines =
        " !\"#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`abcdefg\r\n" +
        "!\"#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`abcdefgh\r\n";

    [Fact]
    public void Serves_kernel_clients_over_tap_on_both_families_and_prints_its_counters_on_sigterm()
    {
        RequireTools();
        using var ns = NetworkNamespace.Create();
        string tap = TapInNamespace(ns);
        using var serve = CliProcess.StartIn(ns, "serve", "--device", $"tap:{tap}", "--ip", StackIpv4 + "/24", "--ip6", StackIpv6 + "/64",
            "--echo", "7", "--discard", "9", "--chargen", "19", "--udp-echo", "7");
        string ready = serve.ReadLineStartingWith("ready ", Startup);
        Assert.Contains($" {StackIpv4}/24 ", ready, StringComparison.Ordinal);
        Assert.Contains($" {StackIpv6}/64", ready, StringComparison.Ordinal);
        Assert.EndsWith("; echo tcp/7 discard tcp/9 chargen tcp/19 udp-echo udp/7", ready, StringComparison.Ordinal);

        using var files = new TempDirectory();
        ns.Exec("ping", "-c", "2", "-i", "0.2", "-W", "5", StackIpv4).EnsureSuccess("ping the stack");
        ns.Exec("ping", "-6", "-c", "2", "-i", "0.2", "-W", "5", StackIpv6).EnsureSuccess("ping -6 the stack");
        EchoChecked(ns, files, StackIpv4);
        var v6 = ns.Exec(TimeSpan.FromSeconds(30), "sh", "-c", $"printf 'wirestack v6' | nc -N -w 10 {StackIpv6} 7");
        Assert.Equal("wirestack v6", v6.StandardOutput.TrimEnd('\n')); // the runner reads output by lines
        ns.Exec(TimeSpan.FromSeconds(30), "sh", "-c", $"head -c {EchoBytes} /dev/zero | nc -N -w 10 {StackIpv4} 9").EnsureSuccess("nc to discard");
        ChargenChecked(ns, files, StackIpv4);
        UdpEchoChecked(ns, StackIpv4, "udp over tap");
        UdpEchoChecked(ns, $"[{StackIpv6}]", "udp6 over tap", family: "UDP6");

        serve.Signal("TERM");
        var (code, output, error) = serve.WaitForExit(Shutdown);
        Assert.True(code == 0, output + error);
        Assert.Equal("", error);
        Assert.Matches(@"(?m)^stopped after [0-9.]+ s$", output);
        Assert.Matches($@"(?m)^echo +tcp/7: 2 connections \(0 open, 0 reset or failed\); {EchoBytes + 12} bytes received, {EchoBytes + 12} sent; 0 errors$", output);
        Assert.Matches($@"(?m)^discard +tcp/9: 1 connections \(0 open, 0 reset or failed\); {EchoBytes} bytes received, 0 sent; 0 errors$", output);
        Assert.Matches(@"(?m)^chargen +tcp/19: 1 connections \(0 open, 0 reset or failed\); 0 bytes received, [1-9]\d+ sent; 0 errors$", output);
        Assert.Matches(@"(?m)^udp-echo +udp/7: 2 datagrams received, 2 sent; 25 bytes received, 25 sent; 0 errors$", output);
        Assert.Matches(@"(?m)^interface +[1-9]\d* frames received; .*ICMP echo [4-9]\d* answered", output);
        Assert.Matches(@"(?m)^tcp +4 accepted, 0 opened; ", output);
        Assert.Matches(@"(?m)^drops +", output);
    }

    [Fact]
    public void Serves_kernel_clients_over_af_xdp_on_veth_and_detaches_its_program_on_sigterm()
    {
        RequireTools();
        using var link = QuietVethLink.Create(KernelIpv4 + "/24");
        using var serve = CliProcess.Start(CliProcess.Command("serve", "--device", $"xdp:{link.HostEnd}", "--ip", StackIpv4 + "/24",
            "--echo", "7", "--udp-echo", "7"));
        serve.ReadLineStartingWith("ready wirestack on xdp:", Startup);
        Assert.Contains(" xdp", LinkFlags(link.HostEnd)); // the redirect program is attached

        using var files = new TempDirectory();
        link.Namespace.Exec("ping", "-c", "2", "-i", "0.2", "-W", "5", StackIpv4).EnsureSuccess("ping the stack");
        EchoChecked(link.Namespace, files, StackIpv4);
        UdpEchoChecked(link.Namespace, StackIpv4, "udp over af_xdp");

        serve.Signal("TERM");
        var (code, output, error) = serve.WaitForExit(Shutdown);
        Assert.True(code == 0, output + error);
        Assert.Matches($@"(?m)^echo +tcp/7: 1 connections \(0 open, 0 reset or failed\); {EchoBytes} bytes received, {EchoBytes} sent; 0 errors$", output);
        Assert.Matches(@"(?m)^udp-echo +udp/7: 1 datagrams received, 1 sent; ", output);
        Assert.DoesNotContain(" xdp", LinkFlags(link.HostEnd)); // and detached again
    }

    private static string LinkFlags(string device)
    {
        var link = ProcessRunner.Run("ip", "link", "show", "dev", device);
        Assert.True(link.ExitCode == 0, link.StandardError);
        return link.StandardOutput;
    }

    [Fact]
    public void Serves_kernel_clients_over_af_packet_on_veth_and_stops_on_sigint()
    {
        RequireTools();
        using var link = QuietVethLink.Create(KernelIpv4 + "/24");
        using var serve = CliProcess.Start(CliProcess.Command("serve", "--device", $"packet:{link.HostEnd}", "--ip", StackIpv4 + "/24",
            "--echo", "7", "--chargen", "19", "--udp-echo", "7"));
        serve.ReadLineStartingWith("ready wirestack on packet:", Startup);

        using var files = new TempDirectory();
        link.Namespace.Exec("ping", "-c", "2", "-i", "0.2", "-W", "5", StackIpv4).EnsureSuccess("ping the stack");
        EchoChecked(link.Namespace, files, StackIpv4);
        ChargenChecked(link.Namespace, files, StackIpv4);
        UdpEchoChecked(link.Namespace, StackIpv4, "udp over af_packet");

        serve.Signal("INT");
        var (code, output, error) = serve.WaitForExit(Shutdown);
        Assert.True(code == 0, output + error);
        Assert.Matches($@"(?m)^echo +tcp/7: 1 connections \(0 open, 0 reset or failed\); {EchoBytes} bytes received, {EchoBytes} sent; 0 errors$", output);
        Assert.Matches(@"(?m)^udp-echo +udp/7: 1 datagrams received, 1 sent; ", output);
        Assert.Matches(@"(?m)^interface +.*ICMP echo [2-9]\d* answered", output);
    }

    [Fact]
    public void Serves_the_same_echo_on_kernel_sockets_with_network_kernel()
    {
        RequireTools();
        using var ns = NetworkNamespace.Create();
        ns.Exec("ip", "addr", "add", KernelIpv4 + "/32", "dev", "lo").EnsureSuccess("ip addr add");
        using var serve = CliProcess.StartIn(ns, "serve", "--network", "kernel", "--ip", KernelIpv4 + "/32", "--echo", "7", "--udp-echo", "7");
        Assert.Equal($"ready kernel sockets on {KernelIpv4}; echo tcp/7 udp-echo udp/7", serve.ReadLineStartingWith("ready ", Startup));

        using var files = new TempDirectory();
        EchoChecked(ns, files, KernelIpv4);
        UdpEchoChecked(ns, KernelIpv4, "udp on kernel sockets");

        serve.Signal("TERM");
        var (code, output, error) = serve.WaitForExit(Shutdown);
        Assert.True(code == 0, output + error);
        Assert.Matches($@"(?m)^echo +tcp/7: 1 connections \(0 open, 0 reset or failed\); {EchoBytes} bytes received, {EchoBytes} sent; 0 errors$", output);
        Assert.Matches(@"(?m)^udp-echo +udp/7: 1 datagrams received, 1 sent; ", output);
        Assert.Contains("interface  kernel sockets", output, StringComparison.Ordinal);
    }

    [Fact]
    public void Without_privileges_says_what_to_do_in_one_line()
    {
        string[] command = CliProcess.Command("serve", "--echo", "7", "--device", "tap:" + IpRoute2.UniqueInterfaceName("wsnop"), "--ip", StackIpv4 + "/24");
        if (Environment.UserName == "root")
            command = [Prerequisites.RequireTool("setpriv", "util-linux"), "--bounding-set=-all", .. command];
        var result = ProcessRunner.Run(command[0], command[1..], TimeSpan.FromSeconds(60));

        Assert.Equal(2, result.ExitCode);
        Assert.Equal("", result.StandardOutput);
        string line = Assert.Single(result.StandardError.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("wirestack serve: ", line, StringComparison.Ordinal);
        Assert.Contains("run as root or with CAP_NET_ADMIN", line, StringComparison.Ordinal);
    }

    internal static void RequireTools()
    {
        Prerequisites.RequireRoot();
        Prerequisites.RequireTool("nc", "netcat-openbsd");
        Prerequisites.RequireTool("socat", "socat");
        Prerequisites.RequireTool("ping", "iputils-ping");
    }

    /// <summary>A TAP device in <paramref name="ns"/> with the kernel's addresses on it; the CLI attaches to it by name.</summary>
    internal static string TapInNamespace(NetworkNamespace ns)
    {
        string tap = IpRoute2.UniqueInterfaceName("wssrv");
        ns.Exec("ip", "tuntap", "add", "dev", tap, "mode", "tap").EnsureSuccess("ip tuntap add");
        ns.Exec("ip", "addr", "add", KernelIpv4 + "/24", "dev", tap).EnsureSuccess("ip addr add");
        ns.Exec("ip", "-6", "addr", "add", KernelIpv6 + "/64", "dev", tap, "nodad").EnsureSuccess("ip -6 addr add");
        ns.Exec("ip", "link", "set", tap, "up").EnsureSuccess("ip link set up");
        return tap;
    }

    // 1 MiB of random bytes through nc to echo: what comes back is the same bytes.
    private static void EchoChecked(NetworkNamespace ns, TempDirectory files, string address)
    {
        var sent = new byte[EchoBytes];
        Random.Shared.NextBytes(sent);
        string input = files.Write("echo.in", sent);
        string output = files.Path("echo.out");
        ns.Exec(TimeSpan.FromSeconds(60), "sh", "-c", $"nc -N -w 10 {address} 7 < {input} > {output}").EnsureSuccess("nc to echo");
        byte[] received = File.ReadAllBytes(output);
        Assert.Equal(sent.Length, received.Length);
        Assert.True(sent.AsSpan().SequenceEqual(received), "the echoed bytes differ from those sent");
    }

    // The first 100 lines from chargen: RFC 864's pattern, wrapping after 95 lines.
    private static void ChargenChecked(NetworkNamespace ns, TempDirectory files, string address)
    {
        const int length = 100 * 74;
        string output = files.Path("chargen.out");
        ns.Exec(TimeSpan.FromSeconds(30), "sh", "-c", $"nc -d -w 10 {address} 19 | head -c {length} > {output}");
        byte[] received = File.ReadAllBytes(output);
        Assert.Equal(length, received.Length);
        Assert.StartsWith(ChargenFirstLines, Encoding.ASCII.GetString(received), StringComparison.Ordinal);
        Assert.True(ChargenPattern.Prefix(length).AsSpan().SequenceEqual(received), "chargen's output strays from the pattern");
    }

    private static void UdpEchoChecked(NetworkNamespace ns, string address, string payload, string family = "UDP4")
    {
        var result = ns.Exec(TimeSpan.FromSeconds(30), "sh", "-c", $"printf '{payload}' | socat -t 1 - {family}:{address}:7");
        Assert.Equal(payload, result.StandardOutput.TrimEnd('\n'));
    }
}
