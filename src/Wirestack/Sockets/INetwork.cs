using Wirestack.Wire;

namespace Wirestack.Sockets;

/// <summary>
/// Where an application's sockets come from: the kernel (<see cref="KernelNetwork"/>) or Wirestack
/// (<see cref="StackNetwork"/>). Code written against it switches between kernel sockets and kernel bypass by
/// configuration alone: UDP sockets, and TCP listeners and connections.
/// </summary>
public interface INetwork : IAsyncDisposable, IDisposable
{
    /// <summary>A short name for logs: "kernel" or "wirestack".</summary>
    string Name { get; }

    /// <summary>Whether <see cref="IUdpSocket.JoinMulticastGroup"/> works on this network.</summary>
    bool SupportsMulticast { get; }

    /// <summary>Creates an unbound UDP socket.</summary>
    /// <exception cref="WirestackException"><see cref="WirestackErrorCode.Closed"/> when the network is disposed.</exception>
    IUdpSocket CreateUdpSocket();

    /// <summary>Listens for TCP connections on a local address (or 0.0.0.0 / :: for all) and port (0 for an ephemeral one).</summary>
    /// <exception cref="WirestackException"><see cref="WirestackErrorCode.AddressInUse"/>, <see cref="WirestackErrorCode.AddressNotAvailable"/>, <see cref="WirestackErrorCode.Closed"/>.</exception>
    ITcpListener ListenTcp(IpEndpoint localEndPoint, int backlog = 128);

    /// <summary>Connects to <paramref name="remoteEndPoint"/>, waiting up to <paramref name="timeout"/> for the connection to be established.</summary>
    /// <exception cref="WirestackException">
    /// <see cref="WirestackErrorCode.Refused"/> (reset), <see cref="WirestackErrorCode.TimedOut"/> (no answer within
    /// <paramref name="timeout"/>), <see cref="WirestackErrorCode.Unreachable"/>, <see cref="WirestackErrorCode.Closed"/>.
    /// </exception>
    ValueTask<ITcpConnection> ConnectTcpAsync(IpEndpoint remoteEndPoint, TimeSpan timeout, CancellationToken cancellationToken = default);
}
