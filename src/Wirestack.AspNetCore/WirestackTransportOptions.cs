using Wirestack.Sockets;

namespace Wirestack.AspNetCore;

/// <summary>
/// How Kestrel runs on Wirestack. <see cref="WebHostBuilderWirestackExtensions.UseWirestack"/> binds the
/// <c>"Wirestack"</c> configuration section into <see cref="Netstack"/> (device, MAC, addresses, gateways, MTU: the keys
/// of <see cref="NetstackOptions"/>) and into this object (<c>Enabled</c>, <c>Queues</c>, <c>Backlog</c>, <c>NoDelay</c>).
/// </summary>
/// <remarks>
/// Kestrel runs on one of three networks, the first given wins: <see cref="Network"/> (a <see cref="ShardedNetwork"/>
/// or a <see cref="StackNetwork"/> the application built), <see cref="Stack"/> (one <see cref="Sockets.Netstack"/> the
/// application built), or, with neither, the network the transport builds from <see cref="Netstack"/> with
/// <see cref="Queues"/> stack threads. Only the last is disposed by the transport.
/// </remarks>
public sealed class WirestackTransportOptions
{
    /// <summary>The configuration section read by default.</summary>
    public const string SectionName = "Wirestack";

    /// <summary>Whether Kestrel listens on Wirestack; false leaves it on kernel sockets. Default true.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>The stack to build when <see cref="Stack"/> is not given; the transport owns and disposes it.</summary>
    public NetstackOptions Netstack { get; set; } = new();

    /// <summary>
    /// How many stack threads the network built from <see cref="Netstack"/> runs (<c>Wirestack:Queues</c>), 1 to 64.
    /// Default 1: one <see cref="Sockets.Netstack"/>. With more, a <see cref="ShardedNetwork"/> of that many shards,
    /// each with its own stack thread, connection tables and the same MAC and addresses, the device's frames spread over
    /// them by the hash of each flow: one kernel queue per shard (a multi-queue TAP, or an AF_PACKET fanout group), which
    /// Wirestack's own eBPF program picks for each frame; usually the number of cores to give the network. Ignored when
    /// <see cref="Stack"/> or <see cref="Network"/> is given.
    /// </summary>
    public int Queues { get; set; } = 1;

    /// <summary>
    /// A stack the application built and owns (for example over an in-process device); when set, <see cref="Netstack"/>
    /// and <see cref="Queues"/> are ignored and the transport does not dispose the stack.
    /// </summary>
    public Netstack? Stack { get; set; }

    /// <summary>
    /// A Wirestack network the application built and owns: a <see cref="ShardedNetwork"/> (several stack threads, each
    /// endpoint listened on every shard) or a <see cref="StackNetwork"/>. When set, <see cref="Netstack"/> and
    /// <see cref="Queues"/> are ignored and the transport does not dispose the network. Not with <see cref="Stack"/>;
    /// kernel sockets are Kestrel's own transport, not this one.
    /// </summary>
    public INetwork? Network { get; set; }

    /// <summary>How many connections may wait for Kestrel to accept them, per endpoint. Default 512.</summary>
    public int Backlog { get; set; } = 512;

    /// <summary>
    /// Whether each connection sends short writes at once (Nagle's rule off, <see cref="TcpConnection.NoDelay"/>),
    /// as Kestrel's socket transport does by default. Default true: with Nagle on, the short tail of a response waits
    /// for the ACK of the short segment before it, which a Linux client delays by up to 40 ms.
    /// </summary>
    public bool NoDelay { get; set; } = true;

    /// <summary>
    /// How long disposing a connection waits for the bytes Kestrel wrote to go into the stack before it resets the
    /// connection instead (a peer that stopped reading must not hold a connection for ever). Default 5 s.
    /// </summary>
    public TimeSpan CloseTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Throws when a setting is wrong, naming it and saying what is allowed.</summary>
    /// <exception cref="WirestackException">With <see cref="WirestackErrorCode.InvalidArgument"/>.</exception>
    public void Validate()
    {
        if (Backlog < 1)
            throw new WirestackException(WirestackErrorCode.InvalidArgument, $"WirestackTransportOptions.Backlog is {Backlog}; it must be at least 1.");
        if (CloseTimeout <= TimeSpan.Zero && CloseTimeout != Timeout.InfiniteTimeSpan)
            throw new WirestackException(WirestackErrorCode.InvalidArgument, $"WirestackTransportOptions.CloseTimeout is {CloseTimeout}; it must be positive (or infinite).");
        if (Queues is < 1 or > 64)
            throw new WirestackException(WirestackErrorCode.InvalidArgument,
                $"WirestackTransportOptions.Queues (Wirestack:Queues) is {Queues}; it must be between 1 and 64: the number of stack threads, usually the number of cores to give the network.");
        if (Stack is not null && Network is not null)
            throw new WirestackException(WirestackErrorCode.InvalidArgument,
                "WirestackTransportOptions.Stack and Network are both set: give the one Kestrel runs on (a Netstack as Stack, or a ShardedNetwork as Network).");
        if (Network is not null and not ShardedNetwork and not StackNetwork)
            throw new WirestackException(WirestackErrorCode.InvalidArgument,
                $"WirestackTransportOptions.Network is a {Network.GetType().Name} ('{Network.Name}'); the Wirestack transport runs on a ShardedNetwork or a StackNetwork. " +
                "For kernel sockets leave the transport off (Wirestack:Enabled=false) and Kestrel uses its own.");
        if (Stack is null && Network is null)
        {
            if (Netstack is null)
                throw new WirestackException(WirestackErrorCode.InvalidArgument, "WirestackTransportOptions.Netstack is null: give the stack's settings (the \"Wirestack\" section) or a built Stack or Network.");
            if (Netstack.Device == NetstackDeviceKind.None)
                throw new WirestackException(WirestackErrorCode.InvalidArgument,
                    "WirestackTransportOptions: no device. Set Wirestack:Device (Tap or PacketRing) and Wirestack:DeviceName in configuration, or give a built Stack or Network.");
            Netstack.Validate();
        }
    }
}
