using System.Diagnostics;

namespace Wirestack.Interop.Infrastructure;

/// <summary>tcpdump in a namespace, started so that a capture misses nothing the test sends after it.</summary>
internal static class Tcpdump
{
    /// <summary>
    /// Starts <c>tcpdump ARGUMENTS</c> in <paramref name="ns"/> and returns once it says "listening on" (its socket is
    /// bound): a fixed sleep instead missed a whole 0.3 s transfer on a loaded machine.
    /// </summary>
    public static Process StartListening(NetworkNamespace ns, string tcpdump, params string[] arguments)
    {
        var dump = ns.Start([tcpdump, .. arguments]);
        var listening = Task.Run(() =>
        {
            while (dump.StandardError.ReadLine() is { } line)
                if (line.Contains("listening on", StringComparison.Ordinal)) return true;
            return false;
        });
        if (!listening.Wait(TimeSpan.FromSeconds(20)) || !listening.Result)
        {
            if (!dump.HasExited) dump.Kill();
            throw new InvalidOperationException($"tcpdump {string.Join(' ', arguments)} did not start listening within 20 s");
        }
        return dump;
    }

    /// <summary>
    /// Stops a capture once tcpdump has written what it was given: killed at once, a tcpdump that lags behind a fast
    /// transfer loses the frames still waiting in its socket (a 4 MiB echo's capture was missing 14 of its last frames).
    /// </summary>
    public static void Stop(Process dump, string capture)
    {
        long last = -1;
        var clock = Stopwatch.StartNew();
        // With -U every frame is written as it is read; a size that holds for 300 ms means it has caught up.
        while (clock.Elapsed < TimeSpan.FromSeconds(10))
        {
            long size = File.Exists(capture) ? new FileInfo(capture).Length : 0;
            if (size == last) break;
            last = size;
            Thread.Sleep(300);
        }
        if (!dump.HasExited) dump.Kill();
        dump.WaitForExit();
    }
}
