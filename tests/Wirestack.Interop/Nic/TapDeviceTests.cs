using System.Diagnostics;
using System.Text;
using Wirestack.Interop.Infrastructure;
using Wirestack.Nic;
using Wirestack.Testing;
using Wirestack.Wire;

namespace Wirestack.Interop.Nic;

/// <summary>
/// The TAP device against the kernel: the interface is created in this process's namespace and
/// moved into a namespace the test makes, where the kernel's stack and stock tools (ping, socat)
/// are the peer. The test plays the host "behind" the TAP device, 10.201.0.2, answering with
/// frames built by the wire layer.
/// </summary>
public class TapDeviceTests
{
    private const string KernelCidr = "10.201.0.1/24";
    private static readonly Ipv4Address KernelAddress = new(10, 201, 0, 1);
    private static readonly Ipv4Address OurAddress = new(10, 201, 0, 2);
    private static readonly MacAddress OurMac = MacAddress.Parse("02:00:0a:c9:00:02");

    [Fact]
    public void KernelPingIsReceivedAsArpAndIcmpAndAnsweredThroughTheDevice()
    {
        Prerequisites.RequireTool("ping", "iputils-ping");
        using var ns = NetworkNamespace.Create();
        using var tap = new TapDevice(new TapDeviceOptions { Name = IpRoute2.UniqueInterfaceName("wst") });
        NamespaceInterface.MoveInto(ns, tap.Name, KernelCidr);
        Drain(tap);

        var ping = ns.Start("ping", "-c", "3", "-i", "0.2", "-W", "2", OurAddress.ToString());
        int arpRequests = 0, echoRequests = 0;
        var clock = Stopwatch.StartNew();
        while (!ping.HasExited && clock.Elapsed < TimeSpan.FromSeconds(20))
        {
            tap.WaitForReceive(TimeSpan.FromMilliseconds(100));
            int count = tap.Receive();
            for (int i = 0; i < count; i++)
            {
                var frame = tap.GetReceived(i);
                if (AnswerArp(tap, frame)) arpRequests++;
                else if (AnswerEcho(tap, frame)) echoRequests++;
            }
            tap.ReleaseReceived(count);
            tap.Flush();
        }
        Assert.True(ping.WaitForExit(5000), "ping did not finish within 20 s");
        string output = ping.StandardOutput.ReadToEnd();
        TestContext.Current.TestOutputHelper?.WriteLine($"ARP requests {arpRequests}, echo requests {echoRequests}; {tap.Counters}\n{output}");

        Assert.True(arpRequests >= 1, $"no ARP request for {OurAddress} arrived; ping said: {output}");
        Assert.True(echoRequests >= 3, $"{echoRequests} echo requests arrived, 3 expected; ping said: {output}");
        Assert.Contains(" 0% packet loss", output, StringComparison.Ordinal);
        Assert.Equal(0, tap.Counters.TransmitDropped);
        Assert.True(tap.Counters.TransmittedFrames >= 4);
    }

    [Fact]
    public void UdpDatagramBuiltByTheWireLayerReachesAKernelSocket()
    {
        Prerequisites.RequireTool("socat", "socat");
        using var ns = NetworkNamespace.Create();
        using var tap = new TapDevice(new TapDeviceOptions { Name = IpRoute2.UniqueInterfaceName("wst") });
        NamespaceInterface.MoveInto(ns, tap.Name, KernelCidr);
        // The MAC read at creation is the one the kernel uses in the namespace too.
        string link = ns.Exec("ip", "-o", "link", "show", tap.Name).EnsureSuccess("ip link show").StandardOutput;
        Assert.Contains("link/ether " + tap.KernelMacAddress, link, StringComparison.Ordinal);
        ns.Exec("ip", "neigh", "add", OurAddress.ToString(), "lladdr", OurMac.ToString(), "dev", tap.Name, "nud", "permanent").EnsureSuccess("ip neigh add");

        var receiver = ns.Start("socat", "-u", $"UDP4-RECVFROM:9999,bind={KernelAddress}", "STDOUT");
        WaitForUdpListener(ns, 9999);

        byte[] payload = Encoding.ASCII.GetBytes("hello from wirestack\n");
        Assert.True(tap.TryGetTransmitSlot(out var slot));
        int length = WriteUdp(slot, tap.KernelMacAddress, KernelAddress, 40000, 9999, payload);
        tap.CommitTransmit(length);
        Assert.Equal(1, tap.Flush());

        Assert.True(receiver.WaitForExit(10_000), "socat received nothing within 10 s");
        Assert.Equal("hello from wirestack\n", receiver.StandardOutput.ReadToEnd());
        Assert.Equal(1, tap.Counters.TransmittedFrames);
        Assert.Equal(length, tap.Counters.TransmittedBytes);
    }

