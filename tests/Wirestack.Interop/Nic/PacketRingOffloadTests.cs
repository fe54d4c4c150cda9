using System.Diagnostics;
using Wirestack.Interop.Iface;
using Wirestack.Interop.Infrastructure;
using Wirestack.Nic;
using Wirestack.Testing;
using Wirestack.Wire;
using static Wirestack.Interop.Iface.KernelLink;

namespace Wirestack.Interop.Nic;

/// <summary>
/// The AF_PACKET device on a veth whose kernel side keeps its offloads: partial checksums reported as trusted, and
/// TSO super-segments (which a TPACKET_V2 slot cannot hold) counted as truncated rather than handed on.
/// </summary>
public class PacketRingOffloadTests
{
    private const ushort OurPort = 5002;

    [Fact]
    public void KernelUdpWithAPartialChecksumIsReportedTrusted()
    {
        string python = Prerequisites.RequireTool("python3", "python3");
        using var link = KernelLink.Create(LinkKind.PacketRingChecksumOffload, "wso");
        link.Namespace.Exec("ip", "neigh", "replace", OurAddress.ToString(), "lladdr", OurMac.ToString(), "dev", link.KernelInterfaceName, "nud", "permanent")
            .EnsureSuccess("ip neigh replace");
        link.Namespace.Exec(python, "-c", $"import socket;socket.socket(socket.AF_INET,socket.SOCK_DGRAM).sendto(b'offload'*100,('{OurAddress}',{OurPort}))")
            .EnsureSuccess("send a UDP datagram");

        var device = link.Device;
        var clock = Stopwatch.StartNew();
        bool seen = false, trusted = false;
        while (!seen && clock.Elapsed < TimeSpan.FromSeconds(5))
        {
            device.WaitForReceive(TimeSpan.FromMilliseconds(100));
            int lent = device.Receive();
            for (int i = 0; i < lent && !seen; i++)
            {
                var frame = device.GetReceived(i, out var offload);
                // IPv4, protocol 17, to our address and port.
                if (frame.Length < 42 || frame[12] != 0x08 || frame[13] != 0x00 || frame[23] != 17) continue;
                if (Ipv4Address.Read(frame.Slice(30, 4)) != OurAddress || (frame[36] << 8 | frame[37]) != OurPort) continue;
                seen = true;
                trusted = offload.TransportChecksumTrusted;
            }
            device.ReleaseReceived(lent);
        }
        Assert.True(seen, "the kernel's UDP datagram never arrived on the ring");
        Assert.True(trusted, "a datagram the kernel sent with tx checksumming on (TP_STATUS_CSUMNOTREADY) was not reported checksum-trusted");
    }

    [Fact]
    public void SuperSegmentsGoToTheInterfaceOrToTheKernelsSoftwareSegmentation()
    {
        Prerequisites.RequireTool("ethtool", "ethtool");
        using var ns = NetworkNamespace.Create();
        using var veth = VethPair.Create(ns, "10.242.0.2/24");
        static PacketRingDevice Open(string name, bool offloads, bool? bypass = null) =>
            PacketRingDevice.Open(name, new PacketRingDeviceOptions { Offloads = offloads, BypassQueueingDiscipline = bypass, RingSize = 16, ReceiveBatchSize = 16 });
        // TSO off: the kernel cuts a super-segment in software, but only on the queueing discipline's path (the
        // bypass drops it), so by default the device sends through the queueing discipline and offers segmentation.
        using (var device = Open(veth.HostEnd, offloads: true))
        {
            Assert.True(device.Capabilities.MaxOffloadLength > 60_000, $"MaxOffloadLength {device.Capabilities.MaxOffloadLength} with the kernel segmenting");
            Assert.False(device.BypassesQueueingDiscipline);
        }
        // Asked to bypass: then MTU-sized frames only.
        using (var device = Open(veth.HostEnd, offloads: true, bypass: true))
        {
            Assert.Equal(0, device.Capabilities.MaxOffloadLength);
            Assert.True(device.BypassesQueueingDiscipline);
        }
        using (var device = Open(veth.HostEnd, offloads: false))
        {
            Assert.Equal(0, device.Capabilities.MaxOffloadLength);
            Assert.True(device.BypassesQueueingDiscipline);
        }
        // TSO on: the interface cuts them itself, and the bypass stays.
        ProcessRunner.Run("ethtool", "-K", veth.HostEnd, "tx", "on", "tso", "on", "gso", "on").EnsureSuccess("ethtool -K tso on");
        using (var device = Open(veth.HostEnd, offloads: true))
        {
            Assert.True(device.Capabilities.MaxOffloadLength > 60_000, $"MaxOffloadLength {device.Capabilities.MaxOffloadLength} with TSO on");
            Assert.True(device.BypassesQueueingDiscipline);
        }
    }

    [Fact]
    public void TsoSuperSegmentsAreCountedAsTruncated()
    {
        string python = Prerequisites.RequireTool("python3", "python3");
        using var link = KernelLink.Create(LinkKind.PacketRingChecksumOffload, "wst");
        var (ns, device, iface) = link;
        // TSO back on at the kernel's end: it now sends TCP segments of up to 64 KiB down the veth.
        ns.Exec("ethtool", "-K", link.KernelInterfaceName, "tso", "on", "gso", "on").EnsureSuccess("ethtool -K tso on");
        Assert.True(iface.TryListenTcp(new IpEndpoint(IpAddress.AnyIpv4, OurPort), 4, out var listener));
        byte[] sink = new byte[64 * 1024];
        Wirestack.Tcp.TcpHandle connection = default;
        Instant Step(Instant now)
        {
            if (!connection.IsAssigned && !iface.TryAcceptTcp(listener, out connection)) return Instant.MaxValue;
            return iface.ReadTcp(connection, sink, now) > 0 ? now : Instant.MaxValue;
        }
        using var loop = new PollLoop(iface, Step);
        // The super-segments never get through, so the send stalls: give up after a few seconds either way.
        var result = ns.Exec(TimeSpan.FromSeconds(30), python, "-c",
            $"import socket\ns=socket.create_connection(('{OurAddress}',{OurPort}),timeout=5)\n" +
            "try:\n s.sendall(b'x'*(4<<20))\nexcept OSError:\n pass\nprint('done')");
        loop.Stop();
        var ring = Assert.IsType<PacketRingDevice>(device);
        TestContext.Current.TestOutputHelper?.WriteLine($"{result.StandardOutput}{result.StandardError}\ntruncated {ring.TruncatedFrames}; {device.Counters}");
        Assert.False(loop.Failed, loop.Failure?.ToString());
        Assert.Equal("done", result.StandardOutput.Trim());
        Assert.True(ring.TruncatedFrames > 0, "no frame was counted as truncated although the kernel's end had TSO on");
        Assert.True(device.Counters.ReceiveDropped >= ring.TruncatedFrames);
    }
}
