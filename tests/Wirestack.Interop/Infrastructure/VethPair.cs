namespace Wirestack.Interop.Infrastructure;

/// <summary>
/// A veth pair: <see cref="HostEnd"/> stays in this process's namespace (where Wirestack opens a
/// device on it), <see cref="PeerEnd"/> lives in <see cref="Peer"/>, where the kernel's stack and
/// stock tools answer. Deleting one end deletes both.
/// </summary>
internal sealed class VethPair : IDisposable
{
    private VethPair(string hostEnd, string peerEnd, NetworkNamespace peer)
    {
        HostEnd = hostEnd;
        PeerEnd = peerEnd;
        Peer = peer;
    }

    public string HostEnd { get; }

    public string PeerEnd { get; }

    public NetworkNamespace Peer { get; }

    /// <summary>Creates the pair, moves the peer end into <paramref name="peer"/> with <paramref name="peerAddress"/> (CIDR), and brings both up.</summary>
    /// <param name="peer">The namespace of the peer end.</param>
    /// <param name="peerAddress">The peer end's address (CIDR).</param>
    /// <param name="mtu">Both ends' MTU.</param>
    /// <param name="queues">Receive and transmit queues on each end (veth's numrxqueues and numtxqueues).</param>
    /// <param name="checksumOffload">
    /// Keep the kernel's default checksum offloads (tx and rx checksumming on both ends): the peer's kernel then sends
    /// TCP and UDP with partial checksums (CHECKSUM_PARTIAL) for the receiver to trust. Only segmentation (TSO, GSO)
    /// and GRO are turned off, so every frame still fits the link's MTU.
    /// </param>
    /// <param name="segmentationOffload">
    /// Turn every offload on both ends on (tx checksumming, TSO, GSO and GRO; veth's GRO is off by default): the peer's
    /// kernel then sends TCP segments of up to 64 KiB down the link and GRO may coalesce what arrives.
    /// </param>
    public static VethPair Create(NetworkNamespace peer, string peerAddress, int mtu = 1500, int queues = 1, bool checksumOffload = false, bool segmentationOffload = false)
    {
        string host = IpRoute2.UniqueInterfaceName("wsh");
        string other = IpRoute2.UniqueInterfaceName("wsp");
        string q = queues.ToString(System.Globalization.CultureInfo.InvariantCulture);
        if (queues == 1)
            IpRoute2.Run("link", "add", host, "mtu", mtu.ToString(System.Globalization.CultureInfo.InvariantCulture), "type", "veth", "peer", "name", other);
        else
            IpRoute2.Run("link", "add", host, "mtu", mtu.ToString(System.Globalization.CultureInfo.InvariantCulture), "numtxqueues", q, "numrxqueues", q,
                "type", "veth", "peer", "name", other, "numtxqueues", q, "numrxqueues", q);
        var pair = new VethPair(host, other, peer);
        try
        {
            IpRoute2.Run("link", "set", other, "netns", peer.Name);
            peer.Exec("ip", "addr", "add", peerAddress, "dev", other).EnsureSuccess("ip addr add");
            peer.Exec("ip", "link", "set", other, "mtu", mtu.ToString(System.Globalization.CultureInfo.InvariantCulture), "up").EnsureSuccess("ip link set up");
            // Offloads off: the kernel then puts real checksums and MTU-sized segments on this link.
            string tx = checksumOffload || segmentationOffload ? "on" : "off";
            string segmentation = segmentationOffload ? "on" : "off";
            var remote = peer.Exec("ethtool", "-K", other, "tx", tx, "tso", segmentation, "gso", segmentation, "gro", segmentation);
            IpRoute2.Run("link", "set", host, "up");
            var local = Testing.ProcessRunner.Run("ethtool", "-K", host, "tx", tx, "tso", segmentation, "gso", segmentation, "gro", segmentation);
            // A test of the offloads is void without them; the others only lose a little realism.
            if (segmentationOffload)
            {
                remote.EnsureSuccess($"ethtool -K {other}");
                local.EnsureSuccess($"ethtool -K {host}");
            }
            return pair;
        }
        catch
        {
            pair.Dispose();
            throw;
        }
    }

    public void Dispose() => Testing.ProcessRunner.Run("ip", "link", "delete", HostEnd);
}
