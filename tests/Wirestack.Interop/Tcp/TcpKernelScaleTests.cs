using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using Wirestack.Iface;
using Wirestack.Nic;
using Wirestack.Interop.Iface;
using Wirestack.Interop.Infrastructure;
using Wirestack.Tcp;
using Wirestack.Testing;
using Wirestack.Wire;
using static Wirestack.Interop.Iface.KernelLink;

namespace Wirestack.Interop.Tcp;

/// <summary>
/// TCP against the Linux kernel at scale, over TAP and AF_PACKET: a bulk stream echoed each way with SHA-256 compared
/// (kernel client to a Wirestack echo server, Wirestack client to a kernel echo server), the same through netem
/// (2 % loss, 5 % reordering, 1 ms delay on the kernel's side), and 1 000 concurrent kernel connections echoed.
/// </summary>
/// <remarks>
/// The stream is <c>WIRESTACK_TCP_INTEROP_MIB</c> MiB each way (default 32, which keeps each case near 30 s with the capture checks; 256 is the full-size run). Each case
/// prints its time and throughput, and tshark checks the capture: window scaling, timestamps and SACK-permitted
/// in both directions' SYNs, nothing malformed or with a bad checksum from us, and under netem SACK blocks in our ACKs.
/// </remarks>
public class TcpKernelScaleTests
{
    private const ushort OurPort = 5002;
    private const ushort KernelPort = 7002;
    private static readonly int Length = ReadLength();

    [Theory]
    [InlineData(LinkKind.Tap, false)]
    [InlineData(LinkKind.PacketRing, false)]
    [InlineData(LinkKind.Tap, true)]
    [InlineData(LinkKind.PacketRing, true)]
    [InlineData(LinkKind.TapOffloads, false)]
    [InlineData(LinkKind.PacketRingOffloads, false)]
    [InlineData(LinkKind.Xdp, false)]
    public void KernelClientStreamIsEchoedByWirestack(LinkKind kind, bool netem)
    {
        string python = Prerequisites.RequireTool("python3", "python3");
        using var link = KernelLink.Create(kind, "wss", Options);
        var (ns, _, iface) = link;
        using var impaired = netem ? Impair(link) : null;
        if (impaired is not null) iface = impaired.Interface;
        Assert.True(iface.TryListenTcp(new IpEndpoint(IpAddress.AnyIpv4, OurPort), 4, out var listener));
        using var capture = Capture.Start(ns, link.KernelInterfaceName, kind, netem);

        var echo = new EchoServer(iface, listener);
        using var loop = new PollLoop(iface, echo.Step);
        string script = "import socket,hashlib,threading,random\n" +
            // randbytes takes at most 2^31 bits at a time: build the stream a MiB at a time.
            $"r=random.Random(5);data=b''.join(r.randbytes(1<<20) for _ in range({Length >> 20}))\n" +
            $"s=socket.create_connection(('{OurAddress}',{OurPort}),timeout=120)\n" +
            "h=hashlib.sha256();n=[0]\n" +
            "def rx():\n" +
            " while True:\n" +
            "  d=s.recv(1<<20)\n" +
            "  if not d: break\n" +
            "  h.update(d);n[0]+=len(d)\n" +
            "t=threading.Thread(target=rx);t.start()\n" +
            "v=memoryview(data)\n" +
            "for i in range(0,len(data),1<<20): s.sendall(v[i:i+(1<<20)])\n" +
            "s.shutdown(socket.SHUT_WR);t.join()\n" +
            "print(hashlib.sha256(data).hexdigest(),h.hexdigest(),n[0])";
        var clock = Stopwatch.StartNew();
        var result = ns.Exec(TimeSpan.FromSeconds(600), python, "-c", script);
        var elapsed = clock.Elapsed;
        Thread.Sleep(200);
        loop.Stop();
        var output = TestContext.Current.TestOutputHelper;
        output?.WriteLine($"{result.StandardOutput}{result.StandardError}");
        Report(output, $"kernel client → Wirestack echo over {kind}{(impaired is null ? "" : $" impaired by {impaired.How}")}", elapsed, iface);
        Assert.False(loop.Failed, loop.Failure?.ToString());
        Assert.Equal(0, result.ExitCode);
        var fields = result.StandardOutput.Trim().Split(' ');
        Assert.Equal(fields[0], fields[1]);
        Assert.Equal(Length.ToString(CultureInfo.InvariantCulture), fields[2]);
        Assert.Equal(Length, echo.Echoed);
        AssertNothingTruncated(link, output);
        capture.Check(output);
    }

