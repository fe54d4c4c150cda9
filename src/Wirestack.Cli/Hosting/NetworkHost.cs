using System.Net;
using System.Text;
using Wirestack.Diagnostics;
using Wirestack.Iface;
using Wirestack.Nic;
using Wirestack.Sockets;
using Wirestack.Wire;

namespace Wirestack.Cli.Hosting;

/// <summary>
/// The <see cref="INetwork"/> a command's applications run on, brought up from the command line: a
/// <see cref="Netstack"/> on a device (--network stack), a <see cref="ShardedNetwork"/> with a stack per kernel queue
/// (--queues N), or the kernel's sockets (--network kernel). It knows which local addresses services bind, describes
/// itself for the `ready` line, and prints the stacks' counters at the end.
/// </summary>
internal sealed class NetworkHost : IDisposable
{
    private NetworkHost(INetwork network, IReadOnlyList<Netstack> stacks, PcapDevice? capture, IReadOnlyList<IpAddress> bindAddresses, string description)
    {
        Network = network;
        Stacks = stacks;
        Capture = capture;
        BindAddresses = bindAddresses;
        Description = description;
    }

    /// <summary>The network the applications use.</summary>
    public INetwork Network { get; }

    /// <summary>The stacks under <see cref="Network"/>: one, one per queue with --queues, or none on kernel sockets.</summary>
    public IReadOnlyList<Netstack> Stacks { get; }

    /// <summary>The pcap recorder around the device, when --pcap asked for one.</summary>
    public PcapDevice? Capture { get; }

    /// <summary>
    /// The local addresses a service listens on: <c>::</c> on a stack (both families); on the kernel the --ip and --ip6
    /// addresses given, else <c>0.0.0.0</c> and <c>::</c>.
    /// </summary>
    public IReadOnlyList<IpAddress> BindAddresses { get; }

    /// <summary>The network, device and addresses in one line, for the `ready` line.</summary>
    public string Description { get; }

    /// <summary>Brings the network up.</summary>
    /// <param name="kind">Stack or kernel sockets.</param>
    /// <param name="host">The device and addresses; required for a stack, and on the kernel only its addresses are used.</param>
    /// <param name="kernelIpv4">On the kernel, the --ip address to bind (and to pick the multicast interface by), if given.</param>
    /// <param name="kernelIpv6">On the kernel, the --ip6 address to bind, if given.</param>
    /// <param name="pcapPath">Where to record the stack's frames, or null.</param>
    /// <exception cref="CliUsageException">A stack was asked for without a device or an address.</exception>
    public static NetworkHost Open(NetworkKind kind, HostOptions? host, Ipv4Address? kernelIpv4, Ipv6Address? kernelIpv6, string? pcapPath)
    {
        if (kind == NetworkKind.Kernel)
        {
            if (pcapPath is not null)
                throw new CliUsageException("--pcap records a Wirestack device; with --network kernel capture with tcpdump instead, or drop --pcap.");
            var addresses = new List<IpAddress>();
            if (kernelIpv4 is { } v4) addresses.Add(v4);
            if (kernelIpv6 is { } v6) addresses.Add(v6);
            if (addresses.Count == 0) addresses.AddRange([IpAddress.AnyIpv4, IpAddress.AnyIpv6]);
            var network = new KernelNetwork(kernelIpv4 is { } m ? m.ToIPAddress() : (IPAddress?)null);
            return new NetworkHost(network, [], null, addresses, $"kernel sockets on {string.Join(' ', addresses)}");
        }
        if (host is null)
            throw new CliUsageException("--network stack needs --device and --ip (such as --device tap:ws0 --ip 10.0.0.2/24); or use --network kernel.");
        return OpenStack(host, pcapPath);
    }

    private static NetworkHost OpenStack(HostOptions host, string? pcapPath)
    {
        if (host.Queues > 1)
        {
            // Checked before anything opens, so that the message is about the options rather than a device.
            if (host.Device.Kind == DeviceKind.Xdp)
                throw new CliUsageException($"--queues {host.Queues} runs a stack on each kernel queue of a tap: or packet: device; {host.Device} is one NIC queue. " +
                    $"Use --device packet:{host.Device.Name}, or drop --queues.");
            if (pcapPath is not null)
                throw new CliUsageException($"--pcap records one device, and --queues {host.Queues} opens {host.Queues}: drop --pcap (capture with tcpdump -i {host.Device.Name} instead), or drop --queues.");
            return OpenSharded(host);
        }
        INetworkDevice device = host.Device.Open(host.Mtu);
        PcapDevice? capture = null;
        try
        {
            if (pcapPath is not null) device = capture = PcapDevice.Create(device, pcapPath);
            var mac = host.Mac ?? HostOptions.RandomMac();
            var builder = new NetstackBuilder().UseDevice(device);
            Configure(builder, host, mac);
            var stack = builder.Build();
            return new NetworkHost(new StackNetwork(stack), [stack], capture, [IpAddress.AnyIpv6], Describe(host, mac, stack));
        }
        catch
        {
            device.Dispose();
            throw;
        }
    }

