using System.Text.Json;
using Wirestack.Sockets;
using Wirestack.Wire;

namespace Wirestack.Cli.Serve.Iperf3;

/// <summary>
/// One iperf3 test, from the client's control connection to its IPERF_DONE: parameter exchange, stream creation
/// (TCP streams arrive on the server's listener and are handed over with <see cref="TryAttachTcpStream"/>; UDP streams
/// connect to a socket on the same port), the transfer until the client's TEST_END, and the results exchange.
/// Whatever the client does (vanish, reset, send garbage), <see cref="RunAsync"/> returns a summary and closes every
/// socket of the test.
/// </summary>
/// <param name="network">Where the UDP socket of a UDP test comes from.</param>
/// <param name="port">The server's port: a UDP test binds it on the address the control connection came to.</param>
/// <param name="control">The client's control connection, its cookie already read; the session closes it.</param>
/// <param name="cookie">The test's cookie, which every TCP stream of the test presents.</param>
internal sealed class Iperf3TestSession(INetwork network, int port, ITcpConnection control, byte[] cookie)
{
    /// <summary>How long the client has for the parameters, the streams, the results and IPERF_DONE.</summary>
    public static readonly TimeSpan SetupTimeout = TimeSpan.FromSeconds(10);

    // iperf3's server allows this much beyond the test's time before it gives up on a silent client.
    private static readonly TimeSpan GracePeriod = TimeSpan.FromSeconds(40);

    private readonly Lock _gate = new();
    private readonly IpEndpoint _client = control.RemoteEndPoint;
    private readonly IpEndpoint _udpEndPoint = new(control.LocalEndPoint.Address, (ushort)port);
    private readonly Iperf3ControlChannel _channel = new(control.GetStream());
    private readonly List<Iperf3TcpStream> _tcpStreams = [];
    // Streams whose cookie came while the others are still arriving, with their accept order.
    private readonly List<(long Order, ITcpConnection Connection)> _arrivedTcp = [];
    private readonly TaskCompletionSource _tcpStreamsConnected = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Iperf3Parameters? _parameters;
    private bool _acceptingStreams;
    private bool _streamsClosed;
    private IUdpSocket? _udpSocket;

    /// <summary>
    /// Takes a connection that arrived on the listener with <paramref name="connectionCookie"/> as one of this test's
    /// TCP streams, if the test is creating streams and the cookie is its own.
    /// </summary>
    /// <param name="connectionCookie">The cookie the connection sent first.</param>
    /// <param name="connection">The connection.</param>
    /// <param name="acceptOrder">Where the listener accepted it among all its connections.</param>
    public bool TryAttachTcpStream(ReadOnlySpan<byte> connectionCookie, ITcpConnection connection, long acceptOrder)
    {
        lock (_gate)
        {
            if (!_acceptingStreams || _parameters is null || !connectionCookie.SequenceEqual(cookie)) return false;
            _arrivedTcp.Add((acceptOrder, connection));
            if (_arrivedTcp.Count == _parameters.Parallel * (_parameters.Bidirectional ? 2 : 1))
            {
                // The client connects its streams one after another, but their cookies are read here concurrently and
                // may finish in any order: the accept order says which stream is which (the first ones the client
                // sends on, the rest it receives on), as it does for iperf3's own server.
                _arrivedTcp.Sort(static (a, b) => a.Order.CompareTo(b.Order));
                for (int index = 0; index < _arrivedTcp.Count; index++)
                    _tcpStreams.Add(new Iperf3TcpStream(Iperf3Stream.IdForIndex(index), index >= _parameters.ReceivingStreams, _arrivedTcp[index].Connection));
                _arrivedTcp.Clear();
                _acceptingStreams = false;
                _tcpStreamsConnected.TrySetResult();
            }
            return true;
        }
    }

