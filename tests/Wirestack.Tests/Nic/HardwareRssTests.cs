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
    public void AQueuePassesItsDevicesOffloadsThroughAndPassedOnFramesCarryNone()
    {
        var (wire0, device0) = PipeDevice.CreatePair(new PipeDeviceOptions { TrustTransportChecksums = true });
        var (wire1, device1) = PipeDevice.CreatePair(new PipeDeviceOptions { TrustTransportChecksums = true });
        var recording = new OffloadRecorder(device0);
        using var rss = new HardwareRss([recording, device1], FlowSteering.ForKernelQueues(2));
        Send(wire0, TcpSegment(TcpFlags.Ack, 1, 1, [7]));
        Send(wire0, ArpRequest());
        wire0.Flush();

        var queue0 = rss.Queues[0];
        Assert.Equal(2, queue0.Receive());
        queue0.GetReceived(0, out var offload);
        Assert.True(offload.TransportChecksumTrusted); // the device's own frame, as the device said
        queue0.ReleaseReceived(2);
        var queue1 = rss.Queues[1];
        Assert.Equal(1, queue1.Receive());
        queue1.GetReceived(0, out offload);
        Assert.Equal(FrameOffload.None, offload); // the ARP request queue 0 passed on
        queue1.ReleaseReceived(1);

        // A segment to cut reaches the device with its segment size.
        Assert.True(queue0.TryGetTransmitSlot(out var slot));
        slot[0] = 1;
        queue0.CommitTransmit(1, new FrameOffload { SegmentSize = 1448 });
        Assert.Equal(1448, recording.LastSegmentSize);
        GC.KeepAlive(wire1);
    }

    // Records the segment size of the last commit instead of sending.
    private sealed class OffloadRecorder(INetworkDevice inner) : DeviceWrapper(inner)
    {
        private readonly byte[] _slot = new byte[2048];

        public int LastSegmentSize { get; private set; } = -1;

        public override bool TryGetTransmitSlot(out Span<byte> slot)
        {
            slot = _slot;
            return true;
        }

        public override void CommitTransmit(int length, in FrameOffload offload) => LastSegmentSize = offload.SegmentSize;
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
