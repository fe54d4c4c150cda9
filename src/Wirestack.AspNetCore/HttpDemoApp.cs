using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Wirestack.Sockets;

namespace Wirestack.AspNetCore;

/// <summary>
/// The demo app (<see cref="HttpDemoEndpoints"/>) as a whole: Kestrel listening on one endpoint, on a given
/// <see cref="Netstack"/> or Wirestack network or, without one, on kernel sockets (unless configuration has a
/// <c>"Wirestack"</c> section).
/// What <c>wirestack serve --http PORT</c> runs.
/// </summary>
public static class HttpDemoApp
{
    /// <summary>Builds the app; start it with <c>StartAsync</c> or <c>RunAsync</c>.</summary>
    /// <param name="endPoint">Where Kestrel listens (<c>0.0.0.0:PORT</c>, <c>[::]:PORT</c> or one of the stack's addresses).</param>
    /// <param name="stack">The stack to serve on; null for kernel sockets (or the configuration's Wirestack section).</param>
    /// <param name="args">Command-line arguments for the host's configuration (<c>--Wirestack:Device=Tap</c>, logging, ...).</param>
    /// <param name="configure">Last changes to the builder (logging, Kestrel limits) before the app is built.</param>
    public static WebApplication Create(IPEndPoint endPoint, Netstack? stack = null, string[]? args = null, Action<WebApplicationBuilder>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(endPoint);
        var builder = WebApplication.CreateBuilder(args ?? []);
        if (stack is not null) builder.WebHost.UseWirestack(options => options.Stack = stack);
        else builder.WebHost.UseWirestack();
        builder.WebHost.ConfigureKestrel(options => options.Listen(endPoint));
        configure?.Invoke(builder);
        var app = builder.Build();
        app.MapHttpDemo();
        return app;
    }

    /// <summary>Builds the app on a Wirestack network, such as a <see cref="ShardedNetwork"/>; start it with <c>StartAsync</c> or <c>RunAsync</c>.</summary>
    /// <param name="endPoint">Where Kestrel listens (<c>0.0.0.0:PORT</c>, <c>[::]:PORT</c> or one of the network's addresses).</param>
    /// <param name="network">The network to serve on (<see cref="WirestackTransportOptions.Network"/>); the caller keeps and disposes it.</param>
    /// <param name="args">Command-line arguments for the host's configuration (logging, ...).</param>
    /// <param name="configure">Last changes to the builder (logging, Kestrel limits) before the app is built.</param>
    public static WebApplication Create(IPEndPoint endPoint, INetwork network, string[]? args = null, Action<WebApplicationBuilder>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(endPoint);
        ArgumentNullException.ThrowIfNull(network);
        var builder = WebApplication.CreateBuilder(args ?? []);
        builder.WebHost.UseWirestack(options => options.Network = network);
        builder.WebHost.ConfigureKestrel(options => options.Listen(endPoint));
        configure?.Invoke(builder);
        var app = builder.Build();
        app.MapHttpDemo();
        return app;
    }
}
