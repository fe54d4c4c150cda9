using Wirestack.Iface;
using Wirestack.Tcp;
using Wirestack.Wire;

namespace Wirestack.Tests.Tcp;

// The receive path verifies a segment's checksum in the pass that copies its payload into the receive ring; a bad
// one must change nothing, even though its bytes were already copied into the ring's free space.
public sealed class TcpReceiveChecksumTests
{
    private static byte[] Pattern(int length, int seed)
    {
        var data = new byte[length];
        for (int i = 0; i < data.Length; i++) data[i] = (byte)(i * 7 + seed);
        return data;
    }

    [Fact]
    public void CorruptedInWindowDataChangesNothing()
    {
        using var peer = new RawTcpPeer(o => o with { DelayedAck = false });
        var (connection, peerNext, bNext) = peer.Establish();
        Assert.Equal(100, peer.B.WriteTcp(connection, Pattern(100, 1), peer.Now));
        Assert.Equal(100, Assert.Single(peer.Receive()).Payload.Length);
        var before = peer.B.GetTcpInfo(connection);
        Assert.Equal(100, before.BytesInFlight);
        long segmentsBefore = peer.B.TcpCounters.SegmentsReceived;

        // Payload bit flipped, header intact: it acknowledges B's 100 bytes and shrinks the window, and must do neither.
        var data = Pattern(500, 3);
        var segment = new TcpRepr { SequenceNumber = peerNext, AcknowledgmentNumber = bNext + 100, Flags = TcpFlags.Ack | TcpFlags.Psh };
        peer.Send(segment, data, window: 1000, corruptPayloadByte: 333);
        Assert.Empty(peer.Receive());
        var after = peer.B.GetTcpInfo(connection);
        Assert.Equal(TcpState.Established, after.State);
        Assert.Equal(0, after.ReadableBytes);
        Assert.Equal(100, after.BytesInFlight);
        Assert.Equal(before.SendWindow, after.SendWindow);
        Assert.Equal(1, peer.B.Counters.Dropped(InterfaceDropReason.TcpBadChecksum));
        Assert.Equal(segmentsBefore, peer.B.TcpCounters.SegmentsReceived);

        // The same segment intact: RCV.NXT was still at its start, and the bytes read are the good ones.
        peer.Send(segment, data, window: 1000);
        var ack = Assert.Single(peer.Receive()).Segment;
        Assert.Equal(peerNext + 500, ack.AcknowledgmentNumber);
        var read = new byte[1000];
        Assert.Equal(500, peer.B.ReadTcp(connection, read, peer.Now));
        Assert.Equal(data, read[..500]);
        var last = peer.B.GetTcpInfo(connection);
        Assert.Equal(0, last.BytesInFlight);
        Assert.Equal(1000, last.SendWindow);
    }

    [Fact]
    public void CorruptedOutOfOrderDataIsNotSackedOrHeld()
    {
        using var peer = new RawTcpPeer(o => o with { DelayedAck = false });
        var (connection, peerNext, bNext) = peer.Establish(sack: true);
        var stream = Pattern(3500, 5);
        void Send(int from, int length, int corrupt = -1) =>
            peer.Send(new TcpRepr { SequenceNumber = peerNext + from, AcknowledgmentNumber = bNext, Flags = TcpFlags.Ack }, stream.AsSpan(from, length), corruptPayloadByte: corrupt);

        Send(1000, 500);
        Assert.Equal([new TcpSackBlock(peerNext + 1000, peerNext + 1500)], Assert.Single(peer.Receive()).Segment.SackBlocks.AsSpan().ToArray());
        Send(2000, 500, corrupt: 17);
        Assert.Empty(peer.Receive());
        Send(3000, 500);
        var blocks = Assert.Single(peer.Receive()).Segment.SackBlocks.AsSpan().ToArray();
        Assert.Equal([new TcpSackBlock(peerNext + 3000, peerNext + 3500), new TcpSackBlock(peerNext + 1000, peerNext + 1500)], blocks);

        // Filling the first gap makes only the held range readable: the corrupted one left no trace.
        Send(0, 1000);
        var ack = Assert.Single(peer.Receive()).Segment;
        Assert.Equal(peerNext + 1500, ack.AcknowledgmentNumber);
        Assert.Equal([new TcpSackBlock(peerNext + 3000, peerNext + 3500)], ack.SackBlocks.AsSpan().ToArray());
        Assert.Equal(1500, peer.B.GetTcpInfo(connection).ReadableBytes);
        Assert.Equal(1, peer.B.Counters.Dropped(InterfaceDropReason.TcpBadChecksum));
    }

