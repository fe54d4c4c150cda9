using Wirestack.Iface;
using Wirestack.Nic;
using Wirestack.Wire;

namespace Wirestack.Sockets;

/// <summary>
/// Builds a <see cref="Netstack"/> fluently: the device, the MAC, addresses and gateways of both families, routes,
/// MTU, capacities and how the stack is driven. It fills a <see cref="NetstackOptions"/> (start from one bound from
/// configuration with <see cref="NetstackBuilder(NetstackOptions)"/>), which <see cref="Build"/> validates first.
/// </summary>
public sealed class NetstackBuilder
{
    private readonly NetstackOptions _options;
    private INetworkDevice? _device;
    private bool _ownsDevice;
    private TimeProvider _time = TimeProvider.System;
    private Func<InterfaceOptions, InterfaceOptions>? _configureInterface;

    /// <summary>Starts from default options.</summary>
    public NetstackBuilder()
        : this(new NetstackOptions())
    {
    }

    /// <summary>Starts from <paramref name="options"/> (for example bound from configuration); the builder changes them in place.</summary>
    public NetstackBuilder(NetstackOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options;
    }

    /// <summary>The options being built.</summary>
    public NetstackOptions Options => _options;

    /// <summary>Runs the stack on <paramref name="device"/>; with <paramref name="ownsDevice"/> the stack disposes it.</summary>
    public NetstackBuilder UseDevice(INetworkDevice device, bool ownsDevice = true)
    {
        ArgumentNullException.ThrowIfNull(device);
        _device = device;
        _ownsDevice = ownsDevice;
        _options.Device = NetstackDeviceKind.None;
        return this;
    }

    /// <summary>Runs the stack on a TAP device named <paramref name="name"/> (created if missing; needs CAP_NET_ADMIN).</summary>
    public NetstackBuilder UseTap(string name)
    {
        _device = null;
        _options.Device = NetstackDeviceKind.Tap;
        _options.DeviceName = name;
        return this;
    }

    /// <summary>Runs the stack on AF_PACKET rings on the existing interface <paramref name="interfaceName"/> (needs CAP_NET_RAW).</summary>
    public NetstackBuilder UsePacketRing(string interfaceName)
    {
        _device = null;
        _options.Device = NetstackDeviceKind.PacketRing;
        _options.DeviceName = interfaceName;
        return this;
    }

    /// <summary>Sets the stack's Ethernet address.</summary>
    public NetstackBuilder WithMacAddress(MacAddress mac)
    {
        _options.MacAddress = mac.ToString();
        return this;
    }

    /// <summary>Adds an IPv4 or IPv6 address with its prefix length.</summary>
    public NetstackBuilder AddAddress(IpAddress address, int prefixLength)
    {
        (address.IsIpv4 ? _options.Ipv4Addresses : _options.Ipv6Addresses).Add($"{address}/{prefixLength}");
        return this;
    }

    /// <summary>Adds an address written as <c>10.0.0.2/24</c> or <c>fd00::2/64</c>.</summary>
    public NetstackBuilder AddAddress(string cidr)
    {
        ArgumentNullException.ThrowIfNull(cidr);
        (cidr.Contains(':') ? _options.Ipv6Addresses : _options.Ipv4Addresses).Add(cidr);
        return this;
    }

    /// <summary>Sets the default gateway of the gateway's family.</summary>
    public NetstackBuilder WithGateway(IpAddress gateway)
    {
        if (gateway.IsIpv4) _options.Ipv4Gateway = gateway.ToString();
        else _options.Ipv6Gateway = gateway.ToString();
        return this;
    }

    /// <summary>Adds a route to <paramref name="prefix"/>/<paramref name="prefixLength"/> via <paramref name="gateway"/>.</summary>
    public NetstackBuilder AddRoute(IpAddress prefix, int prefixLength, IpAddress gateway)
    {
        _options.Routes.Add($"{prefix}/{prefixLength} via {gateway}");
        return this;
    }

