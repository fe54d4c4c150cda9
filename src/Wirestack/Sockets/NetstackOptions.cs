using Wirestack.Iface;
using Wirestack.Ip;
using Wirestack.Wire;

namespace Wirestack.Sockets;

/// <summary>
/// How a <see cref="Netstack"/> is set up, in a shape that binds from configuration (for example the
/// <c>"Wirestack"</c> section of <c>appsettings.json</c> with <c>configuration.GetSection("Wirestack").Bind(options)</c>):
/// addresses, gateways and routes are text. <see cref="Validate"/> checks everything up front and names the bad
/// setting. <see cref="NetstackBuilder"/> sets the same things fluently.
/// </summary>
public sealed class NetstackOptions
{
    /// <summary>The largest UDP payload over IPv4 (65535 minus the IP and UDP headers).</summary>
    public const int MaxUdpPayload = 65507;

    /// <summary>Which device to open; <see cref="NetstackDeviceKind.None"/> when the device is given in code.</summary>
    public NetstackDeviceKind Device { get; set; }

    /// <summary>The TAP device's or the network interface's name, for <see cref="Device"/> other than None.</summary>
    public string? DeviceName { get; set; }

    /// <summary>The MTU of a TAP device the stack creates. Default 1500.</summary>
    public int Mtu { get; set; } = 1500;

    /// <summary>The stack's Ethernet address, as <c>02:00:00:00:00:01</c> (required, unicast).</summary>
    public string? MacAddress { get; set; }

    /// <summary>IPv4 addresses with their prefix, as <c>10.0.0.2/24</c>.</summary>
    public List<string> Ipv4Addresses { get; set; } = [];

    /// <summary>The IPv4 default gateway, if any, as <c>10.0.0.1</c>; it must lie in an assigned subnet.</summary>
    public string? Ipv4Gateway { get; set; }

    /// <summary>Whether the stack speaks IPv6 (link-local address from the MAC, NDP, SLAAC). Default true.</summary>
    public bool EnableIpv6 { get; set; } = true;

    /// <summary>IPv6 addresses besides the link-local one, with their prefix, as <c>fd00::2/64</c>.</summary>
    public List<string> Ipv6Addresses { get; set; } = [];

    /// <summary>The IPv6 default gateway, if any.</summary>
    public string? Ipv6Gateway { get; set; }

    /// <summary>Extra routes, as <c>192.168.7.0/24 via 10.0.0.254</c> or <c>fd01::/64 via fe80::1</c>.</summary>
    public List<string> Routes { get; set; } = [];

    /// <summary>How many UDP sockets may be bound at once (each owns its rings). Default 16.</summary>
    public int UdpSocketCapacity { get; set; } = 16;

    /// <summary>
    /// The bytes in each UDP socket's receive ring between the stack and the application (and again in its binding
    /// on the interface). Datagrams up to half of it minus 24 bytes fit. Default 256 KiB.
    /// </summary>
    public int SocketReceiveBufferLength { get; set; } = 256 * 1024;

    /// <summary>The bytes in each UDP socket's send ring; datagrams up to half of it minus 24 bytes fit. Default 256 KiB.</summary>
    public int SocketSendBufferLength { get; set; } = 256 * 1024;

    /// <summary>
    /// The bytes in each direction of a TCP connection's ring between the application and the stack thread (on top of
    /// the connection's own send and receive buffers, <see cref="Tcp.TcpOptions"/>). A power of two. Default 64 KiB.
    /// </summary>
    public int TcpSocketBufferLength { get; set; } = 64 * 1024;

    /// <summary>
    /// Whether a TAP device the stack opens exchanges TCP segments of up to 64 KiB with the kernel, which cuts and
    /// coalesces them (<see cref="Nic.TapDeviceOptions.Offloads"/>): one system call per 64 KiB instead of per frame.
    /// Costs 64 KiB per device slot. Default true.
    /// </summary>
    public bool TapOffloads { get; set; } = true;

