using System.Diagnostics;
using System.Text;
using Wirestack.Cli.Hosting;

namespace Wirestack.Cli.Serve;

/// <summary>
/// `wirestack serve`: brings the network up, starts the services, prints one `ready` line, serves until cancelled
/// (SIGINT, SIGTERM), then stops the services and prints the counters.
/// </summary>
internal sealed class ServeRunner(ServeOptions options, TextWriter output)
{
    // How often the wait checks that the stack threads are still running.
    private static readonly TimeSpan HealthCheck = TimeSpan.FromMilliseconds(200);

    /// <summary>Serves until <paramref name="cancellation"/> fires; returns 0, or 1 when the stack failed while serving.</summary>
    /// <exception cref="CliUsageException">A bad combination of options.</exception>
    public int Run(CancellationToken cancellation) => RunAsync(cancellation).GetAwaiter().GetResult();

    private async Task<int> RunAsync(CancellationToken cancellation)
    {
        var services = options.CreateServices(output);
        using var host = NetworkHost.Open(options.Network, options.Host, options.Ipv4, options.Ipv6, options.PcapPath);
        var started = new List<INetworkService>();
        try
        {
            foreach (var service in services)
            {
                await service.StartAsync(host.Network, host.BindAddresses, cancellation).ConfigureAwait(false);
                started.Add(service);
            }
            var ready = new StringBuilder("ready ").Append(host.Description).Append(';');
            foreach (var service in services) ready.Append(' ').Append(service.Name).Append(' ').Append(service.Transport).Append('/').Append(service.Port);
            output.WriteLine(ready.ToString());
            output.Flush();

            var clock = Stopwatch.StartNew();
            int exitCode = 0;
            while (!cancellation.WaitHandle.WaitOne(HealthCheck))
            {
                if (host.DescribeFailure() is { } failure)
                {
                    output.WriteLine(failure);
                    exitCode = 1;
                    break;
                }
            }
            foreach (var service in started) await service.StopAsync().ConfigureAwait(false);
            started.Clear();
            output.WriteLine($"stopped after {clock.Elapsed.TotalSeconds:F1} s");
            foreach (var service in services)
                output.WriteLine($"{service.Name,-10} {service.Transport}/{service.Port}: {service.Counters.Format(service.Transport)}");
            host.WriteCounters(output);
            output.Flush();
            return exitCode;
        }
        finally
        {
            foreach (var service in started) await service.StopAsync().ConfigureAwait(false);
        }
    }
}
