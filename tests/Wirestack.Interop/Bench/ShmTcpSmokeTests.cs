using System.Globalization;
using System.Text.RegularExpressions;
using Wirestack.Testing;

namespace Wirestack.Interop.Bench;

/// <summary>
/// Runs the benchmark program's <c>shm</c> mode briefly, so the two-process TCP goodput benchmark cannot rot
/// unnoticed: it must exit 0 and print a non-zero rate for Wirestack over the shared-memory pipe and for kernel
/// loopback, and their ratio. The numbers are not judged (8 MiB on a shared machine says little); the full run is
/// `dotnet run -c Release --project bench/Wirestack.Benchmarks -- shm`.
/// </summary>
public partial class ShmTcpSmokeTests
{
    [Fact]
    public void ShmModeMeasuresBothPathsAndTheirRatio()
    {
        string dll = DeviceRatesSmokeTests.EnsureBuilt();
        string table = Path.Combine(Path.GetTempPath(), $"wirestack-shm-{Environment.ProcessId}.md");
        try
        {
            var result = ProcessRunner.Run(DeviceRatesSmokeTests.DotnetHost(), [dll, "shm", "--mebibytes", "8", "--rounds", "1", "--output", table], TimeSpan.FromSeconds(180));
            TestContext.Current.TestOutputHelper?.WriteLine(result.StandardOutput + result.StandardError);
            Assert.True(result.ExitCode == 0, $"shm exited with {result.ExitCode}:\n{result.StandardError}");
            // "| path | MiB per round | best Gbit/s | median Gbit/s |"
            var rows = new Dictionary<string, double>();
            foreach (string line in result.StandardOutput.Split('\n'))
            {
                if (!line.StartsWith("| ", StringComparison.Ordinal)) continue;
                string[] cells = line.Trim().Trim('|').Split('|').Select(c => c.Trim()).ToArray();
                if (cells.Length == 4 && double.TryParse(cells[2], NumberStyles.Float, CultureInfo.InvariantCulture, out double best)) rows[cells[0]] = best;
            }
            Assert.True(rows.GetValueOrDefault("Wirestack, shared-memory pipe") > 0, result.StandardOutput);
            Assert.True(rows.GetValueOrDefault("kernel, loopback (baseline)") > 0, result.StandardOutput);
            var ratio = Ratio().Match(result.StandardOutput);
            Assert.True(ratio.Success && double.Parse(ratio.Groups[1].Value, CultureInfo.InvariantCulture) > 0, result.StandardOutput);
            Assert.True(File.Exists(table), "--output wrote no file");
            // The pipe's file goes with the benchmark: none may remain from a process that has exited.
            Assert.DoesNotContain(Directory.GetFiles(SharedMemoryPipeDirectory, "wirestack-bench-*"), f => !Directory.Exists($"/proc/{f.Split('-')[^1]}"));
        }
        finally
        {
            File.Delete(table);
        }
    }

    private const string SharedMemoryPipeDirectory = Wirestack.Nic.SharedMemoryPipeDevice.DefaultDirectory;

    [GeneratedRegex(@"ratio \(Wirestack / kernel, best of \d+\): ([0-9.]+)")]
    private static partial Regex Ratio();
}
