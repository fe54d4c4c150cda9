using System.Diagnostics;
using System.Globalization;
using Wirestack.Interop.Infrastructure;
using Wirestack.Nic;
using Wirestack.Nic.Linux;
using Wirestack.Testing;
using Wirestack.Wire;

namespace Wirestack.Interop.Nic;

/// <summary>
/// The AF_XDP device on the host end of a veth pair, with the Linux kernel in a namespace on the
/// other end as the peer: frames both ways, batches of 1000, need-wakeup on and off, the program's
/// life (attached while open, gone after dispose, a dead process's program cleaned up) and errors.
/// </summary>
public class XdpDeviceTests
{
    private const string PeerCidr = "10.203.0.1/24";
    private const string PeerIp = "10.203.0.1";
    private const string OurIp = "10.203.0.2";
    private static readonly MacAddress OurMac = MacAddress.Parse("02:00:00:00:03:02");
    private static readonly Ipv4Address OurAddress = Ipv4Address.Parse(OurIp);
    private static readonly Ipv4Address PeerAddress = Ipv4Address.Parse(PeerIp);

    // A pid above the kernel's largest (2^22): no process has it, as if the owner had died.
    private const int DeadPid = 4_194_305;

    // Sends N datagrams of S bytes to an address, then prints N.
    private const string UdpSender =
        "import socket,sys\n" +
        "s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM)\n" +
        "p=sys.argv[4].encode() if len(sys.argv)>4 else b'x'*int(sys.argv[1]);n=int(sys.argv[2]);a=(sys.argv[3],9)\n" +
        "for i in range(n): s.sendto(p,a)\n" +
        "print(n)\n";

    // Binds a UDP port, says so, then prints each of N datagrams' payloads and senders.
    private const string UdpReceiver =
        "import socket,sys\n" +
        "s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM)\n" +
        "s.bind((sys.argv[1],int(sys.argv[2])));s.settimeout(15)\n" +
        "print('ready',flush=True)\n" +
        "for i in range(int(sys.argv[3])):\n" +
        "  d,a=s.recvfrom(4096);print(d.decode(),a[0],a[1],flush=True)\n";

    private static ITestOutputHelper? Output => TestContext.Current.TestOutputHelper;

    [Theory]
    [InlineData(XdpAttachMode.Generic, "xdpgeneric")]
    [InlineData(XdpAttachMode.Native, "xdp")]
    public void TheProgramIsAttachedWhileOpenAndDetachedOnDispose(XdpAttachMode mode, string shown)
    {
        using var link = QuietVethLink.Create(PeerCidr);
        var device = XdpDevice.Open(link.HostEnd, new XdpDeviceOptions { AttachMode = mode });
        string attached = LinkShow(link.HostEnd);
        Output?.WriteLine($"{mode}: attached as {device.AttachMode}, {device.CopyMode}, program {device.ProgramId}, need-wakeup {device.UsesNeedWakeup}\n{attached}");
        Assert.Equal(mode, device.AttachMode);
        Assert.Equal(XdpCopyMode.Copy, device.CopyMode); // veth has no zero-copy
        // `ip link` shows the mode after the MTU (xdp for native, xdpgeneric) and the program below.
        Assert.Contains($" {shown} qdisc", attached, StringComparison.Ordinal);
        Assert.Contains($"prog/xdp id {device.ProgramId} name wirestack_xdp", attached, StringComparison.Ordinal);
        Assert.Equal(1500, device.Capabilities.Mtu);
        Assert.Equal(1518, device.Capabilities.MaxFrameLength);
        Assert.Equal(link.HostEnd, device.InterfaceName);
        Assert.Equal(0, device.QueueId);
        Assert.Equal(1, Promiscuity(link.HostEnd)); // our MAC is not the interface's
        device.Dispose();
        device.Dispose();
        Assert.DoesNotContain("xdp", LinkShow(link.HostEnd), StringComparison.Ordinal);
        Assert.Equal(0, Promiscuity(link.HostEnd));
        Assert.Throws<ObjectDisposedException>(() => device.Receive());
        Assert.Throws<ObjectDisposedException>(() => device.TryGetTransmitSlot(out _));
        Assert.Throws<ObjectDisposedException>(() => device.Flush());
    }

