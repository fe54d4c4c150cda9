using System.Diagnostics;
using Wirestack.Iface;
using Wirestack.Testing;
using Wirestack.Wire;

namespace Wirestack.Interop.Iface;

/// <summary>
/// Multicast and broadcast UDP, IGMP and MLD against the kernel on the <see cref="KernelLink"/>: kernel sockets send
/// to and receive from groups the Interface's bindings joined, tshark decodes the IGMPv3 reports, and a query the
/// kernel sends from a raw socket is answered.
/// </summary>
public class InterfaceMulticastKernelTests
{
    private static readonly Ipv4Address Group = new(239, 1, 2, 3);
    private static readonly Ipv6Address Group6 = Ipv6Address.Parse("ff15::1234");
    private static readonly Ipv6Address OurGlobal = Ipv6Address.Parse("fd00:240::2");
    private const int Count = 20;

    private static long RealDrops(Interface iface) => iface.Counters.TotalDropped - iface.Counters.Dropped(InterfaceDropReason.NotForUs);

    // With IPv6 on the kernel's side too (as InterfaceIpv6KernelTests sets it up) when asked.
    private static KernelLink CreateLink(LinkKind kind, bool ipv6)
    {
        var link = KernelLink.Create(kind, "wsm", options => options with
        {
            RandomSeed = 17,
            Ipv6Addresses = ipv6 ? [new Ipv6InterfaceAddress(OurGlobal, 64)] : [],
        });
        if (!ipv6) return link;
        try
        {
            var ns = link.Namespace;
            ns.Exec("sysctl", "-qw", $"net.ipv6.conf.{link.KernelInterfaceName}.accept_dad=0");
            ns.Exec("sysctl", "-qw", $"net.ipv6.conf.{link.KernelInterfaceName}.disable_ipv6=0").EnsureSuccess("enable IPv6 on the kernel's side");
            ns.Exec("ip", "-6", "addr", "add", "fd00:240::1/64", "dev", link.KernelInterfaceName, "nodad").EnsureSuccess("ip -6 addr add");
            var clock = Stopwatch.StartNew();
            while (clock.Elapsed < TimeSpan.FromSeconds(5)
                && ns.Exec("ip", "-6", "addr", "show", "dev", link.KernelInterfaceName, "tentative").StandardOutput.Trim().Length > 0)
                Thread.Sleep(50);
            return link;
        }
        catch
        {
            link.Dispose();
            throw;
        }
    }

    // Drains both bindings on the poll thread, counting what came from the expected source.
    private sealed class TwoReceivers(Interface iface, UdpHandle first, UdpHandle second, IpAddress expectedSource)
    {
        private readonly byte[] _buffer = new byte[2048];
        public int First;
        public int Second;

        public Instant Step(Instant now)
        {
            while (iface.TryReceiveUdp(first, _buffer, out _, out var source, out _))
                if (source == expectedSource) Interlocked.Increment(ref First);
            while (iface.TryReceiveUdp(second, _buffer, out _, out var source, out _))
                if (source == expectedSource) Interlocked.Increment(ref Second);
            return Instant.MaxValue;
        }
    }