    [Theory]
    [InlineData(LinkKind.Tap, false)]
    [InlineData(LinkKind.PacketRing, false)]
    [InlineData(LinkKind.Tap, true)]
    [InlineData(LinkKind.PacketRing, true)]
    [InlineData(LinkKind.TapOffloads, false)]
    [InlineData(LinkKind.PacketRingOffloads, false)]
    [InlineData(LinkKind.Xdp, false)]
    public void WirestackClientStreamIsEchoedByKernel(LinkKind kind, bool netem)
    {
        string python = Prerequisites.RequireTool("python3", "python3");
        using var link = KernelLink.Create(kind, "wsc", Options);
        var (ns, _, iface) = link;
        using var impaired = netem ? Impair(link) : null;
        if (impaired is not null) iface = impaired.Interface;
        string script = "import socket\n" +
            $"l=socket.socket();l.setsockopt(socket.SOL_SOCKET,socket.SO_REUSEADDR,1);l.bind(('{KernelAddress}',{KernelPort}));l.listen(1);print('ready',flush=True)\n" +
            "c,a=l.accept();n=0\n" +
            "while True:\n" +
            " d=c.recv(1<<20)\n" +
            " if not d: break\n" +
            " c.sendall(d);n+=len(d)\n" +
            "c.shutdown(socket.SHUT_WR);print(n,flush=True);c.close()";
        var server = ns.Start(python, "-c", script);
        Assert.Equal("ready", server.StandardOutput.ReadLine());
        using var capture = Capture.Start(ns, link.KernelInterfaceName, kind, netem);

        byte[] data = new byte[Length];
        new Random(9).NextBytes(data);
        string expected = Convert.ToHexString(SHA256.HashData(data));
        var receivedHash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        byte[] buffer = new byte[256 * 1024];
        TcpHandle connection = default;
        int written = 0;
        long received = 0;
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
            bool moved = false;
            if (written < data.Length && info.WritableBytes > 0)
            {
                int n = iface.WriteTcp(connection, data.AsSpan(written), now);
                if (n > 0) { written += n; moved = true; }
            }
            if (written == data.Length && !shut)
            {
                iface.ShutdownTcpWrite(connection, now);
                shut = true;
            }
            int read;
            while ((read = iface.ReadTcp(connection, buffer, now)) > 0)
            {
                receivedHash.AppendData(buffer, 0, read);
                received += read;
                moved = true;
            }
            if (shut && iface.GetTcpInfo(connection).ReadCompleted) Volatile.Write(ref finished, true);
            return moved ? now : Instant.MaxValue;
        }
        using var loop = new PollLoop(iface, Step);
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < TimeSpan.FromSeconds(600) && !loop.Failed && !Volatile.Read(ref finished)) Thread.Sleep(10);
        var elapsed = clock.Elapsed;
        loop.Stop();
        string? line = server.StandardOutput.ReadLine();
        var output = TestContext.Current.TestOutputHelper;
        Report(output, $"Wirestack client → kernel echo over {kind}{(impaired is null ? "" : $" impaired by {impaired.How}")}", elapsed, iface);
        Assert.False(loop.Failed, loop.Failure?.ToString());
        Assert.True(finished, $"the echo did not finish: {written} written, {received} received");
        Assert.Equal(Length.ToString(CultureInfo.InvariantCulture), line);
        Assert.Equal(Length, received);
        Assert.Equal(expected, Convert.ToHexString(receivedHash.GetHashAndReset()));
        AssertNothingTruncated(link, output);
        capture.Check(output);
    }

    [Theory]
    [InlineData(LinkKind.Tap)]
    [InlineData(LinkKind.PacketRing)]
    public void ThousandKernelConnectionsAreEchoed(LinkKind kind)
    {
        const int Connections = 1000;
        string python = Prerequisites.RequireTool("python3", "python3");
        using var link = KernelLink.Create(kind, "wsk", Options);
        var (ns, _, iface) = link;
        Assert.True(iface.TryListenTcp(new IpEndpoint(IpAddress.AnyIpv4, OurPort), Connections, out var listener));
        var echo = new EchoServer(iface, listener);
        using var loop = new PollLoop(iface, echo.Step);
        // All 1000 open at once, each sends 1..8 KiB of its own bytes, and each echo must come back whole.
        string script = "import socket,random,resource,selectors\n" +
            "resource.setrlimit(resource.RLIMIT_NOFILE,(8192,8192))\n" +
            $"N={Connections};socks=[];want={{}};got={{}}\n" +
            "for i in range(N):\n" +
            $" s=socket.create_connection(('{OurAddress}',{OurPort}),timeout=60);socks.append(s)\n" +
            "for i,s in enumerate(socks):\n" +
            " d=random.Random(i).randbytes(1024*(1+i%8));want[s]=d;got[s]=bytearray();s.sendall(d);s.shutdown(socket.SHUT_WR)\n" +
            "sel=selectors.DefaultSelector()\n" +
            "for s in socks: s.setblocking(False);sel.register(s,selectors.EVENT_READ)\n" +
            "open_=N\n" +
            "while open_:\n" +
            " for k,_ in sel.select(60):\n" +
            "  d=k.fileobj.recv(65536)\n" +
            "  if d: got[k.fileobj]+=d\n" +
            "  else: sel.unregister(k.fileobj);open_-=1\n" +
            "ok=sum(1 for s in socks if bytes(got[s])==want[s])\n" +
            "print(ok,N)";
        var clock = Stopwatch.StartNew();
        var result = ns.Exec(TimeSpan.FromSeconds(300), python, "-c", script);
        var elapsed = clock.Elapsed;
        Thread.Sleep(200);
        loop.Stop();
        var output = TestContext.Current.TestOutputHelper;
        output?.WriteLine($"{result.StandardOutput}{result.StandardError}\n{elapsed.TotalSeconds:F2} s for {Connections} connections, {echo.Accepted} accepted, {echo.Echoed} bytes echoed\n{Describe(iface)}");
        Assert.False(loop.Failed, loop.Failure?.ToString());
        Assert.Equal(0, result.ExitCode);
        Assert.Equal($"{Connections} {Connections}", result.StandardOutput.Trim());
        Assert.Equal(Connections, echo.Accepted);
    }

    // Small rings for the 1 000 connections' sake; the bulk streams still get 256 KiB windows.
    private static InterfaceOptions Options(InterfaceOptions options) =>
        options with { Tcp = options.Tcp with { ConnectionCapacity = 4096, SendBufferLength = 256 * 1024, ReceiveBufferLength = 256 * 1024 } };

    // The path impairment: `tc qdisc add dev <kernel side> root netem loss 2% reorder 5% delay 1ms`. Kernels built
    // without sch_netem (CONFIG_NET_SCH_NETEM unset, as in some VMs) get the same figures from a FaultInjector on our
    // side of the link instead, both ways, with the Interface rebuilt over it.
    private static Impairment Impair(KernelLink link)
    {
        string tc = Prerequisites.RequireTool("tc", "iproute2");
        var result = link.Namespace.Exec(tc, "qdisc", "add", "dev", link.KernelInterfaceName, "root", "netem", "loss", "2%", "reorder", "5%", "delay", "1ms");
        if (result.ExitCode == 0) return new Impairment(link.Interface, null, "tc netem on the kernel side");
        Assert.Contains("unknown", result.StandardError, StringComparison.OrdinalIgnoreCase);
        var faults = new FaultInjector(link.Device, new FaultInjectorOptions
        {
            Seed = 7,
            DropProbability = 0.02,
            ReorderProbability = 0.05,
            ReorderDistance = 3,
            ReorderTimeout = TimeSpan.FromMilliseconds(2),
            Delay = TimeSpan.FromMilliseconds(1),
            PoolSize = 4096,
            LeaveInnerOpen = true,
        });
        var iface = new Interface(faults, Options(new InterfaceOptions { MacAddress = OurMac, Ipv4Addresses = [new Ipv4InterfaceAddress(OurAddress, 24)] }));
        return new Impairment(iface, faults, "FaultInjector on our side (this kernel has no sch_netem)");
    }

    private sealed class Impairment(Interface iface, FaultInjector? faults, string how) : IDisposable
    {
        public Interface Interface => iface;
        public string How => how;
        public FaultInjector? Faults => faults;
        public void Dispose() => faults?.Dispose();
    }

    private static void Report(ITestOutputHelper? output, string what, TimeSpan elapsed, Interface iface)
    {
        double gbits = Length * 8.0 / elapsed.TotalSeconds / 1e9;
        output?.WriteLine($"{what}: {Length >> 20} MiB each way in {elapsed.TotalSeconds:F2} s, {gbits:F2} Gbit/s each way\n{Describe(iface)}");
    }

    // An AF_PACKET ring that cut frames short lost them; with offloads on, not even the kernel's 64 KiB segments may be.
    // Our own average frame says whether super-segments went out.
    private static void AssertNothingTruncated(KernelLink link, ITestOutputHelper? output)
    {
        if (link.Device is not PacketRingDevice ring) return;
        var c = ring.Counters;
        long received = c.ReceivedBytes / Math.Max(1, c.ReceivedFrames), sent = c.TransmittedBytes / Math.Max(1, c.TransmittedFrames);
        output?.WriteLine($"ring: {ring.TruncatedFrames} truncated; received {c.ReceivedFrames} frames, {received} bytes each; sent {c.TransmittedFrames}, {sent} bytes each");
        Assert.Equal(0, ring.TruncatedFrames);
        if (link.Kind != LinkKind.PacketRingOffloads) return;
        // The stream each way was 32 MiB: carried in MTU-sized frames, neither average could pass the largest one.
        Assert.True(received > ring.Capabilities.MaxFrameLength, $"the kernel's segments did not arrive whole: {received} bytes a frame on average");
        Assert.True(sent > ring.Capabilities.MaxFrameLength, $"no super-segments went out: {sent} bytes a frame on average");
    }

    private static string Describe(Interface iface)
    {
        var c = iface.TcpCounters;
        return $"segments in {c.SegmentsReceived} out {c.SegmentsSent}, retransmitted {c.RetransmittedSegments}, fast {c.FastRetransmits}, timeouts {c.RetransmissionTimeouts}, " +
            $"lost retransmissions {c.LostRetransmissions}, duplicates received {c.DuplicateSegmentsReceived}, out of order {c.OutOfOrderSegments}, resets {c.ResetsSent}/{c.ResetsReceived}, D-SACKs sent {c.DuplicateSacksSent} received {c.DuplicateSacksReceived}\n{iface.Counters}";
    }

    private static int ReadLength()
    {
        var text = Environment.GetEnvironmentVariable("WIRESTACK_TCP_INTEROP_MIB");
        return text is not null && int.TryParse(text, out int mib) && mib is > 0 and <= 1024 ? mib << 20 : 32 << 20;
    }

    // Echoes every accepted connection on the loop's thread (the Interface's only owner): reads only what it can
    // write back, shuts its side once the peer's stream ended, closes once both are done.
    private sealed class EchoServer(Interface iface, TcpListenerHandle listener)
    {
        private readonly List<TcpHandle> _connections = [];
        private readonly List<bool> _shut = [];
        private readonly byte[] _buffer = new byte[256 * 1024];

        public int Accepted { get; private set; }
        public long Echoed { get; private set; }

        public Instant Step(Instant now)
        {
            while (iface.TryAcceptTcp(listener, out var accepted))
            {
                _connections.Add(accepted);
                _shut.Add(false);
                Accepted++;
            }
            bool moved = false;
            for (int i = _connections.Count - 1; i >= 0; i--)
            {
                var connection = _connections[i];
                var info = iface.GetTcpInfo(connection);
                int room = Math.Min(info.WritableBytes, _buffer.Length);
                int read = room > 0 ? iface.ReadTcp(connection, _buffer.AsSpan(0, room), now) : 0;
                if (read > 0)
                {
                    iface.WriteTcp(connection, _buffer.AsSpan(0, read), now);
                    Echoed += read;
                    moved = true;
                }
                if (!_shut[i] && info.ReadCompleted && read == 0 && info.State == TcpState.CloseWait)
                {
                    iface.ShutdownTcpWrite(connection, now);
                    _shut[i] = true;
                }
                if (info.State is TcpState.Closed or TcpState.TimeWait)
                {
                    iface.CloseTcp(connection, now);
                    _connections.RemoveAt(i);
                    _shut.RemoveAt(i);
                }
            }
            return moved ? now : Instant.MaxValue;
        }
    }

    // tcpdump on the kernel's side of the link, headers only, and tshark's verdict on it afterwards.
    private sealed class Capture : IDisposable
    {
        private readonly Process _dump;
        private readonly string _path;
        private readonly bool _netem;
        private readonly NetworkNamespace _ns;
        private bool _stopped;

        private Capture(NetworkNamespace ns, Process dump, string path, bool netem)
        {
            _ns = ns;
            _dump = dump;
            _path = path;
            _netem = netem;
        }

        public static Capture Start(NetworkNamespace ns, string device, LinkKind kind, bool netem)
        {
            string tcpdump = Prerequisites.RequireTool("tcpdump", "tcpdump");
            Prerequisites.RequireTool("tshark", "tshark");
            string path = Path.Combine(Path.GetTempPath(), $"wirestack-tcpscale-{Environment.ProcessId}-{kind}-{netem}.pcap");
            var dump = ns.Start(tcpdump, "-i", device, "-w", path, "-U", "-s", "128", "tcp");
            Thread.Sleep(300);
            return new Capture(ns, dump, path, netem);
        }

        public void Check(ITestOutputHelper? output)
        {
            Stop();
            // The capture holds headers only, so the kernel judges our TCP checksums: it counts every bad one it got.
            var nstat = _ns.Exec("nstat", "-az", "TcpInCsumErrors");
            output?.WriteLine($"kernel: {nstat.StandardOutput.Trim()}");
            string csum = Array.Find(nstat.StandardOutput.Split('\n'), l => l.StartsWith("TcpInCsumErrors", StringComparison.Ordinal)) ?? "";
            var counter = csum.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            Assert.True(counter.Length >= 2 && counter[0] == "TcpInCsumErrors", nstat.StandardOutput + nstat.StandardError);
            Assert.Equal("0", counter[1]);
            string tshark = Prerequisites.RequireTool("tshark", "tshark");
            // Headers only (-s 128): payload isn't dissected, so checksums are checked only where tshark can (the IP header).
            var bad = Tshark(tshark, "-Y", $"ip.src=={OurAddress} && (_ws.malformed || ip.checksum.status==0 || _ws.expert.severity==error)",
                "-d", $"tcp.port=={OurPort},data", "-d", $"tcp.port=={KernelPort},data", "-o", "ip.check_checksum:TRUE");
            output?.WriteLine($"tshark bad packets from us: {bad}");
            Assert.Equal("", bad);
            // One more pass over the whole capture: every SYN with its options, and our segments carrying SACK blocks.
            var fields = Tshark(tshark, "-Y", $"tcp.flags.syn==1 || (ip.src=={OurAddress} && tcp.options.sack_le)", "-T", "fields", "-E", "separator=/t",
                "-e", "ip.src", "-e", "tcp.flags.syn", "-e", "tcp.options.wscale.shift", "-e", "tcp.options.timestamp.tsval", "-e", "tcp.options.sack_perm");
            int sackCount = 0;
            var synSeen = new HashSet<string>();
            foreach (var line in fields.Split('\n', StringSplitOptions.RemoveEmptyEntries))
            {
                var f = line.Split('\t');
                bool syn = f.Length > 1 && f[1] is "1" or "True";
                if (!syn)
                {
                    sackCount++;
                    continue;
                }
                Assert.True(f.Length == 5, $"a SYN option is missing: {line}");
                output?.WriteLine($"SYN options from {f[0]}: wscale {f[2]} tsval {f[3]} sack_perm {f[4]}");
                Assert.False(string.IsNullOrWhiteSpace(f[2]) || string.IsNullOrWhiteSpace(f[3]) || string.IsNullOrWhiteSpace(f[4]), $"a SYN option is missing: {line}");
                synSeen.Add(f[0]);
            }
            Assert.Contains(OurAddress.ToString(), synSeen);
            Assert.Contains(KernelAddress.ToString(), synSeen);
            // Timestamps on the segments after the handshake, both ways: the first few thousand packets tell.
            var early = Tshark(tshark, "-c", "2000", "-Y", "tcp.flags.syn==0 && tcp.options.timestamp.tsval", "-T", "fields", "-e", "ip.src");
            Assert.Contains(OurAddress.ToString(), early);
            Assert.Contains(KernelAddress.ToString(), early);
            output?.WriteLine($"our segments with SACK blocks: {sackCount}");
            if (_netem) Assert.True(sackCount > 0, "no SACK blocks in our ACKs under netem loss");
            // D-SACK (RFC 2883): what we reported as received twice must be understood as such by the kernel.
            int dsacks = Tshark(tshark, "-Y", $"ip.src=={OurAddress} && tcp.options.sack.dsack_le", "-T", "fields", "-e", "frame.number")
                .Split('\n', StringSplitOptions.RemoveEmptyEntries).Length;
            long kernelDsacks = KernelCounter("TcpExtTCPDSACKRecv") + KernelCounter("TcpExtTCPDSACKOfoRecv");
            output?.WriteLine($"our segments with a D-SACK block: {dsacks}; D-SACKs the kernel counted: {kernelDsacks}");
            if (dsacks > 0) Assert.True(kernelDsacks > 0, "the kernel counted none of our D-SACK blocks");
        }

        private long KernelCounter(string name)
        {
            var nstat = _ns.Exec("nstat", "-az", name);
            string line = Array.Find(nstat.StandardOutput.Split('\n'), l => l.StartsWith(name + " ", StringComparison.Ordinal)) ?? "";
            var fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            Assert.True(fields.Length >= 2, $"nstat has no {name}: {nstat.StandardOutput}{nstat.StandardError}");
            return long.Parse(fields[1], CultureInfo.InvariantCulture);
        }

        private string Tshark(string tshark, params string[] arguments)
        {
            var result = ProcessRunner.Run(tshark, ["-r", _path, .. arguments], TimeSpan.FromSeconds(300));
            Assert.True(result.ExitCode == 0, $"tshark: {result.StandardError}");
            return result.StandardOutput.Trim();
        }

        private void Stop()
        {
            if (_stopped) return;
            _stopped = true;
            Thread.Sleep(200);
            if (!_dump.HasExited) _dump.Kill();
            _dump.WaitForExit();
        }

        public void Dispose()
        {
            Stop();
            File.Delete(_path);
        }
    }
}
