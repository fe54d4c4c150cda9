using Wirestack.Sockets;

namespace Wirestack.Cli.Serve;

/// <summary>
/// An application `wirestack serve` runs on an <see cref="INetwork"/> (kernel sockets or Wirestack): echo, discard,
/// chargen, the iperf3 server. It starts listening in <see cref="StartAsync"/> and serves in the background until
/// <see cref="StopAsync"/>.
/// </summary>
internal interface INetworkService
{
    /// <summary>A short name for logs, such as "iperf3".</summary>
    string Name { get; }

    /// <summary>Opens the service's sockets on <paramref name="network"/> and starts serving in the background.</summary>
    /// <param name="network">Where the sockets come from.</param>
    /// <param name="cancellationToken">Stops the start; serving is stopped with <see cref="StopAsync"/>.</param>
    ValueTask StartAsync(INetwork network, CancellationToken cancellationToken);

    /// <summary>Stops serving, closes the service's sockets and waits for its background work to end.</summary>
    ValueTask StopAsync();
}