    [Theory]
    [InlineData(XdpAttachMode.Generic)]
    [InlineData(XdpAttachMode.Native)]
    public void DatagramFromAKernelSocketIsReceivedInTheUmem(XdpAttachMode mode)
    {
        Prerequisites.RequireTool("python3", "python3");
        using var link = QuietVethLink.Create(PeerCidr);
        using var device = XdpDevice.Open(link.HostEnd, new XdpDeviceOptions { AttachMode = mode });
        link.AddPeerNeighbour(OurIp, OurMac);
        link.Namespace.Exec("python3", "-c", UdpSender, "0", "1", OurIp, "hello from the kernel").EnsureSuccess("send a datagram");

        byte[]? seen = null;
        for (var limit = Stopwatch.StartNew(); seen is null && limit.Elapsed < TimeSpan.FromSeconds(10);)
        {
            device.WaitForReceive(TimeSpan.FromMilliseconds(100));
            int n = device.Receive();
            for (int i = 0; i < n; i++)
                if (WireHost.IsUdpTo(device.GetReceived(i), 9, out _)) seen = device.GetReceived(i).ToArray();
            device.ReleaseReceived(n);
        }
        Assert.NotNull(seen);
        Assert.Equal(WireError.None, EthernetFrame.TryParse(seen, out var frame));
        Assert.Equal(OurMac, frame.Destination);
        Assert.Equal(link.PeerMac, frame.Source);
        Assert.True(seen.AsSpan().EndsWith("hello from the kernel"u8), "the payload is not the datagram's");
        Assert.True(device.Counters.ReceivedFrames >= 1);
        Assert.Equal(0, device.Counters.ReceiveDropped);
    }

