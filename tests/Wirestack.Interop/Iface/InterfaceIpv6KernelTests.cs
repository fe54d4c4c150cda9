using System.Diagnostics;
using Wirestack.Iface;
using Wirestack.Testing;
using Wirestack.Wire;

namespace Wirestack.Interop.Iface;

/// <summary>
/// IPv6 against the kernel on the <see cref="KernelLink"/>: the kernel has fd00:240::1/64 besides its link-local
/// address, the Interface fd00:240::2/64 and its own link-local address made from its MAC.
/// </summary>
public class InterfaceIpv6KernelTests
{
    internal static readonly Ipv6Address KernelGlobal = Ipv6Address.Parse("fd00:240::1");
    internal static readonly Ipv6Address OurGlobal = Ipv6Address.Parse("fd00:240::2");
    private static readonly Ipv6Address OurLinkLocal = Ipv6Address.LinkLocalFromMac(KernelLink.OurMac);
    private const ushort OurPort = 6000;
    private static readonly int[] Sizes = [1, 100, 1452, 1453, 4000, 8192];
    private const string PythonPattern = "p=lambda n: bytes((i*7+n)%256 for i in range(n));";

    // The link with IPv6 on both sides; the kernel's addresses usable at once (no duplicate address detection wait).
    internal static KernelLink CreateLink(LinkKind kind, Func<InterfaceOptions, InterfaceOptions>? configure = null)
    {
        var link = KernelLink.Create(kind, "ws6", options =>
        {
            options = options with { Ipv6Addresses = [new Ipv6InterfaceAddress(OurGlobal, 64)] };
            return configure is null ? options : configure(options);
        });
        try
        {
            var ns = link.Namespace;
            ns.Exec("sysctl", "-qw", $"net.ipv6.conf.{link.KernelInterfaceName}.accept_dad=0");
            // A TAP moved into the namespace has IPv6 off (NamespaceInterface keeps IPv4 tests quiet): turn it on.
            ns.Exec("sysctl", "-qw", $"net.ipv6.conf.{link.KernelInterfaceName}.disable_ipv6=0").EnsureSuccess("enable IPv6 on the kernel's side");
            ns.Exec("ip", "-6", "addr", "add", "fd00:240::1/64", "dev", link.KernelInterfaceName, "nodad").EnsureSuccess("ip -6 addr add");
            // The kernel's link-local address was made when the link came up: wait until it is no longer tentative.
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

    private static byte[] Pattern(int length)
    {
        byte[] data = new byte[length];
        for (int i = 0; i < length; i++) data[i] = (byte)((i * 7 + length) % 256);
        return data;
    }

    [Theory]
    [InlineData(LinkKind.Tap)]
    [InlineData(LinkKind.PacketRing)]
    [InlineData(LinkKind.Xdp)]
    public void KernelPingsOurLinkLocalAndGlobalAddressesWithoutLoss(LinkKind kind)
    {
        Prerequisites.RequireTool("ping", "iputils-ping");
        using var link = CreateLink(kind);
        var (ns, device, iface) = link;
        using var loop = new PollLoop(iface, step: null);
        try
        {
            string linkLocal = $"{OurLinkLocal}%{link.KernelInterfaceName}";
            var first = ns.Exec(TimeSpan.FromSeconds(30), "ping", "-6", "-c", "50", "-i", "0.01", "-W", "2", linkLocal);
            var second = ns.Exec(TimeSpan.FromSeconds(30), "ping", "-6", "-c", "50", "-i", "0.01", "-W", "2", OurGlobal.ToString());
            // 4000 bytes of data: the kernel sends fragments, and our reply goes back in fragments.
            var large = ns.Exec(TimeSpan.FromSeconds(30), "ping", "-6", "-c", "5", "-i", "0.05", "-W", "2", "-s", "4000", OurGlobal.ToString());
            loop.Stop();
            TestContext.Current.TestOutputHelper?.WriteLine($"{first.StandardOutput}\n{second.StandardOutput}\n{large.StandardOutput}\n{iface.Counters}\n{device.Counters}");
            Assert.False(loop.Failed, loop.Failure?.ToString());
            Assert.Contains(" 0% packet loss", first.StandardOutput, StringComparison.Ordinal);
            Assert.Contains(" 0% packet loss", second.StandardOutput, StringComparison.Ordinal);
            Assert.Contains(" 0% packet loss", large.StandardOutput, StringComparison.Ordinal);
            Assert.Equal(105, iface.Counters.EchoRequestsAnswered);
            Assert.True(iface.Counters.DatagramsReassembled >= 5);
            Assert.True(iface.Counters.FragmentsSent >= 15);
            Assert.Equal(0, iface.Counters.TotalDropped - iface.Counters.Dropped(InterfaceDropReason.NotForUs));
        }
        finally
        {
            loop.Stop();
        }
    }

    [Theory]
    [InlineData(LinkKind.Tap)]
    [InlineData(LinkKind.PacketRing)]
    [InlineData(LinkKind.Xdp)]
    public void InterfacePingsTheKernelOverIpv6AndGetsEveryReply(LinkKind kind)
    {
        Prerequisites.RequireRoot();
        using var link = CreateLink(kind);
        var (_, device, iface) = link;
        const int Count = 50;
        const int Large = 5;
        var sentAt = new Instant[Count + Large + 1];
        var rtts = new List<double>();
        int largeReplies = 0;
        int sent = 0;
        var nextSend = Instant.Zero;
        byte[] data = new byte[56];
        byte[] big = Pattern(4000);
        Instant Step(Instant now)
        {
            while (iface.TryDequeueEchoReply(out var reply))
            {
                if (reply.Source != KernelGlobal || reply.Identifier != 0x5736 || reply.SequenceNumber is < 1 or > Count + Large) continue;
                rtts.Add((reply.ReceivedAt - sentAt[reply.SequenceNumber]).TotalMilliseconds);
                if (reply.PayloadLength == big.Length) largeReplies++;
            }
            if (sent < Count + Large && now >= nextSend)
            {
                sent++;
                sentAt[sent] = now;
                iface.TrySendIcmpEcho(KernelGlobal, 0x5736, (ushort)sent, sent > Count ? big : data, now);
                nextSend = now + TimeSpan.FromMilliseconds(10);
            }
            return sent < Count + Large ? nextSend : Instant.MaxValue;
        }
        using var loop = new PollLoop(iface, Step);
        try
        {
            var clock = Stopwatch.StartNew();
            while (clock.Elapsed < TimeSpan.FromSeconds(20) && !loop.Failed && Volatile.Read(ref sent) < Count + Large) Thread.Sleep(20);
            Thread.Sleep(500);
            loop.Stop();
            Assert.False(loop.Failed, loop.Failure?.ToString());
            rtts.Sort();
            TestContext.Current.TestOutputHelper?.WriteLine(
                $"{sent} sent, {rtts.Count} replies ({largeReplies} of 4000 bytes), rtt min/median/max " +
                $"{(rtts.Count > 0 ? $"{rtts[0]:F3}/{rtts[rtts.Count / 2]:F3}/{rtts[^1]:F3}" : "-")} ms\n{iface.Counters}\n{device.Counters}");
            // The first request waits for neighbour discovery in the queue; every one is answered.
            Assert.Equal(Count + Large, rtts.Count);
            Assert.Equal(Large, largeReplies);
            Assert.True(iface.Counters.NeighborSolicitationsSent >= 1);
            Assert.Equal(0, iface.Counters.TotalDropped - iface.Counters.Dropped(InterfaceDropReason.NotForUs));
        }
        finally
        {
            loop.Stop();
        }
    }

    [Theory]
    [InlineData(LinkKind.Tap)]
    [InlineData(LinkKind.PacketRing)]
    [InlineData(LinkKind.Xdp)]
    public void KernelSocketGetsItsDatagramsEchoedOverIpv6(LinkKind kind)
    {
        string python = Prerequisites.RequireTool("python3", "python3");
        using var link = CreateLink(kind);
        var (ns, device, iface) = link;
        Assert.True(iface.TryBindUdp(OurPort, out var handle));
        byte[] buffer = new byte[65536];
        long echoed = 0;
        Instant Step(Instant now)
        {
            while (iface.TryReceiveUdp(handle, buffer, out int length, out var source, out ushort port))
                if (iface.TrySendUdp(handle, source, port, buffer.AsSpan(0, length), now)) echoed++;
            return Instant.MaxValue;
        }
        using var loop = new PollLoop(iface, Step);
        try
        {
            string script = "import socket;" + PythonPattern +
                "s=socket.socket(socket.AF_INET6,socket.SOCK_DGRAM);s.settimeout(5);s.bind(('fd00:240::1',0));\n" +
                $"for n in [{string.Join(',', Sizes)}]:\n" +
                $" s.sendto(p(n),('{OurGlobal}',{OurPort}));d,a=s.recvfrom(65535)\n" +
                $" assert d==p(n) and a[0]=='{OurGlobal}' and a[1]=={OurPort}, (n,len(d),a)\n" +
                " print('ok',n)";
            var result = ns.Exec(TimeSpan.FromSeconds(60), python, "-c", script);
            loop.Stop();
            TestContext.Current.TestOutputHelper?.WriteLine($"{result.StandardOutput}{result.StandardError}\n{iface.Counters}\n{device.Counters}");
            Assert.False(loop.Failed, loop.Failure?.ToString());
            Assert.Equal(0, result.ExitCode);
            Assert.Equal(Sizes.Length, echoed);
            Assert.True(iface.Counters.DatagramsReassembled >= 3, "the kernel fragments 1453, 4000 and 8192 bytes");
        }
        finally
        {
            loop.Stop();
        }
    }

    [Theory]
    [InlineData(LinkKind.Tap)]
    [InlineData(LinkKind.PacketRing)]
    [InlineData(LinkKind.Xdp)]
    public void BindingGetsItsDatagramsEchoedByAKernelSocketOverIpv6(LinkKind kind)
    {
        string python = Prerequisites.RequireTool("python3", "python3");
        using var link = CreateLink(kind);
        var (ns, device, iface) = link;
        Assert.True(iface.TryBindUdp(0, out var handle));
        const ushort KernelPort = 7000;
        string script = "import socket;" +
            $"s=socket.socket(socket.AF_INET6,socket.SOCK_DGRAM);s.bind(('fd00:240::1',{KernelPort}));print('ready',flush=True)\n" +
            "while True:\n d,a=s.recvfrom(65535);s.sendto(d,a)";
        var server = ns.Start(python, "-c", script);
        Assert.Equal("ready", server.StandardOutput.ReadLine());
        byte[] buffer = new byte[65536];
        int next = 0;
        var resendAt = Instant.Zero;
        Instant Step(Instant now)
        {
            while (iface.TryReceiveUdp(handle, buffer, out int length, out var source, out ushort port))
            {
                if (next < Sizes.Length && source == KernelGlobal && port == KernelPort && length == Sizes[next]
                    && buffer.AsSpan(0, length).SequenceEqual(Pattern(length)))
                {
                    next++;
                    resendAt = Instant.Zero;
                }
            }
            if (next < Sizes.Length && now >= resendAt)
            {
                iface.TrySendUdp(handle, KernelGlobal, KernelPort, Pattern(Sizes[next]), now);
                resendAt = now + TimeSpan.FromSeconds(1);
            }
            return next < Sizes.Length ? resendAt : Instant.MaxValue;
        }
        using var loop = new PollLoop(iface, Step);
        try
        {
            var clock = Stopwatch.StartNew();
            while (clock.Elapsed < TimeSpan.FromSeconds(20) && !loop.Failed && Volatile.Read(ref next) < Sizes.Length) Thread.Sleep(20);
            loop.Stop();
            TestContext.Current.TestOutputHelper?.WriteLine($"echoes {next} of {Sizes.Length}\n{iface.Counters}\n{device.Counters}");
            Assert.False(loop.Failed, loop.Failure?.ToString());
            Assert.Equal(Sizes.Length, next);
            Assert.True(iface.Counters.FragmentsSent >= 2 + 3 + 6);
        }
        finally
        {
            loop.Stop();
        }
    }

    [Theory]
    [InlineData(LinkKind.Tap)]
    [InlineData(LinkKind.PacketRing)]
    [InlineData(LinkKind.Xdp)]
    public void OurNdpAndMldMessagesDecodeCleanlyInTshark(LinkKind kind)
    {
        string tcpdump = Prerequisites.RequireTool("tcpdump", "tcpdump");
        string tshark = Prerequisites.RequireTool("tshark", "tshark");
        Prerequisites.RequireTool("ping", "iputils-ping");
        using var link = CreateLink(kind);
        var (ns, device, iface) = link;
        string capture = Path.Combine(Path.GetTempPath(), $"wirestack-ipv6-{Environment.ProcessId}-{kind}.pcap");
        try
        {
            var dump = ns.Start("timeout", "6", tcpdump, "-Z", "root", "-U", "-n", "-i", link.KernelInterfaceName, "-w", capture, "ip6");
            // tcpdump says so on stderr once it listens.
            var clock = Stopwatch.StartNew();
            while (!File.Exists(capture) && clock.Elapsed < TimeSpan.FromSeconds(5)) Thread.Sleep(20);
            Thread.Sleep(200);
            // Joined before the loop starts (the loop's thread then owns the Interface): reported at the first poll.
            Assert.True(iface.TryJoinMulticastGroup(Ipv6Address.Parse("ff05::1234"), Instant.Zero));
            using (var loop = new PollLoop(iface, step: null))
            {
                var ping = ns.Exec(TimeSpan.FromSeconds(30), "ping", "-6", "-c", "3", "-i", "0.2", "-W", "2", OurGlobal.ToString());
                Thread.Sleep(1500); // the repeated MLD report
                loop.Stop();
                Assert.False(loop.Failed, loop.Failure?.ToString());
                Assert.Contains(" 0% packet loss", ping.StandardOutput, StringComparison.Ordinal);
            }
            dump.WaitForExit(10_000);
            string ours = $"eth.src == {KernelLink.OurMac}";
            var fields = ProcessRunner.Run(tshark, "-r", capture, "-Y", $"{ours} && icmpv6", "-T", "fields",
                "-e", "icmpv6.type", "-e", "icmpv6.checksum.status", "-e", "ipv6.hlim");
            var problems = ProcessRunner.Run(tshark, "-r", capture, "-Y", $"{ours} && (_ws.malformed || _ws.expert.severity >= warning)");
            TestContext.Current.TestOutputHelper?.WriteLine($"{fields.StandardOutput}\n---\n{problems.StandardOutput}{problems.StandardError}\n{iface.Counters}");
            Assert.Equal(0, fields.ExitCode);
            var lines = fields.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            int mld = 0, na = 0, rs = 0;
            foreach (string line in lines)
            {
                var parts = line.Split('\t');
                Assert.Equal("1", parts[1]); // checksum good
                if (parts[0] == "143") mld++;
                if (parts[0] == "136") na++;
                if (parts[0] == "133") rs++;
            }
            Assert.True(mld >= 2, $"{mld} MLDv2 reports");
            Assert.True(na >= 2, $"{na} neighbour advertisements");
            Assert.True(rs >= 1, $"{rs} router solicitations");
            Assert.Equal("", problems.StandardOutput.Trim());
        }
        finally
        {
            File.Delete(capture);
        }
    }
}
