using Wirestack.Nic;
using Wirestack.Wire;

namespace Wirestack.Sockets;

/// <summary>
/// Several <see cref="Netstack"/>s, one per receive queue, presented as one network: thread-per-ring scaling. Every
/// shard has the same MAC and addresses and its own device, stack thread (pinned to a CPU on request), interface,
/// neighbour caches and connection tables; flows are spread over the shards by a hash of their 4-tuple: the NIC's
/// Toeplitz hash, or for the queues of a multi-queue TAP device or an AF_PACKET fanout group (<see cref="OpenTap"/>,
/// <see cref="OpenPacketRing"/>) the one Wirestack's steering program computes in the kernel.
/// </summary>
/// <remarks>
/// <para>
/// What is per shard: the device queue (an <see cref="INetworkDevice"/>), the stack thread, the interface with its
/// caches, timers and TCP and UDP tables, the sockets' rings. What is shared: the MAC and addresses, the
/// <see cref="FlowSteering"/> (read-only after start), and, in software mode, the device and its lock. Where the hash
/// lives: in the NIC when it does RSS (one AF_XDP socket per hardware queue, the steering configured with the NIC's
/// key and indirection table so the two agree), in the kernel (Wirestack's eBPF steering program on a multi-queue TAP
/// device or an AF_PACKET fanout group, with <see cref="FlowSteering.ForKernelQueues"/>), or in <see cref="SoftwareRss"/>, which takes the one receive ring and
/// steers each frame into its shard's ring. With N cores, N shards: each core polls its own queue and touches only
/// its own tables; nothing is locked on the data path but the software mode's shared device.
/// </para>
/// <para>
/// The sockets: <see cref="ListenTcp"/> listens on every shard (each takes the connections its flows bring) and the
/// listener's accept yields from all of them; <see cref="ConnectTcpAsync"/> picks shards in turn and the shard picks
/// a local port whose replies hash back to it; a UDP socket binds the same port on every shard and receives from
/// all of them, and sends each datagram from the shard its flow hashes to. Frames with no flow (ARP, neighbour
/// discovery, ICMP echo, fragments) follow <see cref="FlowSteering"/>'s rules, so ping and fragmented datagrams are
/// answered by shard 0.
/// </para>
/// </remarks>
public sealed partial class ShardedNetwork : INetwork
{
    private readonly Netstack[] _shards;
    private readonly SoftwareRss? _softwareRss;
    private readonly HardwareRss? _hardwareRss;
    private readonly int[] _pinnedCpus;
    private IDisposable? _steeringProgram;
    private int _nextShard = -1;
    private int _disposed;

    /// <summary>
    /// Runs one shard per device in <paramref name="devices"/> (for example one AF_XDP socket per NIC queue), with
    /// <paramref name="steering"/> saying how the NIC spreads flows over them. Each device is wrapped in a
    /// <see cref="HardwareRssQueue"/>, which passes ARP, neighbour discovery and ICMP errors on to every shard.
    /// </summary>
    /// <param name="devices">One device per shard; as many as <paramref name="steering"/>'s shard count.</param>
    /// <param name="steering">The NIC's flow steering (key and indirection table): outgoing connections rely on it.</param>
    /// <param name="configure">Configures each shard's stack alike: MAC, addresses, routes, capacities (not the device).</param>
    /// <param name="pinThreads">Pins shard i's stack thread to the i-th CPU the process may use (modulo their count).</param>
    /// <param name="ownsDevices">Whether disposing the network disposes the devices.</param>
    /// <exception cref="WirestackException"><see cref="WirestackErrorCode.InvalidArgument"/> when the counts differ or a stack cannot be built.</exception>
    public ShardedNetwork(IReadOnlyList<INetworkDevice> devices, FlowSteering steering, Action<NetstackBuilder> configure, bool pinThreads = false, bool ownsDevices = true)
        : this(Wrap(devices, steering, ownsDevices), steering, configure, pinThreads)
    {
    }

    private ShardedNetwork(HardwareRss hardwareRss, FlowSteering steering, Action<NetstackBuilder> configure, bool pinThreads)
        : this([.. hardwareRss.Queues], steering, configure, pinThreads, hardwareRss, null)
    {
    }

