using Wirestack.Nic;
using Wirestack.Sockets;
using Wirestack.Testing;
using Wirestack.Wire;

namespace Wirestack.Tests.Nic;

/// <summary>
/// <see cref="FlowSteering.ForKernelQueues"/>: the symmetric fold Wirestack's kernel steering program computes, the
/// shard as the hash modulo the count, how evenly it spreads flows, and what it leaves to shard 0.
/// </summary>
public class FlowSteeringKernelQueueTests
{
    private static readonly IpAddress Client = IpAddress.Parse("10.0.0.1");
    private static readonly IpAddress Server = IpAddress.Parse("10.0.0.2");

    [Fact]
    public void TheFoldMatchesItsDefinition()
    {
        // (0x0A000001 ^ 0x0A000002 ^ (40000 ^ 80)) * 0x9E3779B1 mod 2^32, upper 16 bits; worked out by hand.
        var steering = FlowSteering.ForKernelQueues(2);
        Assert.Equal(35909u, steering.Hash(Client, 40000, Server, 80));
        Assert.Equal(38261u, steering.Hash(IpAddress.Parse("fd00::1"), 51000, IpAddress.Parse("fd00::2:3"), 443));
        Assert.Equal(35909 % 2, steering.ShardOf(Client, 40000, Server, 80));
        Assert.Equal(35909 % 7, FlowSteering.ForKernelQueues(7).ShardOf(Client, 40000, Server, 80));
        Assert.Equal(FlowHashFunction.SymmetricFold, steering.HashFunction);
        Assert.True(steering.Symmetric);
        Assert.Equal(FlowHashFunction.Toeplitz, new FlowSteering(2).HashFunction);
    }

    [Fact]
    public void BothDirectionsOfEveryFlowHashAlikeAndTheHashFitsSixteenBits()
    {
        var random = new Random(7);
        var steering = FlowSteering.ForKernelQueues(5);
        for (int i = 0; i < 20000; i++)
        {
            var (a, b) = RandomPair(random, ipv6: i % 2 == 1);
            ushort p = (ushort)random.Next(65536), q = (ushort)random.Next(65536);
            uint hash = steering.Hash(a, p, b, q);
            Assert.Equal(hash, steering.Hash(b, q, a, p));
            Assert.True(hash <= ushort.MaxValue);
            Assert.Equal(steering.ShardOf(a, p, b, q), steering.ShardOf(b, q, a, p));
        }
    }

    [Theory]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    [InlineData(8)]
    public void FlowsSpreadEvenlyOverTheShards(int shards)
    {
        var steering = FlowSteering.ForKernelQueues(shards);
        // The common case: one client, one server port, the client's ephemeral ports in a row.
        var sequential = new int[shards];
        for (int port = 32768; port < 32768 + 16384; port++) sequential[steering.ShardOf(Client, (ushort)port, Server, 443)]++;
        // And many clients at random ports, over both families.
        var random = new Random(11);
        var mixed = new int[shards];
        for (int i = 0; i < 16384; i++)
        {
            var (a, b) = RandomPair(random, ipv6: i % 3 == 0);
            mixed[steering.ShardOf(a, (ushort)random.Next(65536), b, 80)]++;
        }
        double expected = 16384.0 / shards;
        foreach (var counts in new[] { sequential, mixed })
            foreach (int count in counts)
                Assert.True(Math.Abs(count - expected) < expected * 0.1, $"{string.Join(" / ", counts)} over {shards} shards");
    }

    [Fact]
    public void ClassifyAgreesWithShardOfForTcpAndUdpOverBothFamiliesAndIpv4Options()
    {
        var random = new Random(3);
        var steering = FlowSteering.ForKernelQueues(3);
        for (int i = 0; i < 2000; i++)
        {
            bool ipv6 = i % 2 == 0;
            var (a, b) = RandomPair(random, ipv6);
            ushort p = (ushort)random.Next(65536), q = (ushort)random.Next(65536);
            byte protocol = i % 4 < 2 ? (byte)6 : (byte)17;
            byte[] frame = ipv6
                ? SteeringFrames.Ipv6(Bytes(a), Bytes(b), protocol, p, q)
                : SteeringFrames.Ipv4(Bytes(a), Bytes(b), protocol, p, q, 4 * (i % 3));
            Assert.Equal(steering.ShardOf(a, p, b, q), steering.Classify(frame));
        }
    }