    [Theory]
    [InlineData(LinkKind.Tap, false)]
    [InlineData(LinkKind.PacketRing, false)]
    [InlineData(LinkKind.Tap, true)]
    [InlineData(LinkKind.PacketRing, true)]
    public void KernelSenderReachesTwoBindingsThatJoinedTheGroup(LinkKind kind, bool ipv6)
    {
        string python = Prerequisites.RequireTool("python3", "python3");
        using var link = CreateLink(kind, ipv6);
        var (ns, device, iface) = link;
        IpAddress group = ipv6 ? Group6 : Group;
        var any = new IpEndpoint(ipv6 ? IpAddress.AnyIpv6 : IpAddress.AnyIpv4, 7100);
        Assert.True(iface.TryBindUdp(any, UdpBindFlags.ReuseAddress, out var first));
        Assert.True(iface.TryBindUdp(new IpEndpoint(group, 7100), UdpBindFlags.ReuseAddress, out var second));
        Assert.True(iface.TryBindUdp(new IpEndpoint(any.Address, 7101), UdpBindFlags.None, out var bystander));
        // Joined before the loop starts (its thread then owns the Interface): announced at the first poll.
        Assert.True(iface.TryJoinUdpMulticastGroup(first, group, Instant.Zero));
        Assert.True(iface.TryJoinUdpMulticastGroup(second, group, Instant.Zero));
        IpAddress kernel = ipv6 ? Ipv6Address.Parse("fd00:240::1") : KernelLink.KernelAddress;
        var receivers = new TwoReceivers(iface, first, second, kernel);
        using var loop = new PollLoop(iface, receivers.Step);
        try
        {
            string script = ipv6
                ? "import socket,time\n" +
                  "s=socket.socket(socket.AF_INET6,socket.SOCK_DGRAM);s.bind(('fd00:240::1',0))\n" +
                  $"s.setsockopt(socket.IPPROTO_IPV6,socket.IPV6_MULTICAST_IF,socket.if_nametoindex('{link.KernelInterfaceName}'))\n" +
                  $"for i in range({Count}):\n s.sendto(b'kernel %d'%i,('{Group6}',7100));time.sleep(0.01)\n"
                : "import socket,time\n" +
                  "s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM)\n" +
                  $"s.setsockopt(socket.IPPROTO_IP,socket.IP_MULTICAST_IF,socket.inet_aton('{KernelLink.KernelAddress}'))\n" +
                  $"for i in range({Count}):\n s.sendto(b'kernel %d'%i,('{Group}',7100));time.sleep(0.01)\n";
            // Give the first poll its reports, then send.
            Thread.Sleep(200);
            var result = ns.Exec(TimeSpan.FromSeconds(30), python, "-c", script);
            var clock = Stopwatch.StartNew();
            while (clock.Elapsed < TimeSpan.FromSeconds(5) && (Volatile.Read(ref receivers.First) < Count || Volatile.Read(ref receivers.Second) < Count))
                Thread.Sleep(20);
            loop.Stop();
            TestContext.Current.TestOutputHelper?.WriteLine($"{result.StandardOutput}{result.StandardError}\nfirst {receivers.First}, second {receivers.Second}\n{iface.Counters}\n{device.Counters}");
            Assert.False(loop.Failed, loop.Failure?.ToString());
            Assert.Equal(0, result.ExitCode);
            Assert.Equal(Count, receivers.First);
            Assert.Equal(Count, receivers.Second);
            Assert.Equal(0, iface.PendingUdpDatagrams(bystander));
            Assert.Equal(0, RealDrops(iface));
        }
        finally
        {
            loop.Stop();
        }
    }

    [Theory]
    [InlineData(LinkKind.Tap, false)]
    [InlineData(LinkKind.PacketRing, false)]
    [InlineData(LinkKind.Tap, true)]
    [InlineData(LinkKind.PacketRing, true)]
    public void BindingReachesAKernelSocketThatJoinedTheGroup(LinkKind kind, bool ipv6)
    {
        string python = Prerequisites.RequireTool("python3", "python3");
        using var link = CreateLink(kind, ipv6);
        var (ns, device, iface) = link;
        IpAddress group = ipv6 ? Group6 : Group;
        string script = ipv6
            ? "import socket,struct\n" +
              "s=socket.socket(socket.AF_INET6,socket.SOCK_DGRAM);s.bind(('',7200));s.settimeout(10)\n" +
              $"s.setsockopt(socket.IPPROTO_IPV6,socket.IPV6_JOIN_GROUP,socket.inet_pton(socket.AF_INET6,'{Group6}')+struct.pack('@I',socket.if_nametoindex('{link.KernelInterfaceName}')))\n" +
              "print('ready',flush=True)\n" +
              "for i in range(3):\n d,a=s.recvfrom(2048);print(d.decode(),a[0],a[1],flush=True)\n"
            : "import socket\n" +
              "s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM);s.bind(('',7200));s.settimeout(10)\n" +
              $"s.setsockopt(socket.IPPROTO_IP,socket.IP_ADD_MEMBERSHIP,socket.inet_aton('{Group}')+socket.inet_aton('{KernelLink.KernelAddress}'))\n" +
              "print('ready',flush=True)\n" +
              "for i in range(3):\n d,a=s.recvfrom(2048);print(d.decode(),a[0],a[1],flush=True)\n";
        var receiver = ns.Start(python, "-c", script);
        Assert.Equal("ready", receiver.StandardOutput.ReadLine());
        Assert.True(iface.TryBindUdp(new IpEndpoint(ipv6 ? IpAddress.AnyIpv6 : IpAddress.AnyIpv4, 5300), UdpBindFlags.None, out var sender));
        int sent = 0;
        var nextSend = Instant.Zero;
        Instant Step(Instant now)
        {
            if (sent < 50 && now >= nextSend)
            {
                if (iface.TrySendUdp(sender, group, 7200, "from wirestack"u8, now)) sent++;
                nextSend = now + TimeSpan.FromMilliseconds(50);
            }
            return nextSend;
        }
        using var loop = new PollLoop(iface, Step);
        try
        {
            bool exited = receiver.WaitForExit(15_000);
            loop.Stop();
            string output = receiver.StandardOutput.ReadToEnd();
            TestContext.Current.TestOutputHelper?.WriteLine($"{output}{receiver.StandardError.ReadToEnd()}\nsent {sent}\n{iface.Counters}\n{device.Counters}");
            Assert.False(loop.Failed, loop.Failure?.ToString());
            Assert.True(exited, "the kernel socket did not get three datagrams");
            Assert.Equal(0, receiver.ExitCode);
            string source = ipv6 ? OurGlobal.ToString() : KernelLink.OurAddress.ToString();
            Assert.Equal(3, output.Split('\n').Count(line => line == $"from wirestack {source} 5300"));
            Assert.Equal(0, RealDrops(iface));
        }
        finally
        {
            loop.Stop();
        }
    }

