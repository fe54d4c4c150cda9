namespace Wirestack.Testing;

/// <summary>
/// Measures the bytes a piece of code allocates, on a thread of its own: a test-runner thread can
/// run the runner's own work between a test's statements, and that work would be counted too.
/// </summary>
internal static class AllocationMeter
{
    /// <summary>Runs <paramref name="action"/> <paramref name="warmup"/> times, then returns the bytes allocated by <paramref name="iterations"/> more runs.</summary>
    public static long Measure(Action action, int warmup = 100, int iterations = 1000)
    {
        long allocated = -1;
        Exception? failure = null;
        var thread = new Thread(() =>
        {
            try
            {
                for (int i = 0; i < warmup; i++) action();
                long before = GC.GetAllocatedBytesForCurrentThread();
                for (int i = 0; i < iterations; i++) action();
                allocated = GC.GetAllocatedBytesForCurrentThread() - before;
            }
            catch (Exception e)
            {
                failure = e;
            }
        });
        thread.Start();
        thread.Join();
        if (failure is not null) throw new InvalidOperationException("the measured code threw", failure);
        return allocated;
    }
}
