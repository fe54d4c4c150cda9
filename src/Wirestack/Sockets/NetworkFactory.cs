using Wirestack.Nic;

namespace Wirestack.Sockets;

/// <summary>
/// Turns a <see cref="NetstackOptions"/> (bound from configuration) and a number of stack threads into a running
/// Wirestack network: the one place that opens the device the options name and builds one stack or a
/// <see cref="ShardedNetwork"/> over it.
/// </summary>
internal static class NetworkFactory
{
    /// <summary>
    /// Opens the device <paramref name="options"/> name (<see cref="NetstackOptions.Device"/>, Tap or PacketRing)
    /// and builds a network with <paramref name="queues"/> stack threads: a <see cref="StackNetwork"/> that owns its
    /// one <see cref="Netstack"/> for 1, else a <see cref="ShardedNetwork"/> whose shards all get the same MAC,
    /// addresses, routes and capacities from <paramref name="options"/>. Disposing the network closes the device.
    /// </summary>
    /// <remarks>
    /// With more than one queue each shard gets a kernel queue of its own (<see cref="ShardedNetwork.OpenTap"/>: a
    /// multi-queue TAP; <see cref="ShardedNetwork.OpenPacketRing"/>: an AF_PACKET fanout group), steered by Wirestack's
    /// own eBPF program, with the offloads the options ask for.
    /// </remarks>
    /// <param name="options">The stack's settings; validated here and not changed.</param>
    /// <param name="queues">How many stack threads, 1 to 64.</param>
    /// <exception cref="WirestackException">
    /// <see cref="WirestackErrorCode.InvalidArgument"/> naming the bad setting, or the device failed to open.
    /// </exception>
    internal static INetwork OpenNetwork(NetstackOptions options, int queues)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (queues is < 1 or > 64)
            throw new WirestackException(WirestackErrorCode.InvalidArgument, $"The number of queues is {queues}; a Wirestack network runs 1 to 64 stack threads.");
        if (options.Device == NetstackDeviceKind.None)
            throw new WirestackException(WirestackErrorCode.InvalidArgument, "NetstackOptions.Device is None: name the device to open (Tap or PacketRing) and its DeviceName.");
        options.Validate();
        // A copy each: the builder turns Device to None when it is handed a device, and the caller's options stay as bound.
        var own = new NetstackOptions();
        options.CopyTo(own);
        if (queues == 1) return new StackNetwork(new NetstackBuilder(own).Build(), ownsStack: true);
        void Configure(NetstackBuilder builder) => own.CopyTo(builder.Options);
        try
        {
            return own.Device switch
            {
                NetstackDeviceKind.Tap => ShardedNetwork.OpenTap(TapOptions(own), queues, Configure),
                _ => ShardedNetwork.OpenPacketRing(own.DeviceName!, PacketRingOptions(own), queues, Configure),
            };
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException)
        {
            throw CannotOpen(own, e);
        }
    }

    /// <summary>Opens the one device <paramref name="options"/> name; the caller owns it.</summary>
    /// <exception cref="WirestackException"><see cref="WirestackErrorCode.InvalidArgument"/> saying why the device did not open.</exception>
    internal static INetworkDevice OpenDevice(NetstackOptions options)
    {
        try
        {
            return options.Device switch
            {
                NetstackDeviceKind.Tap => new TapDevice(TapOptions(options)),
                NetstackDeviceKind.PacketRing => PacketRingDevice.Open(options.DeviceName!, PacketRingOptions(options)),
                _ => throw new WirestackException(WirestackErrorCode.InvalidArgument, $"NetstackOptions.Device is {options.Device}; name Tap or PacketRing, or give the device in code."),
            };
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException)
        {
            throw CannotOpen(options, e);
        }
    }

    private static WirestackException CannotOpen(NetstackOptions options, Exception e) =>
        new(WirestackErrorCode.InvalidArgument, $"Cannot open the {options.Device} device '{options.DeviceName}': {e.Message}", e);

    private static TapDeviceOptions TapOptions(NetstackOptions options) =>
        new() { Name = options.DeviceName, Mtu = options.Mtu, Offloads = options.TapOffloads };

    private static PacketRingDeviceOptions PacketRingOptions(NetstackOptions options) => new() { Offloads = options.PacketRingOffloads };
}
