using Wirestack.Wire;

namespace Wirestack.Sockets;

/// <summary>
/// A UDP socket of an <see cref="INetwork"/>, the same on kernel sockets and on Wirestack: every operation works
/// synchronously (with a timeout) and asynchronously (with a <see cref="CancellationToken"/>), and fails with a
/// <see cref="WirestackException"/>.
/// </summary>
public interface IUdpSocket : IDisposable
{
    /// <summary>The bound address and port; default before binding.</summary>
    IpEndpoint LocalEndPoint { get; }

    /// <summary>Binds to a local address (or 0.0.0.0 / :: for all) and port (0 for an ephemeral one).</summary>
    void Bind(IpEndpoint localEndPoint, UdpSocketFlags flags = UdpSocketFlags.None);

    /// <summary>Queues a datagram (binding an ephemeral port first if needed).</summary>
    ValueTask<int> SendToAsync(ReadOnlyMemory<byte> data, IpEndpoint remoteEndPoint, CancellationToken cancellationToken = default);

    /// <summary>Sends a datagram, waiting up to <paramref name="timeout"/> for buffer space.</summary>
    int SendTo(ReadOnlySpan<byte> data, IpEndpoint remoteEndPoint, TimeSpan timeout);

    /// <summary>Receives the next datagram (truncated to the buffer).</summary>
    ValueTask<DatagramReceiveResult> ReceiveFromAsync(Memory<byte> buffer, CancellationToken cancellationToken = default);

    /// <summary>Receives the next datagram, waiting up to <paramref name="timeout"/>.</summary>
    int ReceiveFrom(Span<byte> buffer, out IpEndpoint remoteEndPoint, TimeSpan timeout);

    /// <summary>Joins a multicast group on this socket.</summary>
    void JoinMulticastGroup(IpAddress group);

    /// <summary>Leaves a multicast group joined with <see cref="JoinMulticastGroup"/>.</summary>
    void LeaveMulticastGroup(IpAddress group);
}
