using Wirestack.Wire;

namespace Wirestack.Sockets;

/// <summary>An <see cref="INetwork"/> on Wirestack: sockets come from a <see cref="Netstack"/>.</summary>
public sealed class StackNetwork : INetwork
{
    private readonly bool _ownsStack;

    /// <summary>Serves sockets from <paramref name="stack"/>; with <paramref name="ownsStack"/>, disposing the network disposes the stack.</summary>
    public StackNetwork(Netstack stack, bool ownsStack = true)
    {
        ArgumentNullException.ThrowIfNull(stack);
        Stack = stack;
        _ownsStack = ownsStack;
    }

    /// <summary>The stack the sockets run on.</summary>
    public Netstack Stack { get; }

    /// <inheritdoc />
    public string Name => "wirestack";

    /// <inheritdoc />
    public bool SupportsMulticast => true;

    /// <inheritdoc />
    public IUdpSocket CreateUdpSocket() => Stack.CreateUdpSocket();

    /// <inheritdoc />
    public ITcpListener ListenTcp(IpEndpoint localEndPoint, int backlog = 128) => Stack.ListenTcp(localEndPoint, backlog);

    /// <inheritdoc />
    public async ValueTask<ITcpConnection> ConnectTcpAsync(IpEndpoint remoteEndPoint, TimeSpan timeout, CancellationToken cancellationToken = default) =>
        await Stack.ConnectAsync(remoteEndPoint, timeout, cancellationToken).ConfigureAwait(false);

    /// <inheritdoc />
    public void Dispose()
    {
        if (_ownsStack) Stack.Dispose();
    }

    /// <inheritdoc />
    public ValueTask DisposeAsync() => _ownsStack ? Stack.DisposeAsync() : ValueTask.CompletedTask;
}
