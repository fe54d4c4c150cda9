using Wirestack.Nic;
using Wirestack.Nic.Linux;

namespace Wirestack.Sockets;

// Shards over kernel queues: a multi-queue TAP device or an AF_PACKET fanout group, steered by Wirestack's own eBPF
// program so that FlowSteering.ForKernelQueues knows where every flow lands (which outgoing connections rely on).
public sealed partial class ShardedNetwork
{
    /// <summary>The most shards a network has.</summary>
    public const int MaxShards = 64;

    /// <summary>
    /// Opens a multi-queue TAP interface with <paramref name="queues"/> queues (IFF_MULTI_QUEUE, one
    /// <see cref="TapDevice"/> per queue) and runs one shard per queue. Wirestack's steering program, attached to the
    /// interface (TUNSETSTEERINGEBPF), makes the kernel put every TCP and UDP flow on the queue
    /// <see cref="FlowSteering.ForKernelQueues"/> predicts, both directions alike and for as long as the flow lives (the
    /// TAP driver's own steering forgets a flow idle for 3 s); ARP, ICMP, fragments and the rest go to queue 0, and
    /// each queue passes ARP, neighbour discovery and ICMP errors on to the others (<see cref="Nic.HardwareRss"/>).
    /// </summary>
    /// <param name="options">
    /// The interface as for a <see cref="TapDevice"/> (name, MTU, offloads, ring sizes; null for the defaults); each queue
    /// opens with these and <see cref="TapDeviceOptions.MultiQueue"/> set. Null or no name lets the kernel pick one,
    /// which <see cref="InterfaceName"/> tells.
    /// </param>
    /// <param name="queues">How many queues and shards, 1 to 64; usually the number of cores to use.</param>
    /// <param name="configure">Configures each shard's stack alike: MAC, addresses, routes, capacities (not the device).</param>
    /// <param name="pinThreads">Pins shard i's stack thread to the i-th CPU the process may use (modulo their count).</param>
    /// <exception cref="WirestackException"><see cref="WirestackErrorCode.InvalidArgument"/> for a queue count out of range, or a stack that cannot be built.</exception>
    /// <exception cref="ArgumentException">An option is out of range; the message names it.</exception>
    /// <exception cref="UnauthorizedAccessException">The process lacks CAP_NET_ADMIN (the TAP device) or CAP_BPF (the program).</exception>
    /// <exception cref="IOException">The kernel refused a step: the name belongs to another kind of device, the MTU, the program.</exception>
    public static ShardedNetwork OpenTap(TapDeviceOptions? options, int queues, Action<NetstackBuilder> configure, bool pinThreads = false)
    {
        ArgumentNullException.ThrowIfNull(configure);
        ValidateQueues(queues);
        options = (options ?? new TapDeviceOptions()) with { MultiQueue = true };
        var devices = new List<INetworkDevice>(queues);
        FlowSteeringProgram? program = null;
        try
        {
            var first = new TapDevice(options);
            devices.Add(first);
            // The rest attach to the interface the first made (or found); persistence is the interface's, set once.
            var more = options with { Name = first.Name, Persistent = false };
            for (int i = 1; i < queues; i++) devices.Add(new TapDevice(more));
            program = FlowSteeringProgram.Load();
            first.AttachSteeringProgram(program.Fd);
            return Open(devices, program, first.Name, configure, pinThreads);
        }
        catch
        {
            // Closing the last queue of a non-persistent interface deletes it.
            foreach (var device in devices) device.Dispose();
            program?.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Opens <paramref name="queues"/> AF_PACKET sockets with memory-mapped rings (<see cref="PacketRingDevice"/>) on
    /// <paramref name="interfaceName"/>, joined into one fanout group, and runs one shard per socket. Wirestack's
    /// steering program is the group's (PACKET_FANOUT_EBPF): the kernel hands every received TCP and UDP flow to the
    /// socket <see cref="FlowSteering.ForKernelQueues"/> predicts, both directions alike; ARP, ICMP, fragments and the
    /// rest go to socket 0, and each shard passes ARP, neighbour discovery and ICMP errors on to the others
    /// (<see cref="Nic.HardwareRss"/>). Each socket transmits through its own ring; the group never receives what its
    /// sockets (or this host) send.
    /// </summary>
    /// <param name="interfaceName">An existing interface, for example the host end of a veth pair.</param>
    /// <param name="options">Each socket's rings and modes (null for the defaults): the memory is per socket.</param>
    /// <param name="queues">How many sockets and shards, 1 to 64; usually the number of cores to use.</param>
    /// <param name="configure">Configures each shard's stack alike: MAC, addresses, routes, capacities (not the device).</param>
    /// <param name="pinThreads">Pins shard i's stack thread to the i-th CPU the process may use (modulo their count).</param>
    /// <exception cref="WirestackException"><see cref="WirestackErrorCode.InvalidArgument"/> for a queue count out of range, or a stack that cannot be built.</exception>
    /// <exception cref="ArgumentException">The name or an option is out of range; the message names it.</exception>
    /// <exception cref="UnauthorizedAccessException">The process lacks CAP_NET_RAW (the sockets) or CAP_BPF (the program).</exception>
    /// <exception cref="IOException">The interface does not exist, or the kernel refused a step (the message names it).</exception>
    public static ShardedNetwork OpenPacketRing(string interfaceName, PacketRingDeviceOptions? options, int queues, Action<NetstackBuilder> configure, bool pinThreads = false)
    {
        ArgumentNullException.ThrowIfNull(configure);
        ValidateQueues(queues);
        // Before the program: what is wrong with the arguments says so, not that the process may not load programs.
        ArgumentException.ThrowIfNullOrWhiteSpace(interfaceName);
        options?.Validate();
        var program = FlowSteeringProgram.Load();
        PacketRingDevice[]? devices = null;
        try
        {
            devices = PacketRingDevice.OpenFanout(interfaceName, options, queues, program.Fd);
            return Open(devices, program, interfaceName, configure, pinThreads);
        }
        catch
        {
            if (devices is not null)
                foreach (var device in devices) device.Dispose();
            program.Dispose();
            throw;
        }
    }

    /// <summary>The kernel interface whose queues the shards run on (<see cref="OpenTap"/>, <see cref="OpenPacketRing"/>); null otherwise.</summary>
    public string? InterfaceName { get; private set; }

    private static ShardedNetwork Open(IReadOnlyList<INetworkDevice> devices, FlowSteeringProgram program, string interfaceName, Action<NetstackBuilder> configure, bool pinThreads)
    {
        var steering = FlowSteering.ForKernelQueues(devices.Count);
        // The network owns the devices from here: a failure while building the shards disposes them.
        var network = new ShardedNetwork(devices, steering, configure, pinThreads, ownsDevices: true);
        network._steeringProgram = program;
        network.InterfaceName = interfaceName;
        return network;
    }

    private static void ValidateQueues(int queues)
    {
        if (queues is < 1 or > MaxShards)
            throw new WirestackException(WirestackErrorCode.InvalidArgument, $"A sharded network has 1 to {MaxShards} queues (one shard each), not {queues}.");
    }
}
