using System.Buffers.Binary;
using Wirestack.Nic;
using Wirestack.Testing;
using Wirestack.Wire;
using static Wirestack.Tests.Nic.TestFrames;

namespace Wirestack.Tests.Nic;

public class SoftwareRssTests
{
    [Fact]
    public void TcpAndUdpFramesGoToTheShardTheirFourTupleHashesTo()
    {
        var steering = new FlowSteering(2);
        var tcp = TcpSegment(TcpFlags.Syn, 1, 0, []);
        var udp = UdpDatagram([1, 2, 3]);
        Assert.Equal(steering.ShardOf(new IpAddress(AddressA), 40000, new IpAddress(AddressB), 80), steering.Classify(tcp));
        Assert.Equal(steering.ShardOf(new IpAddress(AddressA), 5000, new IpAddress(AddressB), 53), steering.Classify(udp));
        // Over many source ports both shards get flows, in about equal numbers.
        int[] perShard = new int[2];
        for (ushort port = 10000; port < 12000; port++)
        {
            BinaryPrimitives.WriteUInt16BigEndian(tcp.AsSpan(14 + 20), port);
            int shard = steering.Classify(tcp);
            Assert.Equal(steering.ShardOf(new IpAddress(AddressA), port, new IpAddress(AddressB), 80), shard);
            perShard[shard]++;
        }
        Assert.InRange(perShard[0], 800, 1200);
    }

    [Fact]
    public void ArpGoesToEveryShardAndWhatHasNoFlowToTheControlShard()
    {
        var steering = new FlowSteering(4);
        var arp = ArpRequest();
        Assert.Equal(FlowSteering.AllShards, steering.Classify(arp));
        BinaryPrimitives.WriteUInt16BigEndian(arp.AsSpan(14 + 6), 2);
        Assert.Equal(FlowSteering.AllShards, steering.Classify(arp));
        // Too short to parse: the control shard's stack drops and counts it.
        Assert.Equal(steering.ControlShard, steering.Classify(arp.AsSpan(0, 10)));
        // A fragment has no ports to hash.
        var udp = UdpDatagram([1, 2, 3]);
        udp[14 + 6] |= 0x20; // more fragments
        Assert.Equal(steering.ControlShard, steering.Classify(udp));
    }

    [Fact]
    public void SymmetricSteeringPutsBothDirectionsOnOneShard()
    {
        var symmetric = new FlowSteering(8, symmetric: true);
        var plain = new FlowSteering(8);
        var a = IpAddress.Parse("10.1.2.3");
        var b = IpAddress.Parse("192.168.7.9");
        int differ = 0;
        for (ushort port = 1000; port < 1200; port++)
        {
            Assert.Equal(symmetric.Hash(a, port, b, 443), symmetric.Hash(b, 443, a, port));
            if (plain.ShardOf(a, port, b, 443) != plain.ShardOf(b, 443, a, port)) differ++;
        }
        Assert.True(differ > 0, "the plain Toeplitz hash is not symmetric, so some flows' directions differ");
    }

    [Fact]
    public void QueuesReceiveTheirShareAndTransmitThroughTheSharedDevice()
    {
        var (far, near) = PipeDevice.CreatePair();
        var steering = new FlowSteering(2);
        using var rss = new SoftwareRss(near, steering, ringSize: 64);
        var tcp = TcpSegment(TcpFlags.Ack, 1, 1, [9]);
        int[] expected = new int[2];
        for (ushort port = 20000; port < 20040; port++)
        {
            BinaryPrimitives.WriteUInt16BigEndian(tcp.AsSpan(14 + 20), port);
            expected[steering.Classify(tcp)]++;
            Send(far, tcp);
        }
        var reply = ArpRequest();
        BinaryPrimitives.WriteUInt16BigEndian(reply.AsSpan(14 + 6), 2);
        Send(far, reply);
        far.Flush();

        var q0 = ReceiveAll(rss.Queues[0]);
        var q1 = ReceiveAll(rss.Queues[1]);
        Assert.Equal(expected[0] + 1, q0.Count);
        Assert.Equal(expected[1] + 1, q1.Count);
        foreach (var frame in q0.Where(f => f.Length > 42)) Assert.Equal(0, steering.Classify(frame));
        foreach (var frame in q1.Where(f => f.Length > 42)) Assert.Equal(1, steering.Classify(frame));
        Assert.Equal(1, rss.Broadcast);

        Send(rss.Queues[0], [1, 1, 1]);
        Send(rss.Queues[1], [2, 2]);
        Assert.Equal(1, rss.Queues[1].Flush());
        Assert.Equal(1, rss.Queues[0].Flush());
        var sent = ReceiveAll(far);
        Assert.Equal([new byte[] { 2, 2 }, new byte[] { 1, 1, 1 }], sent);
    }

