using Wirestack.Benchmarks.DeviceRates;

namespace Wirestack.Benchmarks.Shards;

/// <summary>
/// The kernel's client for the <c>shards</c> mode: bench/tools/udp-flows.c (embedded in this assembly), compiled with
/// the machine's C compiler into a temporary directory (removed at cleanup). C, because a scripted client would be
/// the bottleneck long before the stacks are.
/// </summary>
internal sealed class FlowClient
{
    private const string SourceName = "udp-flows.c";

    private FlowClient(string path) => ExecutablePath = path;

    public string ExecutablePath { get; }

    /// <summary>Compiles the client; null, with the reason in <paramref name="problem"/>, when there is no C compiler.</summary>
    public static FlowClient? Build(CleanupRegistry cleanup, out string? problem)
    {
        problem = null;
        string? compiler = Shell.Find("cc");
        if (compiler is null)
        {
            problem = "no C compiler ('cc') to build the kernel's client (bench/tools/udp-flows.c); install the Debian package gcc (apt-get install gcc)";
            return null;
        }
        var directory = Directory.CreateTempSubdirectory($"wirestack-bench-{Environment.ProcessId}-");
        cleanup.Add($"directory {directory.FullName}", () => directory.Delete(recursive: true));
        string source = Path.Combine(directory.FullName, SourceName);
        using (var resource = typeof(FlowClient).Assembly.GetManifestResourceStream(SourceName)
            ?? throw new InvalidOperationException($"{SourceName} is not embedded in the benchmark assembly; check the EmbeddedResource item in the project."))
        using (var file = File.Create(source))
        {
            resource.CopyTo(file);
        }
        string executable = Path.Combine(directory.FullName, "udp-flows");
        Shell.Run(compiler, "-O2", "-Wall", "-Wextra", "-o", executable, source).EnsureSuccess($"cc -O2 {SourceName}");
        return new FlowClient(executable);
    }
}