    private ShardedNetwork(IReadOnlyList<INetworkDevice> devices, FlowSteering steering, Action<NetstackBuilder> configure, bool pinThreads,
        HardwareRss? hardwareRss, SoftwareRss? softwareRss)
    {
        ArgumentNullException.ThrowIfNull(configure);
        Steering = steering;
        _softwareRss = softwareRss;
        _hardwareRss = hardwareRss;
        _shards = new Netstack[devices.Count];
        _pinnedCpus = new int[devices.Count];
        Array.Fill(_pinnedCpus, -1);
        try
        {
            int[] cpus = pinThreads ? ThreadAffinity.AllowedCpus() : [];
            for (int i = 0; i < _shards.Length; i++)
            {
                var builder = new NetstackBuilder();
                configure(builder);
                // Every shard sees ARP requests and neighbour solicitations (shard 0 always, the rest as copies), and
                // all learn from them; shard 0 alone answers and announces, so a neighbour gets one answer, not N.
                if (i != steering.ControlShard)
                    builder.AlsoConfigureInterface(static o => o with { AnswersNeighborRequests = false, AnnounceAddresses = false });
                builder.UseDevice(devices[i], ownsDevice: false);
                var stack = builder.Build();
                _shards[i] = stack;
                stack.ConnectPorts = new ShardPortSelector(steering, i);
                if (cpus.Length > 0 && !stack.Options.ManualPolling)
                {
                    int cpu = cpus[i % cpus.Length];
                    var pin = new PinStackThreadCommand(cpu);
                    stack.Post(pin);
                    stack.Wait(pin.Completion.Task, $"Pinning shard {i} to CPU {cpu}");
                    if (pin.Completion.Task.Result) _pinnedCpus[i] = cpu;
                }
            }
        }
        catch
        {
            DisposeShards();
            throw;
        }
    }

    /// <summary>
    /// Shares one device among <paramref name="shardCount"/> shards by software RSS (<see cref="Nic.SoftwareRss"/>): for
    /// a device with one queue (TAP, AF_PACKET, a pipe), or a NIC whose hash is not known.
    /// </summary>
    /// <param name="device">The device.</param>
    /// <param name="shardCount">How many shards, 1 to 64; usually the number of cores to use.</param>
    /// <param name="configure">Configures each shard's stack alike: MAC, addresses, routes, capacities (not the device).</param>
    /// <param name="pinThreads">Pins shard i's stack thread to the i-th CPU the process may use (modulo their count).</param>
    /// <param name="ownsDevice">Whether disposing the network disposes the device.</param>
    /// <param name="queueRingSize">Frames each shard's receive ring holds, a power of two.</param>
    /// <exception cref="WirestackException"><see cref="WirestackErrorCode.InvalidArgument"/> naming the bad argument.</exception>
    public static ShardedNetwork Create(INetworkDevice device, int shardCount, Action<NetstackBuilder> configure, bool pinThreads = false, bool ownsDevice = true,
        int queueRingSize = 1024)
    {
        ArgumentNullException.ThrowIfNull(device);
        if (shardCount is < 1 or > 64)
            throw new WirestackException(WirestackErrorCode.InvalidArgument, $"A sharded network has 1 to 64 shards, not {shardCount}.");
        if (queueRingSize < 64 || (queueRingSize & (queueRingSize - 1)) != 0)
            throw new WirestackException(WirestackErrorCode.InvalidArgument, $"The queue ring size is {queueRingSize}; it must be a power of two, at least 64.");
        var rss = new SoftwareRss(device, new FlowSteering(shardCount), queueRingSize, ownsDevice);
        try
        {
            return new ShardedNetwork([.. rss.Queues], rss.Steering, configure, pinThreads, null, rss);
        }
        catch
        {
            rss.Dispose();
            throw;
        }
    }

    /// <summary>The shards' stacks, in shard order (shard i receives the flows the steering maps to i).</summary>
    public IReadOnlyList<Netstack> Shards => _shards;

    /// <summary>How flows map to shards.</summary>
    public FlowSteering Steering { get; }

    /// <summary>The software steering when the shards share one device; null with one device per shard.</summary>
    public SoftwareRss? SoftwareRss => _softwareRss;

    /// <summary>The per-queue devices when the NIC steers (one device per shard); null in software mode.</summary>
    public HardwareRss? HardwareRss => _hardwareRss;

