using System.Net;
using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.Logging;
using Wirestack.Sockets;

namespace Wirestack.AspNetCore;

/// <summary>
/// Kestrel's listener for one endpoint on a <see cref="Netstack"/> or on every shard of a <see cref="ShardedNetwork"/>:
/// accepts Wirestack TCP connections and hands them over as <see cref="ConnectionContext"/>s. <see cref="UnbindAsync"/> stops listening (connections not yet accepted
/// are reset, those accepted go on); <see cref="AcceptAsync"/> then returns null, as Kestrel expects.
/// </summary>
internal sealed partial class WirestackConnectionListener : IConnectionListener
{
    private readonly ITcpListener _listener;
    // Exactly one is set; typed, so that accepting yields the stack's own TcpConnection (its pipe is what Kestrel gets).
    private readonly TcpListener? _single;
    private readonly ShardedTcpListener? _sharded;
    private readonly WirestackConnectionListenerFactory _factory;
    private readonly ILogger _logger;
    private int _unbound;

    public WirestackConnectionListener(ITcpListener listener, WirestackConnectionListenerFactory factory, ILogger logger)
    {
        _listener = listener;
        _single = listener as TcpListener;
        _sharded = listener as ShardedTcpListener;
        if (_single is null && _sharded is null)
            throw new ArgumentException($"A {listener.GetType().Name} does not yield Wirestack connections; give a TcpListener or a ShardedTcpListener.", nameof(listener));
        _factory = factory;
        _logger = logger;
        EndPoint = listener.LocalEndPoint.ToIPEndPoint();
    }

    public EndPoint EndPoint { get; }

    internal WirestackTransportOptions Options => _factory.Options;

    public async ValueTask<ConnectionContext?> AcceptAsync(CancellationToken cancellationToken = default)
    {
        while (true)
        {
            TcpConnection connection;
            try
            {
                connection = _sharded is not null
                    ? await _sharded.AcceptAsync(cancellationToken).ConfigureAwait(false)
                    : await _single!.AcceptAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (WirestackException e) when (e.ErrorCode == WirestackErrorCode.Closed)
            {
                return null; // unbound, or the stack closed
            }
            if (Volatile.Read(ref _unbound) != 0)
            {
                // Accepted in the instant the listener was closed: Kestrel is no longer taking connections.
                connection.Abort();
                return null;
            }
            _factory.OnAccepted();
            try
            {
                connection.NoDelay = Options.NoDelay;
                return new WirestackConnectionContext(connection, this);
            }
            catch (WirestackException e)
            {
                // The connection was reset between the stack accepting it and now; wait for the next one.
                _factory.OnReleased();
                connection.Abort();
                Log.AcceptedConnectionLost(_logger, EndPoint, e);
            }
        }
    }

    public ValueTask UnbindAsync(CancellationToken cancellationToken = default)
    {
        if (Interlocked.Exchange(ref _unbound, 1) == 0) _listener.Dispose();
        return ValueTask.CompletedTask;
    }

    public ValueTask DisposeAsync() => UnbindAsync();

    internal void OnConnectionReleased() => _factory.OnReleased();

    internal void OnCallbackFailed(string connectionId, Exception e) => Log.ConnectionClosedCallbackFailed(_logger, connectionId, e);

    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Debug, "A connection accepted on {EndPoint} was lost before Kestrel took it.")]
        public static partial void AcceptedConnectionLost(ILogger logger, EndPoint endPoint, Exception exception);

        [LoggerMessage(2, LogLevel.Warning, "A ConnectionClosed callback of connection {ConnectionId} threw.")]
        public static partial void ConnectionClosedCallbackFailed(ILogger logger, string connectionId, Exception exception);
    }
}