    [Fact]
    public void AFullQueueDropsAndCountsWithoutStoppingTheOthers()
    {
        var (far, near) = PipeDevice.CreatePair();
        var steering = new FlowSteering(2);
        using var rss = new SoftwareRss(near, steering, ringSize: 64);
        var tcp = TcpSegment(TcpFlags.Ack, 1, 1, [9]);
        // 100 frames of one flow: queue `shard` holds 64, the rest are dropped and counted.
        int shard = steering.Classify(tcp);
        for (int i = 0; i < 100; i++) Send(far, tcp);
        far.Flush();
        rss.Queues[1 - shard].Receive();
        Assert.Equal(64, ReceiveAll(rss.Queues[shard]).Count);
        Assert.Equal(36, rss.Dropped(shard));
        Assert.Equal(0, rss.Dropped(1 - shard));
    }

    [Fact]
    public async Task AWatchingQueueWakesTheQueueAFrameIsFor()
    {
        var (far, near) = PipeDevice.CreatePair();
        var steering = new FlowSteering(2);
        using var rss = new SoftwareRss(near, steering);
        var tcp = TcpSegment(TcpFlags.Ack, 1, 1, [9]);
        int shard = steering.Classify(tcp);
        var target = rss.Queues[shard];
        var other = rss.Queues[1 - shard];
        // The other queue's thread watches the device; the target sleeps on its ring.
        var token = TestContext.Current.CancellationToken;
        var watcher = Task.Run(() =>
        {
            while (true)
            {
                if (other.WaitForReceive(TimeSpan.FromMilliseconds(200))) other.Receive();
                if (target.Counters.ReceivedFrames > 0) return;
            }
        }, token);
        var sleeper = Task.Run(() =>
        {
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
            while (DateTime.UtcNow < deadline)
                if (target.WaitForReceive(TimeSpan.FromSeconds(5)) && target.Receive() > 0) return true;
            return false;
        }, token);
        Thread.Sleep(50);
        Send(far, tcp);
        far.Flush();
        Assert.True(await sleeper.WaitAsync(TimeSpan.FromSeconds(15), token));
        await watcher.WaitAsync(TimeSpan.FromSeconds(5), token);
    }

    [Fact]
    public void SteeringAndTheQueuesAllocateNothingPerFrame()
    {
        var (far, near) = PipeDevice.CreatePair();
        var (wire0, queue0) = PipeDevice.CreatePair();
        var (wire1, queue1) = PipeDevice.CreatePair();
        using var rss = new SoftwareRss(near, new FlowSteering(2), ringSize: 256);
        using var hardware = new HardwareRss([queue0, queue1], new FlowSteering(2));
        var tcp = TcpSegment(TcpFlags.Ack, 1, 1, new byte[1000]);
        var arp = ArpRequest();
        var v6 = new byte[14 + 40 + 20];
        v6[12] = 0x86;
        v6[13] = 0xDD;
        v6[14] = 0x60;
        v6[14 + 6] = 6;
        void Round()
        {
            for (ushort port = 1; port <= 16; port++)
            {
                BinaryPrimitives.WriteUInt16BigEndian(tcp.AsSpan(14 + 20), port);
                Send(far, tcp);
                Send(far, v6);
            }
            Send(far, arp);
            far.Flush();
            for (int q = 0; q < 2; q++)
            {
                var queue = rss.Queues[q];
                int n = queue.Receive();
                queue.ReleaseReceived(n);
                Send(queue, tcp);
                queue.Flush();
            }
            int back = far.Receive();
            far.ReleaseReceived(back);
            Send(wire0, arp);
            Send(wire0, tcp);
            wire0.Flush();
            for (int q = 0; q < 2; q++)
            {
                var queue = hardware.Queues[q];
                int n = queue.Receive();
                queue.ReleaseReceived(n);
            }
        }
        for (int i = 0; i < 100; i++) Round();
        Assert.Equal(0, AllocationMeter.Measure(Round));
        Assert.Equal(0, rss.Dropped(0) + rss.Dropped(1));
    }
}
