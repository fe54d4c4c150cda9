using Wirestack.Cli.Hosting;
using Wirestack.Cli.Serve.Iperf3;
using Wirestack.Wire;

namespace Wirestack.Cli.Serve;

/// <summary>What `wirestack serve` was asked to do.</summary>
internal sealed record ServeOptions
{
    /// <summary>Where the sockets come from.</summary>
    public required NetworkKind Network { get; init; }

    /// <summary>The stack's device and addresses; null when --device was not given (allowed on the kernel).</summary>
    public HostOptions? Host { get; init; }

    /// <summary>The --ip address, if given (on the kernel, the address to bind).</summary>
    public Ipv4Address? Ipv4 { get; init; }

    /// <summary>The --ip6 address, if given (on the kernel, the address to bind).</summary>
    public Ipv6Address? Ipv6 { get; init; }

    /// <summary>Where to record the stack's frames, or null.</summary>
    public string? PcapPath { get; init; }

    /// <summary>The TCP echo port, or null for no echo service.</summary>
    public int? EchoPort { get; init; }

    /// <summary>The TCP discard port, or null.</summary>
    public int? DiscardPort { get; init; }

    /// <summary>The TCP chargen port, or null.</summary>
    public int? ChargenPort { get; init; }

    /// <summary>The UDP echo port, or null.</summary>
    public int? UdpEchoPort { get; init; }

    /// <summary>The iperf3 port (TCP, and UDP for UDP tests), or null.</summary>
    public int? Iperf3Port { get; init; }

    /// <summary>The HTTP port of the ASP.NET Core demo app, or null.</summary>
    public int? HttpPort { get; init; }

    /// <summary>The services these options ask for, in the order they are started and reported.</summary>
    /// <exception cref="CliUsageException">None was asked for, or two want the same port of the same transport.</exception>
    /// <param name="log">Where a service writes a line per event (iperf3: one per test).</param>
    public IReadOnlyList<INetworkService> CreateServices(TextWriter log)
    {
        var services = new List<INetworkService>();
        if (EchoPort is { } echo) services.Add(new EchoServer(echo));
        if (DiscardPort is { } discard) services.Add(new DiscardServer(discard));
        if (ChargenPort is { } chargen) services.Add(new ChargenServer(chargen));
        if (UdpEchoPort is { } udpEcho) services.Add(new UdpEchoServer(udpEcho));
        if (Iperf3Port is { } iperf3) services.Add(new Iperf3Server(iperf3, log));
        if (HttpPort is { } http) services.Add(new HttpService(http));
        if (services.Count == 0)
            throw new CliUsageException("no service to run: add at least one of --echo PORT, --discard PORT, --chargen PORT, --udp-echo PORT, --iperf3 PORT, --http PORT (such as --echo 7).");
        for (int i = 0; i < services.Count; i++)
            for (int j = 0; j < i; j++)
                if (services[i].Port == services[j].Port && SharedTransport(services[i], services[j]) is { } transport)
                    throw new CliUsageException($"--{services[j].Name} and --{services[i].Name} both ask for {transport} port {services[i].Port}" +
                        (services[i] is Iperf3Server || services[j] is Iperf3Server ? " (iperf3 uses its port on both TCP and UDP)" : "") + "; give each its own port.");
        return services;
    }

    private static string? SharedTransport(INetworkService a, INetworkService b)
    {
        foreach (string transport in a.Transports)
            if (b.Transports.Contains(transport)) return transport;
        return null;
    }
}
