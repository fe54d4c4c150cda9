using System.Globalization;
using Wirestack.Testing;
using Wirestack.Wire;

namespace Wirestack.Interop.Infrastructure;

/// <summary>
/// A namespace and a veth pair into it, quiet for a device under test: the host end has no IPv4
/// address (the harness gives it none) and IPv6 is off on both ends, so the host kernel sends nothing
/// on the link (every frame the peer counts came from the device) and the namespace's kernel sends
/// only what a test makes it send (no router solicitations or MLD reports). Both are removed on dispose.
/// </summary>
internal sealed class QuietVethLink : IDisposable
{
    private QuietVethLink(NetworkNamespace ns, VethPair veth, MacAddress peerMac)
    {
        Namespace = ns;
        Veth = veth;
        PeerMac = peerMac;
    }

    public NetworkNamespace Namespace { get; }

    public VethPair Veth { get; }

    /// <summary>The interface a device opens: the host end.</summary>
    public string HostEnd => Veth.HostEnd;

    /// <summary>The namespace end, where the kernel answers.</summary>
    public string PeerEnd => Veth.PeerEnd;

    /// <summary>The MAC address of the namespace end.</summary>
    public MacAddress PeerMac { get; }

    /// <summary>Makes the namespace and the pair (<paramref name="queues"/> queues each way on each end); <paramref name="peerAddress"/> (CIDR) goes on the namespace end.</summary>
    public static QuietVethLink Create(string peerAddress, int mtu = 1500, int queues = 1)
    {
        var ns = NetworkNamespace.Create();
        VethPair? veth = null;
        try
        {
            veth = VethPair.Create(ns, peerAddress, mtu, queues);
            File.WriteAllText($"/proc/sys/net/ipv6/conf/{veth.HostEnd}/disable_ipv6", "1");
            ns.Exec("sh", "-c", $"echo 1 > /proc/sys/net/ipv6/conf/{veth.PeerEnd}/disable_ipv6").EnsureSuccess("disable IPv6 on the peer end");
            string mac = ns.Exec("cat", $"/sys/class/net/{veth.PeerEnd}/address").EnsureSuccess("read the peer's MAC").StandardOutput.Trim();
            return new QuietVethLink(ns, veth, MacAddress.Parse(mac));
        }
        catch
        {
            veth?.Dispose();
            ns.Dispose();
            throw;
        }
    }

    /// <summary>A counter of the namespace end from /sys/class/net/IF/statistics (rx_packets, tx_packets, ...).</summary>
    public long PeerStatistic(string name) =>
        long.Parse(Namespace.Exec("cat", $"/sys/class/net/{PeerEnd}/statistics/{name}").EnsureSuccess("read " + name).StandardOutput.Trim(), CultureInfo.InvariantCulture);

    /// <summary>A permanent neighbour entry in the namespace, so its kernel sends to <paramref name="address"/> without asking ARP.</summary>
    public void AddPeerNeighbour(string address, MacAddress mac, string? device = null) =>
        Namespace.Exec("ip", "neigh", "replace", address, "lladdr", mac.ToString(), "dev", device ?? PeerEnd, "nud", "permanent").EnsureSuccess("ip neigh replace");

    public void Dispose()
    {
        Veth.Dispose();
        Namespace.Dispose();
    }
}
