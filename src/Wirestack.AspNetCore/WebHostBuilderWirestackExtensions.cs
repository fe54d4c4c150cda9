using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Wirestack.AspNetCore;

/// <summary>The one line that moves Kestrel onto Wirestack: <c>builder.WebHost.UseWirestack()</c>.</summary>
public static class WebHostBuilderWirestackExtensions
{
    /// <summary>
    /// Runs Kestrel's IP endpoints on a Wirestack <see cref="Sockets.Netstack"/> (or, with <c>Wirestack:Queues</c> above 1
    /// or a given <see cref="WirestackTransportOptions.Network"/>, on a <see cref="Sockets.ShardedNetwork"/> with a stack
    /// thread per queue) when the application's configuration has a
    /// <c>"Wirestack"</c> section (appsettings, environment <c>Wirestack__Device=Tap</c>, command line
    /// <c>--Wirestack:Device=Tap</c>) or <paramref name="configure"/> is given, and <c>Wirestack:Enabled</c> is not false;
    /// otherwise Kestrel stays on kernel sockets and the application runs unchanged.
    /// </summary>
    /// <param name="builder">The web host builder (<c>WebApplicationBuilder.WebHost</c>).</param>
    /// <param name="configure">Adjusts the options after configuration is bound (for example hands over a built stack).</param>
    /// <example>
    /// <code>
    /// var builder = WebApplication.CreateBuilder(args);
    /// builder.WebHost.UseWirestack();
    /// // appsettings.json: "Wirestack": { "Device": "Tap", "DeviceName": "ws0", "MacAddress": "02:00:00:00:00:01",
    /// //                                   "Ipv4Addresses": [ "10.0.0.2/24" ], "Ipv4Gateway": "10.0.0.1", "Mtu": 1500,
    /// //                                   "Queues": 2 }   // two stack threads; leave out for one
    /// // or on a network the app built:  builder.WebHost.UseWirestack(options => options.Network = shardedNetwork);
    /// </code>
    /// </example>
    public static IWebHostBuilder UseWirestack(this IWebHostBuilder builder, Action<WirestackTransportOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.ConfigureServices((context, services) =>
        {
            var section = context.Configuration.GetSection(WirestackTransportOptions.SectionName);
            if (!section.Exists() && configure is null) return; // kernel sockets
            var probe = new WirestackTransportOptions();
            section.Bind(probe);
            if (!probe.Enabled) return;
            services.AddOptions<WirestackTransportOptions>().Configure(options =>
            {
                section.Bind(options);
                section.Bind(options.Netstack);
                configure?.Invoke(options);
            });
            services.AddSingleton<WirestackConnectionListenerFactory>();
            // Kestrel tries the transports registered last first; ours takes IP endpoints, others keep the rest.
            services.AddSingleton<IConnectionListenerFactory>(provider => provider.GetRequiredService<WirestackConnectionListenerFactory>());
        });
    }
}