    /// <summary>Turns IPv6 on (the default) or off.</summary>
    public NetstackBuilder WithIpv6(bool enabled)
    {
        _options.EnableIpv6 = enabled;
        return this;
    }

    /// <summary>Sets the MTU of a TAP device the stack creates.</summary>
    public NetstackBuilder WithMtu(int mtu)
    {
        _options.Mtu = mtu;
        return this;
    }

    /// <summary>Sets how many UDP sockets may be bound at once and the bytes in each socket's receive and send rings.</summary>
    public NetstackBuilder WithUdpCapacity(int sockets, int receiveBufferLength = 256 * 1024, int sendBufferLength = 256 * 1024)
    {
        _options.UdpSocketCapacity = sockets;
        _options.SocketReceiveBufferLength = receiveBufferLength;
        _options.SocketSendBufferLength = sendBufferLength;
        return this;
    }

    /// <summary>Sets the bytes of each TCP connection's application ring per direction (<see cref="NetstackOptions.TcpSocketBufferLength"/>).</summary>
    public NetstackBuilder WithTcpSocketBuffer(int length)
    {
        _options.TcpSocketBufferLength = length;
        return this;
    }

    /// <summary>Makes the stack thread poll without sleeping.</summary>
    public NetstackBuilder UseBusyPolling(bool enabled = true)
    {
        _options.BusyPolling = enabled;
        return this;
    }

    /// <summary>
    /// Sets how long the stack thread keeps polling after traffic before it sleeps (<see cref="NetstackOptions.PollBeforeSleep"/>;
    /// zero sleeps at once).
    /// </summary>
    public NetstackBuilder UsePollBeforeSleep(TimeSpan duration)
    {
        _options.PollBeforeSleep = duration;
        return this;
    }

    /// <summary>Runs no stack thread: the caller drives <see cref="Netstack.Poll(Instant)"/>.</summary>
    public NetstackBuilder UseManualPolling(bool enabled = true)
    {
        _options.ManualPolling = enabled;
        return this;
    }

    /// <summary>The clock the stack reads (a manual one for simulations). Default <see cref="TimeProvider.System"/>.</summary>
    public NetstackBuilder WithTimeProvider(TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(time);
        _time = time;
        return this;
    }

    /// <summary>Adjusts the interface options the settings produce (caches, limits, announcements) before the stack is built.</summary>
    public NetstackBuilder ConfigureInterface(Func<InterfaceOptions, InterfaceOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(configure);
        _configureInterface = configure;
        return this;
    }

    // Runs after whatever ConfigureInterface set: how a ShardedNetwork adjusts each shard's interface.
    internal NetstackBuilder AlsoConfigureInterface(Func<InterfaceOptions, InterfaceOptions> configure)
    {
        var first = _configureInterface;
        _configureInterface = first is null ? configure : options => configure(first(options));
        return this;
    }

    /// <summary>Validates the options, opens the device if the options name one, and starts the stack.</summary>
    /// <exception cref="WirestackException"><see cref="WirestackErrorCode.InvalidArgument"/> naming the bad setting, or the device failed to open.</exception>
    public Netstack Build()
    {
        var interfaceOptions = _options.ToInterfaceOptions(out var ipv4Routes, out var ipv6Routes);
        if (_configureInterface is not null) interfaceOptions = _configureInterface(interfaceOptions);
        if (_device is null && _options.Device == NetstackDeviceKind.None)
            throw new WirestackException(WirestackErrorCode.InvalidArgument, "No device: call UseDevice, UseTap or UsePacketRing, or set NetstackOptions.Device and DeviceName.");
        var device = _device;
        bool owns = _ownsDevice;
        if (device is null)
        {
            owns = true;
            device = NetworkFactory.OpenDevice(_options);
        }
        try
        {
            return new Netstack(device, owns, interfaceOptions, _options, _time, ipv4Routes, ipv6Routes);
        }
        catch
        {
            if (owns) device.Dispose();
            throw;
        }
    }
}
