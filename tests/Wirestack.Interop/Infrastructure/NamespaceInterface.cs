using System.Globalization;
using Wirestack.Testing;

namespace Wirestack.Interop.Infrastructure;

/// <summary>
/// Moves an interface this process made (a TAP device, say) into a test namespace, where the
/// kernel's stack uses it. The interface goes with the namespace: deleting the namespace, or
/// closing a non-persistent TAP device's descriptor, removes it.
/// </summary>
internal static class NamespaceInterface
{
    /// <summary>
    /// Moves <paramref name="interfaceName"/> into <paramref name="ns"/>, gives it
    /// <paramref name="address"/> (CIDR) and brings it up there, with IPv6 off so the kernel sends
    /// nothing on its own (no router solicitations, MLD reports or DAD) on a link tests read frame by frame.
    /// </summary>
    public static void MoveInto(NetworkNamespace ns, string interfaceName, string address, int? mtu = null)
    {
        IpRoute2.Run("link", "set", interfaceName, "netns", ns.Name);
        // Best effort: a kernel without IPv6 has no such file, and then no IPv6 traffic either.
        ns.Exec("sh", "-c", $"echo 1 > /proc/sys/net/ipv6/conf/{interfaceName}/disable_ipv6");
        ns.Exec("ip", "addr", "add", address, "dev", interfaceName).EnsureSuccess($"ip addr add {address} dev {interfaceName}");
        if (mtu is int value)
            ns.Exec("ip", "link", "set", interfaceName, "mtu", value.ToString(CultureInfo.InvariantCulture)).EnsureSuccess("ip link set mtu");
        // Moving an interface takes it down; it comes up again only when told.
        ns.Exec("ip", "link", "set", interfaceName, "up").EnsureSuccess($"ip link set {interfaceName} up");
    }
}
