using System.Net;
using System.Net.Sockets;
using Wirestack.Wire;

namespace Wirestack.Sockets;

/// <summary>An <see cref="INetwork"/> on the operating system's sockets (<see cref="System.Net.Sockets.Socket"/>).</summary>
public sealed class KernelNetwork : INetwork
{
    private int _disposed;

    /// <summary>Uses the kernel's sockets; <paramref name="multicastInterface"/> picks the interface (by one of its IPv4 addresses) for multicast, or the kernel's choice when null.</summary>
    public KernelNetwork(IPAddress? multicastInterface = null) => MulticastInterface = multicastInterface;

    /// <summary>The IPv4 address of the interface multicast groups are joined and sent on; null for the kernel's choice.</summary>
    public IPAddress? MulticastInterface { get; }

    /// <inheritdoc />
    public string Name => "kernel";

    /// <inheritdoc />
    public bool SupportsMulticast => true;

    /// <inheritdoc />
    public IUdpSocket CreateUdpSocket()
    {
        if (Volatile.Read(ref _disposed) != 0) throw new WirestackException(WirestackErrorCode.Closed, "The KernelNetwork is disposed.");
        return new KernelUdpSocket(MulticastInterface);
    }

    /// <inheritdoc />
    public ITcpListener ListenTcp(IpEndpoint localEndPoint, int backlog = 128)
    {
        ThrowIfDisposed();
        return new KernelTcpListener(localEndPoint, backlog);
    }

    /// <inheritdoc />
    public async ValueTask<ITcpConnection> ConnectTcpAsync(IpEndpoint remoteEndPoint, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        ThrowIfDisposed();
        var remote = remoteEndPoint.ToIPEndPoint();
        var socket = new Socket(remote.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        using var timer = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timer.CancelAfter(timeout);
        try
        {
            await socket.ConnectAsync(remote, timer.Token).ConfigureAwait(false);
            return new KernelTcpConnection(socket);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            socket.Dispose();
            throw new WirestackException(WirestackErrorCode.TimedOut, $"Connecting to {remoteEndPoint} did not complete within {timeout}.");
        }
        catch (Exception e)
        {
            socket.Dispose();
            if (e is SocketException) throw KernelUdpSocket.Map(e, $"Connecting to {remoteEndPoint}");
            throw;
        }
    }

    private void ThrowIfDisposed()
    {
        if (Volatile.Read(ref _disposed) != 0) throw new WirestackException(WirestackErrorCode.Closed, "The KernelNetwork is disposed.");
    }

    /// <summary>Marks the network disposed; sockets already created stay open until disposed themselves.</summary>
    public void Dispose() => Volatile.Write(ref _disposed, 1);

    /// <inheritdoc cref="Dispose"/>
    public ValueTask DisposeAsync()
    {
        Dispose();
        return ValueTask.CompletedTask;
    }
}
