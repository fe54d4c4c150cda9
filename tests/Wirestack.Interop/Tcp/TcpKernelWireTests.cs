using System.Diagnostics;
using System.Globalization;
using Wirestack.Iface;
using Wirestack.Interop.Iface;
using Wirestack.Interop.Infrastructure;
using Wirestack.Testing;
using Wirestack.Wire;

namespace Wirestack.Interop.Tcp;

/// <summary>
/// The TCP frames Wirestack sends on links that carry MTU-sized frames, captured whole at the kernel's end and checked
/// by tshark, over IPv4 and IPv6: a kernel client's 4 MiB echoed by a Wirestack listener, hashed both ways. (Links that
/// carry 64 KiB segments carry partial checksums, which only the receiver completes: see <see cref="TcpKernelTests"/>.)
/// Where the kernel cuts the stack's 64 KiB segments in software, this is what shows that it got each frame's checksum
/// right: a veth marks what it carries as verified, so the kernel's receiver would not notice a wrong one.
/// </summary>
public class TcpKernelWireTests
{
    private const int Length = 4 << 20;
    private const ushort OurPort = 5006;

    [Theory]
    [InlineData(LinkKind.Tap, false)]
    [InlineData(LinkKind.Tap, true)]
    [InlineData(LinkKind.PacketRing, false)]
    [InlineData(LinkKind.PacketRing, true)]
    [InlineData(LinkKind.PacketRingSoftwareSegmentation, false)]
    [InlineData(LinkKind.PacketRingSoftwareSegmentation, true)]
    public void KernelClientGetsFourMebibytesEchoed(LinkKind kind, bool ipv6)
    {
        string python = Prerequisites.RequireTool("python3", "python3");
        string tcpdump = Prerequisites.RequireTool("tcpdump", "tcpdump");
        string tshark = Prerequisites.RequireTool("tshark", "tshark");
        using var link = InterfaceIpv6KernelTests.CreateLink(kind);
        var (ns, device, iface) = link;
        string ours = ipv6 ? InterfaceIpv6KernelTests.OurGlobal.ToString() : KernelLink.OurAddress.ToString();
        string source = ipv6 ? "ipv6.src" : "ip.src";
        Assert.True(iface.TryListenTcp(new IpEndpoint(ipv6 ? IpAddress.AnyIpv6 : IpAddress.AnyIpv4, OurPort), 4, out var listener));
        string capture = Path.Combine(Path.GetTempPath(), $"wirestack-tcpwire-{Environment.ProcessId}-{kind}-{(ipv6 ? 6 : 4)}.pcap");
        // Whole frames, in a 64 MiB buffer that could hold the whole exchange.
        var dump = Tcpdump.StartListening(ns, tcpdump, "-i", link.KernelInterfaceName, "-w", capture, "-U", "-B", "65536", "-s", "0", "tcp");

        var echo = new TcpEcho(iface, listener);
        using var loop = new PollLoop(iface, echo.Step);
        try
        {
            string script = TcpEcho.KernelClientScript(ours, OurPort, Length, seed: 6);
            var clock = Stopwatch.StartNew();
            var result = ns.Exec(TimeSpan.FromSeconds(120), python, "-c", script);
            var elapsed = clock.Elapsed;
            Thread.Sleep(200);
            loop.Stop();
            Tcpdump.Stop(dump, capture);
            var output = TestContext.Current.TestOutputHelper;
            var c = iface.TcpCounters;
            output?.WriteLine($"{result.StandardOutput}{result.StandardError}\n{elapsed.TotalSeconds:F2} s; segments in {c.SegmentsReceived} out {c.SegmentsSent}, retransmitted {c.RetransmittedSegments}\n{iface.Counters}");
            Assert.False(loop.Failed, loop.Failure?.ToString());
            Assert.Equal(0, result.ExitCode);
            var fields = result.StandardOutput.Trim().Split(' ');
            Assert.Equal(fields[0], fields[1]);
            Assert.Equal(Length.ToString(CultureInfo.InvariantCulture), fields[2]);
            Assert.Equal(Length, echo.Echoed);
            Assert.Equal(0, iface.Counters.Dropped(InterfaceDropReason.TcpBadChecksum));
            if (device is Wirestack.Nic.PacketRingDevice ring) Assert.Equal(0, ring.TruncatedFrames);

            // The payload is random bytes: decode it as data, or heuristic dissectors find "malformed" protocols in it.
            var bad = ProcessRunner.Run(tshark, ["-r", capture, "-d", $"tcp.port=={OurPort},data", "-o", "tcp.check_checksum:TRUE", "-o", "ip.check_checksum:TRUE",
                "-Y", $"{source}=={ours} && (_ws.malformed || ip.checksum.status==0 || tcp.checksum.status==0 || _ws.expert.severity==error)"], TimeSpan.FromSeconds(120));
            output?.WriteLine($"tshark bad packets:\n{bad.StandardOutput}");
            Assert.Equal(0, bad.ExitCode);
            Assert.Equal("", bad.StandardOutput.Trim());
            var frames = ProcessRunner.Run(tshark, ["-r", capture, "-o", "tcp.check_checksum:TRUE", "-Y", $"{source}=={ours}", "-T", "fields", "-e", "frame.len", "-e", "tcp.checksum.status"], TimeSpan.FromSeconds(120));
            var rows = frames.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries);
            output?.WriteLine($"our frames on the wire: {rows.Length}, segments the stack sent: {c.SegmentsSent}");
            // The echo took at least one frame per 1448 or 1428 bytes (1500 less IPv4's or IPv6's header, TCP's and 12
            // of timestamps); tcpdump may miss a few under load, but most must be there to be judged. Every one is
            // MTU-sized and its checksum was checked and found good (status 1), none left unverified.
            int minimum = Length / (ipv6 ? 1428 : 1448) / 2;
            Assert.True(rows.Length >= minimum, $"only {rows.Length} frames from us in the capture, expected at least {minimum}");
            Assert.All(rows, row =>
            {
                string[] cells = row.Split('\t');
                Assert.True(int.Parse(cells[0], CultureInfo.InvariantCulture) <= 1514, $"a {cells[0]}-byte frame on a 1500-byte link");
                Assert.Equal("1", cells[1]);
            });
            // Where the kernel segments, the stack sent 64 KiB segments: far fewer than the frames the peer saw.
            if (kind == LinkKind.PacketRingSoftwareSegmentation)
                Assert.True(rows.Length > 2 * c.SegmentsSent, $"{rows.Length} frames on the wire for {c.SegmentsSent} segments: the stack sent no super-segments");
        }
        finally
        {
            loop.Stop();
            if (!dump.HasExited) dump.Kill();
            File.Delete(capture);
        }
    }
}
