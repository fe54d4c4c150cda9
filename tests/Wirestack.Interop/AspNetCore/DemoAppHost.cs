using System.Collections.Concurrent;
using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Logging;
using Wirestack.AspNetCore;
using Wirestack.Sockets;

namespace Wirestack.Interop.AspNetCore;

/// <summary>
/// The demo HTTP app (<see cref="HttpDemoEndpoints"/>) on Kestrel, listening on <c>address:port</c> either on a
/// Wirestack <see cref="Netstack"/> or, given none, on kernel sockets: the same code both ways. Warnings and errors
/// Kestrel logs are kept in <see cref="Problems"/>.
/// </summary>
internal sealed class DemoAppHost : IAsyncDisposable
{
    private DemoAppHost(WebApplication app, ConcurrentQueue<string> problems)
    {
        App = app;
        Problems = problems;
    }

    public WebApplication App { get; }

    public ConcurrentQueue<string> Problems { get; }

    public static async Task<DemoAppHost> StartAsync(IPAddress address, int port, Netstack? stack, CancellationToken cancellationToken)
    {
        var problems = new ConcurrentQueue<string>();
        var app = HttpDemoApp.Create(new IPEndPoint(address, port), stack, configure: builder => KeepProblems(builder, problems));
        await app.StartAsync(cancellationToken);
        return new DemoAppHost(app, problems);
    }

    /// <summary>The app on a Wirestack network the caller owns (a <see cref="ShardedNetwork"/>, say).</summary>
    public static async Task<DemoAppHost> StartAsync(IPAddress address, int port, INetwork network, CancellationToken cancellationToken)
    {
        var problems = new ConcurrentQueue<string>();
        var app = HttpDemoApp.Create(new IPEndPoint(address, port), network, configure: builder => KeepProblems(builder, problems));
        await app.StartAsync(cancellationToken);
        return new DemoAppHost(app, problems);
    }

    private static void KeepProblems(WebApplicationBuilder builder, ConcurrentQueue<string> problems)
    {
        builder.Logging.ClearProviders();
        builder.Logging.AddProvider(new ProblemLoggerProvider(problems));
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await App.StopAsync(CancellationToken.None);
        }
        finally
        {
            await App.DisposeAsync();
        }
    }

    private sealed class ProblemLoggerProvider(ConcurrentQueue<string> problems) : ILoggerProvider
    {
        public ILogger CreateLogger(string categoryName) => new ProblemLogger(categoryName, problems);

        public void Dispose()
        {
        }
    }

    private sealed class ProblemLogger(string category, ConcurrentQueue<string> problems) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Warning;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (IsEnabled(logLevel)) problems.Enqueue($"{logLevel} {category}: {formatter(state, exception)} {exception}");
        }
    }
}
