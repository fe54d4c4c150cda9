using System.CommandLine;
using Wirestack.Cli.Demo;
using Wirestack.Cli.Hosting;
using Wirestack.Cli.Ping;
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
    /// <param name="cancellation">Stops long-running commands (Ctrl-C).</param>
    public static int Run(string[] args, TextWriter output, TextWriter error, bool interactive = false, CancellationToken cancellation = default)
    {
        var root = new RootCommand("Wirestack: a user-space TCP/IP stack for .NET.")
        {
            DemoCommand(output, error, interactive),
            PingCommand(output, error, cancellation),
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

    private static string CommandPath(ParseResult parsed) =>
        parsed.CommandResult.Command is RootCommand ? "" : parsed.CommandResult.Command.Name + " ";

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
