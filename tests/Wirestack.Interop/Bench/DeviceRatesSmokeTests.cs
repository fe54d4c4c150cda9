using System.Globalization;
using System.Text.RegularExpressions;
using Wirestack.Testing;

namespace Wirestack.Interop.Bench;

/// <summary>
/// Runs the benchmark program's <c>devices</c> mode for a moment, so the device-rate benchmark
/// cannot rot unnoticed: it must exit 0, print every row with a non-zero rate, and leave no
/// namespace or interface behind. The numbers themselves are not judged (0.2 s on a shared
/// machine says little); the full run is `dotnet run -c Release --project bench/Wirestack.Benchmarks -- devices`.
/// </summary>
public partial class DeviceRatesSmokeTests
{
    private const string ProjectPath = "bench/Wirestack.Benchmarks/Wirestack.Benchmarks.csproj";

    // Every row the mode prints when run as root with a C compiler: link, direction, frame bytes.
    private static readonly (string Link, string Direction)[] ExpectedRows =
    [
        ("pipe (in-process)", "Wirestack -> Wirestack"),
        ("TAP", "Wirestack -> kernel"),
        ("TAP", "kernel -> Wirestack"),
        ("AF_PACKET (veth)", "Wirestack -> kernel"),
        ("AF_PACKET (veth)", "kernel -> Wirestack"),
        ("kernel veth (baseline)", "kernel -> kernel"),
        ("AF_XDP native (veth)", "Wirestack -> kernel"),
        ("AF_XDP native (veth)", "kernel -> Wirestack"),
        ("AF_XDP generic (veth)", "Wirestack -> kernel"),
        ("AF_XDP generic (veth)", "kernel -> Wirestack"),
    ];

    private static readonly int[] FrameSizes = [64, 1514];

    private static ITestOutputHelper? Output => TestContext.Current.TestOutputHelper;

    [Fact]
    public void DevicesModeRunsEveryRowWithNonZeroRatesAndCleansUp()
    {
        Prerequisites.RequireRoot();
        Prerequisites.RequireTool("ip", "iproute2");
        Prerequisites.RequireTool("cc", "gcc");
        string dll = EnsureBuilt();
        string table = Path.Combine(Path.GetTempPath(), $"wirestack-device-rates-{Environment.ProcessId}.md");
        try
        {
            var result = ProcessRunner.Run(DotnetHost(), [dll, "devices", "--seconds", "0.2", "--output", table], TimeSpan.FromSeconds(120));
            Output?.WriteLine(result.StandardOutput);
            Output?.WriteLine(result.StandardError);
            Assert.True(result.ExitCode == 0, $"devices exited with {result.ExitCode}:\n{result.StandardError}");

            var rows = ParseRows(result.StandardOutput);
            foreach (var (link, direction) in ExpectedRows)
            {
                foreach (int frameBytes in FrameSizes)
                {
                    var row = rows.SingleOrDefault(r => r.Link == link && r.Direction == direction && r.FrameBytes == frameBytes);
                    Assert.True(row is not null, $"no row for {link}, {direction}, {frameBytes} B in:\n{result.StandardOutput}");
                    bool kernelOnly = direction == "kernel -> kernel";
                    if (!kernelOnly)
                    {
                        Assert.True(row.Wirestack > 0, $"{link}, {direction}, {frameBytes} B: Wirestack rate '{row.Cells[3]}'");
                        Assert.True(row.Cells[7] != "-", $"{link}, {direction}, {frameBytes} B: no allocation figure");
                    }
                    // Every row but the in-process pipe stands beside a kernel rate from the same run.
                    if (link != "pipe (in-process)")
                        Assert.True(row.Kernel > 0, $"{link}, {direction}, {frameBytes} B: kernel rate '{row.Cells[5]}'");
                }
            }
            Assert.Equal(ExpectedRows.Length * FrameSizes.Length, rows.Count);
            Assert.Contains("machine: nproc ", result.StandardOutput, StringComparison.Ordinal);
            Assert.True(File.Exists(table), "--output wrote no file");
            Assert.Contains(File.ReadAllText(table).Split('\n')[0].Trim(), result.StandardOutput, StringComparison.Ordinal);

            AssertNothingLeftBehind();
        }
        finally
        {
            File.Delete(table);
        }
    }

