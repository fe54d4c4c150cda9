using System.Net;
using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Wirestack.Sockets;
using Wirestack.Wire;

namespace Wirestack.AspNetCore;

/// <summary>
/// Kestrel's transport over Wirestack: binds IP endpoints on a <see cref="Sockets.Netstack"/> or on every shard of a
/// <see cref="ShardedNetwork"/> instead of kernel sockets. Register it with
/// <see cref="WebHostBuilderWirestackExtensions.UseWirestack"/>. The network is built from
/// <see cref="WirestackTransportOptions.Netstack"/> and <see cref="WirestackTransportOptions.Queues"/> on the first bind
/// (or is the one given in <see cref="WirestackTransportOptions.Network"/> or <see cref="WirestackTransportOptions.Stack"/>)
/// and is shared by every endpoint.
/// </summary>
public sealed class WirestackConnectionListenerFactory : IConnectionListenerFactory, IConnectionListenerFactorySelector, IAsyncDisposable, IDisposable
{
    private readonly ILoggerFactory _loggers;
    private readonly Lock _lock = new();
    private INetwork? _network;
    private Netstack? _stack;
    private ShardedNetwork? _sharded;
    private Netstack[] _stacks = [];
    private bool _ownsNetwork;
    private long _accepted;
    private long _open;
    private int _disposed;

    /// <summary>Makes the factory from its options (validated at the first bind).</summary>
    public WirestackConnectionListenerFactory(IOptions<WirestackTransportOptions> options, ILoggerFactory? loggerFactory = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        Options = options.Value;
        _loggers = loggerFactory ?? NullLoggerFactory.Instance;
    }

    /// <summary>The transport's options.</summary>
    public WirestackTransportOptions Options { get; }

    /// <summary>The stack Kestrel listens on, once the first endpoint is bound; null on a <see cref="ShardedNetwork"/> (see <see cref="Stacks"/>).</summary>
    public Netstack? Stack
    {
        get
        {
            lock (_lock) return _stack;
        }
    }

    /// <summary>
    /// The network Kestrel listens on, once the first endpoint is bound: the <see cref="ShardedNetwork"/> or
    /// <see cref="StackNetwork"/> given or built, or a <see cref="StackNetwork"/> around a given <see cref="Stack"/>.
    /// </summary>
    public INetwork? Network
    {
        get
        {
            lock (_lock) return _network;
        }
    }

    /// <summary>Every stack (stack thread) Kestrel's connections run on: the one stack, or the shards in shard order; empty before the first bind.</summary>
    public IReadOnlyList<Netstack> Stacks
    {
        get
        {
            lock (_lock) return _stacks;
        }
    }

    /// <summary>Connections accepted and handed to Kestrel since the start.</summary>
    public long AcceptedConnections => Interlocked.Read(ref _accepted);

    /// <summary>Connections handed to Kestrel and not yet released by it.</summary>
    public long OpenConnections => Interlocked.Read(ref _open);

    /// <summary>Wirestack serves IP endpoints; Unix sockets and named pipes stay with their own transports.</summary>
    public bool CanBind(EndPoint endpoint) => endpoint is IPEndPoint;

    /// <summary>Listens on <paramref name="endpoint"/> on the stack, or on every shard (building the network first if needed).</summary>
    /// <exception cref="NotSupportedException">The endpoint is not an <see cref="IPEndPoint"/>.</exception>
    /// <exception cref="WirestackException">The options are invalid, the device cannot be opened, or the address is not the stack's.</exception>
    public ValueTask<IConnectionListener> BindAsync(EndPoint endpoint, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        if (endpoint is not IPEndPoint ip)
            throw new NotSupportedException($"Wirestack listens on IP endpoints only, not on {endpoint.GetType().Name} '{endpoint}'.");
        var (stack, sharded) = GetOrBuildNetwork();
        var local = IpEndpoint.FromIPEndPoint(ip);
        ITcpListener listener;
        try
        {
            // Both yield the stack's own TcpConnection, whose duplex pipe the connection context hands to Kestrel.
            listener = sharded is not null ? sharded.ListenTcpOnShards(local, Options.Backlog) : stack!.ListenTcp(local, Options.Backlog);
        }
        catch (WirestackException e) when (e.ErrorCode == WirestackErrorCode.AddressNotAvailable)
        {
            throw new WirestackException(e.ErrorCode,
                $"Kestrel asked Wirestack to listen on {ip}, which is not an address of the stack ({DescribeAddresses(sharded?.Shards[0] ?? stack!)}). " +
                "Listen on http://0.0.0.0:PORT (IPv4), http://[::]:PORT or http://*:PORT (both families), or on one of the stack's addresses; " +
                "'localhost' means the kernel's loopback, which Wirestack does not serve.", e);
        }
        catch (WirestackException e) when (e.ErrorCode == WirestackErrorCode.AddressInUse)
        {
            // Kestrel recognises an address in use by this exception type and says so in its own words.
            throw new AddressInUseException(e.Message, e);
        }
        return ValueTask.FromResult<IConnectionListener>(new WirestackConnectionListener(listener, this, _loggers.CreateLogger<WirestackConnectionListener>()));
    }

    /// <summary>Disposes the network if the transport built it (after Kestrel stopped, when the host disposes its services).</summary>
    public ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return ValueTask.CompletedTask;
        INetwork? network;
        lock (_lock)
        {
            network = _ownsNetwork ? _network : null;
        }
        return network?.DisposeAsync() ?? ValueTask.CompletedTask;
    }

    /// <inheritdoc cref="DisposeAsync"/>
    public void Dispose() => DisposeAsync().AsTask().GetAwaiter().GetResult();

    internal void OnAccepted()
    {
        Interlocked.Increment(ref _accepted);
        Interlocked.Increment(ref _open);
    }

    internal void OnReleased() => Interlocked.Decrement(ref _open);

    // One of the two is set: the stack, or the sharded network whose shards each listen.
    private (Netstack? Stack, ShardedNetwork? Sharded) GetOrBuildNetwork()
    {
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_disposed != 0, this);
            if (_network is not null) return (_stack, _sharded);
            Options.Validate();
            if (Options.Stack is { } givenStack)
            {
                Adopt(new StackNetwork(givenStack, ownsStack: false), owns: false);
            }
            else if (Options.Network is { } givenNetwork)
            {
                Adopt(givenNetwork, owns: false);
            }
            else
            {
                Adopt(NetworkFactory.OpenNetwork(Options.Netstack, Options.Queues), owns: true);
            }
            return (_stack, _sharded);
        }
    }

    private void Adopt(INetwork network, bool owns)
    {
        _network = network;
        _ownsNetwork = owns;
        if (network is ShardedNetwork sharded)
        {
            _sharded = sharded;
            _stacks = [.. sharded.Shards];
        }
        else
        {
            // Validate let only a ShardedNetwork or a StackNetwork through.
            _stack = ((StackNetwork)network).Stack;
            _stacks = [_stack];
        }
    }

    private static string DescribeAddresses(Netstack stack)
    {
        var options = stack.Options;
        var all = new List<string>(options.Ipv4Addresses);
        all.AddRange(options.Ipv6Addresses);
        return all.Count == 0 ? "it has none configured" : string.Join(", ", all);
    }
}
