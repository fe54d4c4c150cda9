using Microsoft.Extensions.Hosting;

namespace Wirestack.Cli.Serve;

/// <summary>
/// A host lifetime that leaves signals alone: `wirestack serve` handles SIGINT and SIGTERM itself and stops its
/// services in order, so a hosted app must not stop itself (as the default console lifetime would) on the same signal.
/// </summary>
internal sealed class CliHostLifetime : IHostLifetime
{
    /// <inheritdoc />
    public Task WaitForStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <inheritdoc />
    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
