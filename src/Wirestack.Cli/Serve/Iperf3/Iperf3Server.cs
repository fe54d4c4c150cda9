using Wirestack.Sockets;
using Wirestack.Wire;

namespace Wirestack.Cli.Serve.Iperf3;

/// <summary>
/// An iperf3 server written against <see cref="INetwork"/>, so that the stock <c>iperf3</c> client measures kernel
/// sockets and Wirestack alike: TCP and UDP, reverse (<c>-R</c>), bidirectional (<c>--bidir</c>), parallel streams
/// (<c>-P</c>), rates (<c>-b</c>), lengths (<c>-l</c>), and the results exchange that <c>-J</c> prints. Like iperf3 it runs
/// one test at a time; a client that connects meanwhile gets ACCESS_DENIED. Each test ends with one line on the log.
/// </summary>
/// <param name="port">The TCP port for control connections and TCP streams, and the UDP port of UDP streams (iperf3's is 5201); 0 picks one.</param>
/// <param name="log">Gets one line per test (and per refused client).</param>
internal sealed class Iperf3Server(int port, TextWriter log) : INetworkService, IAsyncDisposable
{
    private readonly TextWriter _log = TextWriter.Synchronized(log);
    private readonly Lock _gate = new();
    private readonly List<Iperf3TestSummary> _tests = [];
    private readonly HashSet<Task> _handlers = [];
    private readonly List<ITcpListener> _listeners = [];
    private readonly List<Task> _acceptLoops = [];
    private readonly CancellationTokenSource _stopping = new();
    private INetwork? _network;
    private Iperf3TestSession? _active;
    private int _boundPort;
    private int _started;
    private int _stopped;
    private long _denied;
    private long _acceptOrder; // the listener's accept order, which says which of a test's streams is which

    /// <inheritdoc />
    public string Name => "iperf3";

    /// <summary>"tcp": control connections and TCP streams (a UDP test binds the same UDP port while it runs).</summary>
    public string Transport => "tcp";

    /// <summary>"tcp" and "udp": a UDP test binds the control connection's port number on UDP.</summary>
    public IReadOnlyList<string> Transports { get; } = ["tcp", "udp"];

    /// <summary>The port served: the one asked for, or once started, the one picked for 0.</summary>
    public int Port => _boundPort != 0 ? _boundPort : port;

    /// <summary>Connections accepted (controls, streams, refused clients) and the bytes of finished tests; a test that did not complete counts as a failed connection.</summary>
    public ServiceCounters Counters { get; } = new();

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
    /// <exception cref="ArgumentException">No address was given.</exception>
    public ValueTask StartAsync(INetwork network, IReadOnlyList<IpAddress> addresses, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(addresses);
        if (addresses.Count == 0) throw new ArgumentException("Give at least one local address to serve iperf3 on (:: or 0.0.0.0 for all).", nameof(addresses));
        if (Interlocked.Exchange(ref _started, 1) != 0) throw new InvalidOperationException("This iperf3 server was started already; create another one to serve again.");
        _network = network;
        try
        {
            foreach (var address in addresses)
            {
                cancellationToken.ThrowIfCancellationRequested();
                // With port 0 the first listener picks the port and the others follow it: clients know one port.
                var listener = network.ListenTcp(new IpEndpoint(address, (ushort)Port));
                _listeners.Add(listener);
                _boundPort = listener.LocalEndPoint.Port;
            }
        }
        catch
        {
            foreach (var listener in _listeners) listener.Dispose();
            _listeners.Clear();
            throw;
        }
        foreach (var listener in _listeners) _acceptLoops.Add(AcceptLoopAsync(listener, _stopping.Token));
        return ValueTask.CompletedTask;
    }

    /// <inheritdoc />
    public async ValueTask StopAsync()
    {
        if (Interlocked.Exchange(ref _stopped, 1) != 0) return;
        await _stopping.CancelAsync().ConfigureAwait(false);
        foreach (var listener in _listeners) listener.Dispose();
        await Task.WhenAll(_acceptLoops).ConfigureAwait(false);
        Task[] handlers;
        lock (_gate) handlers = [.. _handlers];
        await Task.WhenAll(handlers).ConfigureAwait(false);
    }

    /// <summary>Stops the server (<see cref="StopAsync"/>).</summary>
    public async ValueTask DisposeAsync()
    {
        await StopAsync().ConfigureAwait(false);
        _stopping.Dispose();
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
            Counters.ConnectionOpened();
            Track(HandleConnectionAsync(connection, Interlocked.Increment(ref _acceptOrder), stopping));
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
    private async Task HandleConnectionAsync(ITcpConnection connection, long acceptOrder, CancellationToken stopping)
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
                    Counters.ConnectionClosed(failed: false);
                    return;
                }
            }
            Iperf3TestSession? session = null;
            lock (_gate)
            {
                if (_active is null) session = _active = new Iperf3TestSession(_network!, Port, connection, cookie);
                else if (_active.TryAttachTcpStream(cookie, connection, acceptOrder)) return;
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
            Counters.ConnectionClosed(failed: true);
        }
    }

    private async Task RunTestAsync(Iperf3TestSession session, IpEndpoint client, CancellationToken stopping)
    {
        try
        {
            var summary = await session.RunAsync(stopping).ConfigureAwait(false);
            Count(summary);
            lock (_gate) _tests.Add(summary);
            _log.WriteLine(summary.ToString());
        }
#pragma warning disable CA1031 // A bug in one test must not take the server down: say what happened and serve the next.
        catch (Exception e)
#pragma warning restore CA1031
        {
            _log.WriteLine($"iperf3 {client}: the test failed: {e}");
            Counters.Error();
            Counters.ConnectionClosed(failed: true);
        }
        finally
        {
            lock (_gate) _active = null;
        }
    }

    // The control connection and each TCP stream close with the test.
    private void Count(Iperf3TestSummary summary)
    {
        bool failed = summary.Outcome != Iperf3TestOutcome.Completed;
        int tcpStreams = summary.Parameters is { Protocol: Iperf3Protocol.Tcp } ? summary.Streams.Count : 0;
        for (int i = 0; i <= tcpStreams; i++) Counters.ConnectionClosed(failed);
        Counters.Received(summary.BytesReceived);
        Counters.Sent(summary.BytesSent);
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
            Counters.ConnectionClosed(failed: false);
        }
    }
}