    [Fact]
    public void CorruptedSegmentOverHeldDataLeavesTheHeldBytesIntact()
    {
        using var peer = new RawTcpPeer(o => o with { DelayedAck = false });
        var (connection, peerNext, bNext) = peer.Establish(sack: true);
        var stream = Pattern(1400, 9);
        var header = new TcpRepr { SequenceNumber = peerNext, AcknowledgmentNumber = bNext, Flags = TcpFlags.Ack };
        peer.Send(header with { SequenceNumber = peerNext + 900 }, stream.AsSpan(900, 500));
        peer.Receive();
        // A corrupted segment from RCV.NXT over the held range, the bad byte inside the held part.
        peer.Send(header, stream, corruptPayloadByte: 1100);
        Assert.Empty(peer.Receive());
        Assert.Equal(1, peer.B.Counters.Dropped(InterfaceDropReason.TcpBadChecksum));
        peer.Send(header, stream.AsSpan(0, 900));
        Assert.Equal(peerNext + 1400, Assert.Single(peer.Receive()).Segment.AcknowledgmentNumber);
        var read = new byte[2000];
        Assert.Equal(1400, peer.B.ReadTcp(connection, read, peer.Now));
        Assert.Equal(stream, read[..1400]);
    }

    [Fact]
    public void CorruptedSegmentPartlyBelowReceiveNextIsDropped()
    {
        using var peer = new RawTcpPeer(o => o with { DelayedAck = false });
        var (connection, peerNext, bNext) = peer.Establish();
        var stream = Pattern(801, 11);
        var header = new TcpRepr { SequenceNumber = peerNext, AcknowledgmentNumber = bNext, Flags = TcpFlags.Ack };
        peer.Send(header, stream.AsSpan(0, 301));
        Assert.Equal(peerNext + 301, Assert.Single(peer.Receive()).Segment.AcknowledgmentNumber);
        // Resent from 0 with 500 new bytes after the old 301 (an odd split): bad in the old part, then in the new.
        peer.Send(header, stream, corruptPayloadByte: 100);
        Assert.Empty(peer.Receive());
        peer.Send(header, stream, corruptPayloadByte: 700);
        Assert.Empty(peer.Receive());
        Assert.Equal(2, peer.B.Counters.Dropped(InterfaceDropReason.TcpBadChecksum));
        Assert.Equal(301, peer.B.GetTcpInfo(connection).ReadableBytes);
        peer.Send(header, stream);
        Assert.Equal(peerNext + 801, Assert.Single(peer.Receive()).Segment.AcknowledgmentNumber);
        var read = new byte[1000];
        Assert.Equal(801, peer.B.ReadTcp(connection, read, peer.Now));
        Assert.Equal(stream, read[..801]);
    }

    [Fact]
    public void CorruptedSegmentToNoConnectionIsCountedAsBadChecksumAndNotReset()
    {
        using var peer = new RawTcpPeer();
        peer.Send(new TcpRepr { SequenceNumber = new TcpSeqNumber(5), AcknowledgmentNumber = new TcpSeqNumber(9), Flags = TcpFlags.Ack }, Pattern(64, 1), corruptPayloadByte: 3);
        Assert.Empty(peer.Receive());
        Assert.Equal(1, peer.B.Counters.Dropped(InterfaceDropReason.TcpBadChecksum));
        Assert.Equal(0, peer.B.Counters.Dropped(InterfaceDropReason.NoSocket));
        Assert.Equal(0, peer.B.TcpCounters.ResetsSent);
    }
}
