using System.Diagnostics;
using System.Security.Cryptography;
using Wirestack.Iface;
using Wirestack.Interop.Iface;
using Wirestack.Interop.Infrastructure;
using Wirestack.Tcp;
using Wirestack.Testing;
using Wirestack.Wire;
using static Wirestack.Interop.Iface.KernelLink;

namespace Wirestack.Interop.Tcp;

/// <summary>
/// TCP against the Linux kernel over TAP, AF_PACKET on veth and AF_XDP on veth: a kernel client's 16 MiB echoed by a Wirestack
/// listener, Wirestack sending 16 MiB to a kernel server, and tshark's verdict on what Wirestack put on the wire.
/// </summary>
public class TcpKernelTests
{
    private const int Length = 16 << 20;
    private const ushort OurPort = 5001;
    private const ushort KernelPort = 7001;

    [Theory]
    [InlineData(LinkKind.Tap)]
    [InlineData(LinkKind.TapOffloads)]
    [InlineData(LinkKind.PacketRing)]
    [InlineData(LinkKind.PacketRingChecksumOffload)]
    [InlineData(LinkKind.PacketRingOffloads)]
    [InlineData(LinkKind.PacketRingSoftwareSegmentation)]
    [InlineData(LinkKind.Xdp)]
    public void KernelClientGetsSixteenMebibytesEchoed(LinkKind kind)
    {
        string python = Prerequisites.RequireTool("python3", "python3");
        string tcpdump = Prerequisites.RequireTool("tcpdump", "tcpdump");
        string tshark = Prerequisites.RequireTool("tshark", "tshark");
        using var link = KernelLink.Create(kind, "wst");
        var (ns, device, iface) = link;
        Assert.True(iface.TryListenTcp(new IpEndpoint(IpAddress.AnyIpv4, OurPort), 4, out var listener));
        string capture = Path.Combine(Path.GetTempPath(), $"wirestack-tcp-{Environment.ProcessId}-{kind}.pcap");
        var dump = Tcpdump.StartListening(ns, tcpdump, "-i", link.KernelInterfaceName, "-w", capture, "-U", "-s", "256", "tcp");

        var echo = new TcpEcho(iface, listener);
        using var loop = new PollLoop(iface, echo.Step);
        try
        {
            string script = TcpEcho.KernelClientScript(OurAddress.ToString(), OurPort, Length, seed: 5);
            var clock = Stopwatch.StartNew();
            var result = ns.Exec(TimeSpan.FromSeconds(120), python, "-c", script);
            var elapsed = clock.Elapsed;
            Thread.Sleep(200);
            loop.Stop();
            Thread.Sleep(200);
            dump.Kill();
            dump.WaitForExit();
            var output = TestContext.Current.TestOutputHelper;
            output?.WriteLine($"{result.StandardOutput}{result.StandardError}\n{elapsed.TotalSeconds:F2} s for {Length} bytes each way\n{Describe(iface)}");
            Assert.False(loop.Failed, loop.Failure?.ToString());
            Assert.Equal(0, result.ExitCode);
            var fields = result.StandardOutput.Trim().Split(' ');
            Assert.Equal(fields[0], fields[1]);
            Assert.Equal(Length.ToString(System.Globalization.CultureInfo.InvariantCulture), fields[2]);
            Assert.Equal(Length, echo.Echoed);
            AssertNoChecksumDrops(iface);
            AssertNothingTruncated(device);
            CheckCapture(tshark, capture, output);
            if (kind == LinkKind.PacketRingSoftwareSegmentation) CheckSoftwareSegmentation(tshark, capture, iface, output);
        }
        finally
        {
            loop.Stop();
            if (!dump.HasExited) dump.Kill();
            File.Delete(capture);
        }
    }

    [Theory]
    [InlineData(LinkKind.Tap)]
    [InlineData(LinkKind.TapOffloads)]
    [InlineData(LinkKind.PacketRing)]
    [InlineData(LinkKind.PacketRingChecksumOffload)]
    [InlineData(LinkKind.PacketRingOffloads)]
    [InlineData(LinkKind.PacketRingSoftwareSegmentation)]
    [InlineData(LinkKind.Xdp)]
    public void WirestackSendsSixteenMebibytesToKernelServer(LinkKind kind)
    {
        string python = Prerequisites.RequireTool("python3", "python3");
        using var link = KernelLink.Create(kind, "wst");
        var (ns, device, iface) = link;
        string script = "import socket,hashlib\n" +
            $"l=socket.socket();l.setsockopt(socket.SOL_SOCKET,socket.SO_REUSEADDR,1);l.bind(('{KernelAddress}',{KernelPort}));l.listen(1);print('ready',flush=True)\n" +
            "l.settimeout(60);c,a=l.accept();c.settimeout(60);h=hashlib.sha256();n=0\n" +
            "while True:\n" +
            " d=c.recv(1<<16)\n" +
            " if not d: break\n" +
            " h.update(d);n+=len(d)\n" +
            "print(h.hexdigest(),n,flush=True);c.close()";
        var server = ns.Start(python, "-c", script);
        Assert.Equal("ready", server.StandardOutput.ReadLine());

        byte[] data = new byte[Length];
        new Random(9).NextBytes(data);
        string expected = Convert.ToHexStringLower(SHA256.HashData(data));
        TcpHandle connection = default;
        int written = 0;
        bool shut = false, finished = false;
        Instant Step(Instant now)
        {
            if (!connection.IsAssigned)
            {
                Assert.True(iface.TryConnectTcp(new IpEndpoint(KernelAddress, KernelPort), 0, now, out connection));
                return Instant.MaxValue;
            }
            var info = iface.GetTcpInfo(connection);
            if (info.State is TcpState.SynSent or TcpState.SynReceived) return Instant.MaxValue;
            int before = written;
            if (written < data.Length && info.WritableBytes > 0) written += iface.WriteTcp(connection, data.AsSpan(written), now);
            if (written == data.Length && !shut)
            {
                iface.ShutdownTcpWrite(connection, now);
                shut = true;
            }
            if (shut && info.ReadCompleted) Volatile.Write(ref finished, true);
            return written > before ? now : Instant.MaxValue;
        }
        using var loop = new PollLoop(iface, Step);
        try
        {
            var clock = Stopwatch.StartNew();
            while (clock.Elapsed < TimeSpan.FromSeconds(120) && !loop.Failed && !Volatile.Read(ref finished)) Thread.Sleep(20);
            string? line = server.StandardOutput.ReadLine();
            loop.Stop();
            TestContext.Current.TestOutputHelper?.WriteLine($"{line}\n{clock.Elapsed.TotalSeconds:F2} s\n{Describe(iface)}");
            Assert.False(loop.Failed, loop.Failure?.ToString());
            Assert.True(finished, "the kernel server did not close after reading everything");
            Assert.Equal($"{expected} {Length}", line);
            AssertNoChecksumDrops(iface);
            AssertNothingTruncated(device);
        }
        finally
        {
            loop.Stop();
        }
    }