    /// <summary>Runs the test to its end.</summary>
    /// <param name="serverStopping">Cancelled when the server stops: the test ends at once.</param>
    public async Task<Iperf3TestSummary> RunAsync(CancellationToken serverStopping)
    {
        using var lifetime = CancellationTokenSource.CreateLinkedTokenSource(serverStopping);
        var token = lifetime.Token;
        var outcome = Iperf3TestOutcome.Completed;
        string? detail = null;
        double seconds = 0;
        IReadOnlyList<Iperf3Stream> streams = [];
        try
        {
            lifetime.CancelAfter(SetupTimeout);
            var parameters = await ExchangeParametersAsync(token).ConfigureAwait(false);

            Iperf3UdpStreamSet? udp = null;
            if (parameters.Protocol == Iperf3Protocol.Udp)
            {
                _udpSocket = network.CreateUdpSocket();
                try
                {
                    _udpSocket.Bind(_udpEndPoint);
                }
                catch (WirestackException e)
                {
                    await _channel.WriteServerErrorAsync(Iperf3ErrorCode.ReceiveParameters, 98 /* EADDRINUSE */, token).ConfigureAwait(false);
                    throw new Iperf3ProtocolException($"the UDP port {_udpEndPoint} could not be bound: {e.Message}");
                }
                udp = new Iperf3UdpStreamSet(_udpSocket, parameters);
            }
            lock (_gate) _acceptingStreams = parameters.Protocol == Iperf3Protocol.Tcp;
            await _channel.WriteStateAsync(Iperf3State.CreateStreams, token).ConfigureAwait(false);

            // The client may give up (or be interrupted) while its streams connect: watch the control connection too.
            var controlMessage = _channel.ReadStateAsync(token).AsTask();
            var connected = udp is not null ? udp.AcceptAsync(token) : _tcpStreamsConnected.Task.WaitAsync(token);
            if (await Task.WhenAny(connected, controlMessage).ConfigureAwait(false) == controlMessage)
                return Summary(Iperf3TestOutcome.ClientGone, DescribeEarlyMessage(await controlMessage.ConfigureAwait(false)), 0, []);
            await connected.ConfigureAwait(false);
            streams = udp is not null ? udp.Streams : _tcpStreams;

            // From here the client ends the test; give it the test's time and iperf3's grace period to do so.
            lifetime.CancelAfter(parameters.DurationSeconds > 0 ? TimeSpan.FromSeconds(parameters.DurationSeconds + parameters.OmitSeconds) + GracePeriod : Timeout.InfiniteTimeSpan);
            var cpuStart = Iperf3CpuUse.Sample();
            await _channel.WriteStatesAsync(Iperf3State.TestStart, Iperf3State.TestRunning, token).ConfigureAwait(false);
            double start = Iperf3Clock.Now;
            using var transfer = CancellationTokenSource.CreateLinkedTokenSource(token);
            var data = new List<Task>();
            if (udp is not null) data.Add(udp.RunAsync(transfer.Token));
            foreach (var stream in _tcpStreams) data.Add(stream.RunAsync(parameters, transfer.Token));
            if (parameters.OmitSeconds > 0) data.Add(SnapshotOmittedAsync(streams, parameters.OmitSeconds, transfer.Token));

            var message = await controlMessage.ConfigureAwait(false);
            seconds = Iperf3Clock.Now - start;
            await transfer.CancelAsync().ConfigureAwait(false);
            await Task.WhenAll(data).ConfigureAwait(false);
            CloseStreams();
            if (message != Iperf3State.TestEnd) return Summary(Iperf3TestOutcome.ClientGone, DescribeEarlyMessage(message), seconds, streams);
            seconds = Math.Max(0, seconds - parameters.OmitSeconds);
            var cpu = Iperf3CpuUse.Since(cpuStart);

            lifetime.CancelAfter(SetupTimeout);
            await _channel.WriteStateAsync(Iperf3State.ExchangeResults, token).ConfigureAwait(false);
            var clientResults = await _channel.ReadJsonAsync(token).ConfigureAwait(false);
            CheckJson(clientResults);
            var results = Results(streams);
            string? output = parameters.GetServerOutput ? new Iperf3TestSummary(_client, parameters, outcome, null, seconds, results).ToString() : null;
            await _channel.WriteJsonAsync(Iperf3Results.Write(results, seconds, cpu, output), token).ConfigureAwait(false);
            await _channel.WriteStateAsync(Iperf3State.DisplayResults, token).ConfigureAwait(false);
            // The client answers IPERF_DONE and closes; the results are delivered either way.
            try
            {
                await _channel.ReadStateAsync(token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is IOException or WirestackException or OperationCanceledException)
            {
            }
        }
        catch (Iperf3ProtocolException e)
        {
            (outcome, detail) = (Iperf3TestOutcome.Refused, e.Message);
        }
        catch (OperationCanceledException) when (serverStopping.IsCancellationRequested)
        {
            (outcome, detail) = (Iperf3TestOutcome.Stopped, "the server is stopping");
        }
        catch (OperationCanceledException)
        {
            (outcome, detail) = (Iperf3TestOutcome.TimedOut, "the client stopped answering");
        }
        catch (Exception e) when (e is IOException or WirestackException or ObjectDisposedException)
        {
            (outcome, detail) = (Iperf3TestOutcome.ClientGone, e.Message);
        }
        finally
        {
            // Ends whatever still waits (a UDP accept, a control read) before the sockets go.
            await lifetime.CancelAsync().ConfigureAwait(false);
            lock (_gate) _acceptingStreams = false;
            CloseStreams();
            control.Dispose();
        }
        return Summary(outcome, detail, seconds, streams);
    }

    private async Task<Iperf3Parameters> ExchangeParametersAsync(CancellationToken token)
    {
        await _channel.WriteStateAsync(Iperf3State.ParamExchange, token).ConfigureAwait(false);
        var json = await _channel.ReadJsonAsync(token).ConfigureAwait(false);
        try
        {
            var parameters = Iperf3Parameters.Parse(json);
            lock (_gate) _parameters = parameters;
            return parameters;
        }
        catch (Iperf3ProtocolException e)
        {
            await _channel.WriteServerErrorAsync(e.ErrorCode, 0, token).ConfigureAwait(false);
            throw;
        }
    }

    private static async Task SnapshotOmittedAsync(IReadOnlyList<Iperf3Stream> streams, int omitSeconds, CancellationToken token)
    {
        try
        {
            await Task.Delay(TimeSpan.FromSeconds(omitSeconds), token).ConfigureAwait(false);
            foreach (var stream in streams) stream.OmittedBytes = stream.Bytes;
        }
        catch (OperationCanceledException)
        {
        }
    }

    private void CloseStreams()
    {
        Iperf3TcpStream[] tcp;
        ITcpConnection[] waiting;
        lock (_gate)
        {
            if (_streamsClosed) return;
            _streamsClosed = true;
            tcp = [.. _tcpStreams];
            waiting = new ITcpConnection[_arrivedTcp.Count];
            for (int i = 0; i < waiting.Length; i++) waiting[i] = _arrivedTcp[i].Connection;
            _arrivedTcp.Clear();
        }
        foreach (var connection in waiting)
        {
            connection.Abort();
            connection.Dispose();
        }
        foreach (var stream in tcp)
        {
            // A reverse-mode client drains its streams until the results come, and fails on a reset: what the server
            // sent ends with a FIN. What the client sent and the server no longer reads is reset, as the kernel
            // resets a socket closed with unread data.
            if (!stream.IsSender) stream.Connection.Abort();
            stream.Connection.Dispose();
        }
        _udpSocket?.Dispose();
    }

    private static void CheckJson(byte[] json)
    {
        try
        {
            using var document = JsonDocument.Parse(json);
            if (document.RootElement.ValueKind != JsonValueKind.Object) throw new Iperf3ProtocolException("the client's results are not a JSON object.");
        }
        catch (JsonException e)
        {
            throw new Iperf3ProtocolException($"the client's results are not JSON: {e.Message}");
        }
    }

    private static string DescribeEarlyMessage(Iperf3State? message) => message switch
    {
        null => "the client closed the control connection mid-test",
        Iperf3State.ClientTerminate => "the client was interrupted",
        { } other => $"the client sent {other} ({(sbyte)other}) mid-test",
    };

    private static Iperf3StreamResult[] Results(IReadOnlyList<Iperf3Stream> streams)
    {
        var results = new Iperf3StreamResult[streams.Count];
        for (int i = 0; i < results.Length; i++) results[i] = Iperf3StreamResult.From(streams[i]);
        return results;
    }

    private Iperf3TestSummary Summary(Iperf3TestOutcome outcome, string? detail, double seconds, IReadOnlyList<Iperf3Stream> streams)
    {
        Iperf3Parameters? parameters;
        lock (_gate) parameters = _parameters;
        return new Iperf3TestSummary(_client, parameters, outcome, detail, seconds, Results(streams));
    }
}
