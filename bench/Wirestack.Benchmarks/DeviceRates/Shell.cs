using System.Diagnostics;

namespace Wirestack.Benchmarks.DeviceRates;

/// <summary>Runs stock tools (ip, ethtool, cc) with a time limit; the benchmark's only way to change the network.</summary>
internal static class Shell
{
    /// <summary>Runs <paramref name="fileName"/> to completion (killed after <paramref name="timeout"/>, default 30 s).</summary>
    public static ShellResult Run(string fileName, IEnumerable<string> arguments, TimeSpan? timeout = null)
    {
        using var process = Start(fileName, arguments);
        return Finish(process, timeout ?? TimeSpan.FromSeconds(30));
    }

    public static ShellResult Run(string fileName, params string[] arguments) => Run(fileName, (IEnumerable<string>)arguments);

    /// <summary>Starts <paramref name="fileName"/> with its output captured; the caller waits with <see cref="Finish"/>.</summary>
    public static Process Start(string fileName, IEnumerable<string> arguments)
    {
        var info = new ProcessStartInfo(fileName)
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (string argument in arguments) info.ArgumentList.Add(argument);
        return Process.Start(info) ?? throw new InvalidOperationException($"could not start {fileName}");
    }

    /// <summary>Waits for a started process and collects its output; kills it when <paramref name="timeout"/> passes.</summary>
    public static ShellResult Finish(Process process, TimeSpan timeout)
    {
        // Both streams are read concurrently, so a chatty command cannot block on a full pipe.
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(timeout))
        {
            Kill(process);
            throw new TimeoutException($"{process.StartInfo.FileName} {string.Join(' ', process.StartInfo.ArgumentList)} did not finish within {timeout.TotalSeconds:0.#} s.");
        }
        process.WaitForExit();
        return new ShellResult(process.ExitCode, stdout.GetAwaiter().GetResult(), stderr.GetAwaiter().GetResult());
    }

    /// <summary>Kills a process this benchmark started, if it still runs.</summary>
    public static void Kill(Process process)
    {
        try
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
                process.WaitForExit(5000);
            }
        }
        catch (InvalidOperationException)
        {
            // Never started or already reaped: nothing to kill.
        }
    }

    /// <summary>The full path of <paramref name="command"/> on PATH, or null.</summary>
    public static string? Find(string command)
    {
        foreach (string dir in (Environment.GetEnvironmentVariable("PATH") ?? "/usr/sbin:/usr/bin:/sbin:/bin").Split(':', StringSplitOptions.RemoveEmptyEntries))
        {
            string candidate = Path.Combine(dir, command);
            if (File.Exists(candidate)) return candidate;
        }
        return null;
    }
}
