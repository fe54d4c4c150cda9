using System.Text.RegularExpressions;
using Wirestack.Interop.Infrastructure;
using Wirestack.Testing;

namespace Wirestack.Interop.Cli;

/// <summary>
/// `wirestack ping` run as its own process against the kernel: the CLI and a TAP device share a namespace where the
/// kernel holds the other end of the link, so the kernel answers every echo.
/// </summary>
public sealed class PingCommandTests
{
    private const string KernelIpv4 = "10.240.0.1";
    private const string KernelIpv6 = "fd40::1";

    [Theory]
    [InlineData(KernelIpv4, 56)]
    [InlineData(KernelIpv6, 56)]
    [InlineData(KernelIpv4, 1400)]
    public void Pings_the_kernel_over_tap_with_no_loss(string destination, int size)
    {
        using var ns = NetworkNamespace.Create();
        string tap = IpRoute2.UniqueInterfaceName("wscli");
        ns.Exec("ip", "tuntap", "add", "dev", tap, "mode", "tap").EnsureSuccess("ip tuntap add");
        ns.Exec("ip", "addr", "add", KernelIpv4 + "/24", "dev", tap).EnsureSuccess("ip addr add");
        ns.Exec("ip", "-6", "addr", "add", KernelIpv6 + "/64", "dev", tap, "nodad").EnsureSuccess("ip -6 addr add");
        ns.Exec("ip", "link", "set", tap, "up").EnsureSuccess("ip link set up");

        var result = ns.Exec(TimeSpan.FromSeconds(60), [.. Cli(), "ping", destination, "--count", "3", "--interval", "100", "--size", size.ToString(),
            "--device", $"tap:{tap}", "--ip", "10.240.0.2/24", "--ip6", "fd40::2/64"]);

        string all = result.StandardOutput + result.StandardError;
        Assert.True(result.ExitCode == 0, all);
        Assert.Equal("", result.StandardError);
        Assert.Equal(3, Regex.Matches(result.StandardOutput, $@"(?m)^{size + 8} bytes from {Regex.Escape(destination)}: icmp_seq=[123] time=[0-9.]+ ms$").Count);
        Assert.Contains("3 packets transmitted, 3 received, 0% packet loss", result.StandardOutput, StringComparison.Ordinal);
        Assert.Matches(@"(?m)^rtt min/avg/max/mdev = [0-9.]+/[0-9.]+/[0-9.]+/[0-9.]+ ms$", result.StandardOutput);
    }

    [Theory]
    [InlineData("INT")]
    [InlineData("TERM")]
    public async Task Without_a_count_pings_until_interrupted_then_prints_the_summary(string signal)
    {
        using var ns = NetworkNamespace.Create();
        string tap = IpRoute2.UniqueInterfaceName("wscli");
        ns.Exec("ip", "tuntap", "add", "dev", tap, "mode", "tap").EnsureSuccess("ip tuntap add");
        ns.Exec("ip", "addr", "add", KernelIpv4 + "/24", "dev", tap).EnsureSuccess("ip addr add");
        ns.Exec("ip", "link", "set", tap, "up").EnsureSuccess("ip link set up");

        // `ip netns exec` execs the command, so the process is the CLI itself and takes the signal.
        var process = ns.Start([.. Cli(), "ping", KernelIpv4, "--interval", "50", "--device", $"tap:{tap}", "--ip", "10.240.0.2/24"]);
        var lines = new List<string>();
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (lines.Count(line => line.Contains("bytes from", StringComparison.Ordinal)) < 3 && DateTime.UtcNow < deadline
            && process.StandardOutput.ReadLine() is { } line)
            lines.Add(line);
        ProcessRunner.Run("kill", "-" + signal, process.Id.ToString()).EnsureSuccess("kill");
        // Reading to the end first would wait for ever for a CLI that ignores the signal.
        var rest = process.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken);
        Assert.True(process.WaitForExit(TimeSpan.FromSeconds(10)), "the CLI did not stop on SIG" + signal); // NetworkNamespace kills it then
        process.WaitForExit();

        string output = string.Join('\n', lines) + '\n' + await rest;
        Assert.True(process.ExitCode == 0, output + process.StandardError.ReadToEnd());
        Assert.Contains($"--- {KernelIpv4} ping statistics ---", output, StringComparison.Ordinal);
        Assert.Matches(@"(?m)^(\d+) packets transmitted, \d+ received, \d+% packet loss, time \d+ms$", output);
        Assert.Matches(@"(?m)^rtt min/avg/max/mdev = ", output);
    }

    [Fact]
    public void Without_privileges_says_what_to_do_in_one_line()
    {
        string[] command = [.. Cli(), "ping", KernelIpv4, "-c", "1", "--device", "tap:" + IpRoute2.UniqueInterfaceName("wsnop"), "--ip", "10.240.0.2/24"];
        if (Environment.UserName == "root")
        {
            // Root with an empty capability bounding set is root without CAP_NET_ADMIN after exec.
            string setpriv = Prerequisites.RequireTool("setpriv", "util-linux");
            command = ["--bounding-set=-all", .. command];
            command = [setpriv, .. command];
        }
        var result = ProcessRunner.Run(command[0], command[1..], TimeSpan.FromSeconds(60));

        Assert.Equal(2, result.ExitCode);
        Assert.Equal("", result.StandardOutput);
        string line = Assert.Single(result.StandardError.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("wirestack ping: ", line, StringComparison.Ordinal);
        Assert.Contains("run as root or with CAP_NET_ADMIN", line, StringComparison.Ordinal);
    }

    // The CLI's build output is copied beside the tests by the project reference.
    private static string[] Cli() => CliProcess.Command();
}
