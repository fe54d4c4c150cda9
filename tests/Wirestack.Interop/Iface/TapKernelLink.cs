using Wirestack.Iface;
using Wirestack.Interop.Infrastructure;
using Wirestack.Nic;
using Wirestack.Wire;

namespace Wirestack.Interop.Iface;

/// <summary>
/// The kernel at 10.240.0.1/24 in a namespace of its own, joined by a TAP device to an
/// <see cref="Interface"/> at 10.240.0.2: the link every Interface-versus-kernel test starts from.
/// Disposing removes the TAP device and then the namespace.
/// </summary>
internal sealed class TapKernelLink : IDisposable
{
    public const string KernelCidr = "10.240.0.1/24";
    public static readonly Ipv4Address KernelAddress = new(10, 240, 0, 1);
    public static readonly Ipv4Address OurAddress = new(10, 240, 0, 2);
    public static readonly MacAddress OurMac = MacAddress.Parse("02:00:0a:f0:00:02");

    private TapKernelLink(NetworkNamespace ns, TapDevice tap, Interface iface)
    {
        Namespace = ns;
        Tap = tap;
        Interface = iface;
    }

    public NetworkNamespace Namespace { get; }

    public TapDevice Tap { get; }

    public Interface Interface { get; }

    /// <summary>Makes the namespace, the TAP device (named from <paramref name="namePrefix"/>) and the Interface.</summary>
    public static TapKernelLink Create(string namePrefix)
    {
        var ns = NetworkNamespace.Create();
        TapDevice? tap = null;
        try
        {
            tap = new TapDevice(new TapDeviceOptions { Name = IpRoute2.UniqueInterfaceName(namePrefix) });
            NamespaceInterface.MoveInto(ns, tap.Name, KernelCidr);
            // The TAP came up in this namespace first, where the kernel greets a new link with IPv6
            // router solicitations and MLD reports; drop that chatter so each test starts on a quiet
            // link and can insist on zero drops.
            for (int lent; (lent = tap.Receive()) > 0;) tap.ReleaseReceived(lent);
            var options = new InterfaceOptions
            {
                MacAddress = OurMac,
                Ipv4Addresses = [new Ipv4InterfaceAddress(OurAddress, 24)],
            };
            return new TapKernelLink(ns, tap, new Interface(tap, options));
        }
        catch
        {
            tap?.Dispose();
            ns.Dispose();
            throw;
        }
    }

    public void Deconstruct(out NetworkNamespace ns, out TapDevice tap, out Interface iface)
    {
        ns = Namespace;
        tap = Tap;
        iface = Interface;
    }

    public void Dispose()
    {
        Tap.Dispose();
        Namespace.Dispose();
    }
}
