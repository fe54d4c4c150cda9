using System.Globalization;
using Wirestack.Testing;

namespace Wirestack.Interop.Bench;

/// <summary>
/// Runs the benchmark program's <c>udp-echo</c> mode for a moment, so the echo benchmark cannot rot unnoticed: it
/// must exit 0 and print a row per payload size with non-zero Wirestack and kernel rates and a ratio. The numbers
/// are not judged (0.2 s on a shared machine says little); the full run is
/// `dotnet run -c Release --project bench/Wirestack.Benchmarks -- udp-echo`.
/// </summary>
public class UdpEchoSmokeTests
{
    private static readonly int[] PayloadSizes = [64, 1024];

    private static ITestOutputHelper? Output => TestContext.Current.TestOutputHelper;

    [Fact]
    public void UdpEchoModeRunsEveryRowWithNonZeroRates()
    {
        string dll = DeviceRatesSmokeTests.EnsureBuilt();
        string table = Path.Combine(Path.GetTempPath(), $"wirestack-udp-echo-{Environment.ProcessId}.md");
        try
        {
            var result = ProcessRunner.Run(DeviceRatesSmokeTests.DotnetHost(), [dll, "udp-echo", "--seconds", "0.2", "--output", table], TimeSpan.FromSeconds(120));
            Output?.WriteLine(result.StandardOutput);
            Output?.WriteLine(result.StandardError);
            Assert.True(result.ExitCode == 0, $"udp-echo exited with {result.ExitCode}:\n{result.StandardError}");

            // "| payload bytes | Wirestack echo/s | kernel echo/s | ratio | Wirestack B/echo |"
            var rows = new Dictionary<int, string[]>();
            foreach (string line in result.StandardOutput.Split('\n'))
            {
                if (!line.StartsWith("| ", StringComparison.Ordinal)) continue;
                string[] cells = line.Trim().Trim('|').Split('|').Select(c => c.Trim()).ToArray();
                if (cells.Length == 5 && int.TryParse(cells[0], NumberStyles.Integer, CultureInfo.InvariantCulture, out int payload)) rows[payload] = cells;
            }
            foreach (int payload in PayloadSizes)
            {
                Assert.True(rows.TryGetValue(payload, out var cells), $"no row for {payload} B in:\n{result.StandardOutput}");
                Assert.True(Number(cells[1]) > 0, $"{payload} B: Wirestack rate '{cells[1]}'");
                Assert.True(Number(cells[2]) > 0, $"{payload} B: kernel rate '{cells[2]}'");
                Assert.True(Number(cells[3]) > 0, $"{payload} B: ratio '{cells[3]}'");
                Assert.True(double.TryParse(cells[4], NumberStyles.Float, CultureInfo.InvariantCulture, out _), $"{payload} B: allocation '{cells[4]}'");
            }
            Assert.Equal(PayloadSizes.Length, rows.Count);
            Assert.Contains("machine: nproc ", result.StandardOutput, StringComparison.Ordinal);
            Assert.True(File.Exists(table), "--output wrote no file");
        }
        finally
        {
            File.Delete(table);
        }
    }

    private static double Number(string cell) =>
        double.TryParse(cell, NumberStyles.Float | NumberStyles.AllowThousands, CultureInfo.InvariantCulture, out double value) ? value : 0;
}
