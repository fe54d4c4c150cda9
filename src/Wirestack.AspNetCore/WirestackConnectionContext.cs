using System.IO.Pipelines;
using System.Net;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Http.Features;
using Wirestack.Sockets;

namespace Wirestack.AspNetCore;

/// <summary>
/// One Wirestack TCP connection as Kestrel sees it. <see cref="Transport"/> is the connection's own duplex pipe
/// (<see cref="TcpConnection.AsDuplexPipe"/>): Kestrel parses requests in the stack's receive ring and writes
/// responses into its send ring, with no copy in this class or the pipe.
/// </summary>
/// <remarks>
/// <see cref="ConnectionClosed"/> fires when the peer has finished sending (or reset) and everything it sent is in
/// the input pipe, as Kestrel's socket transport does. <see cref="DisposeAsync"/> waits until what Kestrel wrote is
/// in the stack, closes the connection (FIN) and releases it; <see cref="Abort(ConnectionAbortedException)"/> resets it.
/// </remarks>
internal sealed class WirestackConnectionContext : ConnectionContext,
    IConnectionIdFeature, IConnectionTransportFeature, IConnectionItemsFeature, IConnectionLifetimeFeature, IConnectionEndPointFeature
{
    private static long _lastId;
    private readonly TcpConnection _connection;
    private readonly TcpConnectionPipe _pipe;
    private readonly WirestackConnectionListener _listener;
    private readonly CancellationTokenSource _closed = new();
    private readonly TaskCompletionSource _closeFired = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Task _watcher;
    private IDictionary<object, object?>? _items;
    private volatile ConnectionAbortedException? _abortReason;
    private int _disposed;
    private int _closeState;
    private int _closeFiringThread;

    // _closeState: ConnectionClosed not fired, its callbacks running, done.
    private const int CloseNotFired = 0;
    private const int CloseFiring = 1;
    private const int CloseFired = 2;

    public WirestackConnectionContext(TcpConnection connection, WirestackConnectionListener listener)
    {
        _connection = connection;
        _listener = listener;
        _pipe = connection.CreateDuplexPipe();
        Transport = new WirestackTransportPipe(_pipe, this);
        ConnectionId = "ws" + Interlocked.Increment(ref _lastId).ToString("x", System.Globalization.CultureInfo.InvariantCulture);
        LocalEndPoint = connection.LocalEndPoint.ToIPEndPoint();
        RemoteEndPoint = connection.RemoteEndPoint.ToIPEndPoint();
        ConnectionClosed = _closed.Token;
        Features.Set<IConnectionIdFeature>(this);
        Features.Set<IConnectionTransportFeature>(this);
        Features.Set<IConnectionItemsFeature>(this);
        Features.Set<IConnectionLifetimeFeature>(this);
        Features.Set<IConnectionEndPointFeature>(this);
        _watcher = WatchReceiveAsync();
    }

    /// <inheritdoc />
    public override string ConnectionId { get; set; }

    /// <inheritdoc />
    public override IFeatureCollection Features { get; } = new FeatureCollection();

    /// <inheritdoc />
    public override IDictionary<object, object?> Items
    {
        get => _items ??= new ConnectionItems();
        set => _items = value;
    }

    /// <inheritdoc />
    public override IDuplexPipe Transport { get; set; }

    /// <inheritdoc />
    public override CancellationToken ConnectionClosed { get; set; }

    /// <inheritdoc />
    public override EndPoint? LocalEndPoint { get; set; }

    /// <inheritdoc />
    public override EndPoint? RemoteEndPoint { get; set; }

    /// <summary>Why the connection was aborted here, if it was: reads of the input then fail with it.</summary>
    internal ConnectionAbortedException? AbortReason => _abortReason;

    /// <summary>The Wirestack connection under the context.</summary>
    internal TcpConnection Connection => _connection;

    /// <summary>Resets the connection (RST); the peer sees a reset and pending reads and writes end.</summary>
    public override void Abort(ConnectionAbortedException abortReason)
    {
        _abortReason ??= abortReason;
        _connection.Abort();
    }

    /// <summary>
    /// Completes both pipes, lets what Kestrel wrote reach the stack (up to <see cref="WirestackTransportOptions.CloseTimeout"/>,
    /// then resets), closes the connection and waits until both pumps have ended.
    /// </summary>
    public override async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        // Kestrel has normally completed them already; completing again is harmless.
        await Transport.Input.CompleteAsync().ConfigureAwait(false);
        await Transport.Output.CompleteAsync().ConfigureAwait(false);
        var timeout = _listener.Options.CloseTimeout;
        if (!await WaitAsync(_pipe.Sending, timeout).ConfigureAwait(false))
            Abort(new ConnectionAbortedException($"The peer did not take the response within WirestackTransportOptions.CloseTimeout ({timeout})."));
        // Graceful close: the bytes in the send ring still go, then a FIN; the receive pump's wait ends with Closed.
        _connection.Close();
        await _pipe.Receiving.ConfigureAwait(false);
        await _watcher.ConfigureAwait(false);
        _closed.Dispose();
        _listener.OnConnectionReleased();
    }

    /// <summary>
    /// Fires <see cref="ConnectionClosed"/> now (once): a write found the connection failed. Kestrel must hear that the
    /// connection is gone before the write's exception reaches it, or it reports the exception, which surfaces in the
    /// application's code, as an unhandled application error. Returns a task that completes when the callbacks have
    /// run: at once when they ran here or before; when another thread is running them at this moment (the receive
    /// side learns of the failure on the thread pool at about the same moment, and a second
    /// <see cref="CancellationTokenSource.Cancel()"/> returns before the first has run them), once that thread is done.
    /// </summary>
    /// <remarks>
    /// The caller must not block on the task: Kestrel flushes under a lock of its own (Http1OutputProducer's), which
    /// its ConnectionClosed callback takes to abort the output. Waiting for the other thread there deadlocks both.
    /// </remarks>
    internal Task FireConnectionClosed()
    {
        if (Interlocked.CompareExchange(ref _closeState, CloseFiring, CloseNotFired) != CloseNotFired)
        {
            // A callback that writes and fails lands here on the firing thread: it must not wait for itself.
            if (Volatile.Read(ref _closeFiringThread) == Environment.CurrentManagedThreadId) return Task.CompletedTask;
            return _closeFired.Task;
        }
        Volatile.Write(ref _closeFiringThread, Environment.CurrentManagedThreadId);
        try
        {
            _closed.Cancel();
        }
        catch (AggregateException e)
        {
            // A callback Kestrel or the application registered threw; the connection is over either way.
            _listener.OnCallbackFailed(ConnectionId, e);
        }
        catch (ObjectDisposedException)
        {
            // Disposed: Kestrel is done with the connection and has heard all it needs.
        }
        finally
        {
            Volatile.Write(ref _closeState, CloseFired);
            _closeFired.TrySetResult();
        }
        return Task.CompletedTask;
    }

    // Fires ConnectionClosed once the receive direction is over (end of stream, reset, or closed here).
    private async Task WatchReceiveAsync()
    {
        await _pipe.Receiving.ConfigureAwait(false);
        // A write that fired first is running the callbacks: nothing here needs to wait for them.
        _ = FireConnectionClosed();
    }

    private static async Task<bool> WaitAsync(Task task, TimeSpan timeout)
    {
        if (task.IsCompleted || timeout == Timeout.InfiniteTimeSpan)
        {
            await task.ConfigureAwait(false);
            return true;
        }
        try
        {
            await task.WaitAsync(timeout).ConfigureAwait(false);
            return true;
        }
        catch (TimeoutException)
        {
            return false;
        }
    }

    /// <inheritdoc />
    public override string ToString() => $"{ConnectionId} {_connection}";
}