    /// <summary>The CPU each shard's stack thread is pinned to, or -1 when it is not pinned.</summary>
    public IReadOnlyList<int> PinnedCpus => _pinnedCpus;

    /// <inheritdoc />
    public string Name => "wirestack";

    /// <inheritdoc />
    public bool SupportsMulticast => true;

    /// <summary>Creates a UDP socket that binds on every shard.</summary>
    /// <inheritdoc />
    public IUdpSocket CreateUdpSocket()
    {
        ThrowIfDisposed();
        return new ShardedUdpSocket(this);
    }

    /// <summary>Listens on every shard; the listener accepts from all of them.</summary>
    /// <inheritdoc />
    public ITcpListener ListenTcp(IpEndpoint localEndPoint, int backlog = 128) => ListenTcpOnShards(localEndPoint, backlog);

    /// <summary>Listens on every shard at <paramref name="localEndPoint"/> (port 0: the port shard 0 picks), <paramref name="backlog"/> per shard.</summary>
    /// <exception cref="WirestackException">As <see cref="Netstack.ListenTcp"/>: the port must be free on every shard.</exception>
    public ShardedTcpListener ListenTcpOnShards(IpEndpoint localEndPoint, int backlog = 128)
    {
        ThrowIfDisposed();
        var listeners = new List<TcpListener>(_shards.Length);
        try
        {
            var first = _shards[0].ListenTcp(localEndPoint, backlog);
            listeners.Add(first);
            var endPoint = new IpEndpoint(localEndPoint.Address, first.LocalEndPoint.Port);
            for (int i = 1; i < _shards.Length; i++) listeners.Add(_shards[i].ListenTcp(endPoint, backlog));
        }
        catch
        {
            foreach (var listener in listeners) listener.Dispose();
            throw;
        }
        return new ShardedTcpListener([.. listeners], backlog);
    }

    /// <summary>Connects from the next shard in turn, on a local port whose replies come back to that shard.</summary>
    /// <inheritdoc />
    public async ValueTask<ITcpConnection> ConnectTcpAsync(IpEndpoint remoteEndPoint, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        ThrowIfDisposed();
        int shard = (int)((uint)Interlocked.Increment(ref _nextShard) % (uint)_shards.Length);
        return await _shards[shard].ConnectAsync(remoteEndPoint, timeout, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The shard whose stack serves <paramref name="connection"/>, or -1 when it is not one of this network's.</summary>
    public int ShardOf(TcpConnection connection)
    {
        ArgumentNullException.ThrowIfNull(connection);
        for (int i = 0; i < _shards.Length; i++)
            if (ReferenceEquals(connection.Core.Stack, _shards[i])) return i;
        return -1;
    }

    /// <summary>
    /// Stops every shard (sockets fail with <see cref="WirestackErrorCode.Closed"/>), then the shared steering and the
    /// devices it owns, then the kernel steering program's descriptor, if this network loaded one.
    /// </summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        DisposeShards();
    }

    /// <inheritdoc cref="Dispose"/>
    public ValueTask DisposeAsync()
    {
        Dispose();
        return ValueTask.CompletedTask;
    }

    internal bool IsDisposed => Volatile.Read(ref _disposed) != 0;

    private void DisposeShards()
    {
        foreach (var stack in _shards) stack?.Dispose();
        _softwareRss?.Dispose();
        _hardwareRss?.Dispose();
        // After the queues: the kernel holds its own reference to an attached program, so this only closes the fd.
        _steeringProgram?.Dispose();
    }

    private static HardwareRss Wrap(IReadOnlyList<INetworkDevice> devices, FlowSteering steering, bool ownsDevices)
    {
        ArgumentNullException.ThrowIfNull(devices);
        ArgumentNullException.ThrowIfNull(steering);
        if (devices.Count != steering.ShardCount)
            throw new WirestackException(WirestackErrorCode.InvalidArgument, $"{devices.Count} devices for a steering over {steering.ShardCount} shards: give one device per shard.");
        return new HardwareRss(devices, steering, ownsDevices);
    }

    private void ThrowIfDisposed()
    {
        if (IsDisposed) throw new WirestackException(WirestackErrorCode.Closed, "The sharded network is disposed.");
    }
}
