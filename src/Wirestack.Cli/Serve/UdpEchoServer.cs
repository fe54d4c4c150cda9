using System.Net.Sockets;
using Wirestack.Sockets;
using Wirestack.Wire;

namespace Wirestack.Cli.Serve;

/// <summary>The UDP echo service of RFC 862: sends each datagram back to where it came from.</summary>
internal sealed class UdpEchoServer(int port) : INetworkService
{
    // The largest UDP payload; a longer datagram cannot arrive.
    private const int BufferLength = 65535;

    private readonly CancellationTokenSource _stopping = new();
    private readonly List<IUdpSocket> _sockets = [];
    private readonly List<Task> _loops = [];
    private int _stopped;

    /// <inheritdoc />
    public string Name => "udp-echo";

    /// <inheritdoc />
    public string Transport => "udp";

    /// <inheritdoc />
    public int Port { get; } = port;

    /// <inheritdoc />
    public ServiceCounters Counters { get; } = new();

    /// <inheritdoc />
    public ValueTask StartAsync(INetwork network, IReadOnlyList<IpAddress> addresses, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(network);
        try
        {
            foreach (var address in addresses)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var socket = network.CreateUdpSocket();
                _sockets.Add(socket);
                socket.Bind(new IpEndpoint(address, (ushort)Port));
            }
        }
        catch
        {
            foreach (var socket in _sockets) socket.Dispose();
            _sockets.Clear();
            throw;
        }
        foreach (var socket in _sockets) _loops.Add(EchoLoopAsync(socket, _stopping.Token));
        return ValueTask.CompletedTask;
    }

    /// <inheritdoc />
    public async ValueTask StopAsync()
    {
        if (Interlocked.Exchange(ref _stopped, 1) != 0) return;
        await _stopping.CancelAsync().ConfigureAwait(false);
        await Task.WhenAll(_loops).ConfigureAwait(false);
        foreach (var socket in _sockets) socket.Dispose();
        _stopping.Dispose();
    }

    private async Task EchoLoopAsync(IUdpSocket socket, CancellationToken token)
    {
        var buffer = new byte[BufferLength];
        while (!token.IsCancellationRequested)
        {
            DatagramReceiveResult received;
            try
            {
                received = await socket.ReceiveFromAsync(buffer, token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            catch (WirestackException e) when (e.ErrorCode == WirestackErrorCode.Closed)
            {
                return;
            }
            catch (Exception e) when (e is WirestackException or SocketException)
            {
                // An ICMP error reported on the kernel socket, say: that datagram is lost, the service goes on.
                Counters.Error();
                continue;
            }
            Counters.DatagramReceived(received.ReceivedBytes);
            try
            {
                await socket.SendToAsync(buffer.AsMemory(0, received.ReceivedBytes), received.RemoteEndPoint, token).ConfigureAwait(false);
                Counters.DatagramSent(received.ReceivedBytes);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            catch (Exception e) when (e is WirestackException or SocketException)
            {
                Counters.Error();
            }
        }
    }
}
