using System.Collections.Concurrent;

namespace Wirestack.AspNetCore.Tests;

/// <summary>Counts task exceptions nobody observed while it is alive (collecting garbage first, so faulted tasks are finalized).</summary>
internal sealed class UnobservedExceptionWatch : IDisposable
{
    private readonly ConcurrentQueue<Exception> _seen = new();

    public UnobservedExceptionWatch() => TaskScheduler.UnobservedTaskException += OnUnobserved;

    public void AssertNone()
    {
        for (int i = 0; i < 3; i++)
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
        }
        Assert.True(_seen.IsEmpty, "Unobserved task exceptions:\n" + string.Join("\n", _seen));
    }

    public void Dispose() => TaskScheduler.UnobservedTaskException -= OnUnobserved;

    private void OnUnobserved(object? sender, UnobservedTaskExceptionEventArgs e) => _seen.Enqueue(e.Exception);
}

/// <summary>Tests that watch for unobserved exceptions run one at a time, so one test's leftovers are not blamed on another.</summary>
[CollectionDefinition(nameof(UnobservedExceptionCollection), DisableParallelization = true)]
public sealed class UnobservedExceptionCollection;
