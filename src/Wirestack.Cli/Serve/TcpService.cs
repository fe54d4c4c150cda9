using System.Buffers;
using System.Collections.Concurrent;
using System.Net.Sockets;
using Wirestack.Sockets;
using Wirestack.Wire;

namespace Wirestack.Cli.Serve;

/// <summary>
/// The shape of a TCP service: a listener per local address, an accept loop each, and one task per connection that
/// runs <see cref="ServeAsync"/>. What a peer does (reset, half-close, vanish) ends only its own connection, counted;
/// no exception escapes a connection's task, and <see cref="StopAsync"/> waits for every task it started.
/// </summary>
internal abstract class TcpService(string name, int port) : INetworkService
{
    // How long stopping waits for connections to notice the cancellation before resetting them.
    private static readonly TimeSpan GracefulStop = TimeSpan.FromSeconds(2);
    // Pause after an accept that failed for a reason other than closing (out of descriptors, say), so it cannot spin.
    private static readonly TimeSpan AcceptRetryDelay = TimeSpan.FromMilliseconds(50);

    private readonly CancellationTokenSource _stopping = new();
    private readonly List<ITcpListener> _listeners = [];
    private readonly List<Task> _acceptLoops = [];
    private readonly ConcurrentDictionary<ITcpConnection, Task?> _open = new();
    private int _stopped;

    /// <inheritdoc />
    public string Name { get; } = name;

    /// <inheritdoc />
    public string Transport => "tcp";

    /// <inheritdoc />
    public int Port { get; } = port;

    /// <inheritdoc />
    public ServiceCounters Counters { get; } = new();

    /// <summary>The bytes of the buffer each connection gets for <see cref="ServeAsync"/>.</summary>
    protected virtual int BufferLength => 16 * 1024;

    /// <inheritdoc />
    public ValueTask StartAsync(INetwork network, IReadOnlyList<IpAddress> addresses, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(network);
        try
        {
            foreach (var address in addresses)
            {
                cancellationToken.ThrowIfCancellationRequested();
                _listeners.Add(network.ListenTcp(new IpEndpoint(address, (ushort)Port)));
            }
        }
        catch
        {
            foreach (var listener in _listeners) listener.Dispose();
            _listeners.Clear();
            throw;
        }
        foreach (var listener in _listeners) _acceptLoops.Add(AcceptLoopAsync(listener));
        return ValueTask.CompletedTask;
    }

    /// <summary>Serves one connection until it is done; return to close it gracefully. Exceptions from the stream end (only) this connection.</summary>
    /// <param name="connection">The connection.</param>
    /// <param name="stream">Its stream.</param>
    /// <param name="buffer">A buffer of <see cref="BufferLength"/> bytes, the connection's own.</param>
    /// <param name="cancellationToken">Cancelled when the service stops.</param>
    protected abstract ValueTask ServeAsync(ITcpConnection connection, Stream stream, Memory<byte> buffer, CancellationToken cancellationToken);

    /// <inheritdoc />
    public async ValueTask StopAsync()
    {
        if (Interlocked.Exchange(ref _stopped, 1) != 0) return;
        _stopping.Cancel();
        foreach (var listener in _listeners) listener.Dispose();
        await Task.WhenAll(_acceptLoops).ConfigureAwait(false);
        if (!await WaitForConnectionsAsync(GracefulStop).ConfigureAwait(false))
        {
            // A connection stuck in a call that ignores cancellation (a blocked write, say): reset it.
            foreach (var connection in _open.Keys) AbortQuietly(connection);
            await WaitForConnectionsAsync(GracefulStop).ConfigureAwait(false);
        }
        _stopping.Dispose();
    }

    private async Task<bool> WaitForConnectionsAsync(TimeSpan timeout)
    {
        var tasks = new List<Task>();
        foreach (var task in _open.Values) if (task is not null) tasks.Add(task);
        try
        {
            await Task.WhenAll(tasks).WaitAsync(timeout).ConfigureAwait(false);
            return true;
        }
        catch (TimeoutException)
        {
            return false;
        }
    }

    private async Task AcceptLoopAsync(ITcpListener listener)
    {
        var token = _stopping.Token;
        while (!token.IsCancellationRequested)
        {
            ITcpConnection connection;
            try
            {
                connection = await listener.AcceptAsync(token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            catch (WirestackException e) when (e.ErrorCode == WirestackErrorCode.Closed)
            {
                return;
            }
            catch (Exception e) when (e is WirestackException or SocketException or IOException)
            {
                Counters.Error();
                try
                {
                    await Task.Delay(AcceptRetryDelay, token).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
                continue;
            }
            // Registered before it starts, so that a stop in between still finds it; the task removes it when done.
            _open[connection] = null;
            var task = RunConnectionAsync(connection, token);
            _open.TryUpdate(connection, task, null);
        }
    }

    private async Task RunConnectionAsync(ITcpConnection connection, CancellationToken token)
    {
        Counters.ConnectionOpened();
        bool failed = false;
        byte[] buffer = ArrayPool<byte>.Shared.Rent(BufferLength);
        try
        {
            await ServeAsync(connection, connection.GetStream(), buffer.AsMemory(0, BufferLength), token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
            // The service is stopping: close as usual.
        }
        catch (Exception)
        {
            // Whatever the peer did (reset, time-out) or the stream met ends this connection only; the count is the report.
            failed = true;
        }
        finally
        {
            try
            {
                connection.Dispose();
            }
            catch (Exception)
            {
                failed = true;
            }
            ArrayPool<byte>.Shared.Return(buffer);
            Counters.ConnectionClosed(failed);
            _open.TryRemove(connection, out _);
        }
    }

    private static void AbortQuietly(ITcpConnection connection)
    {
        try
        {
            connection.Abort();
        }
        catch (Exception e) when (e is WirestackException or ObjectDisposedException or SocketException or IOException)
        {
            // Already gone.
        }
    }
}
