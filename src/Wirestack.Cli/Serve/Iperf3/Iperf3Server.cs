using Wirestack.Sockets;
using Wirestack.Wire;

namespace Wirestack.Cli.Serve.Iperf3;

/// <summary>
/// An iperf3 server written against <see cref="INetwork"/>, so that the stock <c>iperf3</c> client measures kernel
/// sockets and Wirestack alike: TCP and UDP, reverse (<c>-R</c>), bidirectional (<c>--bidir</c>), parallel streams
/// (<c>-P</c>), rates (<c>-b</c>), lengths (<c>-l</c>), and the results exchange that <c>-J</c> prints. Like iperf3 it runs
/// one test at a time; a client that connects meanwhile gets ACCESS_DENIED. Each test ends with one line on the log.
/// </summary>
/// <param name="localEndPoint">Where to listen (TCP for control and streams, UDP for UDP streams); port 5201 is iperf3's.</param>
/// <param name="log">Gets one line per test (and per refused client).</param>
internal sealed class Iperf3Server(IpEndpoint localEndPoint, TextWriter log) : INetworkService, IAsyncDisposable
{
    private readonly TextWriter _log = TextWriter.Synchronized(log);
    private readonly Lock _gate = new();
    private readonly List<Iperf3TestSummary> _tests = [];
    private readonly HashSet<Task> _handlers = [];
    private CancellationTokenSource? _stopping;
    private INetwork? _network;
    private ITcpListener? _listener;
    private Task? _acceptLoop;
    private Iperf3TestSession? _active;
    private long _denied;

    /// <inheritdoc />
    public string Name => "iperf3";

    /// <summary>The endpoint listened on (with the chosen port when 0 was asked for) once started.</summary>
    public IpEndpoint LocalEndPoint => _listener?.LocalEndPoint ?? localEndPoint;

    /// <summary>Whether a test is running (from its control connection's cookie to its end).</summary>
    public bool IsBusy
    {
        get
        {
            lock (_gate) return _active is not null;
        }
    }

    /// <summary>Clients turned away with ACCESS_DENIED while a test ran.</summary>
    public long DeniedClients => Interlocked.Read(ref _denied);

    /// <summary>The tests run so far, oldest first.</summary>
    public IReadOnlyList<Iperf3TestSummary> Tests
    {
        get
        {
            lock (_gate) return [.. _tests];
        }
    }

    /// <inheritdoc />
    /// <exception cref="InvalidOperationException">The server was started before.</exception>
    /// <exception cref="WirestackException">The port is in use or the address is not the network's.</exception>
    public ValueTask StartAsync(INetwork network, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(network);
        cancellationToken.ThrowIfCancellationRequested();
        lock (_gate)
        {
            if (_stopping is not null) throw new InvalidOperationException("This iperf3 server was started already; create another one to serve again.");
            _stopping = new CancellationTokenSource();
        }
        _network = network;
        _listener = network.ListenTcp(localEndPoint);
        _acceptLoop = AcceptLoopAsync(_listener, _stopping.Token);
        return ValueTask.CompletedTask;
    }

    /// <inheritdoc />
    public async ValueTask StopAsync()
    {
        if (_stopping is null || _acceptLoop is null) return;
        await _stopping.CancelAsync().ConfigureAwait(false);
        _listener?.Dispose();
        await _acceptLoop.ConfigureAwait(false);
        Task[] handlers;
        lock (_gate) handlers = [.. _handlers];
        await Task.WhenAll(handlers).ConfigureAwait(false);
    }

    /// <summary>Stops the server (<see cref="StopAsync"/>).</summary>
    public async ValueTask DisposeAsync()
    {
        await StopAsync().ConfigureAwait(false);
        _stopping?.Dispose();
    }

    private async Task AcceptLoopAsync(ITcpListener listener, CancellationToken stopping)
    {
        while (!stopping.IsCancellationRequested)
        {
            ITcpConnection connection;
            try
            {
                connection = await listener.AcceptAsync(stopping).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stopping.IsCancellationRequested)
            {
                return;
            }
            catch (WirestackException e) when (stopping.IsCancellationRequested || e.ErrorCode == WirestackErrorCode.Closed)
            {
                return;
            }
            catch (WirestackException e)
            {
                // A connection that failed while it was accepted (reset during the handshake): the next one may be fine.
                _log.WriteLine($"iperf3: accepting a connection failed: {e.Message}");
                continue;
            }
            Track(HandleConnectionAsync(connection, stopping));
        }
    }

    private void Track(Task handler)
    {
        lock (_gate) _handlers.Add(handler);
        handler.ContinueWith(done =>
        {
            lock (_gate) _handlers.Remove(done);
        }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
    }

    // Every connection on the listener starts with a test's cookie: a new control connection when no test runs, a
    // stream of the running test when the cookie is its own, otherwise a client to turn away.
    private async Task HandleConnectionAsync(ITcpConnection connection, CancellationToken stopping)
    {
        var cookie = new byte[Iperf3ControlChannel.CookieLength];
        try
        {
            using (var timeout = CancellationTokenSource.CreateLinkedTokenSource(stopping))
            {
                timeout.CancelAfter(Iperf3TestSession.SetupTimeout);
                if (!await Iperf3ControlChannel.ReadExactlyAsync(connection.GetStream(), cookie, timeout.Token).ConfigureAwait(false))
                {
                    connection.Dispose(); // closed before it said anything: a port probe
                    return;
                }
            }
            Iperf3TestSession? session = null;
            lock (_gate)
            {
                if (_active is null) session = _active = new Iperf3TestSession(_network!, LocalEndPoint, connection, cookie);
                else if (_active.TryAttachTcpStream(cookie, connection)) return;
            }
            if (session is null)
            {
                await DenyAsync(connection, stopping).ConfigureAwait(false);
                return;
            }
            await RunTestAsync(session, connection.RemoteEndPoint, stopping).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or WirestackException or OperationCanceledException or ObjectDisposedException)
        {
            // The connection went away (or stayed silent) before it was a test or a stream.
            connection.Dispose();
        }
    }

    private async Task RunTestAsync(Iperf3TestSession session, IpEndpoint client, CancellationToken stopping)
    {
        try
        {
            var summary = await session.RunAsync(stopping).ConfigureAwait(false);
            lock (_gate) _tests.Add(summary);
            _log.WriteLine(summary.ToString());
        }
#pragma warning disable CA1031 // A bug in one test must not take the server down: say what happened and serve the next.
        catch (Exception e)
#pragma warning restore CA1031
        {
            _log.WriteLine($"iperf3 {client}: the test failed: {e}");
        }
        finally
        {
            lock (_gate) _active = null;
        }
    }

    private async Task DenyAsync(ITcpConnection connection, CancellationToken stopping)
    {
        Interlocked.Increment(ref _denied);
        _log.WriteLine($"iperf3 {connection.RemoteEndPoint}: access denied, a test is running");
        try
        {
            await connection.GetStream().WriteAsync(new[] { unchecked((byte)(sbyte)Iperf3State.AccessDenied) }, stopping).ConfigureAwait(false);
            connection.ShutdownWrite();
        }
        finally
        {
            connection.Dispose();
        }
    }
}