    private static NetworkHost OpenSharded(HostOptions host)
    {
        // Every shard answers for the same MAC and addresses: the kernel steers each flow to one of them.
        var mac = host.Mac ?? HostOptions.RandomMac();
        var network = host.Device.OpenSharded(host.Mtu, host.Queues, builder => Configure(builder, host, mac));
        return new NetworkHost(network, network.Shards, null, [IpAddress.AnyIpv6], Describe(host, mac, network.Shards[0]));
    }

    private static void Configure(NetstackBuilder builder, HostOptions host, MacAddress mac)
    {
        builder.WithMacAddress(mac).AddAddress(host.Ipv4.Address, host.Ipv4.PrefixLength);
        if (host.Ipv6 is { } v6) builder.AddAddress(v6.Address, v6.PrefixLength);
        if (host.Gateway is { } g4) builder.WithGateway(g4);
        if (host.Ipv6Gateway is { } g6) builder.WithGateway(g6);
    }

    private static string Describe(HostOptions host, MacAddress mac, Netstack stack)
    {
        var text = new StringBuilder();
        text.Append("wirestack on ").Append(host.Device);
        if (host.Queues > 1) text.Append(" queues ").Append(host.Queues);
        text.Append(" mac ").Append(mac).Append(" mtu ").Append(stack.Device.Capabilities.Mtu);
        foreach (var address in stack.Interface.Ipv4Addresses) text.Append(' ').Append(address.Address).Append('/').Append(address.PrefixLength);
        foreach (var address in stack.Interface.Ipv6Addresses) text.Append(' ').Append(address.Address).Append('/').Append(address.PrefixLength);
        return text.ToString();
    }

    /// <summary>Why a stack thread stopped, naming its shard when there are several; null while all run.</summary>
    public string? DescribeFailure()
    {
        for (int i = 0; i < Stacks.Count; i++)
        {
            if (Stacks[i].Failure is not { } failure) continue;
            return Stacks.Count == 1 ? $"the stack stopped: {failure.Message}" : $"the stack of shard {i} stopped: {failure.Message}";
        }
        return null;
    }

    /// <summary>
    /// Writes the stack's counters (frames, TCP, UDP, ICMP) and its drops by reason, one line each; with several shards,
    /// a line per shard (<c>interface  shard 0: ...</c>). On the kernel, says there are none to show.
    /// </summary>
    public void WriteCounters(TextWriter output)
    {
        if (Stacks.Count == 0)
        {
            output.WriteLine("interface  kernel sockets: see the kernel's counters (ip -s link, nstat)");
            return;
        }
        for (int i = 0; i < Stacks.Count; i++) output.WriteLine(Line("interface", i, InterfaceCounters(Stacks[i])));
        for (int i = 0; i < Stacks.Count; i++) output.WriteLine(Line("udp", i, UdpCounters(Stacks[i])));
        for (int i = 0; i < Stacks.Count; i++) output.WriteLine(Line("tcp", i, TcpCounters(Stacks[i])));
        for (int i = 0; i < Stacks.Count; i++) output.WriteLine(Line("drops", i, Drops(Stacks[i])));
        if (Capture is { } capture) output.WriteLine($"pcap       {capture.FramesRecorded} frames recorded");
    }

    // One stack keeps the format scripts already read; several put the shard between the label and the counters.
    private string Line(string label, int shard, string counters) =>
        Stacks.Count == 1 ? $"{label,-10} {counters}" : $"{label,-10} shard {shard}: {counters}";

    private static string InterfaceCounters(Netstack stack)
    {
        var c = stack.Counters;
        return $"{c.ReceivedFrames} frames received; ARP {c.ArpRequestsSent} requests {c.ArpRepliesSent} replies sent; " +
            $"NDP {c.NeighborSolicitationsSent} solicitations {c.NeighborAdvertisementsSent} advertisements sent; " +
            $"ICMP echo {c.EchoRequestsAnswered} answered, {c.IcmpErrorsSent} errors sent; IGMP {c.IgmpReportsSent} MLD {c.MldReportsSent} reports sent";
    }

    private static string UdpCounters(Netstack stack) => $"{stack.Counters.UdpDatagramsReceived} datagrams received, {stack.Counters.UdpDatagramsSent} sent";

    private static string TcpCounters(Netstack stack)
    {
        var tcp = stack.Interface.TcpCounters;
        return $"{tcp.ConnectionsAccepted} accepted, {tcp.ConnectionsOpened} opened; {tcp.SegmentsReceived} segments received, {tcp.SegmentsSent} sent, " +
            $"{tcp.RetransmittedSegments} retransmitted; resets {tcp.ResetsReceived} received, {tcp.ResetsSent} sent";
    }

    private static string Drops(Netstack stack)
    {
        var drops = new StringBuilder();
        foreach (var reason in Enum.GetValues<InterfaceDropReason>())
        {
            long count = stack.Counters.Dropped(reason);
            if (count == 0) continue;
            if (drops.Length > 0) drops.Append(", ");
            drops.Append(reason).Append(' ').Append(count);
        }
        return drops.Length == 0 ? "none" : drops.ToString();
    }

    /// <summary>Closes the network (and the stacks, their devices and the capture with it).</summary>
    public void Dispose() => Network.Dispose();
}
