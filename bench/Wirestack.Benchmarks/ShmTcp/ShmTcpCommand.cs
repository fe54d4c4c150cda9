using System.Globalization;
using System.Text;

namespace Wirestack.Benchmarks.ShmTcp;

/// <summary>
/// The <c>shm</c> mode: TCP goodput between two processes over the shared-memory pipe device (a Wirestack
/// Interface in each) beside kernel TCP over loopback between two processes, measured in the same run, printed
/// as a markdown table with the ratio. Exits 0 when both rows ran, 1 when one failed, 2 on a bad command line.
/// Needs no privileges.
/// </summary>
internal static class ShmTcpCommand
{
    public const string Usage =
        "usage: Wirestack.Benchmarks shm [--mebibytes N] [--rounds N] [--ring N] [--output FILE]\n" +
        "  TCP goodput between two processes: Wirestack over a shared-memory pipe beside the kernel over\n" +
        "  loopback, measured in the same run (the best of the rounds is compared).\n" +
        "  --mebibytes N  bytes sent per round, in MiB (default 256; e.g. 8 for a smoke run)\n" +
        "  --rounds N     measured rounds per row, after a warm-up round (default 5)\n" +
        "  --ring N       pipe slots per direction, a power of two (default 1024)\n" +
        "  --output FILE  also write the table (markdown) to FILE";

    public static int Run(string[] args)
    {
        int mebibytes = 256, rounds = 5, ring = 1024;
        string? output = null;
        for (int i = 0; i < args.Length; i++)
        {
            string name = args[i];
            if (name is "-h" or "--help" or "-?")
            {
                Console.WriteLine(Usage);
                return 0;
            }
            if (name is not ("--mebibytes" or "--rounds" or "--ring" or "--output") || i + 1 >= args.Length)
            {
                Console.Error.WriteLine($"shm: {(i + 1 >= args.Length ? $"{name} needs a value" : $"unknown option '{name}'")}.\n{Usage}");
                return 2;
            }
            string value = args[++i];
            bool valid = name switch
            {
                "--mebibytes" => int.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out mebibytes) && mebibytes is >= 1 and <= 65536,
                "--rounds" => int.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out rounds) && rounds is >= 1 and <= 100,
                "--ring" => int.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out ring) && ring is >= 64 and <= 65536 && (ring & (ring - 1)) == 0,
                _ => (output = value).Length > 0,
            };
            if (!valid)
            {
                Console.Error.WriteLine($"shm: {name} '{value}' is out of range.\n{Usage}");
                return 2;
            }
        }

        long bytes = (long)mebibytes << 20;
        var data = new byte[256 * 1024];
        new Random(1).NextBytes(data);
        var limit = TimeSpan.FromSeconds(Math.Max(60, mebibytes));
        var stack = new List<double>();
        var kernel = new List<double>();
        bool failed = false;
        try
        {
            Progress("Wirestack over the shared-memory pipe (warm-up)");
            using var goodput = new StackTcpGoodput(ring);
            goodput.Send(data, bytes, limit); // tiered JIT settles in both processes
            for (int r = 0; r < rounds; r++)
            {
                double seconds = goodput.Send(data, bytes, limit);
                stack.Add(bytes * 8 / seconds / 1e9);
                Progress(string.Create(CultureInfo.InvariantCulture, $"Wirestack round {r + 1}: {seconds:0.000} s, {stack[^1]:0.00} Gbit/s"));
            }
        }
        catch (Exception e)
        {
            Console.Error.WriteLine($"shm: the Wirestack row failed: {e}");
            failed = true;
        }
        try
        {
            using (var warm = new KernelTcpGoodput()) warm.Send(data, bytes, limit);
            for (int r = 0; r < rounds; r++)
            {
                using var goodput = new KernelTcpGoodput();
                double seconds = goodput.Send(data, bytes, limit);
                kernel.Add(bytes * 8 / seconds / 1e9);
                Progress(string.Create(CultureInfo.InvariantCulture, $"kernel round {r + 1}: {seconds:0.000} s, {kernel[^1]:0.00} Gbit/s"));
            }
        }
        catch (Exception e)
        {
            Console.Error.WriteLine($"shm: the kernel row failed: {e}");
            failed = true;
        }

        var table = new StringBuilder();
        table.AppendLine("| path | MiB per round | best Gbit/s | median Gbit/s |");
        table.AppendLine("|---|---:|---:|---:|");
        Row(table, "Wirestack, shared-memory pipe", mebibytes, stack);
        Row(table, "kernel, loopback (baseline)", mebibytes, kernel);
        table.AppendLine();
        if (stack.Count > 0 && kernel.Count > 0)
            table.AppendLine(string.Create(CultureInfo.InvariantCulture, $"ratio (Wirestack / kernel, best of {rounds}): {Max(stack) / Max(kernel):0.000}"));
        table.AppendLine(string.Create(CultureInfo.InvariantCulture,
            $"machine: nproc {Environment.ProcessorCount}, .NET {Environment.Version}; two processes per row; pipe {ring} slots per direction, MTU 1500; kernel loopback MTU 65536 with its offloads."));
        Console.WriteLine();
        Console.Write(table);
        if (output is not null) File.WriteAllText(output, table.ToString());
        return failed ? 1 : 0;
    }

    private static void Row(StringBuilder table, string path, int mebibytes, List<double> gbits)
    {
        if (gbits.Count == 0)
        {
            table.AppendLine($"| {path} | {mebibytes} | - | - |");
            return;
        }
        var sorted = new List<double>(gbits);
        sorted.Sort();
        table.AppendLine(string.Create(CultureInfo.InvariantCulture, $"| {path} | {mebibytes} | {sorted[^1]:0.00} | {sorted[sorted.Count / 2]:0.00} |"));
    }

    private static double Max(List<double> values)
    {
        double max = 0;
        foreach (double v in values) max = Math.Max(max, v);
        return max;
    }

    private static void Progress(string line) => Console.Error.WriteLine("shm: " + line);
}