    [Fact]
    public void WhatTheKernelProgramDoesNotHashGoesToTheControlShardAndWhatEveryShardNeedsToAll()
    {
        var steering = FlowSteering.ForKernelQueues(4);
        byte[] a = [10, 0, 0, 1], b = [10, 0, 0, 2];
        byte[] a6 = [0xfd, .. new byte[14], 1], b6 = [0xfd, .. new byte[14], 2];
        // A flow that lands on shard 3 when hashed, so "0" really means it was not.
        ushort port = 1;
        while (FlowSteering.Fold([.. a, .. b], port, 80) % 4 != 3 || FlowSteering.Fold([.. a6, .. b6], port, 80) % 4 != 3) port++;
        var tcp = SteeringFrames.Ipv4(a, b, 6, port, 80, 0);
        Assert.Equal(3, steering.Classify(tcp));
        Assert.Equal(3, steering.Classify(SteeringFrames.Ipv6(a6, b6, 17, port, 80)));

        var unreachable = SteeringFrames.Ipv4(a, b, 1, 0x0303, 0, 0); // ICMP type 3 code 3
        Assert.Equal(FlowSteering.AllShards, steering.Classify(SteeringFrames.Arp()));
        Assert.Equal(FlowSteering.AllShards, steering.Classify(unreachable));
        Assert.True(steering.IsForAllShards(unreachable));
        var toShardZero = new Dictionary<string, byte[]>
        {
            ["ICMP echo"] = SteeringFrames.Ipv4(a, b, 1, 0x0800, 0, 0),
            ["GRE"] = SteeringFrames.Ipv4(a, b, 47, port, 80, 0),
            ["first fragment"] = SteeringFrames.WithFragment(tcp, 0x2000),
            ["later fragment"] = SteeringFrames.WithFragment(tcp, 0x00B9),
            ["IPv6 hop-by-hop"] = SteeringFrames.Ipv6(a6, b6, 0, port, 80),
            ["IPv6 fragment header"] = SteeringFrames.Ipv6(a6, b6, 44, port, 80),
            ["ICMPv6 echo"] = SteeringFrames.Ipv6(a6, b6, 58, 0x8000, 0),
            ["VLAN-tagged TCP"] = SteeringFrames.Tagged(tcp),
            ["truncated TCP"] = tcp[..(14 + 20 + 2)],
            ["IPv4 header length 16"] = SteeringFrames.WithFirstByte(tcp, 0x44),
            ["runt"] = new byte[10],
        };
        foreach (var (name, frame) in toShardZero) Assert.True(steering.Classify(frame) == steering.ControlShard, name);
        // The NIC's Toeplitz steering looks past a VLAN tag; the kernel program does not.
        Assert.NotEqual(FlowSteering.AllShards, new FlowSteering(4).Classify(SteeringFrames.Tagged(tcp)));
    }

    [Fact]
    public void ArgumentsAreChecked()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => FlowSteering.ForKernelQueues(0));
        Assert.Throws<ArgumentOutOfRangeException>(() => FlowSteering.ForKernelQueues(65));
        var steering = FlowSteering.ForKernelQueues(64);
        var e = Assert.Throws<InvalidOperationException>(() => steering.SetIndirectionTable(new byte[FlowSteering.IndirectionTableSize]));
        Assert.Contains("modulo", e.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => steering.Hash(Client, 1, IpAddress.Parse("fd00::1"), 2));
    }

    [Theory]
    [InlineData(2)]
    [InlineData(3)]
    public void EachShardFindsLocalPortsWhoseRepliesComeBackToIt(int shards)
    {
        var steering = FlowSteering.ForKernelQueues(shards);
        var remote = new IpEndpoint(Server, 443);
        for (int shard = 0; shard < shards; shard++)
        {
            var selector = new ShardPortSelector(steering, shard);
            for (int i = 0; i < 100; i++)
            {
                Assert.True(selector.TryNext(Client, remote, out ushort port));
                Assert.Equal(shard, steering.ShardOf(Server, 443, Client, port));
                Assert.True(port >= 49152);
            }
        }
    }

    [Fact]
    public void OpeningKernelQueuesChecksTheCountFirst()
    {
        foreach (int queues in new[] { 0, -3, 65 })
        {
            var e = Assert.Throws<WirestackException>(() => ShardedNetwork.OpenTap(null, queues, _ => { }));
            Assert.Equal(WirestackErrorCode.InvalidArgument, e.ErrorCode);
            Assert.Contains($"1 to 64 queues (one shard each), not {queues}", e.Message, StringComparison.Ordinal);
            e = Assert.Throws<WirestackException>(() => ShardedNetwork.OpenPacketRing("eth0", null, queues, _ => { }));
            Assert.Equal(WirestackErrorCode.InvalidArgument, e.ErrorCode);
        }
        Assert.Throws<ArgumentNullException>(() => ShardedNetwork.OpenTap(null, 2, null!));
        Assert.Throws<ArgumentNullException>(() => ShardedNetwork.OpenPacketRing("eth0", null, 2, null!));
        Assert.ThrowsAny<ArgumentException>(() => ShardedNetwork.OpenPacketRing(" ", null, 2, _ => { }));
        Assert.Throws<ArgumentOutOfRangeException>(() => ShardedNetwork.OpenPacketRing("eth0", new PacketRingDeviceOptions { RingSize = 3 }, 2, _ => { }));
        Assert.Throws<ArgumentOutOfRangeException>(() => ShardedNetwork.OpenTap(new TapDeviceOptions { Mtu = 10 }, 2, _ => { }));
    }

    private static (IpAddress, IpAddress) RandomPair(Random random, bool ipv6)
    {
        var a = new byte[ipv6 ? 16 : 4];
        var b = new byte[a.Length];
        random.NextBytes(a);
        random.NextBytes(b);
        return ipv6
            ? (new IpAddress(Ipv6Address.Read(a)), new IpAddress(Ipv6Address.Read(b)))
            : (new IpAddress(Ipv4Address.Read(a)), new IpAddress(Ipv4Address.Read(b)));
    }

    private static byte[] Bytes(IpAddress address)
    {
        var bytes = new byte[address.IsIpv4 ? 4 : 16];
        if (address.IsIpv4) address.AsIpv4.WriteTo(bytes);
        else address.AsIpv6.WriteTo(bytes);
        return bytes;
    }
}
