using System.Globalization;
using System.Text;
using Wirestack.Benchmarks.DeviceRates;
using Wirestack.Nic;
using Wirestack.Tcp;

namespace Wirestack.Benchmarks.TapTcp;

/// <summary>
/// The <c>tap-tcp</c> mode: TCP goodput between Wirestack behind a TAP device and the kernel in a namespace, both
/// directions, beside kernel-to-kernel iperf3 over veth measured in the same run, printed as a markdown table with
/// ratios. Needs root (namespaces, TAP). Exits 0 when every row ran, 1 when one failed, 2 on a bad command line.
/// </summary>
internal static class TapTcpCommand
{
    public const string Usage =
        "usage: Wirestack.Benchmarks tap-tcp [--seconds N] [--direction rx|tx|both] [--busy-poll] [--no-baseline] [--offloads]\n" +
        "                                    [--ring N] [--mtu N] [--rounds N]\n" +
        "  TCP goodput between Wirestack on a TAP device and the kernel (python3 peer), beside kernel-to-kernel\n" +
        "  iperf3 over veth in the same run (offloads on and off).\n" +
        "  --seconds N     length of each transfer (default 4)\n" +
        "  --direction D   rx: the kernel sends to Wirestack; tx: Wirestack sends; both (default)\n" +
        "  --busy-poll     spin in the poll loop instead of sleeping in the device\n" +
        "  --no-baseline   skip the iperf3 rows\n" +
        "  --offloads      open the TAP with TapDeviceOptions.Offloads (virtio_net_hdr, TSO/GSO and checksum offload)\n" +
        "  --ring N        TCP send and receive ring bytes, a power of two (default 1048576)\n" +
        "  --mtu N         the TAP MTU (default 1500)\n" +
        "  --rounds N      measured rounds per Wirestack row; the best is reported (default 1)";

    public static int Run(string[] args)
    {
        double seconds = 4;
        string direction = "both";
        bool busyPoll = false, baseline = true, offloads = false;
        int ring = 1 << 20, mtu = 1500, rounds = 1;
        for (int i = 0; i < args.Length; i++)
        {
            string name = args[i];
            switch (name)
            {
                case "-h" or "--help":
                    Console.WriteLine(Usage);
                    return 0;
                case "--busy-poll":
                    busyPoll = true;
                    continue;
                case "--no-baseline":
                    baseline = false;
                    continue;
                case "--offloads":
                    offloads = true;
                    continue;
            }
            if (name is not ("--seconds" or "--direction" or "--ring" or "--mtu" or "--rounds") || i + 1 >= args.Length)
            {
                Console.Error.WriteLine($"tap-tcp: {(i + 1 >= args.Length && name.StartsWith("--", StringComparison.Ordinal) ? $"{name} needs a value" : $"unknown option '{name}'")}.\n{Usage}");
                return 2;
            }
            string value = args[++i];
            bool valid = name switch
            {
                "--seconds" => double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out seconds) && seconds is >= 0.5 and <= 600,
                "--direction" => (direction = value) is "rx" or "tx" or "both",
                "--ring" => int.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out ring) && ring is >= 4096 and <= 1 << 28 && (ring & (ring - 1)) == 0,
                "--mtu" => int.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out mtu) && mtu is >= 576 and <= TapDeviceOptions.MaxMtu,
                _ => int.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out rounds) && rounds is >= 1 and <= 20,
            };
            if (!valid)
            {
                Console.Error.WriteLine($"tap-tcp: {name} '{value}' is out of range.\n{Usage}");
                return 2;
            }
        }
        if (Environment.UserName != "root" && !Environment.IsPrivilegedProcess)
        {
            Console.Error.WriteLine("tap-tcp: needs root (network namespaces and a TAP device); run it with sudo.");
            return 2;
        }
        foreach (string tool in (string[])["ip", "python3", .. baseline ? (string[])["iperf3", "ethtool"] : []])
        {
            if (Shell.Find(tool) is null)
            {
                Console.Error.WriteLine($"tap-tcp: '{tool}' is missing; install it (apt-get install {(tool == "ip" ? "iproute2" : tool)}) or pass --no-baseline for iperf3/ethtool.");
                return 2;
            }
        }

        using var cleanup = new CleanupRegistry();
        cleanup.Install();
        BenchNamespace.RemoveStale();
        var rows = new List<TransferResult>();
        bool failed = false;
        if (baseline)
        {
            foreach (bool vethOffloads in (bool[])[true, false])
            {
                try
                {
                    rows.Add(KernelVethBaseline.Measure(cleanup, seconds, vethOffloads));
                    Console.Error.WriteLine(rows[^1]);
                }
                catch (Exception e)
                {
                    Console.Error.WriteLine($"tap-tcp: the iperf3 baseline failed: {e.Message}");
                    failed = true;
                }
            }
        }
        var tcp = new TcpOptions { SendBufferLength = ring, ReceiveBufferLength = ring };
        var device = new TapDeviceOptions { Mtu = mtu, ReceiveBatchSize = 256, TransmitRingSize = 256, Offloads = offloads };
        foreach (string dir in direction == "both" ? (string[])["rx", "tx"] : [direction])
        {
            try
            {
                using var link = TapTcpLink.Create(cleanup, device, tcp, dir);
                Console.Error.WriteLine($"kernel TAP features on: {link.KernelFeatures()}");
                TransferResult? best = null;
                for (int r = 0; r < rounds + 1; r++)
                {
                    var result = dir == "rx" ? StackTapTransfer.Receive(link, r == 0 ? Math.Min(1, seconds) : seconds, busyPoll) : StackTapTransfer.Send(link, r == 0 ? Math.Min(1, seconds) : seconds, busyPoll);
                    Console.Error.WriteLine($"{(r == 0 ? "warm-up " : "")}{result}\n  {result.Details}");
                    if (r > 0 && (best is null || result.Gbits > best.Gbits)) best = result;
                }
                rows.Add(best!);
            }
            catch (Exception e)
            {
                Console.Error.WriteLine($"tap-tcp: the {dir} row failed: {e}");
                failed = true;
            }
        }

        var table = new StringBuilder();
        table.AppendLine(CultureInfo.InvariantCulture, $"TCP over TAP{(offloads ? " with offloads (TSO/GSO, checksums)" : "")}, MTU {mtu}, rings {ring >> 10} KiB, {(busyPoll ? "busy polling" : "sleeping in the device")}, {seconds} s per transfer");
        table.AppendLine();
        table.AppendLine("| transfer | Gbit/s | vs kernel veth offloads off | vs kernel veth offloads on |");
        table.AppendLine("|---|---|---|---|");
        double on = rows.FirstOrDefault(r => r.Name.Contains("offloads on", StringComparison.Ordinal))?.Gbits ?? double.NaN;
        double off = rows.FirstOrDefault(r => r.Name.Contains("offloads off", StringComparison.Ordinal))?.Gbits ?? double.NaN;
        foreach (var row in rows)
            table.AppendLine(CultureInfo.InvariantCulture, $"| {row.Name} | {row.Gbits:0.00} | {row.Gbits / off:0.00}x | {row.Gbits / on:0.00}x |");
        Console.Write(table);
        return failed ? 1 : 0;
    }
}
