using Wirestack.Benchmarks.DeviceRates;
using Wirestack.Iface;
using Wirestack.Nic;
using Wirestack.Tcp;
using Wirestack.Wire;

namespace Wirestack.Benchmarks.TapTcp;

/// <summary>
/// The kernel at 10.232.0.1/24 in a namespace, behind a <see cref="TapDevice"/> whose other side is an
/// <see cref="Interface"/> at 10.232.0.2. The TAP keeps the kernel's default features (only what the device
/// itself asks for changes them), so the run compares what Wirestack can get from the kernel as it comes.
/// </summary>
internal sealed class TapTcpLink : IDisposable
{
    public const string KernelCidr = "10.232.0.1/24";
    public static readonly Ipv4Address KernelAddress = new(10, 232, 0, 1);
    public static readonly Ipv4Address OurAddress = new(10, 232, 0, 2);
    private static readonly MacAddress OurMac = MacAddress.Parse("02:00:0a:e8:00:02");

    private TapTcpLink(BenchNamespace ns, TapDevice device, Interface iface)
    {
        Namespace = ns;
        Device = device;
        Interface = iface;
    }

    public BenchNamespace Namespace { get; }

    public TapDevice Device { get; }

    public Interface Interface { get; }

    public static TapTcpLink Create(CleanupRegistry cleanup, TapDeviceOptions deviceOptions, TcpOptions tcp, string tag)
    {
        var ns = BenchNamespace.Create(cleanup, tag);
        var tap = new TapDevice(deviceOptions with { Name = $"wstt{Environment.ProcessId % 100000}{tag[0]}" });
        try
        {
            Shell.Run("ip", "link", "set", tap.Name, "netns", ns.Name).EnsureSuccess($"moving {tap.Name} into {ns.Name}");
            ns.Run("sh", "-c", $"echo 1 > /proc/sys/net/ipv6/conf/{tap.Name}/disable_ipv6");
            ns.Run("ip", "addr", "add", KernelCidr, "dev", tap.Name).EnsureSuccess("ip addr add");
            ns.Run("ip", "link", "set", tap.Name, "up").EnsureSuccess("ip link set up");
            ns.AddNeighbour(OurAddress, OurMac, tap.Name);
            DeviceLoops.Drain(tap, TimeSpan.FromMilliseconds(50));
            var iface = new Interface(tap, new InterfaceOptions
            {
                MacAddress = OurMac,
                Ipv4Addresses = [new Ipv4InterfaceAddress(OurAddress, 24)],
                EnableIpv6 = false,
                Tcp = tcp,
            });
            return new TapTcpLink(ns, tap, iface);
        }
        catch
        {
            tap.Dispose();
            ns.Dispose();
            throw;
        }
    }

    /// <summary>The kernel side's offload features as ethtool reports them (the lines that are on).</summary>
    public string KernelFeatures()
    {
        var result = Namespace.Run("ethtool", "-k", TapName);
        if (result.ExitCode != 0) return "(ethtool failed)";
        var on = result.StandardOutput.Split('\n')
            .Where(l => l.Contains(": on", StringComparison.Ordinal) && (l.Contains("segmentation", StringComparison.Ordinal) || l.Contains("checksum", StringComparison.Ordinal) || l.Contains("receive-offload", StringComparison.Ordinal)))
            .Select(l => l.Split(':')[0].Trim());
        return string.Join(", ", on);
    }

    private string TapName => Device.Name;

    public void Dispose()
    {
        Device.Dispose();
        Namespace.Dispose();
    }
}
