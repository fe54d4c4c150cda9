using System.Threading.Channels;
using Wirestack.Wire;

namespace Wirestack.Sockets;

/// <summary>
/// A TCP listener on every shard of a <see cref="ShardedNetwork"/>: each shard accepts the connections its flows
/// bring, and <see cref="AcceptAsync"/> yields them from all shards in the order they were established.
/// </summary>
/// <remarks>
/// One task per shard moves accepted connections into a queue of <c>backlog</c> entries; while it is full, the shards'
/// own backlogs fill and then their listeners answer SYNs with cookies or drop them, as one listener would.
/// </remarks>
public sealed class ShardedTcpListener : ITcpListener
{
    private readonly TcpListener[] _listeners;
    private readonly Channel<TcpConnection> _accepted;
    private readonly Task[] _pumps;
    private readonly CancellationTokenSource _stop = new();
    private int _disposed;

    internal ShardedTcpListener(TcpListener[] listeners, int backlog)
    {
        _listeners = listeners;
        _accepted = Channel.CreateBounded<TcpConnection>(new BoundedChannelOptions(backlog) { SingleWriter = false, SingleReader = false });
        _pumps = new Task[listeners.Length];
        for (int i = 0; i < listeners.Length; i++) _pumps[i] = PumpAsync(listeners[i]);
        _ = Task.WhenAll(_pumps).ContinueWith(static (_, state) => ((Channel<TcpConnection>)state!).Writer.TryComplete(), _accepted,
            CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
    }

    /// <summary>The local address and port, the same on every shard.</summary>
    public IpEndpoint LocalEndPoint => _listeners[0].LocalEndPoint;

    /// <summary>The per-shard listeners, in shard order.</summary>
    public IReadOnlyList<TcpListener> Listeners => _listeners;

    /// <summary>Waits for the next connection established on any shard.</summary>
    /// <param name="cancellationToken">Ends the wait with <see cref="OperationCanceledException"/>; no connection is lost.</param>
    /// <exception cref="WirestackException"><see cref="WirestackErrorCode.Closed"/> when the listener or the network is closed.</exception>
    public async ValueTask<TcpConnection> AcceptAsync(CancellationToken cancellationToken = default)
    {
        try
        {
            return await _accepted.Reader.ReadAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (ChannelClosedException)
        {
            throw new WirestackException(WirestackErrorCode.Closed, $"The sharded TCP listener on {LocalEndPoint} is closed.");
        }
    }

    async ValueTask<ITcpConnection> ITcpListener.AcceptAsync(CancellationToken cancellationToken) =>
        await AcceptAsync(cancellationToken).ConfigureAwait(false);

    /// <summary>Stops listening on every shard; connections accepted but not yet taken are reset. Idempotent.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        _stop.Cancel();
        foreach (var listener in _listeners) listener.Dispose();
        _accepted.Writer.TryComplete();
        while (_accepted.Reader.TryRead(out var waiting)) waiting.Abort();
    }

    /// <inheritdoc />
    public override string ToString() => $"TCP listener {LocalEndPoint} on {_listeners.Length} shards";

    private async Task PumpAsync(TcpListener listener)
    {
        // Off the caller's thread: the first accept may complete synchronously.
        await Task.Yield();
        var token = _stop.Token;
        try
        {
            while (true)
            {
                var connection = await listener.AcceptAsync(token).ConfigureAwait(false);
                try
                {
                    await _accepted.Writer.WriteAsync(connection, token).ConfigureAwait(false);
                }
                catch
                {
                    connection.Abort();
                    throw;
                }
            }
        }
        catch (Exception e) when (e is OperationCanceledException or WirestackException or ChannelClosedException)
        {
            // Stopped: the listener, its stack or this closed.
        }
    }
}
