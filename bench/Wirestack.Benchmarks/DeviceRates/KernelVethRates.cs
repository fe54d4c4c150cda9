using System.Diagnostics;
using Wirestack.Wire;

namespace Wirestack.Benchmarks.DeviceRates;

/// <summary>
/// The baseline rows: the kernel on both ends of a veth pair between two namespaces. The same C
/// sender in A sends to an address B neither owns nor forwards, so B receives each frame (its
/// rx_packets) and drops it at routing: the kernel's own receive rate on that kind of link, for the
/// same work the Wirestack rows ask of the kernel.
/// </summary>
internal static class KernelVethRates
{
    private const string FirstCidr = "10.233.0.1/24";
    private const string SecondCidr = "10.233.0.2/24";
    private static readonly Ipv4Address Unowned = new(10, 233, 0, 200);

    public static List<RateRow> Measure(RunContext context)
    {
        var rows = new List<RateRow>();
        var blaster = context.Blaster;
        if (blaster is null)
        {
            RunContext.Progress("kernel veth rows skipped: no kernel sender (see above)");
            return rows;
        }
        using var a = BenchNamespace.Create(context.Cleanup, "ka");
        using var b = BenchNamespace.Create(context.Cleanup, "kb");
        using var veth = VethLink.Between(context.Cleanup, a, FirstCidr, b, SecondCidr, "k");
        a.AddNeighbour(Unowned, b.MacOf(veth.SecondEnd), veth.FirstEnd);

        foreach (int frameBytes in RunContext.FrameSizes)
        {
            long arrivedBefore = b.Statistic(veth.SecondEnd, "rx_packets");
            long droppedBefore = a.Statistic(veth.FirstEnd, "tx_dropped");
            var sender = blaster.Start(a, Unowned.ToString(), frameBytes - FrameTemplate.HeaderBytes, context.Options.Warmup + context.Options.Measure, context.Options.Batch);
            BlastResult blast;
            try
            {
                blast = UdpBlaster.Finish(sender, context.SenderDuration + TimeSpan.FromSeconds(10), context.Token);
            }
            catch
            {
                Shell.Kill(sender);
                throw;
            }
            context.Token.ThrowIfCancellationRequested();
            long arrived = 0;
            // The backlog may still hold a few frames when the sender returns.
            for (var wait = Stopwatch.StartNew(); wait.Elapsed < TimeSpan.FromSeconds(2); Thread.Sleep(50))
            {
                long now = b.Statistic(veth.SecondEnd, "rx_packets") - arrivedBefore;
                if (now == arrived && now > 0) break;
                arrived = now;
            }
            long dropped = a.Statistic(veth.FirstEnd, "tx_dropped") - droppedBefore;
            double rate = blast.Seconds > 0 ? arrived / blast.Seconds : 0;
            context.Notes.Add($"{RateTable.LinkName(RateLink.KernelVeth)} {frameBytes} B: udp-blast in A sent {blast.Packets:N0} datagrams in {blast.Seconds:F2} s ({blast.PacketsPerSecond:N0}/s, {blast.Errors:N0} failed sends); B rx_packets +{arrived:N0} ({rate:N0}/s); veth dropped {dropped:N0}");
            var row = new RateRow(RateLink.KernelVeth, RateDirection.KernelToKernel, frameBytes) { KernelFramesPerSecond = rate };
            RateTable.ReportProgress(row);
            rows.Add(row);
        }
        return rows;
    }
}
