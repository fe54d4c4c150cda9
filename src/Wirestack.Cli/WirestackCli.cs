using System.CommandLine;
using Wirestack.Cli.Demo;
using Wirestack.Cli.Hosting;
using Wirestack.Cli.Mcast;
using Wirestack.Cli.Ping;
using Wirestack.Cli.Serve;
using Wirestack.Sockets;
using Wirestack.Wire;

namespace Wirestack.Cli;

/// <summary>
/// The `wirestack` command line: its commands, and the rule that a bad argument, a missing device or missing
/// privileges end in one line that says what to do and exit code 2, never a stack trace.
/// </summary>
internal static class WirestackCli
{
    /// <summary>Exit code for a usage, device or privilege error.</summary>
    public const int UsageError = 2;

    /// <summary>Runs the command line and returns the exit code.</summary>
    /// <param name="args">The arguments.</param>
    /// <param name="output">Where results go.</param>
    /// <param name="error">Where errors go.</param>
    /// <param name="interactive">Whether <paramref name="output"/> is a terminal (progress displays).</param>
    /// <param name="cancellation">Stops long-running commands (Ctrl-C, SIGTERM).</param>
    /// <param name="input">What `mcast send` reads; standard input when null.</param>
    public static int Run(string[] args, TextWriter output, TextWriter error, bool interactive = false, CancellationToken cancellation = default,
        TextReader? input = null)
    {
        var root = new RootCommand("Wirestack: a user-space TCP/IP stack for .NET.")
        {
            DemoCommand(output, error, interactive),
            PingCommand(output, error, cancellation),
            ServeCommand(output, error, cancellation),
            McastCommand(input ?? Console.In, output, error, cancellation),
        };
        var parsed = root.Parse(args);
        if (parsed.Errors.Count > 0)
        {
            // The first error is the one to fix (the rest are usually its echoes), except that an unknown word
            // explains a missing command better than "required command was not provided".
            var first = parsed.Errors[0];
            foreach (var candidate in parsed.Errors)
                if (candidate.Message.StartsWith("Unrecognized", StringComparison.Ordinal)) { first = candidate; break; }
            error.WriteLine($"wirestack: {first.Message} Run 'wirestack {CommandPath(parsed)}--help' for usage.");
            return UsageError;
        }
        return parsed.Invoke(new InvocationConfiguration { Output = output, Error = error });
    }

    private static string CommandPath(ParseResult parsed)
    {
        string path = "";
        for (var result = parsed.CommandResult; result is not null && result.Command is not RootCommand; result = result.Parent as System.CommandLine.Parsing.CommandResult)
            path = result.Command.Name + " " + path;
        return path;
    }

    private static Command DemoCommand(TextWriter output, TextWriter error, bool interactive)
    {
        var bytes = new Option<long>("--bytes")
        {
            Description = "How many bytes the TCP transfer carries (suffixes K, M, G: 16M, 256MiB).",
            DefaultValueFactory = _ => 256L << 20,
            CustomParser = result => CliParsers.ParseSize(result, 1, 1L << 40),
        };
        var pcap = new Option<FileInfo?>("--pcap") { Description = "Also write every frame to this pcap file (opens in Wireshark)." };
        var verbose = new Option<bool>("--verbose", "-v") { Description = "Print every control frame as it crosses the link." };
        var command = new Command("demo", "Two stacks on an in-process link: ARP, NDP, ping v4/v6, a TCP transfer checked with SHA-256, multicast. No privileges needed.")
        {
            bytes, pcap, verbose,
        };
        command.SetAction(parse =>
        {
            var options = new DemoOptions(parse.GetValue(bytes), parse.GetValue(pcap)?.FullName, parse.GetValue(verbose), ShowProgress: interactive);
            return Guard("demo", error, () => new StackDemo(options, output).Run());
        });
        return command;
    }

