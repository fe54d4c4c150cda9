namespace Wirestack.Benchmarks.DeviceRates;

/// <summary>How a command ended and what it printed.</summary>
internal sealed record ShellResult(int ExitCode, string StandardOutput, string StandardError)
{
    /// <summary>Returns this result, or throws with the command's own words when it failed.</summary>
    public ShellResult EnsureSuccess(string what)
    {
        if (ExitCode != 0)
            throw new InvalidOperationException($"{what} failed (exit {ExitCode}): {StandardError.Trim()}{(StandardOutput.Length > 0 ? " / " + StandardOutput.Trim() : "")}");
        return this;
    }
}
