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
/// <see cref="Netstack"/> on a device (--network stack) or the kernel's sockets (--network kernel). It knows which
/// local addresses services bind, describes itself for the `ready` line, and prints the stack's counters at the end.
/// </summary>
internal sealed class NetworkHost : IDisposable
{
    private NetworkHost(INetwork network, Netstack? stack, PcapDevice? capture, IReadOnlyList<IpAddress> bindAddresses, string description)
    {
        Network = network;
        Stack = stack;
        Capture = capture;
        BindAddresses = bindAddresses;
        Description = description;
    }

    /// <summary>The network the applications use.</summary>
    public INetwork Network { get; }

    /// <summary>The stack under <see cref="Network"/>, or null on kernel sockets.</summary>
    public Netstack? Stack { get; }

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
            return new NetworkHost(network, null, null, addresses, $"kernel sockets on {string.Join(' ', addresses)}");
        }
        if (host is null)
            throw new CliUsageException("--network stack needs --device and --ip (such as --device tap:ws0 --ip 10.0.0.2/24); or use --network kernel.");
        return OpenStack(host, pcapPath);
    }

    private static NetworkHost OpenStack(HostOptions host, string? pcapPath)
    {
        INetworkDevice device = host.Device.Open(host.Mtu);
        PcapDevice? capture = null;
        try
        {
            if (pcapPath is not null) device = capture = PcapDevice.Create(device, pcapPath);
            var mac = host.Mac ?? HostOptions.RandomMac();
            var builder = new NetstackBuilder().UseDevice(device).WithMacAddress(mac).AddAddress(host.Ipv4.Address, host.Ipv4.PrefixLength);
            if (host.Ipv6 is { } v6) builder.AddAddress(v6.Address, v6.PrefixLength);
            if (host.Gateway is { } g4) builder.WithGateway(g4);
            if (host.Ipv6Gateway is { } g6) builder.WithGateway(g6);
            var stack = builder.Build();
            var text = new StringBuilder();
            text.Append("wirestack on ").Append(host.Device).Append(" mac ").Append(mac).Append(" mtu ").Append(device.Capabilities.Mtu);
            foreach (var address in stack.Interface.Ipv4Addresses) text.Append(' ').Append(address.Address).Append('/').Append(address.PrefixLength);
            foreach (var address in stack.Interface.Ipv6Addresses) text.Append(' ').Append(address.Address).Append('/').Append(address.PrefixLength);
            return new NetworkHost(new StackNetwork(stack), stack, capture, [IpAddress.AnyIpv6], text.ToString());
        }
        catch
        {
            device.Dispose();
            throw;
        }
    }

    /// <summary>Writes the stack's counters (frames, TCP, UDP, ICMP) and its drops by reason; on the kernel, says there are none to show.</summary>
    public void WriteCounters(TextWriter output)
    {
        if (Stack is not { } stack)
        {
            output.WriteLine("interface  kernel sockets: see the kernel's counters (ip -s link, nstat)");
            return;
        }
        var c = stack.Counters;
        var tcp = stack.Interface.TcpCounters;
        output.WriteLine($"interface  {c.ReceivedFrames} frames received; ARP {c.ArpRequestsSent} requests {c.ArpRepliesSent} replies sent; " +
            $"NDP {c.NeighborSolicitationsSent} solicitations {c.NeighborAdvertisementsSent} advertisements sent; " +
            $"ICMP echo {c.EchoRequestsAnswered} answered, {c.IcmpErrorsSent} errors sent; IGMP {c.IgmpReportsSent} MLD {c.MldReportsSent} reports sent");
        output.WriteLine($"udp        {c.UdpDatagramsReceived} datagrams received, {c.UdpDatagramsSent} sent");
        output.WriteLine($"tcp        {tcp.ConnectionsAccepted} accepted, {tcp.ConnectionsOpened} opened; {tcp.SegmentsReceived} segments received, {tcp.SegmentsSent} sent, " +
            $"{tcp.RetransmittedSegments} retransmitted; resets {tcp.ResetsReceived} received, {tcp.ResetsSent} sent");
        var drops = new StringBuilder();
        foreach (var reason in Enum.GetValues<InterfaceDropReason>())
        {
            long count = c.Dropped(reason);
            if (count == 0) continue;
            if (drops.Length > 0) drops.Append(", ");
            drops.Append(reason).Append(' ').Append(count);
        }
        output.WriteLine($"drops      {(drops.Length == 0 ? "none" : drops.ToString())}");
        if (Capture is { } capture) output.WriteLine($"pcap       {capture.FramesRecorded} frames recorded");
    }

    /// <summary>Closes the network (and the stack, its device and the capture with it).</summary>
    public void Dispose() => Network.Dispose();
}
