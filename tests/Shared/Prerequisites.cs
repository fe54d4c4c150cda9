namespace Wirestack.Testing;

/// <summary>
/// What an interop test needs from the machine. Outside CI a missing prerequisite skips the test
/// with the reason; under CI=true it fails it, because CI must prove interop, not skip it.
/// </summary>
internal static class Prerequisites
{
    public static bool InCi => string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase);

    public static void RequireRoot()
    {
        if (Environment.UserName != "root" && !IsEffectiveRoot())
            Unavailable("this test creates network namespaces and needs root; run the tests as root (CI does).");
    }

    /// <summary>Requires a command on PATH, naming the Debian package that provides it.</summary>
    public static string RequireTool(string command, string debianPackage)
    {
        string? path = FindOnPath(command);
        if (path is null)
            Unavailable($"'{command}' is not installed; apt-get install {debianPackage} (scripts/test.sh does this).");
        return path!;
    }

    private static bool IsEffectiveRoot()
    {
        try
        {
            foreach (string line in File.ReadLines("/proc/self/status"))
                if (line.StartsWith("Uid:", StringComparison.Ordinal))
                    return line.Split('\t', StringSplitOptions.RemoveEmptyEntries)[2] == "0";
        }
        catch (IOException)
        {
        }
        return false;
    }

    private static string? FindOnPath(string command)
    {
        foreach (string dir in (Environment.GetEnvironmentVariable("PATH") ?? "/usr/sbin:/usr/bin:/sbin:/bin").Split(':'))
        {
            string candidate = Path.Combine(dir, command);
            if (File.Exists(candidate)) return candidate;
        }
        return null;
    }

    private static void Unavailable(string reason)
    {
        if (InCi) Assert.Fail("CI=true and a prerequisite is missing: " + reason);
        Assert.Skip(reason);
    }
}
