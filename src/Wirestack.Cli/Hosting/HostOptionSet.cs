using System.CommandLine;
using Wirestack.Iface;
using Wirestack.Sockets;
using Wirestack.Wire;

namespace Wirestack.Cli.Hosting;

/// <summary>
/// The command-line options that put a stack on a real device (--device, --ip, --ip6, --gateway, --mac, --mtu, and
/// --queues where the command can use several stack threads), added to a command and read back as <see cref="HostOptions"/>.
/// </summary>
internal sealed class HostOptionSet
{
    /// <summary>Options for a command that always runs a stack: --device and --ip are required.</summary>
    public HostOptionSet()
        : this(required: true)
    {
    }

    /// <summary>With <paramref name="required"/> false, --device and --ip may be left out (a command that can also run on kernel sockets).</summary>
    /// <param name="required">Whether --device and --ip are required.</param>
    /// <param name="queues">
    /// Whether the command takes --queues: one that serves many flows (serve) gains from a stack thread per kernel
    /// queue; one that makes a single flow (ping, mcast) would leave all but one idle, so it does not offer it.
    /// </param>
    public HostOptionSet(bool required, bool queues = false)
    {
        if (queues)
        {
            Queues = new("--queues")
            {
                Description = $"Kernel queues to run, each with its own stack thread (multi-queue TAP or AF_PACKET fanout), 1 to {ShardedNetwork.MaxShards}.",
                DefaultValueFactory = _ => 1,
                CustomParser = result => CliParsers.ParseInt(result, 1, ShardedNetwork.MaxShards, "a number of queues"),
            };
        }
        Device = new("--device", "-d")
        {
            Description = $"The device: {DeviceSpec.Forms}.",
            Required = required,
            CustomParser = CliParsers.ParseDevice,
        };
        Ip = new("--ip")
        {
            Description = "The stack's IPv4 address and prefix, such as 10.0.0.2/24.",
            Required = required,
            CustomParser = CliParsers.ParseIpv4Cidr,
        };
    }

    public Option<DeviceSpec> Device { get; }

    public Option<Ipv4InterfaceAddress> Ip { get; }

    public Option<Ipv6InterfaceAddress?> Ip6 { get; } = new("--ip6")
    {
        Description = "The stack's IPv6 address and prefix, such as fd00::2/64 (a link-local address is always made).",
        CustomParser = CliParsers.ParseIpv6Cidr,
    };

    public Option<IpAddress?> Gateway { get; } = new("--gateway")
    {
        Description = "The default gateway, IPv4 or IPv6.",
        CustomParser = CliParsers.ParseIpAddress,
    };

    public Option<MacAddress?> Mac { get; } = new("--mac")
    {
        Description = "The stack's MAC address (default: a random locally administered one).",
        CustomParser = CliParsers.ParseMac,
    };

    public Option<int?> Mtu { get; } = new("--mtu")
    {
        Description = "The MTU to ask the device for (default: the device's own).",
        CustomParser = result => CliParsers.ParseInt(result, 68, 65535, "a number of bytes"),
    };

    /// <summary>--queues, or null for a command that runs one stack thread.</summary>
    public Option<int>? Queues { get; }

    public void AddTo(Command command)
    {
        command.Options.Add(Device);
        command.Options.Add(Ip);
        command.Options.Add(Ip6);
        command.Options.Add(Gateway);
        command.Options.Add(Mac);
        command.Options.Add(Mtu);
        if (Queues is not null) command.Options.Add(Queues);
    }

    /// <summary>Whether --device was given.</summary>
    public bool HasDevice(ParseResult parse) => parse.GetResult(Device) is { Implicit: false };

    /// <summary>The --ip address, or null when it was not given.</summary>
    public Ipv4InterfaceAddress? ReadIp(ParseResult parse) => parse.GetResult(Ip) is { Implicit: false } ? parse.GetValue(Ip) : null;

    public HostOptions Read(ParseResult parse)
    {
        var gateway = parse.GetValue(Gateway);
        return new HostOptions
        {
            Device = parse.GetValue(Device),
            Ipv4 = parse.GetValue(Ip),
            Ipv6 = parse.GetValue(Ip6),
            Gateway = gateway is { IsIpv4: true } g4 ? g4.AsIpv4 : null,
            Ipv6Gateway = gateway is { IsIpv6: true } g6 ? g6.AsIpv6 : null,
            Mac = parse.GetValue(Mac),
            Mtu = parse.GetValue(Mtu),
            Queues = Queues is null ? 1 : parse.GetValue(Queues),
        };
    }
}
