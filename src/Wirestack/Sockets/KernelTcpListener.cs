using System.Net;
using System.Net.Sockets;
using Wirestack.Wire;

namespace Wirestack.Sockets;

/// <summary>A kernel TCP listener behind <see cref="ITcpListener"/>.</summary>
internal sealed class KernelTcpListener : ITcpListener
{
    private readonly Socket _socket;

    public KernelTcpListener(IpEndpoint local, int backlog)
    {
        var address = local.Address.ToIPAddress();
        _socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            _socket.Bind(new IPEndPoint(address, local.Port));
            _socket.Listen(backlog);
        }
        catch (SocketException e)
        {
            _socket.Dispose();
            throw KernelUdpSocket.Map(e, $"Listening on {local}");
        }
        LocalEndPoint = IpEndpoint.FromIPEndPoint((IPEndPoint)_socket.LocalEndPoint!);
    }

    public IpEndpoint LocalEndPoint { get; }

    public async ValueTask<ITcpConnection> AcceptAsync(CancellationToken cancellationToken = default)
    {
        try
        {
            var accepted = await _socket.AcceptAsync(cancellationToken).ConfigureAwait(false);
            accepted.NoDelay = true;
            return new KernelTcpConnection(accepted);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            throw KernelUdpSocket.Map(e, $"Accepting on {LocalEndPoint}");
        }
    }

    public void Dispose() => _socket.Dispose();
}