    /// <summary>
    /// Whether an AF_PACKET device the stack opens exchanges TCP segments of up to 64 KiB with the kernel
    /// (<see cref="Nic.PacketRingDeviceOptions.Offloads"/>; cut to the MTU by the interface, or by the kernel in software where it has no TSO). Each of its
    /// 1024 ring frames then takes 64 KiB each way: 128 MiB of kernel memory per device, against 4 MiB without. Default false.
    /// </summary>
    public bool PacketRingOffloads { get; set; }

    /// <summary>Whether the stack thread polls without sleeping (lowest latency, one core at 100%). Default false.</summary>
    public bool BusyPolling { get; set; }

    /// <summary>
    /// How long the stack thread keeps polling after the last frame, socket operation or TCP work before it sleeps
    /// (as Linux's <c>net.core.busy_poll</c>): a reply an application writes within this time leaves without the
    /// wake-up of a sleeping thread, which costs tens of microseconds in a virtual machine. The price is CPU time spent
    /// polling after each burst of traffic, none when idle. Zero sleeps at once. Default 50 µs.
    /// </summary>
    public TimeSpan PollBeforeSleep { get; set; } = TimeSpan.FromMicroseconds(50);

    /// <summary>
    /// Whether the stack runs no thread and is driven by <see cref="Netstack.Poll(Instant)"/> instead (deterministic tests,
    /// simulation, or an application's own loop). Default false.
    /// </summary>
    public bool ManualPolling { get; set; }

    /// <summary>How long the blocking control calls (bind, close) wait for the stack thread. Default 10 s.</summary>
    public TimeSpan ControlTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Throws when a setting is wrong, naming it and saying what is allowed.</summary>
    /// <exception cref="WirestackException">With <see cref="WirestackErrorCode.InvalidArgument"/>.</exception>
    public void Validate() => ToInterfaceOptions();

    /// <summary>
    /// Copies every setting into <paramref name="target"/> (the lists as new lists): how each shard of a network built
    /// from one set of options gets the same MAC, addresses, routes and capacities, in a builder of its own.
    /// </summary>
    internal void CopyTo(NetstackOptions target)
    {
        ArgumentNullException.ThrowIfNull(target);
        target.Device = Device;
        target.DeviceName = DeviceName;
        target.Mtu = Mtu;
        target.MacAddress = MacAddress;
        target.Ipv4Addresses = Ipv4Addresses is null ? null! : [.. Ipv4Addresses];
        target.Ipv4Gateway = Ipv4Gateway;
        target.EnableIpv6 = EnableIpv6;
        target.Ipv6Addresses = Ipv6Addresses is null ? null! : [.. Ipv6Addresses];
        target.Ipv6Gateway = Ipv6Gateway;
        target.Routes = Routes is null ? null! : [.. Routes];
        target.UdpSocketCapacity = UdpSocketCapacity;
        target.SocketReceiveBufferLength = SocketReceiveBufferLength;
        target.SocketSendBufferLength = SocketSendBufferLength;
        target.TcpSocketBufferLength = TcpSocketBufferLength;
        target.TapOffloads = TapOffloads;
        target.PacketRingOffloads = PacketRingOffloads;
        target.BusyPolling = BusyPolling;
        target.PollBeforeSleep = PollBeforeSleep;
        target.ManualPolling = ManualPolling;
        target.ControlTimeout = ControlTimeout;
    }

    /// <summary>The interface options these settings describe (validated, with the routes parsed).</summary>
    internal InterfaceOptions ToInterfaceOptions() => ToInterfaceOptions(out _, out _);

