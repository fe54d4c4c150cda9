using System.Globalization;
using System.Text;

namespace Wirestack.Benchmarks.DeviceRates;

/// <summary>Formats the rows as a markdown table, with the machine, the legend and the per-row notes.</summary>
internal static class RateTable
{
    public const string Header = "| link | direction | frame bytes | Wirestack frames/s | Gbit/s | kernel frames/s (same run) | ratio | B/frame allocated |";

    private const string Missing = "-";

    public static string LinkName(RateLink link) => link switch
    {
        RateLink.Pipe => "pipe (in-process)",
        RateLink.Tap => "TAP",
        RateLink.PacketRing => "AF_PACKET (veth)",
        RateLink.KernelVeth => "kernel veth (baseline)",
        RateLink.XdpNative => "AF_XDP native (veth)",
        RateLink.XdpGeneric => "AF_XDP generic (veth)",
        _ => link.ToString(),
    };

    public static string DirectionName(RateDirection direction) => direction switch
    {
        RateDirection.InProcess => "Wirestack -> Wirestack",
        RateDirection.WirestackToKernel => "Wirestack -> kernel",
        RateDirection.KernelToWirestack => "kernel -> Wirestack",
        RateDirection.KernelToKernel => "kernel -> kernel",
        _ => direction.ToString(),
    };

    /// <summary>Bits per second of <paramref name="framesPerSecond"/> frames of <paramref name="frameBytes"/> bytes, in Gbit/s (no FCS, preamble or gap counted).</summary>
    public static double Gigabits(double framesPerSecond, int frameBytes) => framesPerSecond * frameBytes * 8 / 1e9;

    /// <summary>One line on standard error as a row completes, so a long run shows it is alive.</summary>
    public static void ReportProgress(RateRow row)
    {
        string wirestack = row.WirestackFramesPerSecond is double w ? $"Wirestack {w:N0} frames/s" : "";
        string kernel = row.KernelFramesPerSecond is double k ? $"kernel {k:N0} frames/s" : "";
        RunContext.Progress($"{LinkName(row.Link)}, {DirectionName(row.Direction)}, {row.FrameBytes} B: {string.Join("; ", new[] { wirestack, kernel }.Where(s => s.Length > 0))}");
    }

    public static string Format(IEnumerable<RateRow> rows, IEnumerable<string> notes, string machine)
    {
        var text = new StringBuilder();
        text.AppendLine(Header);
        text.AppendLine("|---|---|---:|---:|---:|---:|---:|---:|");
        foreach (var row in rows.OrderBy(r => r.Link).ThenBy(r => r.Direction).ThenBy(r => r.FrameBytes))
        {
            double? shown = row.WirestackFramesPerSecond ?? row.KernelFramesPerSecond;
            string ratio = row.WirestackFramesPerSecond is double w && row.KernelFramesPerSecond is double k && k > 0
                ? (w / k).ToString("F2", CultureInfo.InvariantCulture)
                : Missing;
            text.Append(CultureInfo.InvariantCulture,
                $"| {LinkName(row.Link)} | {DirectionName(row.Direction)} | {row.FrameBytes} | {Rate(row.WirestackFramesPerSecond)} | ")
                .Append(CultureInfo.InvariantCulture, $"{(shown is double s ? Gigabits(s, row.FrameBytes).ToString("F2", CultureInfo.InvariantCulture) : Missing)} | ")
                .Append(CultureInfo.InvariantCulture, $"{Rate(row.KernelFramesPerSecond)} | {ratio} | {Allocated(row.AllocatedBytesPerFrame)} |")
                .AppendLine();
        }
        text.AppendLine();
        text.AppendLine(machine);
        text.AppendLine();
        text.AppendLine("- frame bytes: the Ethernet frame without FCS (64 = a 22-byte UDP payload, 1514 = 1472). Gbit/s = frames/s x frame bytes x 8, of the Wirestack rate (of the kernel's on the baseline rows).");
        text.AppendLine("- kernel frames/s: kernel -> Wirestack rows: the rate of the kernel's UDP sender (bench/tools/udp-blast.c: connected socket, sendmmsg) into the same link over the very window in which Wirestack counted; Wirestack cannot receive more than it is sent, so a ratio near 1 means it kept up, and the sender (whose CPU also runs the kernel's side of the link) was the limit. TAP Wirestack -> kernel: that sender's rate into the TAP at the same frame size. AF_PACKET and AF_XDP Wirestack -> kernel: the kernel -> kernel veth baseline (the same sender in one namespace, counted at the other's rx_packets). ratio = Wirestack / kernel.");
        text.AppendLine("- Wirestack -> kernel frames go to the kernel's MAC and an address it neither owns nor forwards: it receives them (rx_packets, checked against the device's count below) and drops them at routing. Kernel -> Wirestack frames are read in place (length and EtherType) and released in batches.");
        text.AppendLine("- B/frame allocated: GC.GetAllocatedBytesForCurrentThread on the threads driving the devices, over the measured window (after the warm-up), per frame.");
        text.AppendLine();
        foreach (string note in notes) text.AppendLine("- " + note);
        return text.ToString();
    }

    private static string Rate(double? framesPerSecond) =>
        framesPerSecond is double value ? value.ToString("N0", CultureInfo.InvariantCulture) : Missing;

    private static string Allocated(double? bytesPerFrame) => bytesPerFrame switch
    {
        null => Missing,
        0 => "0",
        double value => value.ToString("0.###", CultureInfo.InvariantCulture),
    };
}
