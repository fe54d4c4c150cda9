using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text;
using Wirestack.Interop.Bench;

namespace Wirestack.Interop.Nic;

/// <summary>
/// The second process of the shared-memory pipe tests: <c>dotnet Wirestack.ShmPeer.dll MODE ARGUMENT</c> from this
/// assembly's output directory (the project references it, so it is built and copied beside the tests). Its
/// standard output arrives line by line; it is killed on dispose if it still runs.
/// </summary>
internal sealed class ShmPeerProcess : IDisposable
{
    private readonly BlockingCollection<string> _lines = [];
    private readonly StringBuilder _errors = new();

    private ShmPeerProcess(string mode, string argument)
    {
        string dll = Path.Combine(AppContext.BaseDirectory, "Wirestack.ShmPeer.dll");
        if (!File.Exists(dll)) throw new FileNotFoundException($"{dll} is missing: build tests/Wirestack.Interop, which references tests/Wirestack.ShmPeer.", dll);
        var info = new ProcessStartInfo(DeviceRatesSmokeTests.DotnetHost(), [dll, mode, argument])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        Process = new Process { StartInfo = info };
        Process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null) _lines.CompleteAdding();
            else _lines.Add(e.Data);
        };
        Process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null) lock (_errors) _errors.AppendLine(e.Data);
        };
        Process.Start();
        Process.BeginOutputReadLine();
        Process.BeginErrorReadLine();
    }

    public Process Process { get; }

    public string Errors
    {
        get
        {
            lock (_errors) return _errors.ToString();
        }
    }

    /// <summary>Starts the peer and waits for its "ready".</summary>
    public static ShmPeerProcess Start(string mode, string argument)
    {
        var peer = new ShmPeerProcess(mode, argument);
        try
        {
            string? line = peer.ReadLine(TimeSpan.FromSeconds(30));
            if (line != "ready") throw new InvalidOperationException($"the peer said '{line}' instead of 'ready'; exit {(peer.Process.HasExited ? peer.Process.ExitCode : "-")}; stderr:\n{peer.Errors}");
            return peer;
        }
        catch
        {
            peer.Dispose();
            throw;
        }
    }

    /// <summary>The next line of standard output, or null when none came within <paramref name="timeout"/> or the output ended.</summary>
    public string? ReadLine(TimeSpan timeout) => _lines.TryTake(out string? line, timeout) ? line : null;

    public void Dispose()
    {
        try
        {
            if (!Process.HasExited) Process.Kill(entireProcessTree: true);
            Process.WaitForExit(10_000);
        }
        catch (InvalidOperationException)
        {
            // Never started or already reaped.
        }
        Process.Dispose();
    }
}
