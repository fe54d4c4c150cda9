using System.Diagnostics;
using System.Globalization;
using Wirestack.Wire;

namespace Wirestack.Benchmarks.DeviceRates;

/// <summary>
/// A network namespace the benchmark made, deleted with every process in it when disposed or when
/// the run is cleaned up. Its name carries this process's PID, so one left by a killed run is
/// recognised and removed by the next.
/// </summary>
internal sealed class BenchNamespace : IDisposable
{
    private const string Prefix = "wsbench-";
    private readonly List<Process> _processes = [];
    private readonly Lock _lock = new();
    private static int _ethtoolWarned;
    private int _disposed;

    private BenchNamespace(string name) => Name = name;

    public string Name { get; }

    /// <summary>Makes namespace <c>wsbench-PID-TAG</c> with its loopback up.</summary>
    public static BenchNamespace Create(CleanupRegistry cleanup, string tag)
    {
        var ns = new BenchNamespace($"{Prefix}{Environment.ProcessId}-{tag}");
        Shell.Run("ip", "netns", "add", ns.Name).EnsureSuccess($"ip netns add {ns.Name}");
        cleanup.Add($"namespace {ns.Name}", ns.Dispose);
        ns.Run("ip", "link", "set", "lo", "up").EnsureSuccess("ip link set lo up");
        return ns;
    }

    /// <summary>Deletes namespaces a killed run left behind (their PID is gone).</summary>
    public static void RemoveStale()
    {
        foreach (string line in Shell.Run("ip", "netns", "list").StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            string name = line.Split(' ')[0];
            if (!name.StartsWith(Prefix, StringComparison.Ordinal)) continue;
            string pid = name[Prefix.Length..].Split('-')[0];
            if (!Directory.Exists($"/proc/{pid}")) Delete(name);
        }
    }

    /// <summary>Runs a command inside the namespace and waits for it.</summary>
    public ShellResult Run(params string[] command) => Shell.Run("ip", ["netns", "exec", Name, .. command]);

    /// <summary>Starts a command inside the namespace; it is killed when the namespace goes.</summary>
    public Process Start(params string[] command)
    {
        var process = Shell.Start("ip", ["netns", "exec", Name, .. command]);
        lock (_lock) _processes.Add(process);
        return process;
    }

    /// <summary>
    /// Gives <paramref name="interfaceName"/> (already in the namespace) <paramref name="cidr"/>, turns
    /// IPv6 off (no router solicitations or MLD reports mixed into the frames under test) and the
    /// offloads off (real MTU-sized frames, real checksums), and brings it up.
    /// </summary>
    public void Configure(string interfaceName, string cidr)
    {
        // Best effort: without IPv6 in the kernel there is no such file, and no IPv6 traffic either.
        Run("sh", "-c", $"echo 1 > /proc/sys/net/ipv6/conf/{interfaceName}/disable_ipv6");
        Run("ip", "addr", "add", cidr, "dev", interfaceName).EnsureSuccess($"ip addr add {cidr} dev {interfaceName} in {Name}");
        Run("ip", "link", "set", interfaceName, "up").EnsureSuccess($"ip link set {interfaceName} up in {Name}");
        OffloadsOff(this, interfaceName);
    }

    /// <summary>A permanent neighbour entry, so the kernel sends to <paramref name="address"/> without asking ARP.</summary>
    public void AddNeighbour(Ipv4Address address, MacAddress mac, string interfaceName) =>
        Run("ip", "neigh", "replace", address.ToString(), "lladdr", mac.ToString(), "dev", interfaceName, "nud", "permanent")
            .EnsureSuccess($"ip neigh replace {address} in {Name}");

    /// <summary>The MAC address of an interface in the namespace.</summary>
    public MacAddress MacOf(string interfaceName) =>
        MacAddress.Parse(Run("cat", $"/sys/class/net/{interfaceName}/address").EnsureSuccess($"reading the MAC of {interfaceName}").StandardOutput.Trim());

    /// <summary>A counter from /sys/class/net/IF/statistics (rx_packets, tx_dropped, ...) of an interface in the namespace.</summary>
    public long Statistic(string interfaceName, string counter) =>
        long.Parse(Run("cat", $"/sys/class/net/{interfaceName}/statistics/{counter}").EnsureSuccess($"reading {counter} of {interfaceName}").StandardOutput.Trim(), CultureInfo.InvariantCulture);

    /// <summary>
    /// Turns off checksum offload, TSO, GSO and GRO on an interface (in <paramref name="ns"/>, or in
    /// this process's namespace when null). Best effort: without ethtool the run goes on with a warning.
    /// </summary>
    public static void OffloadsOff(BenchNamespace? ns, string interfaceName)
    {
        if (Shell.Find("ethtool") is null)
        {
            if (Interlocked.Exchange(ref _ethtoolWarned, 1) == 0)
                Console.Error.WriteLine("devices: ethtool is missing (apt-get install ethtool): offloads stay as they are, so the kernel may send larger-than-MTU frames on veth links");
            return;
        }
        string[] command = ["ethtool", "-K", interfaceName, "tx", "off", "tso", "off", "gso", "off", "gro", "off"];
        // Its exit status is ignored: ethtool fails when a feature cannot change (a TAP has no
        // GRO to turn off) even though the rest changed.
        if (ns is null) Shell.Run(command[0], command[1..]);
        else ns.Run(command);
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        lock (_lock)
        {
            foreach (var process in _processes)
            {
                Shell.Kill(process);
                process.Dispose();
            }
            _processes.Clear();
        }
        Delete(Name);
    }

    private static void Delete(string name)
    {
        // A process still inside would keep the namespace's interfaces alive after the delete.
        foreach (string pid in Shell.Run("ip", "netns", "pids", name).StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries))
            Shell.Run("kill", "-9", pid.Trim());
        Shell.Run("ip", "netns", "delete", name);
    }
}
