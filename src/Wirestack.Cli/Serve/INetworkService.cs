using Wirestack.Sockets;
using Wirestack.Wire;

namespace Wirestack.Cli.Serve;

/// <summary>
/// An application `wirestack serve` runs. It is written only against <see cref="INetwork"/>, so the same code serves
/// on a Wirestack stack and on kernel sockets. Start binds (and fails then, with an actionable message, if it cannot);
/// the work runs in the background until <see cref="StopAsync"/>, which never throws what a peer did.
/// </summary>
internal interface INetworkService
{
    /// <summary>The service's name on the command line and in the output, such as "echo".</summary>
    string Name { get; }

    /// <summary>"tcp" or "udp".</summary>
    string Transport { get; }

    /// <summary>
    /// Every transport whose <see cref="Port"/> the service binds: <see cref="Transport"/>, and more for a service that
    /// also binds the other transport's port (iperf3 runs UDP tests on its TCP port). Used to refuse clashing ports.
    /// </summary>
    IReadOnlyList<string> Transports => [Transport];

    /// <summary>The port it serves.</summary>
    int Port { get; }

    /// <summary>What it has done so far; readable at any time from any thread.</summary>
    ServiceCounters Counters { get; }

    /// <summary>Binds <see cref="Port"/> on each of <paramref name="addresses"/> and starts serving in the background.</summary>
    /// <param name="network">Where the sockets come from.</param>
    /// <param name="addresses">The local addresses to bind (<c>::</c> for every address of a stack).</param>
    /// <param name="cancellationToken">Cancels starting only; use <see cref="StopAsync"/> to stop.</param>
    /// <exception cref="WirestackException">A bind failed (the port is in use, say); nothing stays bound.</exception>
    ValueTask StartAsync(INetwork network, IReadOnlyList<IpAddress> addresses, CancellationToken cancellationToken = default);

    /// <summary>Stops accepting, ends every connection and waits for the background work to finish. Idempotent.</summary>
    ValueTask StopAsync();
}