    internal InterfaceOptions ToInterfaceOptions(out List<Route<Ipv4Address>> ipv4Routes, out List<Route<Ipv6Address>> ipv6Routes)
    {
        if (Device != NetstackDeviceKind.None && string.IsNullOrWhiteSpace(DeviceName))
            throw Invalid($"NetstackOptions.DeviceName is required when Device is {Device}.");
        if (DeviceName is { Length: > Nic.TapDeviceOptions.MaxNameLength })
            throw Invalid($"NetstackOptions.DeviceName '{DeviceName}' is longer than {Nic.TapDeviceOptions.MaxNameLength} characters.");
        if (Mtu is < 68 or > Nic.TapDeviceOptions.MaxMtu)
            throw Invalid($"NetstackOptions.Mtu is {Mtu}; it must be between 68 and {Nic.TapDeviceOptions.MaxMtu}.");
        if (string.IsNullOrWhiteSpace(MacAddress))
            throw Invalid("NetstackOptions.MacAddress is required (a unicast MAC such as 02:00:00:00:00:01).");
        if (!Wire.MacAddress.TryParse(MacAddress, out var mac) || mac.IsMulticast || mac == Wire.MacAddress.Zero)
            throw Invalid($"NetstackOptions.MacAddress '{MacAddress}' is not a unicast MAC such as 02:00:00:00:00:01.");
        if (Ipv4Addresses is null) throw Invalid("NetstackOptions.Ipv4Addresses must not be null; leave it empty for none.");
        if (Ipv6Addresses is null) throw Invalid("NetstackOptions.Ipv6Addresses must not be null; leave it empty for none.");
        if (Routes is null) throw Invalid("NetstackOptions.Routes must not be null; leave it empty for none.");
        var v4 = new Ipv4InterfaceAddress[Ipv4Addresses.Count];
        for (int i = 0; i < v4.Length; i++)
            v4[i] = ParseCidr4(Ipv4Addresses[i], $"NetstackOptions.Ipv4Addresses[{i}]");
        var v6 = new Ipv6InterfaceAddress[Ipv6Addresses.Count];
        for (int i = 0; i < v6.Length; i++)
            v6[i] = ParseCidr6(Ipv6Addresses[i], $"NetstackOptions.Ipv6Addresses[{i}]");
        Ipv4Address? gateway4 = null;
        if (!string.IsNullOrWhiteSpace(Ipv4Gateway))
            gateway4 = Ipv4Address.TryParse(Ipv4Gateway, out var g4) ? g4 : throw Invalid($"NetstackOptions.Ipv4Gateway '{Ipv4Gateway}' is not an IPv4 address.");
        Ipv6Address? gateway6 = null;
        if (!string.IsNullOrWhiteSpace(Ipv6Gateway))
            gateway6 = Ipv6Address.TryParse(Ipv6Gateway, out var g6) ? g6 : throw Invalid($"NetstackOptions.Ipv6Gateway '{Ipv6Gateway}' is not an IPv6 address.");
        ipv4Routes = [];
        ipv6Routes = [];
        for (int i = 0; i < Routes.Count; i++) ParseRoute(Routes[i], $"NetstackOptions.Routes[{i}]", ipv4Routes, ipv6Routes);
        if (UdpSocketCapacity is < 1 or > 16384)
            throw Invalid($"NetstackOptions.UdpSocketCapacity is {UdpSocketCapacity}; it must be between 1 and 16384.");
        if (SocketReceiveBufferLength is < 4096 or > 64 * 1024 * 1024 || SocketReceiveBufferLength % 8 != 0)
            throw Invalid($"NetstackOptions.SocketReceiveBufferLength is {SocketReceiveBufferLength}; it must be a multiple of 8 between 4 KiB and 64 MiB.");
        if (SocketSendBufferLength is < 4096 or > 64 * 1024 * 1024 || SocketSendBufferLength % 8 != 0)
            throw Invalid($"NetstackOptions.SocketSendBufferLength is {SocketSendBufferLength}; it must be a multiple of 8 between 4 KiB and 64 MiB.");
        if (TcpSocketBufferLength is < 4096 or > 64 * 1024 * 1024 || (TcpSocketBufferLength & (TcpSocketBufferLength - 1)) != 0)
            throw Invalid($"NetstackOptions.TcpSocketBufferLength is {TcpSocketBufferLength}; it must be a power of two between 4 KiB and 64 MiB.");
        if (ControlTimeout <= TimeSpan.Zero && ControlTimeout != Timeout.InfiniteTimeSpan)
            throw Invalid($"NetstackOptions.ControlTimeout is {ControlTimeout}; it must be positive (or infinite).");
        if (PollBeforeSleep < TimeSpan.Zero || PollBeforeSleep > TimeSpan.FromSeconds(1))
            throw Invalid($"NetstackOptions.PollBeforeSleep is {PollBeforeSleep}; it must be between zero (sleep at once) and 1 second.");
        if (BusyPolling && ManualPolling)
            throw Invalid("NetstackOptions.BusyPolling and ManualPolling exclude each other: a manually polled stack runs no thread to busy-poll.");
        var options = new InterfaceOptions
        {
            MacAddress = mac,
            Ipv4Addresses = v4,
            DefaultGateway = gateway4,
            EnableIpv6 = EnableIpv6,
            Ipv6Addresses = v6,
            Ipv6DefaultGateway = gateway6,
            UdpBindingCapacity = UdpSocketCapacity,
            UdpReceiveBufferLength = SocketReceiveBufferLength,
        };
        try
        {
            options.Validate();
        }
        catch (ArgumentException e)
        {
            // The interface names its own settings; say which of ours they came from.
            throw new WirestackException(WirestackErrorCode.InvalidArgument, $"The NetstackOptions do not make a valid interface: {e.Message}", e);
        }
        return options;
    }