    [Theory]
    [InlineData(LinkKind.Tap)]
    [InlineData(LinkKind.PacketRing)]
    public void OurIgmpv3ReportsDecodeCleanlyInTshark(LinkKind kind)
    {
        string tcpdump = Prerequisites.RequireTool("tcpdump", "tcpdump");
        string tshark = Prerequisites.RequireTool("tshark", "tshark");
        using var link = CreateLink(kind, ipv6: false);
        var (ns, _, iface) = link;
        string capture = Path.Combine(Path.GetTempPath(), $"wirestack-igmp-{Environment.ProcessId}-{kind}.pcap");
        try
        {
            var dump = ns.Start("timeout", "6", tcpdump, "-Z", "root", "-U", "-n", "-i", link.KernelInterfaceName, "-w", capture, "igmp");
            var clock = Stopwatch.StartNew();
            while (!File.Exists(capture) && clock.Elapsed < TimeSpan.FromSeconds(5)) Thread.Sleep(20);
            Thread.Sleep(200);
            Assert.True(iface.TryBindUdp(7000, out var handle));
            Assert.True(iface.TryJoinUdpMulticastGroup(handle, Group, Instant.Zero));
            bool left = false;
            var leaveAt = Instant.MaxValue;
            Instant Step(Instant now)
            {
                if (leaveAt == Instant.MaxValue) leaveAt = now + TimeSpan.FromMilliseconds(1500);
                if (!left && now >= leaveAt)
                {
                    left = true;
                    iface.CloseUdp(handle);
                }
                return left ? Instant.MaxValue : leaveAt;
            }
            using (var loop = new PollLoop(iface, Step))
            {
                Thread.Sleep(3500); // the join's two reports, then the leave's two
                loop.Stop();
                Assert.False(loop.Failed, loop.Failure?.ToString());
            }
            dump.WaitForExit(10_000);
            string ours = $"eth.src == {KernelLink.OurMac}";
            var fields = ProcessRunner.Run(tshark, "-r", capture, "-Y", $"{ours} && igmp", "-T", "fields", "-E", "separator=/t",
                "-e", "igmp.version", "-e", "igmp.type", "-e", "igmp.checksum.status", "-e", "igmp.record_type", "-e", "igmp.maddr",
                "-e", "ip.ttl", "-e", "ip.dst", "-e", "ip.opt.type");
            var problems = ProcessRunner.Run(tshark, "-r", capture, "-Y", $"{ours} && (_ws.malformed || _ws.expert.severity >= warning)");
            TestContext.Current.TestOutputHelper?.WriteLine($"{fields.StandardOutput}\n---\n{problems.StandardOutput}{problems.StandardError}\n{iface.Counters}");
            Assert.Equal(0, fields.ExitCode);
            var lines = fields.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            int joins = 0, leaves = 0;
            foreach (string line in lines)
            {
                var parts = line.Split('\t');
                Assert.Equal("3", parts[0]);
                Assert.Equal("0x22", parts[1]);
                Assert.Equal("1", parts[2]); // checksum good
                Assert.Equal(Group.ToString(), parts[4]);
                Assert.Equal("1", parts[5]);
                Assert.Equal("224.0.0.22", parts[6]);
                Assert.NotEqual("", parts[7]); // the router alert option
                if (parts[3] == "4") joins++;
                if (parts[3] == "3") leaves++;
            }
            Assert.Equal(2, joins);
            Assert.Equal(2, leaves);
            Assert.Equal("", problems.StandardOutput.Trim());
        }
        finally
        {
            File.Delete(capture);
        }
    }

