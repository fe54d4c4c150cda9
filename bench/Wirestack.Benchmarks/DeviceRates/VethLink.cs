namespace Wirestack.Benchmarks.DeviceRates;

/// <summary>
/// A veth pair the benchmark made: either from this process's namespace (where a
/// <see cref="Nic.PacketRingDevice"/> opens the first end) into a namespace, or between two
/// namespaces. Deleting either end deletes both, and so does deleting a namespace holding one.
/// </summary>
internal sealed class VethLink : IDisposable
{
    private readonly BenchNamespace? _firstNamespace;
    private int _disposed;

    private VethLink(string firstEnd, string secondEnd, BenchNamespace? firstNamespace)
    {
        FirstEnd = firstEnd;
        SecondEnd = secondEnd;
        _firstNamespace = firstNamespace;
    }

    public string FirstEnd { get; }

    public string SecondEnd { get; }

    /// <summary>
    /// A pair whose first end stays here, up, with no IPv4 address and IPv6 off (this host's kernel
    /// then sends nothing on it), and whose second end is in <paramref name="peer"/> with <paramref name="peerCidr"/>.
    /// </summary>
    public static VethLink FromHost(CleanupRegistry cleanup, BenchNamespace peer, string peerCidr, string tag)
    {
        string first = InterfaceName(tag, 'h');
        string second = InterfaceName(tag, 'p');
        // The peer end is made inside the namespace, so nothing of the pair is ever left untracked here.
        Shell.Run("ip", "link", "add", first, "type", "veth", "peer", "name", second, "netns", peer.Name).EnsureSuccess($"ip link add {first} type veth");
        var link = new VethLink(first, second, null);
        cleanup.Add($"veth {first}", link.Dispose);
        string ipv6 = $"/proc/sys/net/ipv6/conf/{first}/disable_ipv6";
        if (File.Exists(ipv6)) File.WriteAllText(ipv6, "1");
        Shell.Run("ip", "link", "set", first, "up").EnsureSuccess($"ip link set {first} up");
        BenchNamespace.OffloadsOff(null, first);
        peer.Configure(second, peerCidr);
        return link;
    }

    /// <summary>A pair from <paramref name="first"/> to <paramref name="second"/>, each end with its address.</summary>
    public static VethLink Between(CleanupRegistry cleanup, BenchNamespace first, string firstCidr, BenchNamespace second, string secondCidr, string tag)
    {
        string a = InterfaceName(tag, 'a');
        string b = InterfaceName(tag, 'b');
        Shell.Run("ip", "-n", first.Name, "link", "add", a, "type", "veth", "peer", "name", b, "netns", second.Name).EnsureSuccess($"ip link add {a} type veth in {first.Name}");
        var link = new VethLink(a, b, first);
        cleanup.Add($"veth {a}", link.Dispose);
        first.Configure(a, firstCidr);
        second.Configure(b, secondCidr);
        return link;
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        // Gone already when its namespace was deleted first; that is fine.
        if (_firstNamespace is null) Shell.Run("ip", "link", "delete", FirstEnd);
        else Shell.Run("ip", "-n", _firstNamespace.Name, "link", "delete", FirstEnd);
    }

    // wsb + tag letter + end letter + PID: unique to this process, within Linux's 15 characters.
    private static string InterfaceName(string tag, char end) => $"wsb{tag}{end}{Environment.ProcessId}";
}
