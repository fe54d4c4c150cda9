using System.Diagnostics;
using Wirestack.Testing;

namespace Wirestack.Interop.Infrastructure;

/// <summary>
/// A Linux network namespace this test made, deleted (with every process in it) on dispose. Names
/// carry the test process's PID, so namespaces left by a crashed run are recognised and removed.
/// </summary>
internal sealed class NetworkNamespace : IDisposable
{
    private const string Prefix = "wstest-";
    private static int _counter;
    private readonly List<Process> _background = [];

    private NetworkNamespace(string name) => Name = name;

    public string Name { get; }

    public static NetworkNamespace Create()
    {
        Prerequisites.RequireRoot();
        Prerequisites.RequireTool("ip", "iproute2");
        RemoveStale();
        var ns = new NetworkNamespace($"{Prefix}{Environment.ProcessId}-{Interlocked.Increment(ref _counter)}");
        IpRoute2.Run("netns", "add", ns.Name);
        ns.Exec("ip", "link", "set", "lo", "up").EnsureSuccess("ip link set lo up");
        return ns;
    }

    /// <summary>Runs a command inside the namespace and waits for it.</summary>
    public ProcessResult Exec(params string[] command) => Exec(TimeSpan.FromSeconds(60), command);

    public ProcessResult Exec(TimeSpan timeout, params string[] command) =>
        ProcessRunner.Run("ip", ["netns", "exec", Name, .. command], timeout);

    /// <summary>Starts a command inside the namespace in the background; it is killed on dispose.</summary>
    public Process Start(params string[] command)
    {
        var info = new ProcessStartInfo("ip") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string argument in (string[])["netns", "exec", Name, .. command]) info.ArgumentList.Add(argument);
        var process = Process.Start(info) ?? throw new InvalidOperationException($"could not start {string.Join(' ', command)}");
        _background.Add(process);
        return process;
    }

    public void Dispose()
    {
        foreach (var process in _background)
        {
            try
            {
                if (!process.HasExited) process.Kill(entireProcessTree: true);
                process.WaitForExit(5000);
            }
            catch (InvalidOperationException)
            {
            }
            process.Dispose();
        }
        Delete(Name);
    }

    private static void Delete(string name)
    {
        // Anything still running inside would keep the namespace's devices alive.
        var pids = ProcessRunner.Run("ip", "netns", "pids", name).StandardOutput;
        foreach (string pid in pids.Split('\n', StringSplitOptions.RemoveEmptyEntries))
            ProcessRunner.Run("kill", "-9", pid.Trim());
        ProcessRunner.Run("ip", "netns", "delete", name);
    }

    // Namespaces whose creating process is gone were left by a crashed or killed run.
    private static void RemoveStale()
    {
        foreach (string line in ProcessRunner.Run("ip", "netns", "list").StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            string name = line.Split(' ')[0];
            if (!name.StartsWith(Prefix, StringComparison.Ordinal)) continue;
            string pid = name[Prefix.Length..].Split('-')[0];
            if (!Directory.Exists($"/proc/{pid}")) Delete(name);
        }
    }
}
