using System.Net;
using System.Net.Sockets;
using Wirestack.Wire;

namespace Wirestack.Sockets;

/// <summary>A kernel TCP connection behind <see cref="ITcpConnection"/>: a connected <see cref="Socket"/> and its <see cref="NetworkStream"/>.</summary>
internal sealed class KernelTcpConnection(Socket socket) : ITcpConnection
{
    private readonly NetworkStream _stream = new(socket, ownsSocket: true);

    public IpEndpoint LocalEndPoint { get; } = IpEndpoint.FromIPEndPoint((IPEndPoint)socket.LocalEndPoint!);

    public IpEndpoint RemoteEndPoint { get; } = IpEndpoint.FromIPEndPoint((IPEndPoint)socket.RemoteEndPoint!);

    public Stream GetStream() => _stream;

    public void ShutdownWrite()
    {
        try
        {
            socket.Shutdown(SocketShutdown.Send);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            throw KernelUdpSocket.Map(e, "Shutting down the write side");
        }
    }

    public void Abort()
    {
        // SO_LINGER with a zero timeout: close sends a reset. Close the socket itself first: disposing the stream
        // would shut it down (a FIN) before closing, and the peer would see an orderly end before the reset.
        socket.LingerState = new LingerOption(true, 0);
        socket.Dispose();
        _stream.Dispose();
    }

    public void Dispose() => _stream.Dispose();

    public override string ToString() => $"kernel TCP {LocalEndPoint} -> {RemoteEndPoint}";
}