    private static Command PingCommand(TextWriter output, TextWriter error, CancellationToken cancellation)
    {
        var host = new Argument<IpAddress>("host")
        {
            Description = "The IPv4 or IPv6 address to ping.",
            CustomParser = result => CliParsers.ParseIpAddress(result) ?? default,
        };
        var count = new Option<int?>("--count", "-c")
        {
            Description = "Stop after this many requests (default: until Ctrl-C).",
            CustomParser = result => CliParsers.ParseInt(result, 1, int.MaxValue, "a number of requests"),
        };
        var interval = new Option<int>("--interval", "-i")
        {
            Description = "Milliseconds between requests.",
            DefaultValueFactory = _ => 1000,
            CustomParser = result => CliParsers.ParseInt(result, 1, 3_600_000, "a number of milliseconds"),
        };
        var size = new Option<int>("--size", "-s")
        {
            Description = "Echo data bytes per request.",
            DefaultValueFactory = _ => 56,
            CustomParser = result => CliParsers.ParseInt(result, 0, 65507, "a number of bytes"),
        };
        var hostOptions = new HostOptionSet();
        var command = new Command("ping", "Send ICMP echo requests from a Wirestack stack on a TAP, AF_PACKET or AF_XDP device (needs root or CAP_NET_ADMIN/CAP_NET_RAW).")
        {
            host, count, interval, size,
        };
        hostOptions.AddTo(command);
        command.SetAction(parse =>
        {
            var options = new PingOptions(parse.GetValue(host), parse.GetValue(count), TimeSpan.FromMilliseconds(parse.GetValue(interval)),
                parse.GetValue(size), hostOptions.Read(parse));
            return Guard("ping", error, () => new PingRunner(options, output).Run(cancellation));
        });
        return command;
    }

    private static Command ServeCommand(TextWriter output, TextWriter error, CancellationToken cancellation)
    {
        var echo = PortOption("--echo", "Serve TCP echo (RFC 862) on this port.");
        var discard = PortOption("--discard", "Serve TCP discard (RFC 863) on this port.");
        var chargen = PortOption("--chargen", "Serve the TCP character generator (RFC 864) on this port.");
        var udpEcho = PortOption("--udp-echo", "Serve UDP echo (RFC 862) on this port.");
        var iperf3 = PortOption("--iperf3", "Serve iperf3 tests (TCP, and UDP with -u, on this one port; iperf3's is 5201) to the stock iperf3 client.");
        var http = PortOption("--http", "Serve a small ASP.NET Core app on this port: GET / (a page), GET /bytes/N (N bytes), POST /echo.");
        var pcap = new Option<FileInfo?>("--pcap") { Description = "Record every frame of the stack's device to this pcap file." };
        var network = NetworkOption();
        var hostOptions = new HostOptionSet(required: false, queues: true);
        var command = new Command("serve", "Serve echo, discard, chargen, UDP echo, iperf3 and HTTP from a Wirestack stack on a device (needs root or " +
            "CAP_NET_ADMIN/CAP_NET_RAW), or on kernel sockets with --network kernel, until SIGINT or SIGTERM; then print the counters.")
        {
            echo, discard, chargen, udpEcho, iperf3, http, pcap, network,
        };
        hostOptions.AddTo(command);
        command.SetAction(parse => Guard("serve", error, () =>
        {
            var (kind, host, ipv4, ipv6) = ReadNetwork(parse, network, hostOptions);
            var options = new ServeOptions
            {
                Network = kind,
                Host = host,
                Ipv4 = ipv4,
                Ipv6 = ipv6,
                PcapPath = parse.GetValue(pcap)?.FullName,
                EchoPort = parse.GetValue(echo),
                DiscardPort = parse.GetValue(discard),
                ChargenPort = parse.GetValue(chargen),
                UdpEchoPort = parse.GetValue(udpEcho),
                Iperf3Port = parse.GetValue(iperf3),
                HttpPort = parse.GetValue(http),
            };
            return new ServeRunner(options, output).Run(cancellation);
        }));
        return command;
    }

    private static Command McastCommand(TextReader input, TextWriter output, TextWriter error, CancellationToken cancellation)
    {
        var send = McastSubcommand("send", "Send each line of standard input as one datagram to GROUP:PORT.", out var sendRead);
        send.SetAction(parse => Guard("mcast send", error, () => new McastSender(sendRead(parse), input, output).Run(cancellation)));
        var recv = McastSubcommand("recv", "Join GROUP and print each datagram that arrives on PORT as one line.", out var recvRead);
        var count = new Option<int?>("--count", "-c")
        {
            Description = "Stop after this many datagrams (default: until Ctrl-C).",
            CustomParser = result => CliParsers.ParseInt(result, 1, int.MaxValue, "a number of datagrams"),
        };
        recv.Options.Add(count);
        recv.SetAction(parse => Guard("mcast recv", error, () =>
            new McastReceiver(recvRead(parse) with { Count = parse.GetValue(count) }, output, error).Run(cancellation)));
        return new Command("mcast", "UDP multicast from a Wirestack stack on a device, or from kernel sockets with --network kernel.") { send, recv };
    }

