using Wirestack.Nic;
using Wirestack.Nic.Linux;
using Wirestack.Testing;

namespace Wirestack.Interop.Nic;

/// <summary>
/// Wirestack's flow steering eBPF program, loaded into the running kernel and run on frames with BPF_PROG_TEST_RUN
/// (which hands the program a received skb, as AF_PACKET fanout does): it returns <see cref="FlowSteering.Fold"/>
/// for every TCP and UDP flow over IPv4 and IPv6, and 0 for every frame it must not hash.
/// </summary>
public class FlowSteeringProgramTests
{
    private static ITestOutputHelper? Output => TestContext.Current.TestOutputHelper;

    [Fact]
    public void TheKernelComputesTheSameHashAsFlowSteeringForThousandsOfFlows()
    {
        Prerequisites.RequireRoot();
        using var program = FlowSteeringProgram.Load();
        var random = new Random(20240611);
        var steering = new[] { FlowSteering.ForKernelQueues(2), FlowSteering.ForKernelQueues(3), FlowSteering.ForKernelQueues(64) };
        var histogram = new int[2];
        for (int i = 0; i < 4000; i++)
        {
            bool ipv6 = i % 2 == 1;
            byte protocol = i % 4 < 2 ? (byte)6 : (byte)17;
            var source = new byte[ipv6 ? 16 : 4];
            var destination = new byte[source.Length];
            random.NextBytes(source);
            random.NextBytes(destination);
            ushort sourcePort = (ushort)random.Next(65536), destinationPort = (ushort)random.Next(65536);
            int options = ipv6 ? 0 : 4 * random.Next(0, 3); // IPv4 options move the ports
            byte[] frame = ipv6
                ? SteeringFrames.Ipv6(source, destination, protocol, sourcePort, destinationPort)
                : SteeringFrames.Ipv4(source, destination, protocol, sourcePort, destinationPort, options);
            uint expected = FlowSteering.Fold([.. source, .. destination], sourcePort, destinationPort);
            Assert.Equal(expected, Run(program, frame));
            // The reply direction hashes alike.
            byte[] reply = ipv6
                ? SteeringFrames.Ipv6(destination, source, protocol, destinationPort, sourcePort)
                : SteeringFrames.Ipv4(destination, source, protocol, destinationPort, sourcePort, options);
            Assert.Equal(expected, Run(program, reply));
            foreach (var s in steering) Assert.Equal((int)(expected % (uint)s.ShardCount), s.Classify(frame));
            histogram[expected % 2]++;
        }
        Output?.WriteLine($"4000 random flows over 2 queues: {histogram[0]} / {histogram[1]}");
    }

    [Fact]
    public void WhatHasNoFlowGoesToQueueZero()
    {
        Prerequisites.RequireRoot();
        using var program = FlowSteeringProgram.Load();
        byte[] a = [10, 0, 0, 1], b = [10, 0, 0, 2];
        byte[] a6 = [.. Enumerable.Repeat((byte)0xfd, 15), 1], b6 = [.. Enumerable.Repeat((byte)0xfd, 15), 2];
        // A flow whose hash is odd, so 0 really means "not hashed".
        ushort port = 1;
        while (FlowSteering.Fold([.. a, .. b], port, 80) == 0 || FlowSteering.Fold([.. a6, .. b6], port, 80) == 0) port++;
        var tcp = SteeringFrames.Ipv4(a, b, 6, port, 80, 0);
        Assert.NotEqual(0u, Run(program, tcp));

        var cases = new Dictionary<string, byte[]>
        {
            ["ARP"] = SteeringFrames.Arp(),
            ["ICMP echo"] = SteeringFrames.Ipv4(a, b, 1, 0x0800, 0, 0),
            ["GRE"] = SteeringFrames.Ipv4(a, b, 47, port, 80, 0),
            ["first fragment"] = SteeringFrames.WithFragment(SteeringFrames.Ipv4(a, b, 6, port, 80, 0), 0x2000),
            ["later fragment"] = SteeringFrames.WithFragment(SteeringFrames.Ipv4(a, b, 6, port, 80, 0), 0x00B9),
            ["IPv6 hop-by-hop"] = SteeringFrames.Ipv6(a6, b6, 0, port, 80),
            ["IPv6 fragment header"] = SteeringFrames.Ipv6(a6, b6, 44, port, 80),
            ["ICMPv6"] = SteeringFrames.Ipv6(a6, b6, 58, port, 80),
            ["VLAN-tagged TCP"] = SteeringFrames.Tagged(tcp),
            ["truncated TCP"] = tcp[..(14 + 20 + 2)],
            ["IPv4 header length 16"] = SteeringFrames.WithFirstByte(tcp, 0x44),
            ["version 6 in an IPv4 ethertype"] = SteeringFrames.WithFirstByte(tcp, 0x65),
        };
        var steering = FlowSteering.ForKernelQueues(2);
        foreach (var (name, frame) in cases)
        {
            Assert.True(0u == Run(program, frame), $"{name}: the program should return 0");
            int shard = steering.Classify(frame);
            Assert.True(shard is 0 or FlowSteering.AllShards, $"{name}: FlowSteering classified it to shard {shard}");
        }
    }

    private static uint Run(FlowSteeringProgram program, byte[] frame)
    {
        if (BpfNative.TestRun(program.Fd, frame, out uint result) != 0)
            throw new IOException($"BPF_PROG_TEST_RUN failed: {LinuxNative.Describe(LinuxNative.LastError)}");
        return result;
    }
}
