namespace Wirestack.Sockets;

/// <summary>
/// Where an application's sockets come from: the kernel (<see cref="KernelNetwork"/>) or Wirestack
/// (<see cref="StackNetwork"/>). Code written against it switches between kernel sockets and kernel bypass by
/// configuration alone. UDP for now; TCP (listen, accept, connect) joins it with the TCP slice.
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
}
