using Wirestack.Iface;
using Wirestack.Wire;

namespace Wirestack.Cli.Hosting;

/// <summary>
/// One stack on one real device, as the command line describes it: the device, the addresses, the gateway, the
/// MAC and the MTU. Shared by every command that runs a stack on a device (ping, serve, mcast).
/// </summary>
internal sealed record HostOptions
{
    /// <summary>The device to open.</summary>
    public required DeviceSpec Device { get; init; }

    /// <summary>The stack's IPv4 address and prefix.</summary>
    public required Ipv4InterfaceAddress Ipv4 { get; init; }

    /// <summary>The stack's global IPv6 address and prefix, if any (the link-local address is always there).</summary>
    public Ipv6InterfaceAddress? Ipv6 { get; init; }

    /// <summary>The IPv4 default gateway, if any.</summary>
    public Ipv4Address? Gateway { get; init; }

    /// <summary>The IPv6 default gateway, if any.</summary>
    public Ipv6Address? Ipv6Gateway { get; init; }

    /// <summary>The stack's MAC address; null picks a random locally administered one.</summary>
    public MacAddress? Mac { get; init; }

    /// <summary>The MTU to ask the device for; null keeps the device's own.</summary>
    public int? Mtu { get; init; }

    /// <summary>
    /// How many kernel queues, each with a stack thread of its own (--queues); 1 runs one stack on one device. More
    /// than one opens a <see cref="Sockets.ShardedNetwork"/> over a multi-queue TAP or an AF_PACKET fanout group.
    /// </summary>
    public int Queues { get; init; } = 1;

    /// <summary>The interface options these describe, with <paramref name="mac"/> as the MAC address.</summary>
    public InterfaceOptions ToInterfaceOptions(MacAddress mac) => new()
    {
        MacAddress = mac,
        Ipv4Addresses = [Ipv4],
        DefaultGateway = Gateway,
        Ipv6Addresses = Ipv6 is { } v6 ? [v6] : [],
        Ipv6DefaultGateway = Ipv6Gateway,
        RandomSeed = (ulong)Random.Shared.NextInt64(),
    };

    /// <summary>A random unicast, locally administered MAC address (02:xx:...), so that it never clashes with a vendor's.</summary>
    public static MacAddress RandomMac()
    {
        Span<byte> bytes = stackalloc byte[6];
        Random.Shared.NextBytes(bytes);
        bytes[0] = (byte)((bytes[0] & 0xFC) | 0x02);
        return MacAddress.Read(bytes);
    }
}
