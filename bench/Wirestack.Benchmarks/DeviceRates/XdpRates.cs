using Wirestack.Nic;
using Wirestack.Wire;

namespace Wirestack.Benchmarks.DeviceRates;

/// <summary>
/// The AF_XDP rows: an <see cref="XdpDevice"/> on the host end of a veth pair (no address on that
/// end), its program attached in native or generic mode, the peer end in a namespace with an
/// address. Wirestack plays a host at 10.233.0.2. The same measurements as the AF_PACKET rows, so
/// the two read side by side against the same kernel veth baseline.
/// </summary>
internal static class XdpRates
{
    private const string PeerCidr = "10.233.0.1/24";
    private static readonly Ipv4Address OurAddress = new(10, 233, 0, 2);
    private static readonly MacAddress OurMac = MacAddress.Parse("02:00:0a:e9:00:02");
    private static readonly Ipv4Address Unowned = new(10, 233, 0, 200);

    public static List<RateRow> Measure(RunContext context, XdpAttachMode mode)
    {
        var options = context.Options;
        var link = mode == XdpAttachMode.Native ? RateLink.XdpNative : RateLink.XdpGeneric;
        var rows = new List<RateRow>();
        using var ns = BenchNamespace.Create(context.Cleanup, mode == XdpAttachMode.Native ? "xdpdrv" : "xdpskb");
        using var veth = VethLink.FromHost(context.Cleanup, ns, PeerCidr, mode == XdpAttachMode.Native ? "x" : "g");
        var peerMac = ns.MacOf(veth.SecondEnd);
        ns.AddNeighbour(OurAddress, OurMac, veth.SecondEnd);
        using var device = XdpDevice.Open(veth.FirstEnd, new XdpDeviceOptions { AttachMode = mode, RingSize = 4096, ReceiveBatchSize = options.Batch });
        context.Notes.Add($"{RateTable.LinkName(link)}: program {device.AttachMode}, socket {device.CopyMode}, need-wakeup {(device.UsesNeedWakeup ? "on" : "off")}");
        DeviceLoops.Drain(device, TimeSpan.FromMilliseconds(100));

        string hostDrops = $"/sys/class/net/{veth.FirstEnd}/statistics/tx_dropped";
        foreach (int frameBytes in RunContext.FrameSizes)
        {
            byte[] frame = FrameTemplate.Udp(frameBytes, OurMac, peerMac, OurAddress, Unowned);
            long callsBefore = device.TransmitSystemCalls;
            long sentBefore = device.Counters.TransmittedFrames;
            var row = KernelLinkRows.WirestackToKernel(context, link, device, ns, veth.SecondEnd, frame,
                () => long.Parse(File.ReadAllText(hostDrops).Trim(), System.Globalization.CultureInfo.InvariantCulture));
            long sent = device.Counters.TransmittedFrames - sentBefore;
            context.Notes.Add($"{RateTable.LinkName(link)} Wirestack -> kernel {frameBytes} B: {device.TransmitSystemCalls - callsBefore:N0} sendto kicks for {sent:N0} frames");
            RateTable.ReportProgress(row);
            rows.Add(row);
        }
        if (context.Blaster is null)
        {
            RunContext.Progress("AF_XDP kernel -> Wirestack rows skipped: no kernel sender (see above)");
        }
        else
        {
            foreach (int frameBytes in RunContext.FrameSizes)
            {
                var row = KernelLinkRows.KernelToWirestack(context, link, device, ns, veth.SecondEnd, OurAddress, frameBytes);
                RateTable.ReportProgress(row);
                rows.Add(row);
            }
        }
        return rows;
    }
}
