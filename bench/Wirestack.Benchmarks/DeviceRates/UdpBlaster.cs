using System.Diagnostics;
using System.Globalization;

namespace Wirestack.Benchmarks.DeviceRates;

/// <summary>
/// The kernel's side of the kernel-sends rows: bench/tools/udp-blast.c (embedded in this assembly),
/// compiled with the machine's C compiler into a temporary directory at run time and run inside a
/// namespace. A C sender with sendmmsg, because a scripted one (~150k datagrams/s from Python)
/// would measure the script rather than the link.
/// </summary>
internal sealed class UdpBlaster
{
    private const string SourceName = "udp-blast.c";
    private const string TempPrefix = "wirestack-bench-";

    private UdpBlaster(string path) => ExecutablePath = path;

    public string ExecutablePath { get; }

    /// <summary>
    /// Compiles the sender into a new temporary directory (removed at cleanup). Returns null, with
    /// the reason in <paramref name="problem"/>, when there is no C compiler.
    /// </summary>
    public static UdpBlaster? Build(CleanupRegistry cleanup, out string? problem)
    {
        problem = null;
        string? compiler = Shell.Find("cc");
        if (compiler is null)
        {
            problem = "no C compiler ('cc') to build the kernel's UDP sender (bench/tools/udp-blast.c); install the Debian package gcc (apt-get install gcc)";
            return null;
        }
        var directory = Directory.CreateTempSubdirectory($"{TempPrefix}{Environment.ProcessId}-");
        cleanup.Add($"directory {directory.FullName}", () => directory.Delete(recursive: true));
        string source = Path.Combine(directory.FullName, SourceName);
        using (var resource = typeof(UdpBlaster).Assembly.GetManifestResourceStream(SourceName)
            ?? throw new InvalidOperationException($"{SourceName} is not embedded in {typeof(UdpBlaster).Assembly.GetName().Name}; check the EmbeddedResource item in the project."))
        using (var file = File.Create(source))
        {
            resource.CopyTo(file);
        }
        string executable = Path.Combine(directory.FullName, "udp-blast");
        Shell.Run(compiler, "-O2", "-Wall", "-Wextra", "-o", executable, source).EnsureSuccess($"cc -O2 {SourceName}");
        return new UdpBlaster(executable);
    }

    /// <summary>Deletes the temporary directories of runs that were killed before they could (their PID is gone).</summary>
    public static void RemoveStale()
    {
        foreach (string path in Directory.EnumerateDirectories(Path.GetTempPath(), TempPrefix + "*"))
        {
            string pid = Path.GetFileName(path)[TempPrefix.Length..].Split('-')[0];
            if (pid.Length == 0 || !pid.All(char.IsAsciiDigit) || Directory.Exists($"/proc/{pid}")) continue;
            try
            {
                Directory.Delete(path, recursive: true);
            }
            catch (IOException)
            {
                // Another run's, racing with this one: leave it.
            }
        }
    }

    /// <summary>
    /// Starts sending <paramref name="payloadBytes"/>-byte datagrams from <paramref name="ns"/> to
    /// <paramref name="address"/> port 9 for <paramref name="duration"/>, in sendmmsg batches of <paramref name="batch"/>.
    /// </summary>
    public Process Start(BenchNamespace ns, string address, int payloadBytes, TimeSpan duration, int batch) =>
        ns.Start(ExecutablePath, address, "9",
            payloadBytes.ToString(CultureInfo.InvariantCulture),
            duration.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture),
            batch.ToString(CultureInfo.InvariantCulture));

    /// <summary>Waits for a sender started by <see cref="Start"/> and reads its report; on Ctrl-C kills it and stops.</summary>
    public static BlastResult Finish(Process sender, TimeSpan timeout, CancellationToken token)
    {
        for (var waited = Stopwatch.StartNew(); !sender.WaitForExit(100) && waited.Elapsed < timeout;)
        {
            if (!token.IsCancellationRequested) continue;
            Shell.Kill(sender);
            token.ThrowIfCancellationRequested();
        }
        var result = Shell.Finish(sender, TimeSpan.FromSeconds(5)).EnsureSuccess("udp-blast");
        return BlastResult.Parse(result.StandardOutput);
    }
}
