using System.Diagnostics;
using System.Text;
using Wirestack.Testing;

namespace Wirestack.Interop.Cli;

/// <summary>
/// The `wirestack` CLI running in the background (in a namespace through `ip netns exec`, which execs it, so its
/// process id is the CLI's and it takes signals): reads its output line by line with a time limit, signals it, and
/// kills it on dispose if it is still running (a failed test leaves nothing behind).
/// </summary>
internal sealed class CliProcess : IDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _seen = new();
    private readonly StringBuilder _stderr = new();
    private readonly TaskCompletionSource _stderrClosed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private CliProcess(Process process)
    {
        _process = process;
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is null) _stderrClosed.TrySetResult();
            else lock (_stderr) _stderr.AppendLine(e.Data);
        };
        process.BeginErrorReadLine();
    }

    /// <summary>
    /// The CLI and its arguments, run with the same dotnet host as the tests, with SIGINT's default disposition: a test
    /// run started in the background of a non-interactive shell inherits SIGINT ignored, which .NET then leaves ignored,
    /// and the tests that interrupt the CLI would wait for an exit that never comes.
    /// </summary>
    public static string[] Command(params string[] arguments) =>
        ["env", "--default-signal=INT", Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet", Path.Combine(AppContext.BaseDirectory, "Wirestack.Cli.dll"), .. arguments];

    /// <summary>Starts <paramref name="command"/> (a full command line, such as `ip netns exec NS dotnet ...`).</summary>
    public static CliProcess Start(params string[] command)
    {
        var info = new ProcessStartInfo(command[0])
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
        };
        foreach (string argument in command[1..]) info.ArgumentList.Add(argument);
        return new CliProcess(Process.Start(info) ?? throw new InvalidOperationException($"could not start {command[0]}"));
    }

    /// <summary>Starts the CLI inside <paramref name="ns"/>.</summary>
    public static CliProcess StartIn(Infrastructure.NetworkNamespace ns, params string[] arguments) =>
        Start(["ip", "netns", "exec", ns.Name, .. Command(arguments)]);

    public int Id => _process.Id;

    /// <summary>Standard input, for `mcast send`.</summary>
    public StreamWriter Input => _process.StandardInput;

    /// <summary>Everything read from standard output so far.</summary>
    public string OutputSoFar => _seen.ToString();

    /// <summary>Reads standard output until a line starts with <paramref name="prefix"/>; fails with what it saw (and stderr) if none comes in time.</summary>
    public string ReadLineStartingWith(string prefix, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            var line = _process.StandardOutput.ReadLineAsync();
            var left = deadline - DateTime.UtcNow;
            if (left <= TimeSpan.Zero || !line.Wait(left))
                throw new TimeoutException($"no line starting '{prefix}' within {timeout}; output so far:\n{_seen}\nstderr:\n{StandardErrorNow()}");
            if (line.Result is null)
                throw new InvalidOperationException($"the CLI ended before a line starting '{prefix}'; output:\n{_seen}\nstderr:\n{StandardErrorNow()}");
            _seen.AppendLine(line.Result);
            if (line.Result.StartsWith(prefix, StringComparison.Ordinal)) return line.Result;
        }
    }

    /// <summary>Waits until standard error has a line starting with <paramref name="prefix"/>; fails with what it saw if none comes in time.</summary>
    public string WaitForErrorLine(string prefix, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            foreach (string line in StandardErrorNow().Split('\n'))
                if (line.StartsWith(prefix, StringComparison.Ordinal)) return line.TrimEnd('\r');
            if (DateTime.UtcNow > deadline || _process.HasExited)
                throw new TimeoutException($"no line starting '{prefix}' on stderr within {timeout}; stderr:\n{StandardErrorNow()}\nstdout:\n{_seen}");
            Thread.Sleep(20);
        }
    }

    /// <summary>Sends a signal by name (TERM, INT).</summary>
    public void Signal(string signal) => ProcessRunner.Run("kill", "-" + signal, _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)).EnsureSuccess("kill -" + signal);

    /// <summary>Waits for the CLI to exit and returns its exit code, all of its standard output and its standard error.</summary>
    public (int ExitCode, string Output, string Error) WaitForExit(TimeSpan timeout)
    {
        var rest = _process.StandardOutput.ReadToEndAsync();
        if (!_process.WaitForExit(timeout) || !rest.Wait(timeout))
            throw new TimeoutException($"the CLI did not exit within {timeout}; output so far:\n{_seen}");
        _seen.Append(rest.Result);
        _stderrClosed.Task.Wait(timeout);
        return (_process.ExitCode, _seen.ToString(), StandardErrorNow());
    }

    private string StandardErrorNow()
    {
        lock (_stderr) return _stderr.ToString();
    }

    public void Dispose()
    {
        try
        {
            if (!_process.HasExited) _process.Kill(entireProcessTree: true);
            _process.WaitForExit(5000);
        }
        catch (InvalidOperationException)
        {
        }
        _process.Dispose();
    }
}
