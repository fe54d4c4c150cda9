using Wirestack.Nic;
using Wirestack.Wire;

namespace Wirestack.Benchmarks.DeviceRates;

/// <summary>
/// The AF_PACKET rows: a <see cref="PacketRingDevice"/> on the host end of a veth pair (no address
/// on that end), the peer end in a namespace with an address. Wirestack plays a host at 10.232.0.2.
/// </summary>
internal static class PacketRingRates
{
    private const string PeerCidr = "10.232.0.1/24";
    private static readonly Ipv4Address OurAddress = new(10, 232, 0, 2);
    private static readonly MacAddress OurMac = MacAddress.Parse("02:00:0a:e8:00:02");
    private static readonly Ipv4Address Unowned = new(10, 232, 0, 200);

    public static List<RateRow> Measure(RunContext context)
    {
        var options = context.Options;
        var rows = new List<RateRow>();
        using var ns = BenchNamespace.Create(context.Cleanup, "packet");
        using var veth = VethLink.FromHost(context.Cleanup, ns, PeerCidr, "p");
        var peerMac = ns.MacOf(veth.SecondEnd);
        ns.AddNeighbour(OurAddress, OurMac, veth.SecondEnd);
        // Rings deep enough to ride out a scheduling hiccup of the receiving thread at full rate.
        using var device = PacketRingDevice.Open(veth.FirstEnd, new PacketRingDeviceOptions { RingSize = 4096, ReceiveBatchSize = options.Batch });
        DeviceLoops.Drain(device, TimeSpan.FromMilliseconds(100));

        string hostDrops = $"/sys/class/net/{veth.FirstEnd}/statistics/tx_dropped";
        foreach (int frameBytes in RunContext.FrameSizes)
        {
            byte[] frame = FrameTemplate.Udp(frameBytes, OurMac, peerMac, OurAddress, Unowned);
            // A veth counts a frame the peer's backlog had no room for at the sending end.
            var row = KernelLinkRows.WirestackToKernel(context, RateLink.PacketRing, device, ns, veth.SecondEnd, frame,
                () => long.Parse(File.ReadAllText(hostDrops).Trim(), System.Globalization.CultureInfo.InvariantCulture));
            RateTable.ReportProgress(row);
            rows.Add(row);
        }
        if (context.Blaster is null)
        {
            RunContext.Progress("AF_PACKET kernel -> Wirestack rows skipped: no kernel sender (see above)");
        }
        else
        {
            foreach (int frameBytes in RunContext.FrameSizes)
            {
                var row = KernelLinkRows.KernelToWirestack(context, RateLink.PacketRing, device, ns, veth.SecondEnd, OurAddress, frameBytes);
                RateTable.ReportProgress(row);
                rows.Add(row);
            }
        }
        return rows;
    }
}
