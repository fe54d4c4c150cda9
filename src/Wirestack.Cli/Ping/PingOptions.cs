using Wirestack.Cli.Hosting;
using Wirestack.Wire;

namespace Wirestack.Cli.Ping;

/// <summary>What `wirestack ping` was asked to do.</summary>
/// <param name="Destination">The address to ping.</param>
/// <param name="Count">How many echo requests to send; null sends until interrupted.</param>
/// <param name="Interval">The time between requests.</param>
/// <param name="Size">The echo data bytes in each request.</param>
/// <param name="Host">The stack and its device.</param>
internal sealed record PingOptions(IpAddress Destination, int? Count, TimeSpan Interval, int Size, HostOptions Host);
