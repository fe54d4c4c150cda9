using Wirestack.Cli;
using Wirestack.Cli.Hosting;
using Wirestack.Cli.Mcast;
using Wirestack.Cli.Serve;

namespace Wirestack.Tests.Cli;

/// <summary>`wirestack serve` and `mcast` in process: their arguments, and the one-line errors with exit code 2.</summary>
public sealed class ServeCommandTests
{
    private static (int ExitCode, string Output, string Error) Run(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        int code = WirestackCli.Run(args, output, error, input: new StringReader(""));
        return (code, output.ToString(), error.ToString());
    }

    [Theory]
    [InlineData(new[] { "serve", "--network", "kernel" },
        "wirestack serve: no service to run: add at least one of --echo PORT, --discard PORT, --chargen PORT, --udp-echo PORT, --iperf3 PORT, --http PORT (such as --echo 7).")]
    [InlineData(new[] { "serve", "--echo", "7" },
        "wirestack serve: no device: give --device tap:NAME, packet:IFACE or xdp:IFACE[:QUEUE] and --ip CIDR, or use --network kernel for the kernel's sockets.")]
    [InlineData(new[] { "serve", "--echo", "7", "--device", "tap:ws0" },
        "wirestack serve: the stack needs an IPv4 address: add --ip CIDR, such as --ip 10.0.0.2/24.")]
    [InlineData(new[] { "serve", "--echo", "7", "--network", "kernel", "--device", "tap:ws0" },
        "wirestack serve: --device sets up a Wirestack stack; with --network kernel the kernel's interfaces are used as they are, so drop --device.")]
    [InlineData(new[] { "serve", "--echo", "7", "--network", "kernel", "--mtu", "9000" },
        "wirestack serve: --mtu sets up a Wirestack stack; with --network kernel the kernel's interfaces are used as they are, so drop --mtu.")]
    [InlineData(new[] { "serve", "--echo", "7", "--network", "kernel", "--pcap", "x.pcap" },
        "wirestack serve: --pcap records a Wirestack device; with --network kernel capture with tcpdump instead, or drop --pcap.")]
    [InlineData(new[] { "serve", "--echo", "7", "--chargen", "19", "--discard", "7", "--network", "kernel" },
        "wirestack serve: --echo and --discard both ask for tcp port 7; give each its own port.")]
    [InlineData(new[] { "serve", "--udp-echo", "5201", "--iperf3", "5201", "--network", "kernel" },
        "wirestack serve: --udp-echo and --iperf3 both ask for udp port 5201 (iperf3 uses its port on both TCP and UDP); give each its own port.")]
    [InlineData(new[] { "serve", "--iperf3", "80", "--http", "80", "--network", "kernel" },
        "wirestack serve: --iperf3 and --http both ask for tcp port 80 (iperf3 uses its port on both TCP and UDP); give each its own port.")]
    [InlineData(new[] { "serve", "--echo", "8080", "--http", "8080", "--network", "kernel" },
        "wirestack serve: --echo and --http both ask for tcp port 8080; give each its own port.")]
    [InlineData(new[] { "serve", "--http", "0", "--network", "kernel" },
        "wirestack: --http must be a port from 1 to 65535; got '0'. Run 'wirestack serve --help' for usage.")]
    [InlineData(new[] { "serve", "--echo", "70000", "--network", "kernel" },
        "wirestack: --echo must be a port from 1 to 65535; got '70000'. Run 'wirestack serve --help' for usage.")]
    [InlineData(new[] { "serve", "--udp-echo", "seven", "--network", "kernel" },
        "wirestack: --udp-echo must be a port from 1 to 65535; got 'seven'. Run 'wirestack serve --help' for usage.")]
    [InlineData(new[] { "serve", "--echo", "7", "--network", "bypass" },
        "wirestack: --network must be 'stack' (Wirestack on --device) or 'kernel' (the kernel's sockets); got 'bypass'. Run 'wirestack serve --help' for usage.")]
    [InlineData(new[] { "serve", "--echo", "7", "--device", "eth0", "--ip", "10.0.0.2/24" },
        "wirestack: --device: device 'eth0' has no kind; write tap:eth0, packet:eth0 or xdp:eth0. Run 'wirestack serve --help' for usage.")]
    [InlineData(new[] { "mcast", "recv", "10.0.0.1:5000", "--network", "kernel" },
        "wirestack: group: 10.0.0.1 is not a multicast group; use one from 224.0.0.0/4 (such as 239.1.2.3) or ff00::/8 (such as ff15::1). Run 'wirestack mcast recv --help' for usage.")]
    [InlineData(new[] { "mcast", "send", "ff15::1:5000", "--network", "kernel" },
        "wirestack: group: 'ff15::1:5000' is not GROUP:PORT; write it as 239.1.2.3:5000, or [ff15::1]:5000 for IPv6. Run 'wirestack mcast send --help' for usage.")]
    [InlineData(new[] { "mcast", "send", "239.1.2.3:0", "--network", "kernel" },
        "wirestack: group: the port in '239.1.2.3:0' is 0; give a port from 1 to 65535. Run 'wirestack mcast send --help' for usage.")]
    [InlineData(new[] { "mcast", "recv", "239.1.2.3:5000", "--count", "0", "--network", "kernel" },
        "wirestack: --count must be a number of datagrams from 1 to 2147483647; got '0'. Run 'wirestack mcast recv --help' for usage.")]
    [InlineData(new[] { "mcast", "send", "239.1.2.3:5000" },
        "wirestack mcast send: no device: give --device tap:NAME, packet:IFACE or xdp:IFACE[:QUEUE] and --ip CIDR, or use --network kernel for the kernel's sockets.")]
    [InlineData(new[] { "mcast", "send", "239.1.2.3:5000", "--network", "kernel", "--gateway", "10.0.0.1" },
        "wirestack mcast send: --gateway sets up a Wirestack stack; with --network kernel the kernel's interfaces are used as they are, so drop --gateway.")]
    [InlineData(new[] { "serve", "--echo", "7", "--network", "kernel", "--queues", "0" },
        "wirestack: --queues must be a number of queues from 1 to 64; got '0'. Run 'wirestack serve --help' for usage.")]
    [InlineData(new[] { "serve", "--echo", "7", "--network", "kernel", "--queues", "65" },
        "wirestack: --queues must be a number of queues from 1 to 64; got '65'. Run 'wirestack serve --help' for usage.")]
    [InlineData(new[] { "serve", "--echo", "7", "--network", "kernel", "--queues", "two" },
        "wirestack: --queues must be a number of queues from 1 to 64; got 'two'. Run 'wirestack serve --help' for usage.")]
    [InlineData(new[] { "serve", "--echo", "7", "--network", "kernel", "--queues", "2" },
        "wirestack serve: --queues sets up a Wirestack stack; with --network kernel the kernel's interfaces are used as they are, so drop --queues.")]
    [InlineData(new[] { "serve", "--echo", "7", "--device", "xdp:eth0:1", "--ip", "10.0.0.2/24", "--queues", "2" },
        "wirestack serve: --queues 2 runs a stack on each kernel queue of a tap: or packet: device; xdp:eth0:1 is one NIC queue. Use --device packet:eth0, or drop --queues.")]
    [InlineData(new[] { "serve", "--echo", "7", "--device", "tap:ws0", "--ip", "10.0.0.2/24", "--queues", "4", "--pcap", "x.pcap" },
        "wirestack serve: --pcap records one device, and --queues 4 opens 4: drop --pcap (capture with tcpdump -i ws0 instead), or drop --queues.")]
    [InlineData(new[] { "mcast", "send", "239.1.2.3:5000", "--device", "tap:ws0", "--ip", "10.0.0.2/24", "--queues", "2" },
        "wirestack: Unrecognized command or argument '--queues'. Run 'wirestack mcast send --help' for usage.")]
    public void Bad_arguments_end_in_one_line_that_says_what_to_do_and_exit_code_2(string[] args, string message)
    {
        var (code, output, error) = Run(args);
        Assert.Equal(2, code);
        Assert.Equal("", output);
        Assert.Equal(message + Environment.NewLine, error);
    }

