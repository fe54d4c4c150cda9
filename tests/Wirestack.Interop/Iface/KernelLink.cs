using Wirestack.Iface;
using Wirestack.Interop.Infrastructure;
using Wirestack.Nic;
using Wirestack.Testing;
using Wirestack.Wire;

namespace Wirestack.Interop.Iface;

/// <summary>
/// The kernel at 10.240.0.1/24 in a namespace of its own, joined to an <see cref="Interface"/> at 10.240.0.2 by a
/// TAP device or by a veth pair opened with AF_PACKET or AF_XDP (<see cref="LinkKind"/>): the link every Interface-versus-kernel
/// test starts from. Disposing removes the device and then the namespace.
/// </summary>
internal sealed class KernelLink : IDisposable
{
    public const string KernelCidr = "10.240.0.1/24";
    public static readonly Ipv4Address KernelAddress = new(10, 240, 0, 1);
    public static readonly Ipv4Address OurAddress = new(10, 240, 0, 2);
    public static readonly MacAddress OurMac = MacAddress.Parse("02:00:0a:f0:00:02");

    private readonly VethPair? _veth;

    private KernelLink(LinkKind kind, NetworkNamespace ns, INetworkDevice device, VethPair? veth, Interface iface)
    {
        Kind = kind;
        Namespace = ns;
        Device = device;
        _veth = veth;
        Interface = iface;
    }

    public LinkKind Kind { get; }

    public NetworkNamespace Namespace { get; }

    public INetworkDevice Device { get; }

    public Interface Interface { get; }

    /// <summary>The kernel's interface name inside <see cref="Namespace"/>.</summary>
    public string KernelInterfaceName { get; private init; } = "";

    /// <summary>Makes the namespace, the device (named from <paramref name="namePrefix"/>) and the Interface.</summary>
    /// <param name="kind">TAP, or AF_PACKET or AF_XDP on veth.</param>
    /// <param name="namePrefix">A short prefix for the device names.</param>
    /// <param name="configure">Changes to the default options (our MAC and 10.240.0.2/24), or null.</param>
    public static KernelLink Create(LinkKind kind, string namePrefix, Func<InterfaceOptions, InterfaceOptions>? configure = null)
    {
        Prerequisites.RequireRoot();
        var ns = NetworkNamespace.Create();
        INetworkDevice? device = null;
        VethPair? veth = null;
        try
        {
            string kernelName;
            if (kind is LinkKind.Tap or LinkKind.TapOffloads)
            {
                var tap = new TapDevice(new TapDeviceOptions { Name = IpRoute2.UniqueInterfaceName(namePrefix), Offloads = kind == LinkKind.TapOffloads });
                device = tap;
                kernelName = tap.Name;
                NamespaceInterface.MoveInto(ns, tap.Name, KernelCidr);
            }
            else
            {
                veth = VethPair.Create(ns, KernelCidr, checksumOffload: kind == LinkKind.PacketRingChecksumOffload,
                    segmentationOffload: kind == LinkKind.PacketRingOffloads);
                kernelName = veth.PeerEnd;
                // Our end stays in this namespace without addresses; keep its own IPv6 quiet so the only
                // IPv6 speaker on the link is the Interface.
                ProcessRunner.Run("sysctl", "-qw", $"net.ipv6.conf.{veth.HostEnd}.disable_ipv6=1");
                bool offloads = kind is LinkKind.PacketRingOffloads or LinkKind.PacketRingSoftwareSegmentation;
                // Generic mode: native XDP on a veth needs a program on the peer too for frames the peer sends.
                device = kind == LinkKind.Xdp
                    ? XdpDevice.Open(veth.HostEnd, new XdpDeviceOptions { AttachMode = XdpAttachMode.Generic })
                    : PacketRingDevice.Open(veth.HostEnd, new PacketRingDeviceOptions { Offloads = offloads, RingSize = offloads ? 256 : 1024 });
            }
            // The link just came up, and the kernel greets a new link with IPv6 router solicitations and MLD
            // reports; drop that chatter so each test starts on a quiet link and can insist on zero drops.
            Thread.Sleep(50);
            for (int lent; (lent = device.Receive()) > 0;) device.ReleaseReceived(lent);
            var options = new InterfaceOptions
            {
                MacAddress = OurMac,
                Ipv4Addresses = [new Ipv4InterfaceAddress(OurAddress, 24)],
            };
            if (configure is not null) options = configure(options);
            return new KernelLink(kind, ns, device, veth, new Interface(device, options)) { KernelInterfaceName = kernelName };
        }
        catch
        {
            device?.Dispose();
            veth?.Dispose();
            ns.Dispose();
            throw;
        }
    }

    public void Deconstruct(out NetworkNamespace ns, out INetworkDevice device, out Interface iface)
    {
        ns = Namespace;
        device = Device;
        iface = Interface;
    }

    public void Dispose()
    {
        Device.Dispose();
        _veth?.Dispose();
        Namespace.Dispose();
    }
}