    private static Ipv4InterfaceAddress ParseCidr4(string? text, string setting)
    {
        int slash = text?.IndexOf('/') ?? -1;
        if (text is null || slash < 0 || !Ipv4Address.TryParse(text.AsSpan(0, slash), out var address) ||
            !int.TryParse(text.AsSpan(slash + 1), out int prefix) || prefix is < 1 or > 32)
            throw Invalid($"{setting} '{text}' is not an IPv4 address with a prefix length 1-32, such as 10.0.0.2/24.");
        return new Ipv4InterfaceAddress(address, prefix);
    }

    private static Ipv6InterfaceAddress ParseCidr6(string? text, string setting)
    {
        int slash = text?.IndexOf('/') ?? -1;
        if (text is null || slash < 0 || !Ipv6Address.TryParse(text.AsSpan(0, slash), out var address) ||
            !int.TryParse(text.AsSpan(slash + 1), out int prefix) || prefix is < 1 or > 128)
            throw Invalid($"{setting} '{text}' is not an IPv6 address with a prefix length 1-128, such as fd00::2/64.");
        return new Ipv6InterfaceAddress(address, prefix);
    }

    private static void ParseRoute(string? text, string setting, List<Route<Ipv4Address>> v4, List<Route<Ipv6Address>> v6)
    {
        var parts = (text ?? "").Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (parts.Length != 3 || parts[1] != "via")
            throw Invalid($"{setting} '{text}' is not a route such as '192.168.7.0/24 via 10.0.0.254'.");
        if (parts[0].Contains(':'))
        {
            var prefix = ParseCidr6(parts[0], setting);
            if (!Ipv6Address.TryParse(parts[2], out var gateway))
                throw Invalid($"{setting} '{text}': the gateway '{parts[2]}' is not an IPv6 address.");
            v6.Add(Route<Ipv6Address>.Via(prefix.Prefix, prefix.PrefixLength, gateway));
        }
        else
        {
            var prefix = ParseCidr4(parts[0], setting);
            if (!Ipv4Address.TryParse(parts[2], out var gateway))
                throw Invalid($"{setting} '{text}': the gateway '{parts[2]}' is not an IPv4 address.");
            v4.Add(Route<Ipv4Address>.Via(prefix.Address.Mask(prefix.PrefixLength), prefix.PrefixLength, gateway));
        }
    }

    private static WirestackException Invalid(string message) => new(WirestackErrorCode.InvalidArgument, message);
}