    [Theory]
    [InlineData(LinkKind.Tap)]
    [InlineData(LinkKind.PacketRing)]
    public void KernelOriginatedQueriesAreAnsweredInTheirVersion(LinkKind kind)
    {
        string python = Prerequisites.RequireTool("python3", "python3");
        using var link = CreateLink(kind, ipv6: false);
        var (ns, device, iface) = link;
        Assert.True(iface.TryBindUdp(7000, out var handle));
        Assert.True(iface.TryJoinUdpMulticastGroup(handle, Group, Instant.Zero));
        using var loop = new PollLoop(iface, step: null);
        try
        {
            // Let the join's reports go by, then query from a raw socket (with a router alert) and read the answers
            // off the same socket: an IGMPv3 general query (max response 1 s), then an IGMPv2 one.
            Thread.Sleep(1500);
            string script =
                "import socket,struct,time\n" +
                "def csum(b):\n s=sum(struct.unpack('!%dH'%(len(b)//2),b));s=(s>>16)+(s&0xffff);s+=s>>16;return (~s)&0xffff\n" +
                "def msg(b):\n return b[:2]+struct.pack('!H',csum(b))+b[4:]\n" +
                "s=socket.socket(socket.AF_INET,socket.SOCK_RAW,socket.IPPROTO_IGMP);s.settimeout(0.2)\n" +
                $"s.setsockopt(socket.IPPROTO_IP,socket.IP_MULTICAST_IF,socket.inet_aton('{KernelLink.KernelAddress}'))\n" +
                "s.setsockopt(socket.IPPROTO_IP,socket.IP_MULTICAST_TTL,1)\n" +
                "s.setsockopt(socket.IPPROTO_IP,socket.IP_OPTIONS,b'\\x94\\x04\\x00\\x00')\n" +
                // A host's kernel keeps reports to 224.0.0.22 from its raw sockets: read them off the link instead.
                $"r=socket.socket(socket.AF_PACKET,socket.SOCK_RAW,socket.htons(0x0800));r.bind(('{link.KernelInterfaceName}',0));r.settimeout(0.2)\n" +
                "def ask(q,wait):\n" +
                " s.sendto(msg(q),('224.0.0.1',0));t=time.time();seen=[]\n" +
                " while time.time()-t<wait:\n" +
                "  try: f=r.recv(2048)\n" +
                "  except socket.timeout: continue\n" +
                "  d=f[14:]\n" +
                $"  if d[9]!=2 or socket.inet_ntoa(d[12:16])!='{KernelLink.OurAddress}': continue\n" +
                "  h=(d[0]&15)*4;g=d[h:];ok=csum(g)==0\n" +
                "  if g[0]==0x22:\n" +
                "   n=struct.unpack('!H',g[6:8])[0];recs=[(g[8+8*i],socket.inet_ntoa(g[12+8*i:16+8*i])) for i in range(n)]\n" +
                "   seen.append(('v3',ok,d[8],socket.inet_ntoa(d[16:20]),recs,round(time.time()-t,3)))\n" +
                "  else: seen.append((hex(g[0]),ok,d[8],socket.inet_ntoa(d[16:20]),socket.inet_ntoa(g[4:8]),round(time.time()-t,3)))\n" +
                " return seen\n" +
                "print(ask(struct.pack('!BBH4sBBH',0x11,10,0,bytes(4),2,125,0),2.0),flush=True)\n" +
                "print(ask(struct.pack('!BBH4s',0x11,10,0,bytes(4)),2.0),flush=True)\n";
            var result = ns.Exec(TimeSpan.FromSeconds(30), python, "-c", script);
            loop.Stop();
            TestContext.Current.TestOutputHelper?.WriteLine($"{result.StandardOutput}{result.StandardError}\n{iface.Counters}\n{device.Counters}");
            Assert.False(loop.Failed, loop.Failure?.ToString());
            Assert.Equal(0, result.ExitCode);
            var lines = result.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            Assert.Equal(2, lines.Length);
            // The v3 answer: one report to 224.0.0.22 with TTL 1 and a MODE_IS_EXCLUDE (2) record of the group.
            Assert.StartsWith($"[('v3', True, 1, '224.0.0.22', [(2, '{Group}')], ", lines[0], StringComparison.Ordinal);
            // The v2 answer: a v2 report (0x16) to the group itself.
            Assert.StartsWith($"[('0x16', True, 1, '{Group}', '{Group}', ", lines[1], StringComparison.Ordinal);
            Assert.Equal(2, iface.Counters.IgmpQueriesReceived);
            Assert.Equal(0, RealDrops(iface));
        }
        finally
        {
            loop.Stop();
        }
    }

