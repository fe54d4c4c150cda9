using System.Globalization;
using Wirestack.Nic;

namespace Wirestack.Benchmarks.DeviceRates;

/// <summary>
/// The <c>devices</c> mode: frames per second through each NIC device in batches, for minimum and
/// full-size frames, beside the kernel's own rate on the same kind of link measured in the same run,
/// and the bytes allocated per frame (expected 0). Exits 0 when every row the machine allows ran,
/// 1 when a row failed, 2 when nothing could run (or the command line is wrong), 130 on Ctrl-C.
/// </summary>
internal static class DeviceRatesCommand
{
    public static int Run(string[] args)
    {
        if (!DeviceRatesOptions.TryParse(args, out var options, out string? error))
        {
            if (string.IsNullOrEmpty(error))
            {
                Console.WriteLine(DeviceRatesOptions.Usage);
                return 0;
            }
            Console.Error.WriteLine($"devices: {error}\n{DeviceRatesOptions.Usage}");
            return 2;
        }

        var rows = new List<RateRow>();
        bool failed = false;
        using var cleanup = new CleanupRegistry();
        cleanup.Install();
        RunContext context;
        try
        {
            bool root = Environment.IsPrivilegedProcess;
            string? skipped = null;
            UdpBlaster? blaster = null;
            if (!root)
            {
                skipped = "not running as root: only the pipe rows run. The TAP, AF_PACKET, AF_XDP and kernel rows create network namespaces, a TAP device and veth pairs, and open AF_PACKET sockets, which needs root (e.g. sudo dotnet run -c Release --project bench/Wirestack.Benchmarks -- devices).";
            }
            else if (Shell.Find("ip") is null)
            {
                skipped = "'ip' is missing (apt-get install iproute2): only the pipe rows run.";
            }
            else
            {
                BenchNamespace.RemoveStale();
                UdpBlaster.RemoveStale();
                blaster = UdpBlaster.Build(cleanup, out string? problem);
                if (problem is not null) RunContext.Progress(problem + "; the kernel -> Wirestack and kernel baseline rows are skipped.");
            }
            if (skipped is not null) RunContext.Progress(skipped);
            context = new RunContext(options, cleanup, blaster);

            failed |= !Section(context, "pipe", rows, PipeRates.Measure);
            if (skipped is null)
            {
                failed |= !Section(context, "kernel veth", rows, KernelVethRates.Measure);
                failed |= !Section(context, "TAP", rows, TapRates.Measure);
                failed |= !Section(context, "AF_PACKET", rows, PacketRingRates.Measure);
                failed |= !Section(context, "AF_XDP native", rows, c => XdpRates.Measure(c, XdpAttachMode.Native));
                failed |= !Section(context, "AF_XDP generic", rows, c => XdpRates.Measure(c, XdpAttachMode.Generic));
            }
        }
        catch (OperationCanceledException)
        {
            Console.Error.WriteLine("devices: interrupted; no table.");
            return 130;
        }
        finally
        {
            cleanup.RunAll();
        }

        if (rows.Count == 0)
        {
            Console.Error.WriteLine("devices: no row could run.");
            return 2;
        }
        FillKernelReferences(rows);
        string table = RateTable.Format(rows, context.Notes, Machine(options));
        Console.WriteLine();
        Console.Write(table);
        if (options.OutputPath is string path)
        {
            File.WriteAllText(path, table);
            RunContext.Progress($"table written to {path}");
        }
        return failed ? 1 : 0;
    }

    // A failing group of rows is reported and the others still run; Ctrl-C stops everything.
    private static bool Section(RunContext context, string name, List<RateRow> rows, Func<RunContext, List<RateRow>> measure)
    {
        try
        {
            rows.AddRange(measure(context));
            return true;
        }
        catch (Exception e) when (!context.Token.IsCancellationRequested && e is not OperationCanceledException)
        {
            Console.Error.WriteLine($"devices: the {name} rows failed: {e}");
            return false;
        }
        catch (Exception) when (context.Token.IsCancellationRequested)
        {
            throw new OperationCanceledException("interrupted");
        }
    }

    // The Wirestack -> kernel rows have no kernel sender of their own: take the kernel's rate on the
    // same kind of link from the row that measured it in this run.
    private static void FillKernelReferences(List<RateRow> rows)
    {
        for (int i = 0; i < rows.Count; i++)
        {
            var row = rows[i];
            if (row.Direction != RateDirection.WirestackToKernel || row.KernelFramesPerSecond is not null) continue;
            var source = row.Link switch
            {
                RateLink.Tap => rows.Find(r => r.Link == RateLink.Tap && r.Direction == RateDirection.KernelToWirestack && r.FrameBytes == row.FrameBytes),
                RateLink.PacketRing or RateLink.XdpNative or RateLink.XdpGeneric => rows.Find(r => r.Link == RateLink.KernelVeth && r.FrameBytes == row.FrameBytes),
                _ => null,
            };
            if (source?.KernelFramesPerSecond is double kernel) rows[i] = row with { KernelFramesPerSecond = kernel };
        }
    }

    private static string Machine(DeviceRatesOptions options)
    {
        string kernel = File.Exists("/proc/sys/kernel/osrelease") ? File.ReadAllText("/proc/sys/kernel/osrelease").Trim() : Environment.OSVersion.VersionString;
        string cpu = "";
        if (File.Exists("/proc/cpuinfo"))
        {
            string? model = File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal));
            if (model is not null) cpu = $" ({model[(model.IndexOf(':', StringComparison.Ordinal) + 1)..].Trim()})";
        }
        return string.Create(CultureInfo.InvariantCulture,
            $"machine: nproc {Environment.ProcessorCount}{cpu}, Linux {kernel}, .NET {Environment.Version}; batch {options.Batch}, {options.Seconds:0.###} s measured per row after a {options.Warmup.TotalSeconds:0.###} s warm-up.");
    }
}
