using System.Threading.Channels;
using Wirestack.Tcp;
using Wirestack.Wire;

namespace Wirestack.Sockets;

/// <summary>
/// Listens for TCP connections on a <see cref="Netstack"/>, from <see cref="Netstack.ListenTcp"/>. Any number of
/// threads may accept at once. Disposing stops listening: connections not yet accepted are reset.
/// </summary>
public sealed class TcpListener : ITcpListener
{
    private readonly Netstack _stack;
    // Written by the stack thread only; bounded by the backlog because the stack accepts only while there is room.
    private readonly Channel<TcpConnection> _accepted = Channel.CreateUnbounded<TcpConnection>(new UnboundedChannelOptions { SingleWriter = true });
    private int _disposed;

    internal TcpListener(Netstack stack, int backlog)
    {
        _stack = stack;
        Backlog = backlog;
    }

    /// <summary>The address and port listened on (the port the stack picked for port 0).</summary>
    public IpEndpoint LocalEndPoint { get; private set; }

    /// <summary>
    /// How many connections may wait, half-open or established but not yet accepted; SYNs beyond it get SYN cookies
    /// while accepted ones make room, and are dropped (the peer retries) when established connections fill it.
    /// </summary>
    public int Backlog { get; }

    internal TcpListenerHandle Handle { get; private set; }

    internal int WaitingCount => _accepted.Reader.Count;

    /// <summary>Waits for the next established connection.</summary>
    /// <param name="cancellationToken">Ends the wait with <see cref="OperationCanceledException"/>; no connection is lost.</param>
    /// <exception cref="WirestackException"><see cref="WirestackErrorCode.Closed"/> when the listener or its stack is closed.</exception>
    public async ValueTask<TcpConnection> AcceptAsync(CancellationToken cancellationToken = default)
    {
        try
        {
            var connection = await _accepted.Reader.ReadAsync(cancellationToken).ConfigureAwait(false);
            _stack.RingDoorbell(); // room in the backlog: the stack may accept the next one
            return connection;
        }
        catch (ChannelClosedException)
        {
            throw ClosedException();
        }
    }

    async ValueTask<ITcpConnection> ITcpListener.AcceptAsync(CancellationToken cancellationToken) =>
        await AcceptAsync(cancellationToken).ConfigureAwait(false);

    /// <summary>Waits up to <paramref name="timeout"/> for the next established connection.</summary>
    /// <param name="timeout">How long to wait; <see cref="Timeout.InfiniteTimeSpan"/> to wait for ever.</param>
    /// <exception cref="WirestackException"><see cref="WirestackErrorCode.TimedOut"/>, or <see cref="WirestackErrorCode.Closed"/>.</exception>
    public TcpConnection Accept(TimeSpan timeout)
    {
        using var cancellation = new CancellationTokenSource(timeout);
        try
        {
            return AcceptAsync(cancellation.Token).AsTask().GetAwaiter().GetResult();
        }
        catch (OperationCanceledException)
        {
            throw new WirestackException(WirestackErrorCode.TimedOut, $"No connection arrived on {LocalEndPoint} within {timeout}.");
        }
    }

    /// <summary>Stops listening. Connections already accepted stay open; those waiting are reset. Idempotent.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        try
        {
            _stack.Post(new CloseTcpListenerCommand(this));
        }
        catch (WirestackException)
        {
            OnStopped(); // the stack is gone, and its listeners with it
        }
    }

    /// <inheritdoc />
    public override string ToString() => $"TCP listener {LocalEndPoint}";

    // ---- stack thread ----

    internal void OnListening(TcpListenerHandle handle, IpEndpoint local)
    {
        Handle = handle;
        LocalEndPoint = local;
    }

    internal void OnAccepted(TcpConnection connection)
    {
        if (!_accepted.Writer.TryWrite(connection)) connection.Abort();
    }

    internal void OnStopped()
    {
        _accepted.Writer.TryComplete();
        while (_accepted.Reader.TryRead(out var waiting)) waiting.Abort();
    }

    private WirestackException ClosedException() => new(WirestackErrorCode.Closed, $"The TCP listener on {LocalEndPoint} is closed.");
}
