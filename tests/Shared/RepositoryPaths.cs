namespace Wirestack.Testing;

/// <summary>Finds files of the repository (scripts, fixtures) from a test's output directory.</summary>
internal static class RepositoryPaths
{
    public static string Root
    {
        get
        {
            for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
                if (File.Exists(Path.Combine(dir.FullName, "Wirestack.sln"))) return dir.FullName;
            throw new InvalidOperationException($"no Wirestack.sln above {AppContext.BaseDirectory}; run the tests from the repository.");
        }
    }

    public static string Combine(params string[] parts) => Path.Combine([Root, .. parts]);
}
