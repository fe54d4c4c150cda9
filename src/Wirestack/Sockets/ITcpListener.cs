using Wirestack.Wire;

namespace Wirestack.Sockets;

/// <summary>A TCP listener of an <see cref="INetwork"/>, the same on kernel sockets and on Wirestack. Disposing stops listening.</summary>
public interface ITcpListener : IDisposable
{
    /// <summary>The address and port listened on (the chosen port when 0 was asked for).</summary>
    IpEndpoint LocalEndPoint { get; }

    /// <summary>Waits for the next established connection.</summary>
    /// <exception cref="WirestackException"><see cref="WirestackErrorCode.Closed"/> when the listener is closed.</exception>
    ValueTask<ITcpConnection> AcceptAsync(CancellationToken cancellationToken = default);
}
