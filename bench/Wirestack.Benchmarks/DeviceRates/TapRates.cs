using Wirestack.Nic;
using Wirestack.Wire;

namespace Wirestack.Benchmarks.DeviceRates;

/// <summary>
/// The TAP rows: a <see cref="TapDevice"/> whose interface is moved into a namespace with an
/// address, the kernel's stack on the other side. Wirestack plays a host at 10.231.0.2 behind it.
/// </summary>
internal static class TapRates
{
    private const string KernelCidr = "10.231.0.1/24";
    private static readonly Ipv4Address OurAddress = new(10, 231, 0, 2);
    private static readonly MacAddress OurMac = MacAddress.Parse("02:00:0a:e7:00:02");

    // On the kernel's subnet but not its own: it receives the frame, finds no route to forward it
    // on (forwarding is off in a new namespace), and drops it without an ICMP answer.
    private static readonly Ipv4Address Unowned = new(10, 231, 0, 200);

    public static List<RateRow> Measure(RunContext context)
    {
        var options = context.Options;
        var rows = new List<RateRow>();
        using var ns = BenchNamespace.Create(context.Cleanup, "tap");
        using var tap = new TapDevice(new TapDeviceOptions
        {
            Name = $"wsbt{Environment.ProcessId}",
            ReceiveBatchSize = options.Batch,
            TransmitRingSize = Math.Max(256, options.Batch),
        });
        // The descriptor stays with this process; the interface (and the kernel's side) moves.
        Shell.Run("ip", "link", "set", tap.Name, "netns", ns.Name).EnsureSuccess($"moving {tap.Name} into {ns.Name}");
        ns.Configure(tap.Name, KernelCidr);
        ns.AddNeighbour(OurAddress, OurMac, tap.Name);
        DeviceLoops.Drain(tap, TimeSpan.FromMilliseconds(100));

        if (context.Blaster is null)
        {
            RunContext.Progress("TAP kernel -> Wirestack rows skipped: no kernel sender (see above)");
        }
        else
        {
            foreach (int frameBytes in RunContext.FrameSizes)
            {
                var row = KernelLinkRows.KernelToWirestack(context, RateLink.Tap, tap, ns, tap.Name, OurAddress, frameBytes);
                RateTable.ReportProgress(row);
                rows.Add(row);
            }
        }
        foreach (int frameBytes in RunContext.FrameSizes)
        {
            byte[] frame = FrameTemplate.Udp(frameBytes, OurMac, tap.KernelMacAddress, OurAddress, Unowned);
            // A frame the kernel could not take would show in the TAP's rx_dropped.
            var row = KernelLinkRows.WirestackToKernel(context, RateLink.Tap, tap, ns, tap.Name, frame, () => ns.Statistic(tap.Name, "rx_dropped"));
            RateTable.ReportProgress(row);
            rows.Add(row);
        }
        return rows;
    }
}
