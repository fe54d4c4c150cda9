using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Wirestack.AspNetCore;
using Wirestack.Sockets;
using Wirestack.Wire;

namespace Wirestack.Cli.Serve;

/// <summary>
/// The small ASP.NET Core app of <see cref="HttpDemoApp"/> (<c>/</c>, <c>/bytes/N</c>, <c>POST /echo</c>) on Kestrel: over the
/// Wirestack transport on a <see cref="StackNetwork"/> or a <see cref="ShardedNetwork"/>, over Kestrel's own sockets on any other network. Logs warnings only,
/// to standard error, and counts requests and body bytes.
/// </summary>
internal sealed class HttpService(int port) : INetworkService
{
    // Long enough for a request in flight to finish its response; then Kestrel aborts what is left.
    private static readonly TimeSpan ShutdownTimeout = TimeSpan.FromSeconds(5);

    private WebApplication? _app;
    private int _stopped;

    /// <inheritdoc />
    public string Name => "http";

    /// <inheritdoc />
    public string Transport => "tcp";

    /// <inheritdoc />
    public int Port { get; } = port;

    /// <summary>Requests answered and the body bytes of requests and responses.</summary>
    public ServiceCounters Counters { get; } = new(countsRequests: true);

    /// <inheritdoc />
    /// <exception cref="InvalidOperationException">The service was started before.</exception>
    public async ValueTask StartAsync(INetwork network, IReadOnlyList<IpAddress> addresses, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(addresses);
        if (addresses.Count == 0) throw new ArgumentException("Give at least one local address to serve HTTP on (:: or 0.0.0.0 for all).", nameof(addresses));
        if (_app is not null) throw new InvalidOperationException("This HTTP service was started already; create another one to serve again.");
        var endPoints = EndPoints(addresses);
        // No arguments: the command line is the CLI's, and the host must not pick a Wirestack section up from it.
        Action<WebApplicationBuilder> configure = builder => Configure(builder, endPoints);
        var app = network is StackNetwork or ShardedNetwork
            ? HttpDemoApp.Create(endPoints[0], network, [], configure)
            : HttpDemoApp.Create(endPoints[0], (Netstack?)null, [], configure);
        app.Use(CountAsync);
        try
        {
            await app.StartAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (IOException e)
        {
            await app.DisposeAsync().ConfigureAwait(false);
            // Kestrel's "Failed to bind to address ...: address already in use." names the address and the reason.
            throw new WirestackException(WirestackErrorCode.AddressInUse, $"--http {Port}: {e.Message} Give --http a free port.", e);
        }
        catch
        {
            await app.DisposeAsync().ConfigureAwait(false);
            throw;
        }
        _app = app;
    }

    /// <inheritdoc />
    public async ValueTask StopAsync()
    {
        if (_app is not { } app || Interlocked.Exchange(ref _stopped, 1) != 0) return;
        try
        {
            await app.StopAsync().ConfigureAwait(false);
        }
        finally
        {
            await app.DisposeAsync().ConfigureAwait(false);
        }
    }

    // Logging, shutdown and the endpoints after the first, alike on Wirestack and on kernel sockets.
    private static void Configure(WebApplicationBuilder builder, IPEndPoint[] endPoints)
    {
        builder.Logging.ClearProviders();
        builder.Logging.AddConsole(options => options.LogToStandardErrorThreshold = LogLevel.Trace);
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        // The CLI owns SIGINT and SIGTERM: it stops the services itself, then prints the counters.
        builder.Services.AddSingleton<IHostLifetime, CliHostLifetime>();
        builder.Services.Configure<HostOptions>(options => options.ShutdownTimeout = ShutdownTimeout);
        if (endPoints.Length > 1)
            builder.WebHost.ConfigureKestrel(options =>
            {
                for (int i = 1; i < endPoints.Length; i++) options.Listen(endPoints[i]);
            });
    }

    // Kestrel on kernel sockets makes [::] dual-stack, so 0.0.0.0 next to it would clash: :: alone covers both.
    private IPEndPoint[] EndPoints(IReadOnlyList<IpAddress> addresses)
    {
        foreach (var address in addresses)
            if (address == IpAddress.AnyIpv6) return [new IPEndPoint(IPAddress.IPv6Any, Port)];
        var endPoints = new IPEndPoint[addresses.Count];
        for (int i = 0; i < endPoints.Length; i++) endPoints[i] = new IPEndPoint(addresses[i].ToIPAddress(), Port);
        return endPoints;
    }

    private async Task CountAsync(HttpContext context, RequestDelegate next)
    {
        try
        {
            await next(context).ConfigureAwait(false);
        }
        catch
        {
            Counters.Error();
            throw;
        }
        Counters.RequestServed(context.Request.ContentLength ?? 0, context.Response.ContentLength ?? 0);
    }
}