    // The table's data rows: "| link | direction | bytes | Wirestack/s | Gbit/s | kernel/s | ratio | B/frame |".
    private static List<Row> ParseRows(string output)
    {
        var rows = new List<Row>();
        foreach (string line in output.Split('\n'))
        {
            if (!line.StartsWith("| ", StringComparison.Ordinal) || line.StartsWith("| link ", StringComparison.Ordinal)) continue;
            string[] cells = line.Trim().Trim('|').Split('|').Select(c => c.Trim()).ToArray();
            if (cells.Length != 8) continue;
            rows.Add(new Row(cells[0], cells[1], int.Parse(cells[2], CultureInfo.InvariantCulture), Number(cells[3]), Number(cells[5]), cells));
        }
        return rows;
    }

    private static double Number(string cell) =>
        double.TryParse(cell, NumberStyles.Float | NumberStyles.AllowThousands, CultureInfo.InvariantCulture, out double value) ? value : 0;

    // Names the benchmark gives what it makes carry its PID; once it has exited, none may remain. (Another test's
    // benchmark may be running meanwhile: its namespaces carry a live PID.)
    internal static void AssertNothingLeftBehind()
    {
        foreach (string line in ProcessRunner.Run("ip", "netns", "list").StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var match = NamespaceName().Match(line);
            Assert.False(match.Success && !Directory.Exists($"/proc/{match.Groups[1].Value}"), $"the benchmark left namespace {line.Split(' ')[0]} behind");
        }
        foreach (string line in ProcessRunner.Run("ip", "-o", "link", "show").StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var match = InterfaceName().Match(line);
            Assert.False(match.Success && !Directory.Exists($"/proc/{match.Groups[1].Value}"), $"the benchmark left an interface behind: {line}");
        }
    }

    /// <summary>
    /// The benchmark's dll, built in Release when missing or older than its sources (this project
    /// does not reference the benchmark, so a test-only build may not have built it).
    /// </summary>
    internal static string EnsureBuilt()
    {
        string output = RepositoryPaths.Combine("bench", "Wirestack.Benchmarks", "bin", "Release", "net10.0");
        string dll = Path.Combine(output, "Wirestack.Benchmarks.dll");
        // The library is compared with its own copy: when only its implementation changes, the
        // benchmark's dll is rightly not recompiled, but the copy beside it is replaced.
        bool stale = NewerSources(dll, RepositoryPaths.Combine("bench", "Wirestack.Benchmarks"), RepositoryPaths.Combine("bench", "tools"), RepositoryPaths.Combine("tests", "Wirestack.ShmPeer"))
            || NewerSources(Path.Combine(output, "Wirestack.dll"), RepositoryPaths.Combine("src", "Wirestack"));
        if (stale)
        {
            Output?.WriteLine($"building {ProjectPath} (Release): missing or older than its sources");
            ProcessRunner.Run(DotnetHost(), ["build", RepositoryPaths.Combine(ProjectPath), "-c", "Release", "--nologo", "-v", "quiet"], TimeSpan.FromMinutes(5))
                .EnsureSuccess($"dotnet build {ProjectPath} -c Release");
        }
        return dll;
    }

    // True when the built file is missing or a source under the roots (bin and obj aside) is newer.
    private static bool NewerSources(string built, params string[] roots)
    {
        if (!File.Exists(built)) return true;
        var builtAt = File.GetLastWriteTimeUtc(built);
        foreach (string root in roots)
        {
            if (!Directory.Exists(root)) continue;
            foreach (string file in Directory.EnumerateFiles(root, "*", SearchOption.AllDirectories))
            {
                string relative = Path.GetRelativePath(root, file);
                if (relative.StartsWith("bin" + Path.DirectorySeparatorChar, StringComparison.Ordinal) || relative.StartsWith("obj" + Path.DirectorySeparatorChar, StringComparison.Ordinal)) continue;
                bool source = file.EndsWith(".cs", StringComparison.Ordinal) || file.EndsWith(".csproj", StringComparison.Ordinal) || file.EndsWith(".c", StringComparison.Ordinal);
                if (source && File.GetLastWriteTimeUtc(file) > builtAt) return true;
            }
        }
        return false;
    }

    // `dotnet test` and MSBuild say which host runs them; otherwise the one on PATH.
    internal static string DotnetHost() => Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } path && File.Exists(path) ? path : "dotnet";

    [GeneratedRegex(@"^wsbench-(\d+)-")]
    private static partial Regex NamespaceName();

    [GeneratedRegex(@"^\d+: wsb[a-z]+(\d+)[@:]")]
    private static partial Regex InterfaceName();

    private sealed record Row(string Link, string Direction, int FrameBytes, double Wirestack, double Kernel, string[] Cells);
}
