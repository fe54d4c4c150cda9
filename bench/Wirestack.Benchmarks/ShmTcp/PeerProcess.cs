using System.Collections.Concurrent;
using System.Diagnostics;

namespace Wirestack.Benchmarks.ShmTcp;

/// <summary>
/// The benchmark's second process: <c>dotnet Wirestack.ShmPeer.dll MODE ARGUMENT</c> from beside this assembly
/// (the project references tests/Wirestack.ShmPeer). Its output arrives line by line; it is killed on dispose.
/// </summary>
internal sealed class PeerProcess : IDisposable
{
    private readonly BlockingCollection<string> _lines = [];
    private readonly Process _process;

    public PeerProcess(string mode, string argument)
    {
        string dll = Path.Combine(AppContext.BaseDirectory, "Wirestack.ShmPeer.dll");
        if (!File.Exists(dll)) throw new FileNotFoundException($"{dll} is missing: build bench/Wirestack.Benchmarks, which references tests/Wirestack.ShmPeer.", dll);
        string host = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } path && File.Exists(path) ? path : "dotnet";
        _process = new Process
        {
            StartInfo = new ProcessStartInfo(host, [dll, mode, argument]) { RedirectStandardOutput = true, UseShellExecute = false },
        };
        _process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null) _lines.CompleteAdding();
            else _lines.Add(e.Data);
        };
        _process.Start();
        _process.BeginOutputReadLine();
        string? ready = ReadLine(TimeSpan.FromSeconds(30));
        if (ready != "ready")
        {
            Dispose();
            throw new InvalidOperationException($"the peer ({mode} {argument}) said '{ready}' instead of 'ready'");
        }
    }

    /// <summary>The next line of output, or null when none came within <paramref name="timeout"/>.</summary>
    public string? ReadLine(TimeSpan timeout) => _lines.TryTake(out string? line, timeout) ? line : null;

    /// <summary>The next line of output if one is there already.</summary>
    public string? TryReadLine() => _lines.TryTake(out string? line) ? line : null;

    public void Dispose()
    {
        try
        {
            if (!_process.HasExited) _process.Kill();
            _process.WaitForExit(10_000);
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }
        _process.Dispose();
    }
}
