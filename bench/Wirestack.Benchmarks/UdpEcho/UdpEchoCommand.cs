using System.Globalization;
using System.Text;

namespace Wirestack.Benchmarks.UdpEcho;

/// <summary>
/// The <c>udp-echo</c> mode: UDP echo round trips per second between two Wirestack stacks over the in-process pipe
/// device (one thread each), beside the kernel's own UDP echo over loopback between two threads, measured in the
/// same run, for 64- and 1024-byte payloads, printed as a markdown table with ratios. Exits 0 when every row ran,
/// 1 when one failed, 2 on a bad command line. Needs no privileges.
/// </summary>
internal static class UdpEchoCommand
{
    public const string Usage =
        "usage: Wirestack.Benchmarks udp-echo [--seconds N] [--window N] [--output FILE]\n" +
        "  UDP echo round trips/s: two Wirestack stacks over the pipe device (a thread each) beside the\n" +
        "  kernel's UDP echo over loopback (a thread each), measured in the same run.\n" +
        "  --seconds N   measured time per row, after a warm-up (default 2; e.g. 0.2 for a smoke run)\n" +
        "  --window N    datagrams kept in flight by the client (default 32, 1 to 512)\n" +
        "  --output FILE also write the table (markdown) to FILE";

    private static readonly int[] PayloadSizes = [64, 1024];

    public static int Run(string[] args)
    {
        double seconds = 2;
        int window = 32;
        string? output = null;
        for (int i = 0; i < args.Length; i++)
        {
            string name = args[i];
            if (name is "-h" or "--help" or "-?")
            {
                Console.WriteLine(Usage);
                return 0;
            }
            if (name is not ("--seconds" or "--window" or "--output") || i + 1 >= args.Length)
            {
                Console.Error.WriteLine($"udp-echo: {(i + 1 >= args.Length && name is "--seconds" or "--window" or "--output" ? $"{name} needs a value" : $"unknown option '{name}'")}.\n{Usage}");
                return 2;
            }
            string value = args[++i];
            bool valid = name switch
            {
                "--seconds" => double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out seconds) && seconds is > 0 and <= 3600,
                "--window" => int.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out window) && window is >= 1 and <= 512,
                _ => (output = value).Length > 0,
            };
            if (!valid)
            {
                Console.Error.WriteLine($"udp-echo: {name} '{value}' is out of range.\n{Usage}");
                return 2;
            }
        }

        var measure = TimeSpan.FromSeconds(seconds);
        var warmup = TimeSpan.FromSeconds(Math.Clamp(seconds / 4, 0.1, 0.5));
        var table = new StringBuilder();
        table.AppendLine("| payload bytes | Wirestack echo/s | kernel echo/s | ratio | Wirestack B/echo |");
        table.AppendLine("|---:|---:|---:|---:|---:|");
        bool failed = false;
        foreach (int payload in PayloadSizes)
        {
            try
            {
                Progress($"{payload} B: Wirestack over the pipe device");
                var stack = StackEcho.Measure(payload, window, warmup, measure);
                Progress($"{payload} B: kernel over loopback");
                var kernel = KernelEcho.Measure(payload, window, warmup, measure);
                table.AppendLine(string.Create(CultureInfo.InvariantCulture,
                    $"| {payload} | {stack.EchoesPerSecond:N0} | {kernel.EchoesPerSecond:N0} | {stack.EchoesPerSecond / kernel.EchoesPerSecond:0.00} | {stack.BytesPerEcho:0.##} |"));
            }
            catch (Exception e)
            {
                Console.Error.WriteLine($"udp-echo: the {payload} B row failed: {e}");
                failed = true;
            }
        }
        table.AppendLine();
        table.AppendLine(string.Create(CultureInfo.InvariantCulture,
            $"machine: nproc {Environment.ProcessorCount}, .NET {Environment.Version}; window {window} datagrams in flight, {seconds:0.###} s measured per row after a {warmup.TotalSeconds:0.###} s warm-up. An echo is one round trip (two datagrams); ratio = Wirestack / kernel."));
        Console.WriteLine();
        Console.Write(table);
        if (output is not null)
        {
            File.WriteAllText(output, table.ToString());
            Progress($"table written to {output}");
        }
        return failed ? 1 : 0;
    }

    private static void Progress(string line) => Console.Error.WriteLine("udp-echo: " + line);
}
