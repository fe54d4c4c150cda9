namespace Wirestack.Testing;

/// <summary>
/// Measures the bytes a piece of code allocates per window of runs. The runtime itself sometimes
/// allocates on a thread in passing (tiered recompilation, a runner's work item), so the meter
/// runs on a thread of its own and reports the quietest of several windows: a real allocation on
/// the measured path shows in every window, a one-off runtime allocation only in some.
/// </summary>
internal static class AllocationMeter
{
    /// <summary>
    /// Runs <paramref name="action"/> <paramref name="warmup"/> times, then returns the fewest bytes
    /// allocated by <paramref name="iterations"/> runs over up to <paramref name="windows"/> windows.
    /// </summary>
    public static long Measure(Action action, int warmup = 100, int iterations = 1000, int windows = 5)
    {
        long fewest = -1;
        Exception? failure = null;
        var thread = new Thread(() =>
        {
            try
            {
                for (int i = 0; i < warmup; i++) action();
                fewest = long.MaxValue;
                for (int w = 0; w < windows && fewest != 0; w++)
                {
                    long before = GC.GetAllocatedBytesForCurrentThread();
                    for (int i = 0; i < iterations; i++) action();
                    fewest = Math.Min(fewest, GC.GetAllocatedBytesForCurrentThread() - before);
                }
            }
            catch (Exception e)
            {
                failure = e;
            }
        });
        thread.Start();
        thread.Join();
        if (failure is not null) throw new InvalidOperationException("the measured code threw", failure);
        return fewest;
    }
}