    [Fact]
    public void A_port_in_use_on_kernel_sockets_is_a_one_line_error()
    {
        using var taken = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        taken.Start();
        int port = ((System.Net.IPEndPoint)taken.LocalEndpoint).Port;

        var (code, output, error) = Run("serve", "--network", "kernel", "--ip", "127.0.0.1/8", "--echo", port.ToString(System.Globalization.CultureInfo.InvariantCulture));

        Assert.Equal(2, code);
        Assert.Equal("", output);
        Assert.StartsWith($"wirestack serve: Listening on 127.0.0.1:{port} failed: ", error, StringComparison.Ordinal);
        Assert.Single(error.Split(Environment.NewLine, StringSplitOptions.RemoveEmptyEntries));
    }

    [Fact]
    public void A_port_in_use_for_http_on_kernel_sockets_is_a_one_line_error()
    {
        using var taken = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        taken.Start();
        int port = ((System.Net.IPEndPoint)taken.LocalEndpoint).Port;

        var (code, output, error) = Run("serve", "--network", "kernel", "--ip", "127.0.0.1/8", "--http", port.ToString(System.Globalization.CultureInfo.InvariantCulture));

        Assert.Equal(2, code);
        Assert.Equal("", output);
        Assert.StartsWith($"wirestack serve: --http {port}: Failed to bind to address http://127.0.0.1:{port}", error, StringComparison.Ordinal);
        Assert.EndsWith("Give --http a free port." + Environment.NewLine, error, StringComparison.Ordinal);
        Assert.Single(error.Split(Environment.NewLine, StringSplitOptions.RemoveEmptyEntries));
    }

