namespace Wirestack.Interop.Cli;

/// <summary>A directory for a test's files (namespaces share the file system), deleted on dispose.</summary>
internal sealed class TempDirectory : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("wirestack-cli-").FullName;

    public string Path(string name) => System.IO.Path.Combine(_root, name);

    public string Write(string name, byte[] bytes)
    {
        string path = Path(name);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    public void Dispose() => Directory.Delete(_root, recursive: true);
}
