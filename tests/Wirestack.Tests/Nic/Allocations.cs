namespace Wirestack.Tests.Nic;

/// <summary>Measures what a steady-state loop allocates on the current thread.</summary>
internal static class Allocations
{
    /// <summary>
    /// Bytes allocated on this thread by <paramref name="rounds"/> calls of <paramref name="round"/>,
    /// in the quietest of up to <paramref name="attempts"/> windows. The runtime now and then
    /// allocates once on whatever thread is running (a tiering worker started, a collection by
    /// another test's thread billing this thread's allocation context): a few bytes to a few KiB in
    /// one round of a thousand. An allocation per frame shows up in every window, so taking the
    /// quietest window cannot hide one.
    /// </summary>
    public static long InQuietestWindow(Action round, int rounds, int attempts = 10)
    {
        long fewest = long.MaxValue;
        for (int attempt = 0; attempt < attempts && fewest != 0; attempt++)
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            for (int i = 0; i < rounds; i++) round();
            fewest = Math.Min(fewest, GC.GetAllocatedBytesForCurrentThread() - before);
        }
        return fewest;
    }
}
