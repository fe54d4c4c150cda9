using System.Buffers.Binary;
using Wirestack.Nic;
using Wirestack.Wire;
using static Wirestack.Tests.Nic.TestFrames;

namespace Wirestack.Tests.Nic;

public class HardwareRssTests
{
    [Fact]
    public void ArpOnOneQueueReachesEveryQueueAndFlowsStayOnTheirs()
    {
        var (wire0, queue0) = PipeDevice.CreatePair();
        var (wire1, queue1) = PipeDevice.CreatePair();
        var steering = new FlowSteering(2);
        using var rss = new HardwareRss([queue0, queue1], steering);
        var reply = ArpRequest();
        BinaryPrimitives.WriteUInt16BigEndian(reply.AsSpan(14 + 6), 2);
        Send(wire0, reply);
        Send(wire0, TcpSegment(TcpFlags.Ack, 1, 1, [7]));
        wire0.Flush();

        // Queue 0 gets both; the ARP reply is passed on to queue 1, the TCP segment is not.
        var on0 = ReceiveAll(rss.Queues[0]);
        Assert.Equal(2, on0.Count);
        var on1 = ReceiveAll(rss.Queues[1]);
        Assert.Equal([reply], on1);

        // Its own device's frames and passed-on ones interleave in separate batches, none lost.
        Send(wire1, TcpSegment(TcpFlags.Ack, 2, 1, [8]));
        wire1.Flush();
        Send(wire0, reply);
        wire0.Flush();
        Assert.Single(ReceiveAll(rss.Queues[0]));
        Assert.Equal(2, ReceiveAll(rss.Queues[1]).Count);
        Assert.Equal(0, rss.Queues[1].SharedDropped);
        Send(rss.Queues[1], [1, 2, 3]);
        rss.Queues[1].Flush();
        Assert.Equal([new byte[] { 1, 2, 3 }], ReceiveAll(wire1));
    }

    [Fact]
    public void IsForAllShardsPicksArpNeighbourDiscoveryAndIcmpErrorsOnly()
    {
        var steering = new FlowSteering(2);
        Assert.True(steering.IsForAllShards(ArpRequest()));
        Assert.False(steering.IsForAllShards(TcpSegment(TcpFlags.Syn, 1, 0, [])));
        Assert.False(steering.IsForAllShards(UdpDatagram([1])));
        Assert.False(steering.IsForAllShards(new byte[5]));
    }
}
