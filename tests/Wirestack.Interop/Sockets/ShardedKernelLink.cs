using Wirestack.Interop.Iface;
using Wirestack.Interop.Infrastructure;
using Wirestack.Nic;
using Wirestack.Sockets;
using Wirestack.Testing;
using Wirestack.Wire;

namespace Wirestack.Interop.Sockets;

/// <summary>
/// The kernel at <see cref="KernelLink.KernelAddress"/> in a namespace of its own, joined to a <see cref="ShardedNetwork"/>
/// at <see cref="KernelLink.OurAddress"/> over kernel queues: a multi-queue TAP device (<see cref="ShardedNetwork.OpenTap"/>)
/// moved into the namespace, or AF_PACKET fanout sockets (<see cref="ShardedNetwork.OpenPacketRing"/>) on the host end of
/// a veth pair. Disposing stops the network (which removes a TAP device), then the veth, then the namespace; a failure
/// while creating removes whatever was made.
/// </summary>
internal sealed class ShardedKernelLink : IDisposable
{
    private readonly VethPair? _veth;

    private ShardedKernelLink(NetworkNamespace ns, ShardedNetwork network, VethPair? veth, string kernelInterfaceName)
    {
        Namespace = ns;
        Network = network;
        _veth = veth;
        KernelInterfaceName = kernelInterfaceName;
    }

    public NetworkNamespace Namespace { get; }

    public ShardedNetwork Network { get; }

    /// <summary>The kernel's interface name inside <see cref="Namespace"/>.</summary>
    public string KernelInterfaceName { get; }

    public static void Configure(NetstackBuilder builder) =>
        builder.WithMacAddress(KernelLink.OurMac).AddAddress(new IpAddress(KernelLink.OurAddress), 24).WithIpv6(false).WithTcpSocketBuffer(64 * 1024);

    /// <param name="kind"><see cref="LinkKind.Tap"/>, <see cref="LinkKind.TapOffloads"/>, <see cref="LinkKind.PacketRing"/>, <see cref="LinkKind.PacketRingOffloads"/> or <see cref="LinkKind.PacketRingSoftwareSegmentation"/>.</param>
    /// <param name="namePrefix">A short prefix for the interface names.</param>
    /// <param name="queues">Queues, and so shards.</param>
    public static ShardedKernelLink Create(LinkKind kind, string namePrefix, int queues = 2)
    {
        Prerequisites.RequireRoot();
        var ns = NetworkNamespace.Create();
        ShardedNetwork? network = null;
        VethPair? veth = null;
        try
        {
            string kernelName;
            if (kind is LinkKind.Tap or LinkKind.TapOffloads)
            {
                var options = new TapDeviceOptions { Name = IpRoute2.UniqueInterfaceName(namePrefix), Offloads = kind == LinkKind.TapOffloads };
                network = ShardedNetwork.OpenTap(options, queues, Configure);
                kernelName = network.InterfaceName!;
                NamespaceInterface.MoveInto(ns, kernelName, KernelLink.KernelCidr);
            }
            else if (kind is LinkKind.PacketRing or LinkKind.PacketRingOffloads or LinkKind.PacketRingSoftwareSegmentation)
            {
                bool offloads = kind is LinkKind.PacketRingOffloads or LinkKind.PacketRingSoftwareSegmentation;
                veth = VethPair.Create(ns, KernelLink.KernelCidr, segmentationOffload: kind == LinkKind.PacketRingOffloads);
                kernelName = veth.PeerEnd;
                ProcessRunner.Run("sysctl", "-qw", $"net.ipv6.conf.{veth.HostEnd}.disable_ipv6=1");
                var options = new PacketRingDeviceOptions { Offloads = offloads, RingSize = offloads ? 256 : 1024 };
                network = ShardedNetwork.OpenPacketRing(veth.HostEnd, options, queues, Configure);
            }
            else
            {
                throw new ArgumentOutOfRangeException(nameof(kind), kind, "kernel queues come from a TAP device or AF_PACKET fanout");
            }
            return new ShardedKernelLink(ns, network, veth, kernelName);
        }
        catch
        {
            network?.Dispose();
            veth?.Dispose();
            ns.Dispose();
            throw;
        }
    }

    public void Dispose()
    {
        Network.Dispose();
        _veth?.Dispose();
        Namespace.Dispose();
    }
}
