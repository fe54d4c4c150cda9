using Wirestack.Cli;

namespace Wirestack.Tests.Cli;

/// <summary>The command line run in process: the demo end to end, and the one-line errors with exit code 2.</summary>
public sealed class WirestackCliTests
{
    private static (int ExitCode, string Output, string Error) Run(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        int code = WirestackCli.Run(args, output, error);
        return (code, output.ToString(), error.ToString());
    }

    [Fact]
    public void Demo_verifies_every_step_on_two_real_stacks()
    {
        var (code, output, error) = Run("demo", "--bytes", "16M");
        Assert.True(code == 0, output + error);
        Assert.Equal("", error);
        foreach (string step in (string[])["ARP resolution", "NDP resolution", "ping v4", "ping v6", "TCP transfer", "UDP multicast v4", "UDP multicast v6"])
            Assert.Matches($@"(?m)^{step} +ok +\S", output);
        Assert.DoesNotContain("FAILED", output, StringComparison.Ordinal);
        Assert.Contains("16.0 MiB of 16.0 MiB", output, StringComparison.Ordinal);
        Assert.Contains("SHA-256 matches", output, StringComparison.Ordinal);
        Assert.Contains("demo: all 7 steps verified", output, StringComparison.Ordinal);
    }

    [Fact]
    public void Demo_writes_a_capture_when_asked()
    {
        string path = Path.Combine(Path.GetTempPath(), $"wirestack-demo-{Environment.ProcessId}.pcap");
        try
        {
            var (code, output, _) = Run("demo", "--bytes", "64K", "--pcap", path);
            Assert.True(code == 0, output);
            using var reader = Wirestack.Diagnostics.PcapReader.Open(path);
            int frames = 0;
            while (reader.TryReadFrame(out _)) frames++;
            Assert.Contains($"{path}: {frames} frames", output, StringComparison.Ordinal);
            Assert.True(frames > 50, $"{frames} frames");
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Theory]
    [InlineData("wirestack: --ip '10.0.0.2/33' is not an IPv4 address with a prefix length, such as 10.0.0.2/24. Run 'wirestack ping --help' for usage.",
        "ping", "10.0.0.1", "--device", "tap:ws0", "--ip", "10.0.0.2/33")]
    [InlineData("wirestack: --ip '10.0.0.2' has no prefix length; write it as 10.0.0.2/24 (or the prefix of your subnet). Run 'wirestack ping --help' for usage.",
        "ping", "10.0.0.1", "--device", "tap:ws0", "--ip", "10.0.0.2")]
    [InlineData("wirestack: --ip6 'fd00::2' is not an IPv6 address with a prefix length, such as fd00::2/64. Run 'wirestack ping --help' for usage.",
        "ping", "fd00::1", "--device", "tap:ws0", "--ip", "10.0.0.2/24", "--ip6", "fd00::2")]
    [InlineData("wirestack: --device: unknown device kind 'tun' in 'tun:ws0'; use tap:NAME, packet:IFACE or xdp:IFACE[:QUEUE]. Run 'wirestack ping --help' for usage.",
        "ping", "10.0.0.1", "--device", "tun:ws0", "--ip", "10.0.0.2/24")]
    [InlineData("wirestack: Unrecognized command or argument '--queues'. Run 'wirestack ping --help' for usage.",
        "ping", "10.0.0.1", "--device", "tap:ws0", "--ip", "10.0.0.2/24", "--queues", "2")]
    [InlineData("wirestack: --count must be a number of requests from 1 to 2147483647; got '0'. Run 'wirestack ping --help' for usage.",
        "ping", "10.0.0.1", "--count", "0", "--device", "tap:ws0", "--ip", "10.0.0.2/24")]
    [InlineData("wirestack: --size must be a number of bytes from 0 to 65507; got '70000'. Run 'wirestack ping --help' for usage.",
        "ping", "10.0.0.1", "--size", "70000", "--device", "tap:ws0", "--ip", "10.0.0.2/24")]
    [InlineData("wirestack: --mac 'ff:ff:ff:ff:ff:ff' is not a unicast MAC address, such as 02:00:00:00:00:01. Run 'wirestack ping --help' for usage.",
        "ping", "10.0.0.1", "--device", "tap:ws0", "--ip", "10.0.0.2/24", "--mac", "ff:ff:ff:ff:ff:ff")]
    [InlineData("wirestack: host 'example.com' is not an IPv4 or IPv6 address (host names are not resolved). Run 'wirestack ping --help' for usage.",
        "ping", "example.com", "--device", "tap:ws0", "--ip", "10.0.0.2/24")]
    [InlineData("wirestack: Option '--device' is required. Run 'wirestack ping --help' for usage.",
        "ping", "10.0.0.1", "--ip", "10.0.0.2/24")]
    [InlineData("wirestack: --bytes must be a size from 1 to 1099511627776 bytes, such as 16M or 256MiB; got '0'. Run 'wirestack demo --help' for usage.",
        "demo", "--bytes", "0")]
    [InlineData("wirestack: Unrecognized command or argument 'bogus'. Run 'wirestack --help' for usage.",
        "bogus")]
    [InlineData("wirestack ping: pinging fd00::1 needs an IPv6 address on the stack: add --ip6 CIDR, such as --ip6 fd00::2/64.",
        "ping", "fd00::1", "--device", "tap:ws0", "--ip", "10.0.0.2/24")]
    [InlineData("wirestack ping: no interface 'wsnosuch0': create it or check the name (No such device (errno 19)).",
        "ping", "10.0.0.1", "-c", "1", "--device", "packet:wsnosuch0", "--ip", "10.0.0.2/24")]
    public void Bad_arguments_exit_2_with_one_line(string message, params string[] args)
    {
        var (code, output, error) = Run(args);
        Assert.Equal(2, code);
        Assert.Equal("", output);
        Assert.Equal(message + Environment.NewLine, error);
    }

    [Fact]
    public void A_missing_pcap_directory_is_a_one_line_error()
    {
        var (code, _, error) = Run("demo", "--bytes", "1K", "--pcap", "/nonexistent-wirestack/x.pcap");
        Assert.Equal(2, code);
        Assert.StartsWith("wirestack demo: ", error, StringComparison.Ordinal);
        Assert.EndsWith("Give a path in an existing directory." + Environment.NewLine, error, StringComparison.Ordinal);
        Assert.Single(error.Split(Environment.NewLine, StringSplitOptions.RemoveEmptyEntries));
    }

    [Fact]
    public void Demo_exits_1_naming_the_first_step_the_stacks_did_not_show()
    {
        // Everything A receives is lost: no step can be verified, and the demo must say so rather than assume.
        var options = new Wirestack.Cli.Demo.DemoOptions(64 * 1024, null, Verbose: false, ShowProgress: false,
            Faults: new Wirestack.Nic.FaultInjectorOptions { DropProbability = 1, Directions = Wirestack.Nic.FrameDirections.Receive },
            StepTimeout: TimeSpan.FromMilliseconds(100));
        var output = new StringWriter();

        int code = new Wirestack.Cli.Demo.StackDemo(options, output).Run();

        string text = output.ToString();
        Assert.True(code == 1, text);
        foreach (string step in (string[])["ARP resolution", "NDP resolution", "ping v4", "ping v6", "TCP transfer", "UDP multicast v4", "UDP multicast v6"])
            Assert.Matches($@"(?m)^{step} +FAILED +\S", text);
        Assert.EndsWith("demo: FAILED at 'ARP resolution'" + Environment.NewLine, text, StringComparison.Ordinal);
    }
}
