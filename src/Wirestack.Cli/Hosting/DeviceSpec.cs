using System.Globalization;
using Wirestack.Nic;
using Wirestack.Sockets;

namespace Wirestack.Cli.Hosting;

/// <summary>
/// Which device a command opens, as written on the command line: "tap:NAME", "packet:IFACE" or
/// "xdp:IFACE[:QUEUE]".
/// </summary>
internal readonly record struct DeviceSpec(DeviceKind Kind, string Name, int Queue = 0)
{
    /// <summary>The forms <see cref="Parse"/> takes, for messages.</summary>
    public const string Forms = "tap:NAME, packet:IFACE or xdp:IFACE[:QUEUE]";

    // Linux's IFNAMSIZ less the terminating NUL.
    private const int MaxNameLength = 15;

    /// <summary>Parses a device spec.</summary>
    /// <exception cref="FormatException">The text is not one of <see cref="Forms"/>; the message says why and what to write.</exception>
    public static DeviceSpec Parse(string text) =>
        TryParse(text, out var spec, out string? error) ? spec : throw new FormatException(error);

    /// <summary>Parses a device spec; on failure <paramref name="error"/> says why and what to write instead.</summary>
    public static bool TryParse(string? text, out DeviceSpec spec, [System.Diagnostics.CodeAnalysis.NotNullWhen(false)] out string? error)
    {
        spec = default;
        if (string.IsNullOrWhiteSpace(text))
        {
            error = $"the device is empty; give {Forms}.";
            return false;
        }
        int colon = text.IndexOf(':', StringComparison.Ordinal);
        if (colon < 0)
        {
            error = $"device '{text}' has no kind; write tap:{text}, packet:{text} or xdp:{text}.";
            return false;
        }
        string kindText = text[..colon];
        string rest = text[(colon + 1)..];
        DeviceKind kind;
        switch (kindText.ToLowerInvariant())
        {
            case "tap": kind = DeviceKind.Tap; break;
            case "packet": kind = DeviceKind.PacketRing; break;
            case "xdp": kind = DeviceKind.Xdp; break;
            default:
                error = $"unknown device kind '{kindText}' in '{text}'; use {Forms}.";
                return false;
        }
        int queue = 0;
        string name = rest;
        if (kind == DeviceKind.Xdp)
        {
            int queueColon = rest.IndexOf(':', StringComparison.Ordinal);
            if (queueColon >= 0)
            {
                name = rest[..queueColon];
                string queueText = rest[(queueColon + 1)..];
                if (!int.TryParse(queueText, NumberStyles.None, CultureInfo.InvariantCulture, out queue))
                {
                    error = $"the queue in '{text}' is '{queueText}'; write a queue number from 0, as in xdp:{name}:0.";
                    return false;
                }
            }
        }
        if (!IsValidInterfaceName(name, out string? why))
        {
            error = $"the interface name in '{text}' {why}";
            return false;
        }
        spec = new DeviceSpec(kind, name, queue);
        error = null;
        return true;
    }

    /// <summary>
    /// Opens the device; the caller owns it. A TAP device exchanges TCP segments of up to 64 KiB with the kernel
    /// (<see cref="TapDeviceOptions.Offloads"/>), as a Netstack opens one by default: the pcap recorder records such a
    /// segment as one frame, as a capture on a TSO interface shows it, so --pcap needs no exception. So does an AF_PACKET
    /// device (<see cref="PacketRingDeviceOptions.Offloads"/>); where the interface has no TSO, the kernel cuts its 64 KiB
    /// segments in software on the queueing discipline's path, and the capture still holds them whole. Its rings keep 1024 frames of 64 KiB (128 MiB): with
    /// 256, a flood of small UDP datagrams on a veth lost 65 % against 9 %.
    /// </summary>
    /// <param name="mtu">The MTU to ask for, or null for the device's own.</param>
    /// <exception cref="UnauthorizedAccessException">The process lacks the privileges the device needs.</exception>
    /// <exception cref="IOException">The device could not be opened; the message says what to do.</exception>
    /// <exception cref="ArgumentException">An option is out of range for this device.</exception>
    public INetworkDevice Open(int? mtu) => Kind switch
    {
        DeviceKind.Tap => new TapDevice(TapOptions(mtu)),
        DeviceKind.PacketRing => PacketRingDevice.Open(Name, PacketRingOptions(mtu)),
        _ => XdpDevice.Open(Name, new XdpDeviceOptions { Mtu = mtu, QueueId = Queue }),
    };

    /// <summary>
    /// Opens <paramref name="queues"/> kernel queues of a tap: or packet: device, each with the options
    /// <see cref="Open"/> gives its one device, and runs a shard on each (<see cref="ShardedNetwork.OpenTap"/>,
    /// <see cref="ShardedNetwork.OpenPacketRing"/>); the network owns the queues.
    /// </summary>
    /// <param name="mtu">The MTU to ask for, or null for the device's own.</param>
    /// <param name="queues">How many queues and shards, 1 to 64.</param>
    /// <param name="configure">Configures each shard's stack alike (MAC, addresses, gateways).</param>
    /// <exception cref="InvalidOperationException">The device is xdp:, which names one NIC queue.</exception>
    /// <exception cref="UnauthorizedAccessException">The process lacks the privileges the device or the steering program needs.</exception>
    /// <exception cref="IOException">The device could not be opened; the message says what to do.</exception>
    public ShardedNetwork OpenSharded(int? mtu, int queues, Action<NetstackBuilder> configure) => Kind switch
    {
        DeviceKind.Tap => ShardedNetwork.OpenTap(TapOptions(mtu), queues, configure),
        DeviceKind.PacketRing => ShardedNetwork.OpenPacketRing(Name, PacketRingOptions(mtu), queues, configure),
        _ => throw new InvalidOperationException($"{this} is one NIC queue; it has no kernel queues to shard over."),
    };

    // One place for each kind's options, so that one queue and many open alike.
    private TapDeviceOptions TapOptions(int? mtu) => new() { Name = Name, Mtu = mtu ?? 1500, Offloads = true };

    private PacketRingDeviceOptions PacketRingOptions(int? mtu) => new() { Mtu = mtu, Offloads = true, RingSize = 1024 };

    /// <inheritdoc />
    public override string ToString() => Kind switch
    {
        DeviceKind.Tap => $"tap:{Name}",
        DeviceKind.PacketRing => $"packet:{Name}",
        _ => $"xdp:{Name}:{Queue}",
    };

    private static bool IsValidInterfaceName(string name, [System.Diagnostics.CodeAnalysis.NotNullWhen(false)] out string? why)
    {
        why = null;
        if (name.Length == 0) why = "is empty; name the interface, as in tap:ws0.";
        else if (name.Length > MaxNameLength) why = $"is {name.Length} characters; Linux allows at most {MaxNameLength}.";
        else if (name is "." or "..") why = $"'{name}' is reserved.";
        else
        {
            foreach (char c in name)
            {
                // The kernel refuses '/', ':' and white space in interface names (dev_valid_name).
                if (c == '/' || c == ':' || char.IsWhiteSpace(c) || c > '\x7e' || c < '\x21')
                {
                    why = $"'{name}' contains '{c}', which Linux does not allow in interface names.";
                    break;
                }
            }
        }
        return why is null;
    }
}
