using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace Wirestack.AspNetCore.Tests;

/// <summary>Collects every warning and error logged (with its category and exception) so a test can insist on none.</summary>
internal sealed class ProblemLoggerProvider(ConcurrentQueue<string> problems) : ILoggerProvider
{
    public ILogger CreateLogger(string categoryName) => new ProblemLogger(categoryName, problems);

    public void Dispose()
    {
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