    [Fact]
    public async Task Serve_on_kernel_sockets_prints_ready_serves_and_prints_its_counters_when_cancelled()
    {
        using var probe = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        probe.Start();
        int port = ((System.Net.IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        var output = new SynchronizedWriter();
        var error = new StringWriter();
        using var stop = new CancellationTokenSource();
        var serving = Task.Run(() => WirestackCli.Run(["serve", "--network", "kernel", "--ip", "127.0.0.1/8", "--echo", port.ToString(System.Globalization.CultureInfo.InvariantCulture)],
            output, error, cancellation: stop.Token), TestContext.Current.CancellationToken);
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (!output.Text.StartsWith("ready ", StringComparison.Ordinal) && DateTime.UtcNow < deadline && !serving.IsCompleted)
            await Task.Delay(10, TestContext.Current.CancellationToken);
        Assert.Equal($"ready kernel sockets on 127.0.0.1; echo tcp/{port}" + Environment.NewLine, output.Text);

        using (var client = new System.Net.Sockets.TcpClient())
        {
            await client.ConnectAsync(System.Net.IPAddress.Loopback, port, TestContext.Current.CancellationToken);
            var stream = client.GetStream();
            stream.Write("hello"u8);
            client.Client.Shutdown(System.Net.Sockets.SocketShutdown.Send);
            Assert.Equal("hello", await new StreamReader(stream).ReadToEndAsync(TestContext.Current.CancellationToken));
        }
        stop.Cancel();

        int code = await serving.WaitAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken);
        Assert.True(code == 0, output.Text + error);
        Assert.Equal("", error.ToString());
        Assert.Matches($@"(?m)^echo +tcp/{port}: 1 connections \(0 open, 0 reset or failed\); 5 bytes received, 5 sent; 0 errors\r?$", output.Text);
    }

    [Theory]
    [InlineData(new string[0], 1)]
    [InlineData(new[] { "--queues", "1" }, 1)]
    [InlineData(new[] { "--queues", "2" }, 2)]
    [InlineData(new[] { "--queues", "64" }, 64)]
    public void Queues_are_read_into_the_host_options_and_default_to_one(string[] queues, int expected)
    {
        var options = new HostOptionSet(required: true, queues: true);
        var command = new System.CommandLine.Command("serve");
        options.AddTo(command);
        var parse = command.Parse(["--device", "tap:ws0", "--ip", "10.0.0.2/24", .. queues]);
        Assert.Empty(parse.Errors);
        Assert.Equal(expected, options.Read(parse).Queues);
    }

    [Fact]
    public void Commands_that_make_one_flow_do_not_offer_queues()
    {
        var options = new HostOptionSet(required: true);
        Assert.Null(options.Queues);
        var command = new System.CommandLine.Command("ping");
        options.AddTo(command);
        Assert.Equal(1, options.Read(command.Parse(["--device", "tap:ws0", "--ip", "10.0.0.2/24"])).Queues);
    }

    [Theory]
    [InlineData("239.1.2.3:5000", "239.1.2.3:5000")]
    [InlineData("[ff15::1]:5000", "[ff15::1]:5000")]
    [InlineData("[FF02::1:3]:65535", "[ff02::1:3]:65535")]
    public void Groups_are_parsed_in_both_families(string text, string canonical)
    {
        Assert.True(McastOptions.TryParseGroup(text, out var group, out string? error), error);
        Assert.Equal(canonical, group.ToString());
    }

    [Fact]
    public void The_chargen_pattern_is_rfc_864s()
    {
        string text = System.Text.Encoding.ASCII.GetString(ChargenPattern.Cycle);
        string[] lines = text.Split("\r\n", StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(95, lines.Length);
        Assert.Equal(" !\"#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`abcdefg", lines[0]);
        Assert.Equal("!\"#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`abcdefgh", lines[1]);
        // The last line starts with '~' and wraps around to the space.
        Assert.Equal("~ !\"#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`abcdef", lines[94]);
        Assert.All(lines, line => Assert.Equal(ChargenPattern.LineLength, line.Length));
        Assert.Equal(ChargenPattern.Cycle.AsSpan(0, 100).ToArray(), ChargenPattern.Prefix(ChargenPattern.Cycle.Length + 100).AsSpan(ChargenPattern.Cycle.Length).ToArray());
    }

    // Serve writes from its own thread while the test polls.
    private sealed class SynchronizedWriter : StringWriter
    {
        private readonly Lock _lock = new();

        public string Text
        {
            get
            {
                lock (_lock) return ToString();
            }
        }

        public override void Write(char value)
        {
            lock (_lock) base.Write(value);
        }

        public override void Write(string? value)
        {
            lock (_lock) base.Write(value);
        }

        public override void WriteLine(string? value)
        {
            lock (_lock) base.WriteLine(value);
        }
    }
}