    private static Command McastSubcommand(string name, string description, out Func<ParseResult, McastOptions> read)
    {
        var group = new Argument<IpEndpoint>("group")
        {
            Description = "GROUP:PORT, such as 239.1.2.3:5000 or [ff15::1]:5000.",
            CustomParser = result =>
            {
                string text = result.Tokens.Count > 0 ? result.Tokens[^1].Value : "";
                if (McastOptions.TryParseGroup(text, out var endpoint, out string? message)) return endpoint;
                result.AddError($"group: {message}");
                return default;
            },
        };
        var network = NetworkOption();
        var hostOptions = new HostOptionSet(required: false);
        var command = new Command(name, description) { group, network };
        hostOptions.AddTo(command);
        read = parse =>
        {
            var (kind, host, ipv4, ipv6) = ReadNetwork(parse, network, hostOptions);
            return new McastOptions { Group = parse.GetValue(group), Network = kind, Host = host, Ipv4 = ipv4, Ipv6 = ipv6 };
        };
        return command;
    }

    private static Option<int?> PortOption(string name, string description) => new(name)
    {
        Description = description,
        CustomParser = result => CliParsers.ParseInt(result, 1, 65535, "a port"),
    };

    private static Option<NetworkKind> NetworkOption() => new("--network")
    {
        Description = "stack: a Wirestack stack on --device (default); kernel: the same application on the kernel's sockets.",
        DefaultValueFactory = _ => NetworkKind.Stack,
        CustomParser = CliParsers.ParseNetwork,
    };

    // --network stack needs a device and an IPv4 address; --network kernel takes neither a device nor the stack's
    // device options, and uses --ip and --ip6 only as the kernel addresses to bind.
    private static (NetworkKind Kind, HostOptions? Host, Ipv4Address? Ipv4, Ipv6Address? Ipv6) ReadNetwork(ParseResult parse, Option<NetworkKind> network, HostOptionSet hostOptions)
    {
        var kind = parse.GetValue(network);
        var ip = hostOptions.ReadIp(parse);
        var ip6 = parse.GetValue(hostOptions.Ip6);
        if (kind == NetworkKind.Kernel)
        {
            Option[] stackOnly = hostOptions.Queues is { } queues
                ? [hostOptions.Device, hostOptions.Gateway, hostOptions.Mac, hostOptions.Mtu, queues]
                : [hostOptions.Device, hostOptions.Gateway, hostOptions.Mac, hostOptions.Mtu];
            foreach (var option in stackOnly)
                if (parse.GetResult(option) is { Implicit: false })
                    throw new CliUsageException($"{option.Name} sets up a Wirestack stack; with --network kernel the kernel's interfaces are used as they are, so drop {option.Name}.");
            return (kind, null, ip?.Address, ip6?.Address);
        }
        if (!hostOptions.HasDevice(parse))
            throw new CliUsageException("no device: give --device tap:NAME, packet:IFACE or xdp:IFACE[:QUEUE] and --ip CIDR, or use --network kernel for the kernel's sockets.");
        if (ip is null)
            throw new CliUsageException("the stack needs an IPv4 address: add --ip CIDR, such as --ip 10.0.0.2/24.");
        return (kind, hostOptions.Read(parse), ip.Value.Address, ip6?.Address);
    }

    // Device, privilege and file errors carry actionable messages from the layer that met them: print that line only.
    private static int Guard(string command, TextWriter error, Func<int> body)
    {
        try
        {
            return body();
        }
        catch (CliUsageException e)
        {
            return Fail(error, command, e.Message);
        }
        catch (UnauthorizedAccessException e)
        {
            return Fail(error, command, e.Message);
        }
        catch (WirestackException e)
        {
            // Binding a port in use, a group the device cannot join: the stack's or the kernel's own message says which.
            return Fail(error, command, e.Message);
        }
        catch (DirectoryNotFoundException e)
        {
            return Fail(error, command, $"{e.Message} Give a path in an existing directory.");
        }
        catch (IOException e)
        {
            return Fail(error, command, e.Message);
        }
        catch (ArgumentException e)
        {
            return Fail(error, command, e.Message);
        }
    }

    private static int Fail(TextWriter error, string command, string message)
    {
        error.WriteLine($"wirestack {command}: {message.ReplaceLineEndings(" ")}");
        return UsageError;
    }
}