    [Theory]
    [InlineData(LinkKind.Tap)]
    [InlineData(LinkKind.PacketRing)]
    public void BroadcastsReachABindingAndAKernelSocket(LinkKind kind)
    {
        string socat = Prerequisites.RequireTool("socat", "socat");
        string python = Prerequisites.RequireTool("python3", "python3");
        using var link = CreateLink(kind, ipv6: false);
        var (ns, device, iface) = link;
        Assert.True(iface.TryBindUdp(new IpEndpoint(IpAddress.AnyIpv4, 7300), UdpBindFlags.None, out var receiver));
        Assert.True(iface.TryBindUdp(new IpEndpoint(IpAddress.AnyIpv4, 5400), UdpBindFlags.AllowBroadcast, out var sender));
        var kernelSocket = ns.Start(python, "-c",
            "import socket\ns=socket.socket(socket.AF_INET,socket.SOCK_DGRAM);s.bind(('',7301));s.settimeout(10)\n" +
            "print('ready',flush=True)\nd,a=s.recvfrom(2048);print(d.decode(),a[0],flush=True)\n");
        Assert.Equal("ready", kernelSocket.StandardOutput.ReadLine());
        int received = 0;
        int sent = 0;
        var nextSend = Instant.Zero;
        byte[] buffer = new byte[2048];
        Instant Step(Instant now)
        {
            while (iface.TryReceiveUdp(receiver, buffer, out int length, out var source, out _))
                if (source == KernelLink.KernelAddress && buffer.AsSpan(0, length).SequenceEqual("broadcast from the kernel\n"u8)) Interlocked.Increment(ref received);
            if (sent < 40 && now >= nextSend)
            {
                if (iface.TrySendUdp(sender, new Ipv4Address(10, 240, 0, 255), 7301, "broadcast from wirestack"u8, now)) sent++;
                nextSend = now + TimeSpan.FromMilliseconds(50);
            }
            return nextSend;
        }
        using var loop = new PollLoop(iface, Step);
        try
        {
            var result = ns.Exec(TimeSpan.FromSeconds(30), "sh", "-c", $"echo 'broadcast from the kernel' | {socat} - UDP4-DATAGRAM:10.240.0.255:7300,broadcast");
            bool exited = kernelSocket.WaitForExit(10_000);
            var clock = Stopwatch.StartNew();
            while (clock.Elapsed < TimeSpan.FromSeconds(5) && Volatile.Read(ref received) == 0) Thread.Sleep(20);
            loop.Stop();
            string output = kernelSocket.StandardOutput.ReadToEnd();
            TestContext.Current.TestOutputHelper?.WriteLine($"{result.StandardOutput}{result.StandardError}\n{output}\nreceived {received}\n{iface.Counters}\n{device.Counters}");
            Assert.False(loop.Failed, loop.Failure?.ToString());
            Assert.Equal(0, result.ExitCode);
            Assert.Equal(1, received);
            Assert.True(exited, "the kernel socket got no broadcast");
            Assert.Equal($"broadcast from wirestack {KernelLink.OurAddress}", output.Trim());
            Assert.Equal(0, RealDrops(iface));
        }
        finally
        {
            loop.Stop();
        }
    }
}
