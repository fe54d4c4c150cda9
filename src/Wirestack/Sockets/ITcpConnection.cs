using Wirestack.Wire;

namespace Wirestack.Sockets;

/// <summary>
/// A TCP connection of an <see cref="INetwork"/>, the same on kernel sockets and on Wirestack: bytes go through
/// <see cref="GetStream"/>; disposing closes gracefully.
/// </summary>
public interface ITcpConnection : IDisposable
{
    /// <summary>Our address and port.</summary>
    IpEndpoint LocalEndPoint { get; }

    /// <summary>The peer's address and port.</summary>
    IpEndpoint RemoteEndPoint { get; }

    /// <summary>The connection as a <see cref="Stream"/> (the same one each call); reads return 0 at the end of the stream.</summary>
    Stream GetStream();

    /// <summary>Sends a FIN after what was written (half-close); reading goes on until the peer closes.</summary>
    void ShutdownWrite();

    /// <summary>Resets the connection.</summary>
    void Abort();
}
