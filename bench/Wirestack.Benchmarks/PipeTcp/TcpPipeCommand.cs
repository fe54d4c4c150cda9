using System.Globalization;
using System.Text;

namespace Wirestack.Benchmarks.PipeTcp;

/// <summary>
/// The <c>tcp-pipe</c> mode: bulk TCP goodput between two Wirestack interfaces on the in-process pipe device (a
/// thread each) at several MTUs, with and without the pipe vouching for checksums, beside kernel TCP over loopback
/// between two threads measured in the same run; then connection setup (connect, accept, close) per second, both
/// ways. Every byte received is checked against the stream. Exits 0 when every row ran, 1 when one failed, 2 on a
/// bad command line. Needs no privileges.
/// </summary>
internal static class TcpPipeCommand
{
    public const string Usage =
        "usage: Wirestack.Benchmarks tcp-pipe [--mebibytes N] [--rounds N] [--mtu LIST] [--buffer KIB] [--checksums MODE]\n" +
        "                                     [--setup-seconds S] [--output FILE]\n" +
        "  Bulk TCP between two stacks over the in-process pipe (a thread each) beside kernel TCP over loopback\n" +
        "  (two threads), in the same run, and connection setup per second, both ways.\n" +
        "  --mebibytes N      bytes per round, in MiB (default 1024; e.g. 64 for a smoke run)\n" +
        "  --rounds N         measured rounds per row, after a warm-up round (default 5)\n" +
        "  --mtu LIST         pipe MTUs, comma-separated, 68 to 65535 (default 1500,9000,65535)\n" +
        "  --buffer KIB       TCP send and receive buffer per connection end, in KiB (default 4096)\n" +
        "  --checksums MODE   verify, trusted or both: whether the pipe vouches for received checksums (default both)\n" +
        "  --setup-seconds S  seconds per connection-setup row, 0 to skip (default 2)\n" +
        "  --output FILE      also write the tables (markdown) to FILE";