    [Theory]
    [InlineData(XdpAttachMode.Generic)]
    [InlineData(XdpAttachMode.Native)]
    public void DatagramWrittenInATransmitSlotReachesAKernelSocket(XdpAttachMode mode)
    {
        Prerequisites.RequireTool("python3", "python3");
        using var link = QuietVethLink.Create(PeerCidr);
        using var device = XdpDevice.Open(link.HostEnd, new XdpDeviceOptions { AttachMode = mode });
        var host = new WireHost(OurMac, OurAddress);
        var receiver = link.Namespace.Start("python3", "-c", UdpReceiver, PeerIp, "9000", "1");
        Assert.Equal("ready", receiver.StandardOutput.ReadLine());

        Assert.True(device.TryGetTransmitSlot(out var slot));
        Assert.Equal(1518, slot.Length);
        int length = host.WriteUdp(slot, link.PeerMac, PeerAddress, 40000, 9000, "hello from wirestack"u8);
        device.CommitTransmit(length);
        Assert.Equal(1, device.Flush());

        Assert.Equal($"hello from wirestack {OurIp} 40000", receiver.StandardOutput.ReadLine());
        Assert.Equal(1, device.Counters.TransmittedFrames);
        Assert.Equal(length, device.Counters.TransmittedBytes);
        Assert.Equal(0, device.Counters.TransmitErrors);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void ABatchOfAThousandFramesGoesOutInOneFlushAndTheKernelsThousandComeIn(bool needWakeup)
    {
        Prerequisites.RequireTool("python3", "python3");
        const int count = 1000;
        using var link = QuietVethLink.Create(PeerCidr);
        using var device = XdpDevice.Open(link.HostEnd, new XdpDeviceOptions { AttachMode = XdpAttachMode.Generic, UseNeedWakeup = needWakeup, ReceiveBatchSize = 256 });
        Assert.Equal(needWakeup, device.UsesNeedWakeup);
        link.AddPeerNeighbour(OurIp, OurMac);
        var host = new WireHost(OurMac, OurAddress);

        // Out: 1000 frames committed, one flush.
        long before = link.PeerStatistic("rx_packets");
        for (int i = 0; i < count; i++)
        {
            Assert.True(device.TryGetTransmitSlot(out var slot), $"no slot for frame {i}");
            device.CommitTransmit(host.WriteUdp(slot, link.PeerMac, PeerAddress, 40000, 9, new byte[18]));
        }
        Assert.Equal(count, device.Flush());
        long arrived = 0;
        for (var wait = Stopwatch.StartNew(); wait.Elapsed < TimeSpan.FromSeconds(5) && arrived < count; Thread.Sleep(20))
            arrived = link.PeerStatistic("rx_packets") - before;
        Output?.WriteLine($"need-wakeup {needWakeup}: 1000 frames in one flush took {device.TransmitSystemCalls} sendto calls ({device.Counters.TransmitErrors} errors); peer rx_packets +{arrived}");
        Assert.Equal(count, arrived);
        Assert.Equal(count, device.Counters.TransmittedFrames);
        // Copy mode sends at most 32 frames a call: 1000 frames take about 32 calls, not 1000.
        Assert.InRange(device.TransmitSystemCalls, (count + 31) / 32, (count + 31) / 32 + 4);
        // Every chunk came back through the completion ring: a full ring's worth of slots is free again.
        for (int i = 0; i < device.Capabilities.TransmitRingSize; i++)
        {
            Assert.True(device.TryGetTransmitSlot(out _), $"slot {i} did not come back");
            device.CommitTransmit(60);
        }
        Assert.False(device.TryGetTransmitSlot(out _));

        // In: 1000 datagrams from a kernel socket.
        var sender = link.Namespace.Start("python3", "-c", UdpSender, "64", count.ToString(CultureInfo.InvariantCulture), OurIp);
        long received = 0;
        for (var limit = Stopwatch.StartNew(); limit.Elapsed < TimeSpan.FromSeconds(20);)
        {
            bool senderDone = sender.HasExited;
            if (!device.WaitForReceive(TimeSpan.FromMilliseconds(200)) && senderDone) break;
            int n = device.Receive();
            for (int i = 0; i < n; i++)
                if (WireHost.IsUdpTo(device.GetReceived(i), 9, out int length) && length == 64) received++;
            device.ReleaseReceived(n);
        }
        Output?.WriteLine($"received {received} of {count}, dropped {device.Counters.ReceiveDropped}, recvfrom kicks {device.ReceiveSystemCalls}");
        Assert.Equal(count, received + device.Counters.ReceiveDropped);
        Assert.True(received >= count / 2, $"only {received} of {count} arrived");
    }

    [Fact]
    public void FramesLongerThanASlotOrBeyondAFullRingAreCountedAsDropped()
    {
        Prerequisites.RequireTool("python3", "python3");
        using var link = QuietVethLink.Create(PeerCidr);
        // Slots for a 576-byte MTU on a 1500-byte link; a 64-frame ring.
        using var device = XdpDevice.Open(link.HostEnd, new XdpDeviceOptions { AttachMode = XdpAttachMode.Generic, Mtu = 576, RingSize = 64, ReceiveBatchSize = 64 });
        link.AddPeerNeighbour(OurIp, OurMac);

        link.Namespace.Exec("python3", "-c", UdpSender, "1000", "3", OurIp).EnsureSuccess("send long datagrams");
        Assert.Equal(0, ReceiveFor(device, TimeSpan.FromMilliseconds(300)));
        Assert.Equal(3, device.Counters.ReceiveDropped);

        // 500 datagrams while nobody reads: 64 fill the ring, the kernel drops the rest and says so.
        link.Namespace.Exec("python3", "-c", UdpSender, "10", "500", OurIp).EnsureSuccess("send a burst");
        Thread.Sleep(200);
        long received = ReceiveFor(device, TimeSpan.FromMilliseconds(300));
        long dropped = device.Counters.ReceiveDropped - 3;
        Output?.WriteLine($"burst of 500 into a 64-frame ring: received {received}, dropped {dropped}");
        Assert.Equal(64, received);
        Assert.Equal(500, received + dropped);
    }

    [Theory]
    [InlineData(XdpAttachMode.Generic)]
    [InlineData(XdpAttachMode.Native)]
    public void VlanTaggedFramesArriveByteForByteAsSent(XdpAttachMode mode)
    {
        Prerequisites.RequireTool("python3", "python3");
        using var link = QuietVethLink.Create(PeerCidr);
        using var device = XdpDevice.Open(link.HostEnd, new XdpDeviceOptions { AttachMode = mode });
        // XDP runs before the kernel takes the tag out of the frame: the program sees it, and so do we.
        var header = new EthernetRepr
        {
            Destination = OurMac,
            Source = link.PeerMac,
            EtherType = EtherType.Ipv4,
            VlanTagCount = 1,
            OuterVlan = new VlanTag(5, priority: 3),
        };
        var udp = new UdpRepr(40000, 9, 33);
        var ip = new Ipv4Repr(PeerAddress, OurAddress, IpProtocol.Udp, udp.BufferLength);
        var frame = new byte[header.HeaderLength + ip.TotalLength];
        header.Emit(frame);
        ip.Emit(frame.AsSpan(header.HeaderLength));
        udp.Emit(frame.AsSpan(header.HeaderLength + ip.HeaderLength), new byte[33], ip.PseudoHeaderSum());

        const string rawSender =
            "import socket,sys\n" +
            "s=socket.socket(socket.AF_PACKET,socket.SOCK_RAW);s.bind((sys.argv[1],0))\n" +
            "f=bytes.fromhex(sys.argv[2])\n" +
            "for i in range(int(sys.argv[3])): s.send(f)\n";
        link.Namespace.Exec("python3", "-c", rawSender, link.PeerEnd, Convert.ToHexString(frame), "3").EnsureSuccess("send raw tagged frames");
        int matched = 0;
        for (var limit = Stopwatch.StartNew(); matched < 3 && limit.Elapsed < TimeSpan.FromSeconds(10);)
        {
            device.WaitForReceive(TimeSpan.FromMilliseconds(100));
            int n = device.Receive();
            for (int i = 0; i < n; i++)
            {
                var bytes = device.GetReceived(i);
                if (bytes.Length < 14 || !bytes[..12].SequenceEqual(frame.AsSpan(0, 12))) continue;
                Assert.Equal(Convert.ToHexString(frame), Convert.ToHexString(bytes));
                matched++;
            }
            device.ReleaseReceived(n);
        }
        Assert.Equal(3, matched);
    }

    [Fact]
    public void SteadyStateReceiveAndFlushAllocateNothing()
    {
        Prerequisites.RequireTool("python3", "python3");
        using var link = QuietVethLink.Create(PeerCidr);
        using var device = XdpDevice.Open(link.HostEnd, new XdpDeviceOptions { AttachMode = XdpAttachMode.Generic });
        link.AddPeerNeighbour(OurIp, OurMac);
        link.Namespace.Start("python3", "-c", $"import socket\ns=socket.socket(socket.AF_INET,socket.SOCK_DGRAM)\nwhile True: s.sendto(b'x'*100,('{OurIp}',9))");
        var host = new WireHost(OurMac, OurAddress);
        var frame = new byte[device.Capabilities.MaxFrameLength];
        int length = host.WriteUdp(frame, link.PeerMac, PeerAddress, 40000, 9, new byte[200]);
        Assert.True(device.WaitForReceive(TimeSpan.FromSeconds(10)), "the flood never arrived");

        long touched = 0;
        void Round()
        {
            device.WaitForReceive(TimeSpan.FromMilliseconds(10));
            int n = device.Receive();
            for (int i = 0; i < n; i++) touched += device.GetReceived(i)[0];
            device.ReleaseReceived(n);
            for (int i = 0; i < 16 && device.TryGetTransmitSlot(out var slot); i++)
            {
                frame.AsSpan(0, length).CopyTo(slot);
                device.CommitTransmit(length);
            }
            device.Flush();
        }
        for (var warm = Stopwatch.StartNew(); warm.Elapsed < TimeSpan.FromSeconds(1);) Round();
        long receivedBefore = device.Counters.ReceivedFrames;
        long sentBefore = device.Counters.TransmittedFrames;
        long allocated = AllocationMeter.Measure(Round, warmup: 0, iterations: 2000);

        Output?.WriteLine($"2000 rounds: received {device.Counters.ReceivedFrames - receivedBefore}, sent {device.Counters.TransmittedFrames - sentBefore}, allocated {allocated} bytes ({touched})");
        Assert.True(device.Counters.ReceivedFrames - receivedBefore > 1000, "too few frames arrived while measuring");
        Assert.True(device.Counters.TransmittedFrames - sentBefore > 1000, "too few frames were sent while measuring");
        Assert.Equal(0, allocated);
    }

    [Fact]
    public void AProgramLeftByADeadProcessIsCleanedUpAtTheNextOpen()
    {
        using var link = QuietVethLink.Create(PeerCidr);
        uint stale = LeaveProgramAttached(link.HostEnd, DeadPid);
        Assert.Contains($"prog/xdp id {stale}", LinkShow(link.HostEnd), StringComparison.Ordinal);

        var refused = Assert.Throws<IOException>(() => XdpDevice.Open(link.HostEnd, new XdpDeviceOptions { ReplaceStaleProgram = false }));
        Assert.Contains($"by process {DeadPid}, which has exited: set XdpDeviceOptions.ReplaceStaleProgram", refused.Message, StringComparison.Ordinal);
        Assert.Contains($"id {stale}", LinkShow(link.HostEnd), StringComparison.Ordinal);

        using (var device = XdpDevice.Open(link.HostEnd, new XdpDeviceOptions { AttachMode = XdpAttachMode.Generic }))
        {
            string shown = LinkShow(link.HostEnd);
            Assert.DoesNotContain($"id {stale}", shown, StringComparison.Ordinal);
            Assert.Contains(" xdpgeneric qdisc", shown, StringComparison.Ordinal);
            Assert.Contains($"prog/xdp id {device.ProgramId} name wirestack_xdp", shown, StringComparison.Ordinal);
        }
        Assert.DoesNotContain("xdp", LinkShow(link.HostEnd), StringComparison.Ordinal);
    }

    [Fact]
    public void AProgramOfALiveProcessOrOfSomeoneElseIsLeftAlone()
    {
        using var link = QuietVethLink.Create(PeerCidr);
        using (var first = XdpDevice.Open(link.HostEnd))
        {
            var error = Assert.Throws<IOException>(() => XdpDevice.Open(link.HostEnd));
            Assert.Contains("Queue 0 of", error.Message, StringComparison.Ordinal);
            Assert.Contains("already has an AF_XDP socket", error.Message, StringComparison.Ordinal);
            Assert.Contains($"id {first.ProgramId}", LinkShow(link.HostEnd), StringComparison.Ordinal);
        }
        Assert.DoesNotContain("xdp", LinkShow(link.HostEnd), StringComparison.Ordinal);

        // Process 1 always runs: its program is not stale.
        uint live = LeaveProgramAttached(link.HostEnd, 1);
        try
        {
            var error = Assert.Throws<IOException>(() => XdpDevice.Open(link.HostEnd));
            Assert.Contains($"(id {live}) attached (xdpdrv) by process 1, which still runs", error.Message, StringComparison.Ordinal);
        }
        finally
        {
            XdpNetlink.SetProgram(IndexOf(link.HostEnd), -1, XdpNetlink.XDP_FLAGS_DRV_MODE, -1, out _);
        }

        // A program somebody else loaded (a plain XDP_PASS named "other_prog").
        ulong[] pass = [0x0000_0002_0000_00b7UL, 0x95UL]; // r0 = XDP_PASS; exit
        int other = BpfNative.LoadXdpProgram(pass, "other_prog", out string log);
        Assert.True(other >= 0, $"could not load a plain program: {log}");
        try
        {
            Assert.Equal(0, XdpNetlink.SetProgram(IndexOf(link.HostEnd), other, XdpNetlink.XDP_FLAGS_SKB_MODE, -1, out _));
            var error = Assert.Throws<IOException>(() => XdpDevice.Open(link.HostEnd));
            Assert.Contains("program 'other_prog'", error.Message, StringComparison.Ordinal);
            Assert.Contains("not Wirestack's: detach it (ip link set dev", error.Message, StringComparison.Ordinal);
            Assert.Contains("xdpgeneric", LinkShow(link.HostEnd), StringComparison.Ordinal);
        }
        finally
        {
            XdpNetlink.SetProgram(IndexOf(link.HostEnd), -1, XdpNetlink.XDP_FLAGS_SKB_MODE, -1, out _);
            LinuxNative.Close(other);
        }
    }

    [Fact]
    public void DevicesOnTwoQueuesOfAnInterfaceShareOneProgramAndTheLastDetachesIt()
    {
        Prerequisites.RequireTool("python3", "python3");
        using var ns = NetworkNamespace.Create();
        string host = IpRoute2.UniqueInterfaceName("wsq");
        string peer = IpRoute2.UniqueInterfaceName("wsr");
        IpRoute2.Run("link", "add", host, "numtxqueues", "2", "numrxqueues", "2", "type", "veth", "peer", "name", peer, "numtxqueues", "2", "numrxqueues", "2", "netns", ns.Name);
        try
        {
            File.WriteAllText($"/proc/sys/net/ipv6/conf/{host}/disable_ipv6", "1");
            IpRoute2.Run("link", "set", host, "up");
            ns.Exec("ip", "addr", "add", PeerCidr, "dev", peer).EnsureSuccess("ip addr add");
            ns.Exec("ip", "link", "set", peer, "up").EnsureSuccess("ip link set up");
            ns.Exec("ip", "neigh", "replace", OurIp, "lladdr", OurMac.ToString(), "dev", peer, "nud", "permanent").EnsureSuccess("ip neigh");

            var queue0 = XdpDevice.Open(host, new XdpDeviceOptions { AttachMode = XdpAttachMode.Native, QueueId = 0 });
            var queue1 = XdpDevice.Open(host, new XdpDeviceOptions { QueueId = 1 });
            Assert.Equal(queue0.ProgramId, queue1.ProgramId);
            Assert.Equal(XdpAttachMode.Native, queue1.AttachMode);
            Assert.Equal(1, queue1.QueueId);
            Assert.Contains(" xdp qdisc", LinkShow(host), StringComparison.Ordinal);
            var wrongMode = Assert.Throws<InvalidOperationException>(() => XdpDevice.Open(host, new XdpDeviceOptions { AttachMode = XdpAttachMode.Generic, QueueId = 1 }));
            Assert.Contains("with the same XdpDeviceOptions.AttachMode", wrongMode.Message, StringComparison.Ordinal);

            // Datagrams from many sockets spread over the peer's two transmit queues (by socket hash),
            // and a native program on a veth sees each on the matching receive queue: every one
            // arrives at one device or the other, and both get some.
            const int count = 200;
            const string manyPorts =
                "import socket,sys\n" +
                "for i in range(int(sys.argv[2])):\n" +
                "  s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM);s.sendto(b'q'*32,(sys.argv[1],9));s.close()\n";
            ns.Exec("python3", "-c", manyPorts, OurIp, count.ToString(CultureInfo.InvariantCulture)).EnsureSuccess("send from many ports");
            long on0 = 0, on1 = 0;
            for (var limit = Stopwatch.StartNew(); on0 + on1 < count && limit.Elapsed < TimeSpan.FromSeconds(10);)
            {
                on0 += Drain(queue0);
                on1 += Drain(queue1);
                Thread.Sleep(5);
            }
            Output?.WriteLine($"queue 0 received {on0}, queue 1 received {on1}");
            Assert.Equal(count, on0 + on1);
            Assert.True(on0 > 0 && on1 > 0, "the program sent every frame to one queue's socket");

            queue0.Dispose();
            Assert.Contains($"id {queue1.ProgramId}", LinkShow(host), StringComparison.Ordinal); // still serving queue 1
            queue1.Dispose();
            Assert.DoesNotContain("xdp", LinkShow(host), StringComparison.Ordinal);
        }
        finally
        {
            ProcessRunner.Run("ip", "link", "delete", host);
        }

        static long Drain(XdpDevice device)
        {
            long found = 0;
            int n = device.Receive();
            for (int i = 0; i < n; i++)
                if (WireHost.IsUdpTo(device.GetReceived(i), 9, out int length) && length == 32) found++;
            device.ReleaseReceived(n);
            return found;
        }
    }

    [Fact]
    public void ErrorsSayWhatIsMissingAndWhatToDo()
    {
        Prerequisites.RequireRoot();
        var missing = Assert.Throws<IOException>(() => XdpDevice.Open("wsnosuchif0"));
        Assert.Contains("no interface 'wsnosuchif0': create it or check the name", missing.Message, StringComparison.Ordinal);

        using var link = QuietVethLink.Create(PeerCidr);
        var zeroCopy = Assert.Throws<IOException>(() => XdpDevice.Open(link.HostEnd, new XdpDeviceOptions { CopyMode = XdpCopyMode.ZeroCopy }));
        Assert.Contains("does not support AF_XDP zero-copy", zeroCopy.Message, StringComparison.Ordinal);
        Assert.Contains("use XdpCopyMode.Copy or Auto", zeroCopy.Message, StringComparison.Ordinal);

        var queue = Assert.Throws<IOException>(() => XdpDevice.Open(link.HostEnd, new XdpDeviceOptions { QueueId = 7 }));
        Assert.Contains("has a receive queue 7", queue.Message, StringComparison.Ordinal);

        ThreadCapabilities.RunWithout(ThreadCapabilities.CapNetRaw, () =>
        {
            var error = Assert.Throws<UnauthorizedAccessException>(() => XdpDevice.Open(link.HostEnd));
            Assert.Contains("AF_XDP needs CAP_NET_RAW", error.Message, StringComparison.Ordinal);
        });
        // None of the failures left a program behind.
        Assert.DoesNotContain("xdp", LinkShow(link.HostEnd), StringComparison.Ordinal);
    }

    [Fact]
    public void WithoutCapBpfTheMessageNamesTheCapabilities()
    {
        using var link = QuietVethLink.Create(PeerCidr);
        ThreadCapabilities.RunWithout([ThreadCapabilities.CapBpf, ThreadCapabilities.CapSysAdmin], () =>
        {
            var error = Assert.Throws<UnauthorizedAccessException>(() => XdpDevice.Open(link.HostEnd));
            Assert.Contains("AF_XDP needs CAP_BPF and CAP_NET_ADMIN (or CAP_SYS_ADMIN) to load its XDP program: run as root", error.Message, StringComparison.Ordinal);
        });
        Assert.DoesNotContain("xdp", LinkShow(link.HostEnd), StringComparison.Ordinal);
    }

    [Fact]
    public void AUmemAboveTheLockedMemoryLimitSaysToRaiseIt()
    {
        // Without CAP_IPC_LOCK the UMEM's pages count against RLIMIT_MEMLOCK; 16384 x 2 chunks of 2 KiB is 64 MiB.
        long limit = LockedMemoryLimit();
        if (limit < 0 || limit >= 64L << 20) Assert.Skip($"RLIMIT_MEMLOCK is {(limit < 0 ? "unlimited" : limit.ToString(CultureInfo.InvariantCulture))}: a 64 MiB UMEM fits.");
        using var link = QuietVethLink.Create(PeerCidr);
        ThreadCapabilities.RunWithout(ThreadCapabilities.CapIpcLock, () =>
        {
            var error = Assert.Throws<IOException>(() => XdpDevice.Open(link.HostEnd, new XdpDeviceOptions { RingSize = 16384 }));
            Assert.Contains("counts against RLIMIT_MEMLOCK. Raise the limit (ulimit -l unlimited", error.Message, StringComparison.Ordinal);
            Assert.Contains("or lower XdpDeviceOptions.RingSize", error.Message, StringComparison.Ordinal);
        });
    }

    [Fact]
    public void AnInterfaceGoingDownAndUpOrAwayIsCountedNotThrown()
    {
        Prerequisites.RequireTool("python3", "python3");
        using var link = QuietVethLink.Create(PeerCidr);
        var device = XdpDevice.Open(link.HostEnd, new XdpDeviceOptions { AttachMode = XdpAttachMode.Generic });
        var host = new WireHost(OurMac, OurAddress);
        link.AddPeerNeighbour(OurIp, OurMac);

        // Down and up: the socket stays bound and the program attached; frames flow again.
        IpRoute2.Run("link", "set", link.HostEnd, "down");
        IpRoute2.Run("link", "set", link.HostEnd, "up");
        bool arrived = false;
        for (var limit = Stopwatch.StartNew(); !arrived && limit.Elapsed < TimeSpan.FromSeconds(10);)
        {
            link.Namespace.Exec("python3", "-c", UdpSender, "10", "1", OurIp).EnsureSuccess("send after up");
            arrived = ReceiveFor(device, TimeSpan.FromMilliseconds(300)) > 0;
        }
        Assert.True(arrived, "no datagram reached the device after the interface came back up");

        // Away: the kernel unbinds the socket; sending counts errors, waiting times out, nothing throws.
        link.Veth.Dispose();
        Assert.True(device.TryGetTransmitSlot(out var slot));
        device.CommitTransmit(host.WriteUdp(slot, link.PeerMac, PeerAddress, 40000, 9, "lost"u8));
        Assert.Equal(1, device.Flush());
        Assert.True(device.Counters.TransmitErrors >= 1, $"the failed send was not counted: {device.Counters}");
        var quiet = Stopwatch.StartNew();
        Assert.False(device.WaitForReceive(TimeSpan.FromMilliseconds(100)));
        Assert.True(quiet.Elapsed >= TimeSpan.FromMilliseconds(90), "the wait spins on a socket whose interface is gone");
        Assert.Equal(0, device.Receive());
        device.Dispose();
    }

    [Fact]
    public void MisuseGetsMessagesThatSayWhatToDo()
    {
        using var link = QuietVethLink.Create(PeerCidr);
        using var device = XdpDevice.Open(link.HostEnd, new XdpDeviceOptions { RingSize = 64, ReceiveBatchSize = 8 });
        Assert.Contains("TryGetTransmitSlot first", Assert.Throws<InvalidOperationException>(() => device.CommitTransmit(60)).Message, StringComparison.Ordinal);
        Assert.True(device.TryGetTransmitSlot(out _));
        Assert.Contains("already lent", Assert.Throws<InvalidOperationException>(() => device.TryGetTransmitSlot(out _)).Message, StringComparison.Ordinal);
        Assert.Contains("Ethernet header", Assert.Throws<ArgumentOutOfRangeException>(() => device.CommitTransmit(10)).Message, StringComparison.Ordinal);
        Assert.Contains("slot size", Assert.Throws<ArgumentOutOfRangeException>(() => device.CommitTransmit(1519)).Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentOutOfRangeException>(() => device.GetReceived(0));
        Assert.Throws<ArgumentOutOfRangeException>(() => device.ReleaseReceived(1));
    }

    [Fact]
    public void WaitTimesOutOnAQuietLinkAndInterruptWakesIt()
    {
        using var link = QuietVethLink.Create(PeerCidr);
        using var device = XdpDevice.Open(link.HostEnd);
        for (var drain = Stopwatch.StartNew(); drain.Elapsed < TimeSpan.FromMilliseconds(300);)
        {
            device.WaitForReceive(TimeSpan.FromMilliseconds(20));
            device.ReleaseReceived(device.Receive());
        }
        var quiet = Stopwatch.StartNew();
        Assert.False(device.WaitForReceive(TimeSpan.FromMilliseconds(100)));
        Assert.True(quiet.Elapsed >= TimeSpan.FromMilliseconds(90), $"the wait returned after {quiet.Elapsed.TotalMilliseconds} ms");

        var interrupter = new Thread(() =>
        {
            Thread.Sleep(100);
            device.Interrupt();
        });
        interrupter.Start();
        var woken = Stopwatch.StartNew();
        Assert.True(device.WaitForReceive(TimeSpan.FromSeconds(10)));
        Assert.True(woken.Elapsed < TimeSpan.FromSeconds(5), "Interrupt did not wake the wait");
        interrupter.Join();
    }

    // What a process killed while its device was open leaves: the program attached (in native mode,
    // as Auto picks on veth), its map naming a process that is gone, no socket and no fds.
    private static uint LeaveProgramAttached(string interfaceName, int ownerPid)
    {
        using var program = XdpRedirectProgram.Load(64, ownerPid);
        int errno = XdpNetlink.SetProgram(IndexOf(interfaceName), program.ProgramFd, XdpNetlink.XDP_FLAGS_DRV_MODE, -1, out string explanation);
        Assert.True(errno == 0, $"attach failed: errno {errno} {explanation}");
        return program.ProgramId;
    }

    // Receives (and releases) for a while; how many UDP datagrams to port 9 arrived.
    private static long ReceiveFor(INetworkDevice device, TimeSpan time)
    {
        long found = 0;
        for (var elapsed = Stopwatch.StartNew(); elapsed.Elapsed < time;)
        {
            device.WaitForReceive(TimeSpan.FromMilliseconds(20));
            int n = device.Receive();
            for (int i = 0; i < n; i++)
                if (WireHost.IsUdpTo(device.GetReceived(i), 9, out _)) found++;
            device.ReleaseReceived(n);
        }
        return found;
    }

    // The soft RLIMIT_MEMLOCK in bytes, -1 for unlimited.
    private static long LockedMemoryLimit()
    {
        foreach (string line in File.ReadLines("/proc/self/limits"))
        {
            if (!line.StartsWith("Max locked memory", StringComparison.Ordinal)) continue;
            string soft = line["Max locked memory".Length..].Trim().Split(' ', StringSplitOptions.RemoveEmptyEntries)[0];
            return soft == "unlimited" ? -1 : long.Parse(soft, CultureInfo.InvariantCulture);
        }
        return -1;
    }

    private static int IndexOf(string interfaceName) =>
        int.Parse(File.ReadAllText($"/sys/class/net/{interfaceName}/ifindex").Trim(), CultureInfo.InvariantCulture);

    // Packet-socket memberships raise the interface's promiscuity count, which `ip -d link` shows.
    private static int Promiscuity(string name)
    {
        string text = IpRoute2.Run("-d", "-o", "link", "show", name).StandardOutput;
        int at = text.IndexOf(" promiscuity ", StringComparison.Ordinal) + " promiscuity ".Length;
        int end = text.IndexOf(' ', at);
        return int.Parse(text.AsSpan(at, end - at), CultureInfo.InvariantCulture);
    }

    private static string LinkShow(string interfaceName) => IpRoute2.Run("link", "show", interfaceName).StandardOutput;
}
