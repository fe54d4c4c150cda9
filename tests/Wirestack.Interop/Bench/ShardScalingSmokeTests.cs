using System.Globalization;
using Wirestack.Testing;

namespace Wirestack.Interop.Bench;

/// <summary>
/// Runs the benchmark program's <c>shards</c> mode for one short round, so the scaling benchmark cannot rot
/// unnoticed: it must exit 0 and print a round with non-zero 1- and 2-shard echo rates, the ratio and its summary,
/// and leave no namespace behind. The numbers are not judged here; the full run is
/// `sudo dotnet run -c Release --project bench/Wirestack.Benchmarks -- shards`.
/// </summary>
public class ShardScalingSmokeTests
{
    private static ITestOutputHelper? Output => TestContext.Current.TestOutputHelper;

    [Fact]
    public void ShardsModeMeasuresOneAndTwoShardsAgainstTheKernelClient()
    {
        Prerequisites.RequireRoot();
        Prerequisites.RequireTool("cc", "gcc");
        string dll = DeviceRatesSmokeTests.EnsureBuilt();
        var result = ProcessRunner.Run(DeviceRatesSmokeTests.DotnetHost(), [dll, "shards", "--seconds", "0.3", "--rounds", "1", "--flows", "16"], TimeSpan.FromSeconds(120));
        Output?.WriteLine(result.StandardOutput);
        Output?.WriteLine(result.StandardError);
        Assert.True(result.ExitCode == 0, $"shards exited with {result.ExitCode}:\n{result.StandardError}");
        // "| round | 1 shard echo/s | 2 shards echo/s | ratio |"
        var row = result.StandardOutput.Split('\n').FirstOrDefault(l => l.StartsWith("| 1 |", StringComparison.Ordinal));
        Assert.True(row is not null, $"no round in:\n{result.StandardOutput}");
        string[] cells = row.Trim().Trim('|').Split('|').Select(c => c.Trim()).ToArray();
        Assert.True(Number(cells[1]) > 0, $"1 shard: '{cells[1]}'");
        Assert.True(Number(cells[2]) > 0, $"2 shards: '{cells[2]}'");
        Assert.True(Number(cells[3]) > 0, $"ratio: '{cells[3]}'");
        Assert.Contains("2-to-1 shard ratio: median", result.StandardOutput, StringComparison.Ordinal);
        DeviceRatesSmokeTests.AssertNothingLeftBehind();
    }

    private static double Number(string cell) =>
        double.TryParse(cell, NumberStyles.Float | NumberStyles.AllowThousands, CultureInfo.InvariantCulture, out double value) ? value : 0;
}