    // Everything Wirestack sent must dissect cleanly with correct checksums, and its SYN or SYN-ACK must carry
    // window scaling, timestamps and SACK-permitted.
    private static void CheckCapture(string tshark, string capture, ITestOutputHelper? output)
    {
        // The payload is random bytes: decode it as data, or heuristic dissectors find "malformed" protocols in it.
        var bad = ProcessRunner.Run(tshark, ["-r", capture, "-d", $"tcp.port=={OurPort},data", "-o", "tcp.check_checksum:TRUE", "-o", "ip.check_checksum:TRUE",
            "-Y", $"ip.src=={OurAddress} && (_ws.malformed || ip.checksum.status==0 || tcp.checksum.status==0 || _ws.expert.severity==error)"], TimeSpan.FromSeconds(120));
        output?.WriteLine($"tshark bad packets:\n{bad.StandardOutput}{bad.StandardError}");
        Assert.Equal(0, bad.ExitCode);
        Assert.Equal("", bad.StandardOutput.Trim());
        var syn = ProcessRunner.Run(tshark, ["-r", capture, "-Y", $"ip.src=={OurAddress} && tcp.flags.syn==1",
            "-T", "fields", "-e", "tcp.options.wscale.shift", "-e", "tcp.options.timestamp.tsval", "-e", "tcp.options.sack_perm"], TimeSpan.FromSeconds(60));
        output?.WriteLine($"our SYN options: {syn.StandardOutput}");
        var first = syn.StandardOutput.Split('\n')[0].Split('\t');
        Assert.Equal(3, first.Length);
        Assert.All(first, f => Assert.False(string.IsNullOrWhiteSpace(f)));
        var all = ProcessRunner.Run(tshark, ["-r", capture, "-q", "-z", "io,stat,0,tcp.analysis.retransmission,tcp.analysis.duplicate_ack,tcp.options.sack_le"], TimeSpan.FromSeconds(120));
        output?.WriteLine(all.StandardOutput);
    }

    // The stack handed the device 64 KiB segments, and the kernel cut them in software for the veth, which has no
    // offloads: the peer saw MTU-sized frames only (already checked for checksums), more of them than the stack sent.
    private static void CheckSoftwareSegmentation(string tshark, string capture, Interface iface, ITestOutputHelper? output)
    {
        var frames = ProcessRunner.Run(tshark, ["-r", capture, "-Y", $"ip.src=={OurAddress}", "-T", "fields", "-e", "frame.len"], TimeSpan.FromSeconds(120));
        Assert.Equal(0, frames.ExitCode);
        var lengths = frames.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        long sent = iface.TcpCounters.SegmentsSent;
        output?.WriteLine($"our frames on the wire: {lengths.Length}, segments the stack sent: {sent}");
        Assert.All(lengths, length => Assert.True(int.Parse(length, System.Globalization.CultureInfo.InvariantCulture) <= 1514, $"a {length}-byte frame on a 1500-byte link"));
        Assert.True(lengths.Length > 2 * sent, $"{lengths.Length} frames on the wire for {sent} segments: the stack sent no super-segments");
    }

    // With the veth's checksum offloads on, every TCP segment from the kernel carries a partial checksum: one dropped
    // as bad means the device failed to report the ring's TP_STATUS_CSUMNOTREADY.
    private static void AssertNoChecksumDrops(Interface iface) =>
        Assert.Equal(0, iface.Counters.Dropped(InterfaceDropReason.TcpBadChecksum));

    // An AF_PACKET ring that cut a frame short lost it: with offloads on, not even the kernel's 64 KiB segments may be.
    private static void AssertNothingTruncated(Wirestack.Nic.INetworkDevice device)
    {
        if (device is Wirestack.Nic.PacketRingDevice ring) Assert.Equal(0, ring.TruncatedFrames);
    }

    private static string Describe(Interface iface)
    {
        var c = iface.TcpCounters;
        return $"segments in {c.SegmentsReceived} out {c.SegmentsSent}, retransmitted {c.RetransmittedSegments}, fast {c.FastRetransmits}, timeouts {c.RetransmissionTimeouts}, resets {c.ResetsSent}/{c.ResetsReceived}, challenge ACKs {c.ChallengeAcksSent}\n{iface.Counters}";
    }
}