    public static int Run(string[] args)
    {
        int mebibytes = 1024, rounds = 5, bufferKib = 4096;
        double setupSeconds = 2;
        int[] mtus = [1500, 9000, 65535];
        bool[] trustModes = [false, true];
        string? output = null;
        for (int i = 0; i < args.Length; i++)
        {
            string name = args[i];
            if (name is "-h" or "--help" or "-?")
            {
                Console.WriteLine(Usage);
                return 0;
            }
            if (name is not ("--mebibytes" or "--rounds" or "--mtu" or "--buffer" or "--checksums" or "--setup-seconds" or "--output") || i + 1 >= args.Length)
            {
                Console.Error.WriteLine($"tcp-pipe: {(i + 1 >= args.Length && name.StartsWith("--", StringComparison.Ordinal) ? $"{name} needs a value" : $"unknown option '{name}'")}.\n{Usage}");
                return 2;
            }
            string value = args[++i];
            bool valid = name switch
            {
                "--mebibytes" => int.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out mebibytes) && mebibytes is >= 1 and <= 65536,
                "--rounds" => int.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out rounds) && rounds is >= 1 and <= 100,
                "--buffer" => int.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out bufferKib) && bufferKib is >= 4 and <= 1 << 20,
                "--setup-seconds" => double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out setupSeconds) && setupSeconds is >= 0 and <= 600,
                "--mtu" => TryParseMtus(value, out mtus),
                "--checksums" => TryParseTrust(value, out trustModes),
                _ => (output = value).Length > 0,
            };
            if (!valid)
            {
                Console.Error.WriteLine($"tcp-pipe: {name} '{value}' is not valid.\n{Usage}");
                return 2;
            }
        }

        long bytes = (long)mebibytes << 20;
        var pattern = new StreamPattern(1 << 20, 7);
        var limit = TimeSpan.FromSeconds(Math.Max(60, mebibytes / 8));
        bool failed = false;
        var table = new StringBuilder();
        table.AppendLine("| path | MTU | checksums | best Gbit/s | median Gbit/s | best / kernel | data segments per round | retransmitted | B allocated per segment |");
        table.AppendLine("|---|---:|---|---:|---:|---:|---:|---:|---:|");

        double kernelBest = 0;
        try
        {
            Progress("kernel TCP over loopback (warm-up)");
            KernelLoopbackTransfer.Run(pattern, bytes, limit);
            var kernel = new List<BulkResult>();
            for (int r = 0; r < rounds; r++)
            {
                kernel.Add(KernelLoopbackTransfer.Run(pattern, bytes, limit));
                Progress(string.Create(CultureInfo.InvariantCulture, $"kernel round {r + 1}: {kernel[^1].Seconds:0.000} s, {kernel[^1].Gbits:0.00} Gbit/s"));
            }
            kernelBest = Best(kernel).Gbits;
            var median = Median(kernel);
            table.AppendLine(string.Create(CultureInfo.InvariantCulture,
                $"| kernel, loopback (baseline) | 65536 | offloaded | {kernelBest:0.00} | {median.Gbits:0.00} | 1.00 | - | - | - |"));
        }
        catch (Exception e)
        {
            Console.Error.WriteLine($"tcp-pipe: the kernel row failed: {e}");
            table.AppendLine("| kernel, loopback (baseline) | 65536 | offloaded | failed | | | | | |");
            failed = true;
        }

        foreach (int mtu in mtus)
        {
            foreach (bool trusted in trustModes)
            {
                string checksums = trusted ? "trusted" : "verified";
                try
                {
                    // Room in the pipe for a whole window of segments and their ACKs: a full transmit ring drops.
                    int ring = RingFor(mtu, bufferKib * 1024);
                    using var transfer = new StackPipeTransfer(mtu, ring, bufferKib * 1024, trusted);
                    Progress($"Wirestack MTU {mtu}, checksums {checksums}, pipe {ring} slots per direction (warm-up)");
                    transfer.Run(pattern, bytes, limit);
                    var results = new List<BulkResult>();
                    for (int r = 0; r < rounds; r++)
                    {
                        results.Add(transfer.Run(pattern, bytes, limit));
                        var last = results[^1];
                        Progress(string.Create(CultureInfo.InvariantCulture,
                            $"Wirestack MTU {mtu} {checksums} round {r + 1}: {last.Seconds:0.000} s, {last.Gbits:0.00} Gbit/s, {last.Segments} segments, {last.Retransmitted} retransmitted, {last.BytesPerSegment:0.00} B/segment"));
                    }
                    var best = Best(results);
                    var median = Median(results);
                    long maxRetransmitted = 0;
                    double maxAllocated = 0;
                    foreach (var result in results)
                    {
                        maxRetransmitted = Math.Max(maxRetransmitted, result.Retransmitted);
                        maxAllocated = Math.Max(maxAllocated, result.BytesPerSegment);
                    }
                    string ratio = kernelBest > 0 ? (best.Gbits / kernelBest).ToString("0.00", CultureInfo.InvariantCulture) : "-";
                    table.AppendLine(string.Create(CultureInfo.InvariantCulture,
                        $"| Wirestack, pipe | {mtu} | {checksums} | {best.Gbits:0.00} | {median.Gbits:0.00} | {ratio} | {best.Segments} | {maxRetransmitted} | {maxAllocated:0.00} |"));
                }
                catch (Exception e)
                {
                    Console.Error.WriteLine($"tcp-pipe: the Wirestack MTU {mtu} ({checksums}) row failed: {e}");
                    table.AppendLine($"| Wirestack, pipe | {mtu} | {checksums} | failed | | | | | |");
                    failed = true;
                }
            }
        }
        table.AppendLine();

        if (setupSeconds > 0)
        {
            var measure = TimeSpan.FromSeconds(setupSeconds);
            var warmup = TimeSpan.FromSeconds(Math.Min(1, setupSeconds / 2));
            double stack = 0, kernel = 0;
            try
            {
                Progress("connection setup, Wirestack");
                stack = StackPipeSetup.Run(warmup, measure);
            }
            catch (Exception e)
            {
                Console.Error.WriteLine($"tcp-pipe: the Wirestack setup row failed: {e}");
                failed = true;
            }
            try
            {
                Progress("connection setup, kernel");
                kernel = KernelLoopbackSetup.Run(warmup, measure);
            }
            catch (Exception e)
            {
                Console.Error.WriteLine($"tcp-pipe: the kernel setup row failed: {e}");
                failed = true;
            }
            table.AppendLine("| connect + accept + close | cycles/s | ratio |");
            table.AppendLine("|---|---:|---:|");
            table.AppendLine(string.Create(CultureInfo.InvariantCulture, $"| Wirestack, pipe (MSL {StackPipeSetup.MaximumSegmentLifetime.TotalMilliseconds:0} ms) | {stack:0} | {(kernel > 0 ? stack / kernel : 0):0.00} |"));
            table.AppendLine(string.Create(CultureInfo.InvariantCulture, $"| kernel, loopback (baseline) | {kernel:0} | 1.00 |"));
            table.AppendLine();
        }

        table.AppendLine(string.Create(CultureInfo.InvariantCulture,
            $"{mebibytes} MiB per round, best and median of {rounds} after a warm-up; buffers {bufferKib} KiB per end; every byte checked on receipt. " +
            $"machine: nproc {Environment.ProcessorCount}, load average {LoadAverage()}, .NET {Environment.Version}. " +
            $"Wirestack: one thread per stack; kernel: a sender and a receiver thread, loopback MTU 65536 with its offloads (no checksums on loopback)."));
        Console.WriteLine();
        Console.Write(table);
        if (output is not null) File.WriteAllText(output, table.ToString());
        return failed ? 1 : 0;
    }

    private static int RingFor(int mtu, int buffer)
    {
        int segments = buffer / (mtu - 40) + 1;
        int wanted = (int)Math.Max(256, System.Numerics.BitOperations.RoundUpToPowerOf2((uint)(2 * segments)));
        // At most 256 MiB of slots per direction; a larger buffer then meets a full ring, which the drops report.
        int affordable = (int)System.Numerics.BitOperations.RoundUpToPowerOf2((uint)((256 << 20) / (mtu + 18)) + 1) / 2;
        return Math.Min(Math.Min(wanted, affordable), 65536);
    }

    private static bool TryParseMtus(string value, out int[] mtus)
    {
        var parts = value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        mtus = new int[parts.Length];
        for (int i = 0; i < parts.Length; i++)
        {
            // IPv4 needs 68; TCP with its 40 bytes of headers and an MSS of at least 536 needs 576 in practice.
            if (!int.TryParse(parts[i], NumberStyles.Integer, CultureInfo.InvariantCulture, out mtus[i]) || mtus[i] is < 576 or > 65535) return false;
        }
        return mtus.Length > 0;
    }

    private static bool TryParseTrust(string value, out bool[] modes)
    {
        modes = value switch
        {
            "verify" => [false],
            "trusted" => [true],
            "both" => [false, true],
            _ => [],
        };
        return modes.Length > 0;
    }

    private static BulkResult Best(List<BulkResult> results)
    {
        var best = results[0];
        foreach (var result in results) if (result.Gbits > best.Gbits) best = result;
        return best;
    }

    private static BulkResult Median(List<BulkResult> results)
    {
        var sorted = new List<BulkResult>(results);
        sorted.Sort((x, y) => x.Gbits.CompareTo(y.Gbits));
        return sorted[sorted.Count / 2];
    }

    private static string LoadAverage()
    {
        try
        {
            var fields = File.ReadAllText("/proc/loadavg").Split(' ');
            return $"{fields[0]} {fields[1]} {fields[2]}";
        }
        catch (IOException)
        {
            return "unknown";
        }
    }

    private static void Progress(string line) => Console.Error.WriteLine("tcp-pipe: " + line);
}
