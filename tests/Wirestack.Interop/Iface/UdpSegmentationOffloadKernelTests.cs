using System.Buffers.Binary;
using System.Diagnostics;
using Wirestack.Iface;
using Wirestack.Nic;
using Wirestack.Interop.Infrastructure;
using Wirestack.Testing;
using Wirestack.Wire;
using static Wirestack.Interop.Iface.KernelLink;

namespace Wirestack.Interop.Iface;

/// <summary>
/// A kernel sender using UDP GSO (<c>UDP_SEGMENT</c>, as QUIC servers do) to a Wirestack binding, over IPv4 and IPv6.
/// On a veth with offloads and an AF_PACKET device with <see cref="Nic.PacketRingDeviceOptions.Offloads"/>, each
/// <c>sendto</c> arrives as one super-datagram the Interface takes apart; on a TAP with offloads the kernel cuts them
/// before the TAP (Wirestack does not ask for USO in TUNSETOFFLOAD). Either way every datagram must arrive, intact.
/// </summary>
public class UdpSegmentationOffloadKernelTests
{
    private const ushort OurPort = 6100;
    private const int SegmentSize = 1000;
    private const int DatagramsPerSend = 20; // 20 000-byte buffers
    private const int Sends = 5;
    private const int PerFamily = DatagramsPerSend * Sends;

    // Datagram n (0 to 2 × PerFamily - 1, IPv4 first): its index in 4 big-endian bytes, then a pattern seeded by n.
    private static bool IsDatagram(ReadOnlySpan<byte> data, out int index)
    {
        index = -1;
        if (data.Length != SegmentSize) return false;
        index = BinaryPrimitives.ReadInt32BigEndian(data);
        for (int i = 4; i < data.Length; i++)
            if (data[i] != (byte)((i * 7 + index) % 251)) return false;
        return true;
    }

    [Theory]
    [InlineData(LinkKind.PacketRingOffloads)]
    [InlineData(LinkKind.TapOffloads)]
    public void EveryDatagramOfAKernelSendersUdpGsoBuffersArrives(LinkKind kind)
    {
        string python = Prerequisites.RequireTool("python3", "python3");
        Prerequisites.RequireTool("ping", "iputils-ping");
        // Room for every datagram even if the loop's step falls behind.
        using var link = InterfaceIpv6KernelTests.CreateLink(kind, options => options with { UdpReceiveBufferLength = 1 << 20 });
        var (ns, device, iface) = link;
        Assert.True(iface.TryBindUdp(OurPort, out var handle));
        byte[] buffer = new byte[65536];
        var seen = new bool[2 * PerFamily];
        int good = 0, bad = 0, duplicates = 0;
        var badFamily = new List<string>();
        Instant Step(Instant now)
        {
            while (iface.TryReceiveUdp(handle, buffer, out int length, out var source, out ushort _))
            {
                if (!IsDatagram(buffer.AsSpan(0, length), out int index) || (uint)index >= (uint)seen.Length)
                {
                    bad++;
                    continue;
                }
                // IPv4 datagrams come from the kernel's IPv4 address, IPv6 ones from its IPv6 address.
                bool ipv6 = index >= PerFamily;
                if (ipv6 ? source != (IpAddress)InterfaceIpv6KernelTests.KernelGlobal : source != (IpAddress)KernelAddress)
                    badFamily.Add($"{index} from {source}");
                if (seen[index]) duplicates++;
                seen[index] = true;
                good++;
            }
            return Instant.MaxValue;
        }
        using var loop = new PollLoop(iface, Step);
        try
        {
            // Resolve both addresses first, so no super-datagram waits in the kernel's neighbour queue.
            ns.Exec(TimeSpan.FromSeconds(10), "ping", "-c", "1", "-W", "2", OurAddress.ToString()).EnsureSuccess("ping");
            ns.Exec(TimeSpan.FromSeconds(10), "ping", "-6", "-c", "1", "-W", "2", InterfaceIpv6KernelTests.OurGlobal.ToString()).EnsureSuccess("ping -6");
            string script =
                "import socket,struct,time\n" +
                "def d(n): return struct.pack('>I',n)+bytes(((i*7+n)%251) for i in range(4," + SegmentSize + "))\n" +
                "n=0\n" +
                $"for fam,dst in ((socket.AF_INET,'{OurAddress}'),(socket.AF_INET6,'{InterfaceIpv6KernelTests.OurGlobal}')):\n" +
                " s=socket.socket(fam,socket.SOCK_DGRAM)\n" +
                $" s.setsockopt(17,103,{SegmentSize})\n" + // SOL_UDP, UDP_SEGMENT
                $" for k in range({Sends}):\n" +
                $"  b=b''.join(d(n+j) for j in range({DatagramsPerSend}));n+={DatagramsPerSend}\n" +
                $"  assert s.sendto(b,(dst,{OurPort}))==len(b)\n" +
                "  time.sleep(0.02)\n" +
                "print('sent',n)";
            var result = ns.Exec(TimeSpan.FromSeconds(30), python, "-c", script);
            var clock = Stopwatch.StartNew();
            while (clock.Elapsed < TimeSpan.FromSeconds(3) && !loop.Failed && Volatile.Read(ref good) < seen.Length) Thread.Sleep(20);
            loop.Stop();
            int missing = 0;
            foreach (bool s in seen) if (!s) missing++;
            TestContext.Current.TestOutputHelper?.WriteLine($"{result.StandardOutput}{result.StandardError}\ngood {good}, bad {bad}, duplicates {duplicates}, missing {missing}\n{iface.Counters}\n{device.Counters}");
            Assert.False(loop.Failed, loop.Failure?.ToString());
            Assert.Equal(0, result.ExitCode);
            Assert.Equal(0, bad);
            Assert.Empty(badFamily);
            Assert.Equal(0, duplicates);
            Assert.Equal(0, missing);
            Assert.Equal(2 * PerFamily, iface.Counters.UdpDatagramsReceived);
            if (device is not TapDevice { ReceivesUdpSuperDatagrams: false })
            {
                // The link carried super-datagrams: far fewer frames than datagrams (10 of them, and a few for ping, ARP,
                // NDP). A TAP asks for them (USO) where the kernel knows them (6.2 and later).
                Assert.True(iface.Counters.ReceivedFrames < PerFamily, $"{iface.Counters.ReceivedFrames} frames for {2 * PerFamily} datagrams");
            }
            else
            {
                // A TAP on an older kernel: the kernel cut every datagram before it, a frame each.
                Assert.True(iface.Counters.ReceivedFrames >= 2 * PerFamily, $"{iface.Counters.ReceivedFrames} frames for {2 * PerFamily} datagrams");
            }
            Assert.Equal(0, iface.Counters.Dropped(InterfaceDropReason.UdpBadSegmentation));
            Assert.Equal(0, iface.Counters.Dropped(InterfaceDropReason.UdpQueueFull));
        }
        finally
        {
            loop.Stop();
        }
    }
}
