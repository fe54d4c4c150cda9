namespace Wirestack.Tests.Diagnostics;

/// <summary>A fact that is skipped, saying why, when a command-line tool it runs is not on the PATH.</summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class RequiresToolFactAttribute : FactAttribute
{
    /// <summary>Skips the test unless <paramref name="tool"/> is found on the PATH.</summary>
    public RequiresToolFactAttribute(string tool)
    {
        Tool = tool;
        if (FindOnPath(tool) is null) Skip = $"'{tool}' is not installed (on Debian/Ubuntu: apt-get install {tool}).";
    }

    /// <summary>The tool the test runs.</summary>
    public string Tool { get; }

    /// <summary>The full path of <paramref name="tool"/> on the PATH, or null.</summary>
    public static string? FindOnPath(string tool)
    {
        var path = Environment.GetEnvironmentVariable("PATH") ?? "";
        foreach (var directory in path.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            var candidate = Path.Combine(directory, tool);
            if (File.Exists(candidate)) return candidate;
        }
        return null;
    }
}