    [Fact]
    public void WaitForReceiveWakesForAFrameAndForInterrupt()
    {
        Prerequisites.RequireTool("ping", "iputils-ping");
        using var ns = NetworkNamespace.Create();
        using var tap = new TapDevice(new TapDeviceOptions { Name = IpRoute2.UniqueInterfaceName("wst") });
        NamespaceInterface.MoveInto(ns, tap.Name, KernelCidr);
        Drain(tap);

        // A quiet link: the wait times out.
        Assert.False(tap.WaitForReceive(TimeSpan.FromMilliseconds(200)));

        // Interrupt from another thread cuts a long wait short.
        var interrupter = new Thread(() =>
        {
            Thread.Sleep(150);
            tap.Interrupt();
        });
        var clock = Stopwatch.StartNew();
        interrupter.Start();
        Assert.True(tap.WaitForReceive(TimeSpan.FromSeconds(30)));
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), $"Interrupt took {clock.Elapsed} to wake the wait");
        interrupter.Join();
        Assert.Equal(0, tap.Receive());

        // An interrupt before the wait makes the next wait return at once.
        tap.Interrupt();
        Assert.True(tap.WaitForReceive(TimeSpan.FromSeconds(30)));

        // A frame from the kernel (its ARP request for an address behind the device) wakes the wait.
        var trigger = new Thread(() =>
        {
            Thread.Sleep(150);
            ns.Exec("ping", "-c", "1", "-W", "1", OurAddress.ToString());
        });
        clock.Restart();
        trigger.Start();
        Assert.True(tap.WaitForReceive(TimeSpan.FromSeconds(30)));
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), $"the frame took {clock.Elapsed} to wake the wait");
        int count = tap.Receive();
        Assert.True(count >= 1);
        Assert.True(IsArpRequestFor(tap.GetReceived(0), OurAddress), "the first frame is not the kernel's ARP request");
        tap.ReleaseReceived(count);
        trigger.Join();
    }

    [Fact]
    public void SteadyStateReceiveAndFlushAllocateNothing()
    {
        using var ns = NetworkNamespace.Create();
        using var tap = new TapDevice(new TapDeviceOptions { Name = IpRoute2.UniqueInterfaceName("wst"), ReceiveBatchSize = 16, TransmitRingSize = 16 });
        NamespaceInterface.MoveInto(ns, tap.Name, KernelCidr);
        ns.Exec("ip", "neigh", "add", OurAddress.ToString(), "lladdr", OurMac.ToString(), "dev", tap.Name, "nud", "permanent").EnsureSuccess("ip neigh add");
        Drain(tap);

        // The kernel answers each echo request with an echo reply: traffic both ways, no tools.
        byte[] request = new byte[64];
        int requestLength = WriteEchoRequest(request, tap.KernelMacAddress, KernelAddress, 0x5753, 0);
        byte[] frame = request[..requestLength];

        // Measured on a thread of its own, quietest of several windows: the runtime's one-off
        // allocations (tiered recompilation) must not pass for a per-frame allocation.
        long replies = tap.Counters.ReceivedFrames;
        var clock = Stopwatch.StartNew();
        long allocated = AllocationMeter.Measure(() => EchoRounds(tap, frame, 1), warmup: 200, iterations: 2000);
        clock.Stop();
        replies = tap.Counters.ReceivedFrames - replies;
        TestContext.Current.TestOutputHelper?.WriteLine($"{replies} echo replies in {clock.Elapsed.TotalMilliseconds:F0} ms ({replies / clock.Elapsed.TotalSeconds:F0} round trips/s), {allocated} B allocated; {tap.Counters}");

        Assert.Equal(0, allocated);
        Assert.True(replies >= 2000 * 8 * 9 / 10, $"only {replies} echo replies came back; {tap.Counters}");
        Assert.Equal(0, tap.Counters.ReceiveErrors);
        Assert.Equal(0, tap.Counters.TransmitErrors);
    }

    [Fact]
    public void FramesLongerThanASlotAreCountedAsDropped()
    {
        Prerequisites.RequireTool("ping", "iputils-ping");
        using var ns = NetworkNamespace.Create();
        using var tap = new TapDevice(new TapDeviceOptions { Name = IpRoute2.UniqueInterfaceName("wst"), Mtu = 1500 });
        // The kernel side's MTU raised behind the device's back: its frames outgrow the slots.
        NamespaceInterface.MoveInto(ns, tap.Name, KernelCidr, mtu: 4000);
        ns.Exec("ip", "neigh", "add", OurAddress.ToString(), "lladdr", OurMac.ToString(), "dev", tap.Name, "nud", "permanent").EnsureSuccess("ip neigh add");
        Drain(tap);

        ns.Exec("ping", "-c", "1", "-W", "1", "-s", "3000", OurAddress.ToString());
        ns.Exec("ping", "-c", "1", "-W", "1", "-s", "1000", OurAddress.ToString());
        int count = ReceiveFor(tap, TimeSpan.FromSeconds(2), expected: 1);

        Assert.Equal(1, tap.Counters.ReceiveDropped);
        Assert.Equal(1, count);
        Assert.Equal(14 + 20 + 8 + 1000, tap.GetReceived(0).Length);
        tap.ReleaseReceived(count);
    }

    [Fact]
    public void KernelPicksTheNameAndTheInterfaceIsUpWithTheMtuThenGoneOnDispose()
    {
        Prerequisites.RequireRoot();
        Prerequisites.RequireTool("ip", "iproute2");
        string name;
        using (var tap = new TapDevice(new TapDeviceOptions { Mtu = 1400 }))
        {
            name = tap.Name;
            Assert.Matches("^tap[0-9]+$", name);
            string link = ProcessRunner.Run("ip", "-o", "link", "show", name).EnsureSuccess("ip link show").StandardOutput;
            Assert.Contains("mtu 1400", link, StringComparison.Ordinal);
            Assert.Contains(",UP", link, StringComparison.Ordinal);
            Assert.Contains("link/ether " + tap.KernelMacAddress, link, StringComparison.Ordinal);
            Assert.Equal(1400, tap.Capabilities.Mtu);
            Assert.Equal(1418, tap.Capabilities.MaxFrameLength);
            tap.Dispose(); // idempotent: the using disposes again
        }
        Assert.NotEqual(0, ProcessRunner.Run("ip", "link", "show", name).ExitCode);
    }

    [Fact]
    public void PersistentInterfaceOutlivesTheDeviceAndCanBeAttachedAgain()
    {
        Prerequisites.RequireRoot();
        Prerequisites.RequireTool("ip", "iproute2");
        string name = IpRoute2.UniqueInterfaceName("wst");
        try
        {
            using (var tap = new TapDevice(new TapDeviceOptions { Name = name, Persistent = true, Mtu = 1280 }))
                Assert.Equal(name, tap.Name);
            Assert.Equal(0, ProcessRunner.Run("ip", "link", "show", name).ExitCode);

            // Attaching leaves persistence as found.
            using (var again = new TapDevice(new TapDeviceOptions { Name = name, Mtu = 1280 }))
                Assert.Equal(name, again.Name);
            Assert.Equal(0, ProcessRunner.Run("ip", "link", "show", name).ExitCode);
        }
        finally
        {
            ProcessRunner.Run("ip", "link", "delete", name);
        }
        Assert.NotEqual(0, ProcessRunner.Run("ip", "link", "show", name).ExitCode);
    }

    [Fact]
    public void ANameInUseIsRefusedWithAMessageThatSaysWhy()
    {
        Prerequisites.RequireRoot();
        var notTap = Assert.Throws<IOException>(() => new TapDevice(new TapDeviceOptions { Name = "lo" }));
        Assert.Contains("'lo' exists and is not a single-queue TAP device", notTap.Message, StringComparison.Ordinal);

        string name = IpRoute2.UniqueInterfaceName("wst");
        using var first = new TapDevice(new TapDeviceOptions { Name = name });
        var busy = Assert.Throws<IOException>(() => new TapDevice(new TapDeviceOptions { Name = name }));
        Assert.Contains("already open elsewhere", busy.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AnInterfaceDeletedUnderTheDeviceIsReportedNotSpunOn()
    {
        Prerequisites.RequireRoot();
        using var tap = new TapDevice(new TapDeviceOptions { Name = IpRoute2.UniqueInterfaceName("wst") });
        IpRoute2.Run("link", "delete", tap.Name);
        Assert.True(tap.WaitForReceive(TimeSpan.FromSeconds(5))); // poll reports the dead descriptor at once
        var error = Assert.Throws<IOException>(() => tap.Receive());
        Assert.Contains($"'{tap.Name}' was deleted while open", error.Message, StringComparison.Ordinal);

        Assert.True(tap.TryGetTransmitSlot(out var slot));
        slot[..60].Clear();
        tap.CommitTransmit(60);
        Assert.Throws<IOException>(() => tap.Flush());
        Assert.Equal(1, tap.Counters.TransmitDropped);
    }

    [Fact]
    public void UseAfterDisposeSaysSo()
    {
        Prerequisites.RequireRoot();
        var tap = new TapDevice(new TapDeviceOptions { Name = IpRoute2.UniqueInterfaceName("wst") });
        tap.Dispose();
        Assert.Throws<ObjectDisposedException>(() => tap.Receive());
        Assert.Throws<ObjectDisposedException>(() => tap.Flush());
        Assert.Throws<ObjectDisposedException>(() => tap.WaitForReceive(TimeSpan.Zero));
        tap.Interrupt(); // harmless
        tap.Dispose();
    }

    // Sends `rounds` batches of 8 echo requests and takes in the replies; nothing here may allocate.
    private static void EchoRounds(TapDevice tap, ReadOnlySpan<byte> request, int rounds)
    {
        for (int round = 0; round < rounds; round++)
        {
            for (int i = 0; i < 8; i++)
            {
                tap.TryGetTransmitSlot(out var slot);
                request.CopyTo(slot);
                tap.CommitTransmit(request.Length);
            }
            tap.Flush();
            int got = 0;
            long deadline = Environment.TickCount64 + 1000;
            while (got < 8 && Environment.TickCount64 < deadline)
            {
                int count = tap.Receive();
                if (count == 0)
                {
                    tap.WaitForReceive(TimeSpan.FromMilliseconds(50));
                    continue;
                }
                for (int i = 0; i < count; i++)
                {
                    if (IsEchoReply(tap.GetReceived(i))) got++;
                }
                tap.ReleaseReceived(count);
            }
        }
    }

    private static int ReceiveFor(TapDevice tap, TimeSpan time, int expected)
    {
        var clock = Stopwatch.StartNew();
        int count = 0;
        while (clock.Elapsed < time && count < expected)
        {
            tap.WaitForReceive(TimeSpan.FromMilliseconds(100));
            count = tap.Receive();
        }
        return count;
    }

    // Frames the kernel queued before the interface moved (IPv6 chatter in this namespace) are not the test's.
    private static void Drain(TapDevice tap)
    {
        int count;
        while ((count = tap.Receive()) > 0) tap.ReleaseReceived(count);
    }

    private static void WaitForUdpListener(NetworkNamespace ns, int port)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < TimeSpan.FromSeconds(10))
        {
            string sockets = ns.Exec("ss", "-Hnul").StandardOutput;
            if (sockets.Contains($":{port} ", StringComparison.Ordinal)) return;
            Thread.Sleep(50);
        }
        Assert.Fail($"nothing listened on UDP port {port} within 10 s");
    }

    private static bool IsArpRequestFor(ReadOnlySpan<byte> frame, Ipv4Address target) =>
        EthernetFrame.TryParse(frame, out var ethernet) == WireError.None
        && ethernet.EtherType == EtherType.Arp
        && ArpPacket.TryParse(ethernet.Payload, out var packet) == WireError.None
        && ArpRepr.Parse(packet, out var arp) == WireError.None
        && arp.Operation == ArpOperation.Request
        && arp.TargetProtocolAddress == target;

    private static bool IsEchoReply(ReadOnlySpan<byte> frame) =>
        EthernetFrame.TryParse(frame, out var ethernet) == WireError.None
        && ethernet.EtherType == EtherType.Ipv4
        && Ipv4Packet.TryParse(ethernet.Payload, out var ip) == WireError.None
        && ip.Protocol == IpProtocol.Icmp
        && ip.Destination == OurAddress
        && Icmpv4Packet.TryParse(ip.Payload, out var icmp) == WireError.None
        && icmp.Type == Icmpv4Type.EchoReply;

    // An ARP request for our address gets a reply with our MAC; true when the frame was one.
    private static bool AnswerArp(TapDevice tap, ReadOnlySpan<byte> frame)
    {
        if (!IsArpRequestFor(frame, OurAddress)) return false;
        EthernetFrame.TryParse(frame, out var ethernet);
        ArpPacket.TryParse(ethernet.Payload, out var packet);
        ArpRepr.Parse(packet, out var request);
        var reply = new ArpRepr
        {
            Operation = ArpOperation.Reply,
            SenderHardwareAddress = OurMac,
            SenderProtocolAddress = OurAddress,
            TargetHardwareAddress = request.SenderHardwareAddress,
            TargetProtocolAddress = request.SenderProtocolAddress,
        };
        var header = new EthernetRepr { Destination = request.SenderHardwareAddress, Source = OurMac, EtherType = EtherType.Arp };
        Assert.True(tap.TryGetTransmitSlot(out var slot));
        header.Emit(slot);
        reply.Emit(slot[header.HeaderLength..]);
        tap.CommitTransmit(header.HeaderLength + reply.BufferLength);
        return true;
    }

    // An echo request to our address gets an echo reply with the same identifier, sequence and data.
    private static bool AnswerEcho(TapDevice tap, ReadOnlySpan<byte> frame)
    {
        if (EthernetFrame.TryParse(frame, out var ethernet) != WireError.None || ethernet.EtherType != EtherType.Ipv4) return false;
        if (Ipv4Packet.TryParse(ethernet.Payload, out var ip) != WireError.None || Ipv4Repr.Parse(ip, out var ipRequest) != WireError.None) return false;
        if (ipRequest.Protocol != IpProtocol.Icmp || ipRequest.Destination != OurAddress) return false;
        if (Icmpv4Packet.TryParse(ip.Payload, out var icmp) != WireError.None || Icmpv4Repr.Parse(icmp, out var echo) != WireError.None) return false;
        if (echo.Type != Icmpv4Type.EchoRequest) return false;

        var icmpReply = Icmpv4Repr.EchoReply(echo.Identifier, echo.SequenceNumber, icmp.Payload.Length);
        var ipReply = new Ipv4Repr(OurAddress, ipRequest.Source, IpProtocol.Icmp, icmpReply.BufferLength);
        var header = new EthernetRepr { Destination = ethernet.Source, Source = OurMac, EtherType = EtherType.Ipv4 };
        Assert.True(tap.TryGetTransmitSlot(out var slot));
        header.Emit(slot);
        ipReply.Emit(slot[header.HeaderLength..]);
        icmpReply.Emit(slot[(header.HeaderLength + ipReply.HeaderLength)..], icmp.Payload);
        tap.CommitTransmit(header.HeaderLength + ipReply.TotalLength);
        return true;
    }

    private static int WriteUdp(Span<byte> buffer, MacAddress destinationMac, Ipv4Address destination, ushort sourcePort, ushort destinationPort, ReadOnlySpan<byte> payload)
    {
        var udp = new UdpRepr(sourcePort, destinationPort, payload.Length);
        var ip = new Ipv4Repr(OurAddress, destination, IpProtocol.Udp, udp.BufferLength);
        var header = new EthernetRepr { Destination = destinationMac, Source = OurMac, EtherType = EtherType.Ipv4 };
        header.Emit(buffer);
        ip.Emit(buffer[header.HeaderLength..]);
        udp.Emit(buffer[(header.HeaderLength + ip.HeaderLength)..], payload, ip.PseudoHeaderSum());
        return header.HeaderLength + ip.TotalLength;
    }

    private static int WriteEchoRequest(Span<byte> buffer, MacAddress destinationMac, Ipv4Address destination, ushort identifier, ushort sequence)
    {
        ReadOnlySpan<byte> data = "wirestack-tap-echo"u8;
        var icmp = Icmpv4Repr.EchoRequest(identifier, sequence, data.Length);
        var ip = new Ipv4Repr(OurAddress, destination, IpProtocol.Icmp, icmp.BufferLength);
        var header = new EthernetRepr { Destination = destinationMac, Source = OurMac, EtherType = EtherType.Ipv4 };
        header.Emit(buffer);
        ip.Emit(buffer[header.HeaderLength..]);
        icmp.Emit(buffer[(header.HeaderLength + ip.HeaderLength)..], data);
        return header.HeaderLength + ip.TotalLength;
    }
}
