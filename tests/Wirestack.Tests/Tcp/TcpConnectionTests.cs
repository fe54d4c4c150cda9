using Wirestack.Iface;
using Wirestack.Tcp;
using Wirestack.Testing;
using Wirestack.Wire;

namespace Wirestack.Tests.Tcp;

/// <summary>The state machine's corners: opens and closes of every kind, resets, RFC 5961 defences, capacity, allocations.</summary>
public sealed class TcpConnectionTests
{
    [Fact]
    public void SynToClosedPortIsAnsweredWithReset()
    {
        using var peer = new RawTcpPeer();
        peer.Send(new TcpRepr { SequenceNumber = new TcpSeqNumber(5000), Flags = TcpFlags.Syn }, destinationPort: 81);
        var reset = Assert.Single(peer.Receive()).Segment;
        Assert.Equal(TcpFlags.Rst | TcpFlags.Ack, reset.Flags);
        Assert.Equal(5001u, reset.AcknowledgmentNumber.Value);
        Assert.Equal(1, peer.B.TcpCounters.ResetsSent);
        Assert.Equal(1, peer.B.Counters.Dropped(InterfaceDropReason.NoSocket));
    }

    [Fact]
    public void ConnectToClosedPortIsRefused()
    {
        using var sim = new TcpSimulation(1);
        Assert.True(sim.A.TryConnectTcp(new IpEndpoint(TcpSimulation.AddressB, 81), 0, sim.Now, out var client));
        Assert.True(sim.RunUntil(() => sim.A.GetTcpState(client) == TcpState.Closed, TimeSpan.FromSeconds(5)));
        Assert.Equal(TcpError.ConnectionRefused, sim.A.GetTcpInfo(client).Error);
        sim.A.CloseTcp(client, sim.Now);
        Assert.Equal(0, sim.A.TcpConnectionCount);
    }

    [Fact]
    public void SimultaneousOpenEstablishesBothEnds()
    {
        using var sim = new TcpSimulation(1);
        Assert.True(sim.A.TryConnectTcp(new IpEndpoint(TcpSimulation.AddressB, 6000), 5000, sim.Now, out var a));
        Assert.True(sim.B.TryConnectTcp(new IpEndpoint(TcpSimulation.AddressA, 5000), 6000, sim.Now, out var b));
        Assert.True(sim.RunUntil(() => sim.A.GetTcpState(a) == TcpState.Established && sim.B.GetTcpState(b) == TcpState.Established, TimeSpan.FromSeconds(10)), sim.Describe("simultaneous open"));
        Assert.Equal(1, sim.A.WriteTcp(a, "x"u8, sim.Now));
        var buffer = new byte[4];
        Assert.True(sim.RunUntil(() => sim.B.ReadTcp(b, buffer, sim.Now) == 1, TimeSpan.FromSeconds(5)));
        Assert.Equal((byte)'x', buffer[0]);
    }

    [Fact]
    public void SimultaneousCloseEndsInTimeWaitOnBothSides()
    {
        using var sim = new TcpSimulation(1, tcp: o => o with { MaximumSegmentLifetime = TimeSpan.FromSeconds(1) });
        var (a, b) = sim.Connect();
        sim.A.ShutdownTcpWrite(a, sim.Now);
        sim.B.ShutdownTcpWrite(b, sim.Now);
        Assert.True(sim.RunUntil(() => sim.A.GetTcpState(a) == TcpState.TimeWait && sim.B.GetTcpState(b) == TcpState.TimeWait, TimeSpan.FromSeconds(5)), sim.Describe("simultaneous close"));
        sim.A.CloseTcp(a, sim.Now);
        sim.B.CloseTcp(b, sim.Now);
        Assert.Equal(1, sim.A.TcpConnectionCount);
        Assert.True(sim.RunUntil(() => sim.A.TcpConnectionCount == 0 && sim.B.TcpConnectionCount == 0, TimeSpan.FromSeconds(5)));
    }

    [Fact]
    public void ActiveCloserWaitsTwoMslAndReacknowledgesRetransmittedFin()
    {
        using var peer = new RawTcpPeer(o => o with { MaximumSegmentLifetime = TimeSpan.FromSeconds(10) });
        var (connection, peerNext, bNext) = peer.Establish();
        peer.B.CloseTcp(connection, peer.Now);
        var fin = Assert.Single(peer.Receive()).Segment;
        Assert.Equal(TcpFlags.Fin | TcpFlags.Ack, fin.Flags);
        Assert.Equal(bNext, fin.SequenceNumber);
        // The peer acknowledges the FIN and sends its own: B goes to TIME-WAIT and acknowledges.
        peer.Send(new TcpRepr { SequenceNumber = peerNext, AcknowledgmentNumber = bNext + 1, Flags = TcpFlags.Fin | TcpFlags.Ack });
        var ack = Assert.Single(peer.Receive()).Segment;
        Assert.Equal(peerNext + 1, ack.AcknowledgmentNumber);
        Assert.Equal(1, peer.B.TcpConnectionCount);
        // Our ACK was "lost": the FIN comes again and is acknowledged again.
        peer.Advance(TimeSpan.FromSeconds(1));
        peer.Send(new TcpRepr { SequenceNumber = peerNext, AcknowledgmentNumber = bNext + 1, Flags = TcpFlags.Fin | TcpFlags.Ack });
        Assert.Equal(peerNext + 1, Assert.Single(peer.Receive()).Segment.AcknowledgmentNumber);
        peer.Advance(TimeSpan.FromSeconds(19));
        peer.Receive();
        Assert.Equal(1, peer.B.TcpConnectionCount);
        peer.Advance(TimeSpan.FromSeconds(2));
        peer.Receive();
        Assert.Equal(0, peer.B.TcpConnectionCount);
    }

    [Fact]
    public void ExactResetClosesTheConnection()
    {
        using var peer = new RawTcpPeer();
        var (connection, peerNext, _) = peer.Establish();
        peer.Send(new TcpRepr { SequenceNumber = peerNext, Flags = TcpFlags.Rst });
        Assert.Equal(TcpState.Closed, peer.B.GetTcpState(connection));
        Assert.Equal(TcpError.ConnectionReset, peer.B.GetTcpInfo(connection).Error);
        Assert.Equal(1, peer.B.TcpCounters.ResetsReceived);
        Assert.Throws<InvalidOperationException>(() => peer.B.WriteTcp(connection, "x"u8, peer.Now));
    }

    [Fact]
    public void InWindowResetDrawsChallengeAck()
    {
        using var peer = new RawTcpPeer();
        var (connection, peerNext, bNext) = peer.Establish();
        peer.Send(new TcpRepr { SequenceNumber = peerNext + 100, Flags = TcpFlags.Rst });
        var challenge = Assert.Single(peer.Receive()).Segment;
        Assert.Equal(TcpFlags.Ack, challenge.Flags);
        Assert.Equal(peerNext, challenge.AcknowledgmentNumber);
        Assert.Equal(bNext, challenge.SequenceNumber);
        Assert.Equal(TcpState.Established, peer.B.GetTcpState(connection));
        Assert.Equal(1, peer.B.TcpCounters.ChallengeAcksSent);
    }

    [Fact]
    public void OutOfWindowResetIsIgnored()
    {
        using var peer = new RawTcpPeer();
        var (connection, peerNext, _) = peer.Establish();
        peer.Send(new TcpRepr { SequenceNumber = peerNext + 10_000_000, Flags = TcpFlags.Rst });
        Assert.Empty(peer.Receive());
        Assert.Equal(TcpState.Established, peer.B.GetTcpState(connection));
    }

    [Fact]
    public void SynOnEstablishedConnectionDrawsChallengeAck()
    {
        using var peer = new RawTcpPeer();
        var (connection, peerNext, _) = peer.Establish();
        peer.Send(new TcpRepr { SequenceNumber = peerNext + 5, Flags = TcpFlags.Syn });
        var challenge = Assert.Single(peer.Receive()).Segment;
        Assert.Equal(TcpFlags.Ack, challenge.Flags);
        Assert.Equal(peerNext, challenge.AcknowledgmentNumber);
        Assert.Equal(TcpState.Established, peer.B.GetTcpState(connection));
        Assert.Equal(1, peer.B.TcpCounters.ChallengeAcksSent);
    }

    [Fact]
    public void DataWithUnacceptableAckIsNotDelivered()
    {
        using var peer = new RawTcpPeer();
        var (connection, peerNext, bNext) = peer.Establish();
        // In-window data whose ACK acknowledges bytes B never sent (blind injection, RFC 5961 section 5).
        peer.Send(new TcpRepr { SequenceNumber = peerNext, AcknowledgmentNumber = bNext + 1_000_000, Flags = TcpFlags.Ack }, "evil"u8);
        var challenge = Assert.Single(peer.Receive()).Segment;
        Assert.Equal(peerNext, challenge.AcknowledgmentNumber);
        Assert.Equal(0, peer.B.GetTcpInfo(connection).ReadableBytes);
        // The same data with a good ACK is taken.
        peer.Send(new TcpRepr { SequenceNumber = peerNext, AcknowledgmentNumber = bNext, Flags = TcpFlags.Ack | TcpFlags.Psh }, "good"u8);
        Assert.Equal(4, peer.B.GetTcpInfo(connection).ReadableBytes);
    }

    [Fact]
    public void NagleHoldsASecondShortWriteUntilTheFirstIsAcknowledged()
    {
        using var peer = new RawTcpPeer();
        var (connection, peerNext, bNext) = peer.Establish();
        peer.B.WriteTcp(connection, "first"u8, peer.Now);
        peer.B.WriteTcp(connection, "second"u8, peer.Now);
        // RFC 9293 section 3.7.4: a short segment is in flight, so the second short one waits for its ACK.
        var sent = peer.Receive().FindAll(s => s.Payload.Length > 0);
        Assert.Equal("first"u8.ToArray(), Assert.Single(sent).Payload);
        peer.Send(new TcpRepr { SequenceNumber = peerNext, AcknowledgmentNumber = bNext + 5, Flags = TcpFlags.Ack });
        sent = peer.Receive().FindAll(s => s.Payload.Length > 0);
        Assert.Equal("second"u8.ToArray(), Assert.Single(sent).Payload);
    }

    [Fact]
    public void NoDelaySendsASecondShortWriteAtOnceAndReleasesWhatNagleHeld()
    {
        using var peer = new RawTcpPeer();
        var (connection, _, _) = peer.Establish();
        peer.B.SetTcpNoDelay(connection, true, peer.Now);
        peer.B.WriteTcp(connection, "first"u8, peer.Now);
        peer.B.WriteTcp(connection, "second"u8, peer.Now);
        var sent = peer.Receive().FindAll(s => s.Payload.Length > 0);
        Assert.Equal(2, sent.Count);
        Assert.Equal("second"u8.ToArray(), sent[1].Payload);
        // Back on, Nagle holds the next short write behind the unacknowledged ones; off again, it goes without an ACK.
        peer.B.SetTcpNoDelay(connection, false, peer.Now);
        peer.B.WriteTcp(connection, "third"u8, peer.Now);
        Assert.DoesNotContain(peer.Receive(), s => s.Payload.Length > 0);
        peer.B.SetTcpNoDelay(connection, true, peer.Now);
        Assert.Contains(peer.Receive(), s => s.Payload.AsSpan().SequenceEqual("third"u8));
    }

    [Fact]
    public void AWriteWithMoreWaitsForTheRestAndBothLeaveAsOneSegment()
    {
        using var peer = new RawTcpPeer();
        var (connection, peerNext, bNext) = peer.Establish();
        Assert.Equal(5, peer.B.WriteTcp(connection, "first"u8, more: true, peer.Now));
        Assert.DoesNotContain(peer.Receive(), s => s.Payload.Length > 0);
        peer.B.WriteTcp(connection, "second"u8, more: false, peer.Now);
        var sent = peer.Receive().FindAll(s => s.Payload.Length > 0);
        Assert.Equal("firstsecond"u8.ToArray(), Assert.Single(sent).Payload);
        peer.Send(new TcpRepr { SequenceNumber = peerNext, AcknowledgmentNumber = bNext + 11, Flags = TcpFlags.Ack });
        // An empty write without more sends what a write with more held back.
        peer.B.WriteTcp(connection, "third"u8, more: true, peer.Now);
        Assert.DoesNotContain(peer.Receive(), s => s.Payload.Length > 0);
        peer.B.WriteTcp(connection, default, more: false, peer.Now);
        Assert.Contains(peer.Receive(), s => s.Payload.AsSpan().SequenceEqual("third"u8));
    }

    [Fact]
    public void ZeroWindowIsProbedAndReopens()
    {
        using var peer = new RawTcpPeer();
        var (connection, peerNext, bNext) = peer.Establish();
        // The peer closes its window, then B has data to send.
        peer.Send(new TcpRepr { SequenceNumber = peerNext, AcknowledgmentNumber = bNext, Flags = TcpFlags.Ack }, window: 0);
        peer.Send(new TcpRepr { SequenceNumber = peerNext, AcknowledgmentNumber = bNext, Flags = TcpFlags.Ack | TcpFlags.Psh }, "z"u8, window: 0);
        Assert.Equal(5, peer.B.WriteTcp(connection, "hello"u8, peer.Now));
        // Window is zero: nothing but the ACK of "z" goes out.
        Assert.All(peer.Receive(), s => Assert.Empty(s.Payload));
        int probes = 0;
        for (int i = 0; i < 6 && probes < 2; i++)
        {
            peer.Advance(TimeSpan.FromSeconds(10));
            foreach (var (segment, payload) in peer.Receive())
                if (payload.Length == 0 && segment.SequenceNumber == bNext - 1) probes++;
        }
        Assert.True(probes >= 2, $"saw {probes} zero-window probes");
        Assert.True(peer.B.TcpCounters.ZeroWindowProbesSent >= 2);
        peer.Send(new TcpRepr { SequenceNumber = peerNext + 1, AcknowledgmentNumber = bNext, Flags = TcpFlags.Ack }, window: 1000);
        var data = Assert.Single(peer.Receive(), s => s.Payload.Length > 0);
        Assert.Equal("hello"u8.ToArray(), data.Payload);
    }

    [Fact]
    public void ThousandConnectionsOpenAndCloseWithoutLeaking()
    {
        using var sim = new TcpSimulation(3, tcp: o => o with { MaximumSegmentLifetime = TimeSpan.FromMilliseconds(500), SendBufferLength = 4096, ReceiveBufferLength = 4096 });
        Assert.True(sim.B.TryListenTcp(new IpEndpoint(IpAddress.AnyIpv4, 80), 64, out var listener));
        var clients = new TcpHandle[50];
        var servers = new TcpHandle[50];
        var buffer = new byte[16];
        for (int batch = 0; batch < 20; batch++)
        {
            for (int i = 0; i < clients.Length; i++)
                Assert.True(sim.A.TryConnectTcp(new IpEndpoint(TcpSimulation.AddressB, 80), 0, sim.Now, out clients[i]));
            int accepted = 0;
            Assert.True(sim.RunUntil(() =>
            {
                while (accepted < servers.Length && sim.B.TryAcceptTcp(listener, out servers[accepted])) accepted++;
                return accepted == servers.Length;
            }, TimeSpan.FromSeconds(30)), sim.Describe($"batch {batch} accepted {accepted}"));
            for (int i = 0; i < clients.Length; i++)
            {
                Assert.True(sim.RunUntil(() => sim.A.GetTcpState(clients[i]) == TcpState.Established, TimeSpan.FromSeconds(5)));
                Assert.Equal(2, sim.A.WriteTcp(clients[i], "hi"u8, sim.Now));
                sim.A.CloseTcp(clients[i], sim.Now);
            }
            for (int i = 0; i < servers.Length; i++)
            {
                Assert.True(sim.RunUntil(() => sim.B.GetTcpState(servers[i]) == TcpState.CloseWait, TimeSpan.FromSeconds(5)), sim.Describe($"batch {batch} server {i}"));
                Assert.Equal(2, sim.B.ReadTcp(servers[i], buffer, sim.Now));
                Assert.True(sim.B.GetTcpInfo(servers[i]).ReadCompleted);
                sim.B.CloseTcp(servers[i], sim.Now);
            }
        }
        Assert.True(sim.RunUntil(() => sim.A.TcpConnectionCount == 0 && sim.B.TcpConnectionCount == 0, TimeSpan.FromSeconds(30)), sim.Describe("storm drain"));
        Assert.Equal(1000, sim.B.TcpCounters.ConnectionsAccepted);
        Assert.Equal(0, sim.A.TcpCounters.ResetsSent + sim.B.TcpCounters.ResetsSent);
    }

    [Fact]
    public void SteadyStateTransferAllocatesNothingPerSegment()
    {
        using var sim = new TcpSimulation(1);
        var (a, b) = sim.Connect();
        var data = new byte[8192];
        var buffer = new byte[65536];
        long segmentsBefore = sim.A.TcpCounters.SegmentsSent;
        void Round()
        {
            sim.A.WriteTcp(a, data, sim.Now);
            sim.Step();
            while (sim.B.ReadTcp(b, buffer, sim.Now) > 0) { }
        }
        long bytes = AllocationMeter.Measure(Round, warmup: 2000, iterations: 2000);
        Assert.True(sim.A.TcpCounters.SegmentsSent - segmentsBefore > 5000, "the measured rounds sent too few segments to mean anything");
        Assert.Equal(0, bytes);
    }

    [Fact]
    public void FullSynQueueAnswersWithCookieAndTheReturningAckOpensTheConnection()
    {
        using var peer = new RawTcpPeer();
        Assert.True(peer.B.TryListenTcp(new IpEndpoint(IpAddress.AnyIpv4, 80), 1, out var listener));
        peer.Send(new TcpRepr { SequenceNumber = new TcpSeqNumber(1000), Flags = TcpFlags.Syn, MaxSegmentSize = 1460 });
        Assert.Single(peer.Receive());
        // The only SYN-queue slot is taken: the next SYN gets a stateless cookie.
        peer.Send(new TcpRepr { SourcePort = 40001, SequenceNumber = new TcpSeqNumber(5000), Flags = TcpFlags.Syn, MaxSegmentSize = 1460 });
        var cookie = Assert.Single(peer.Receive()).Segment;
        Assert.Equal(TcpFlags.Syn | TcpFlags.Ack, cookie.Flags);
        Assert.Equal(5001u, cookie.AcknowledgmentNumber.Value);
        Assert.Null(cookie.WindowScale);
        Assert.Equal(1, peer.B.TcpCounters.SynCookiesSent);
        Assert.Equal(1, peer.B.TcpConnectionCount);
        // A forged ACK is refused; the real one opens the connection, data included.
        peer.Send(new TcpRepr { SourcePort = 40001, SequenceNumber = new TcpSeqNumber(5001), AcknowledgmentNumber = cookie.SequenceNumber + 2, Flags = TcpFlags.Ack });
        Assert.Equal(TcpFlags.Rst, Assert.Single(peer.Receive()).Segment.Flags);
        peer.Send(new TcpRepr { SourcePort = 40001, SequenceNumber = new TcpSeqNumber(5001), AcknowledgmentNumber = cookie.SequenceNumber + 1, Flags = TcpFlags.Ack | TcpFlags.Psh }, "hello"u8);
        Assert.True(peer.B.TryAcceptTcp(listener, out var connection));
        var info = peer.B.GetTcpInfo(connection);
        Assert.Equal(TcpState.Established, info.State);
        Assert.Equal(40001, info.RemoteEndpoint.Port);
        Assert.Equal(5, info.ReadableBytes);
        Assert.Equal(1, peer.B.TcpCounters.SynCookiesAccepted);
    }

    [Fact]
    public void NewSynReusesConnectionInTimeWait()
    {
        using var peer = new RawTcpPeer();
        var (connection, peerNext, bNext) = peer.Establish();
        peer.B.CloseTcp(connection, peer.Now);
        peer.Receive();
        peer.Send(new TcpRepr { SequenceNumber = peerNext, AcknowledgmentNumber = bNext + 1, Flags = TcpFlags.Fin | TcpFlags.Ack });
        peer.Receive();
        Assert.Equal(1, peer.B.TcpConnectionCount);
        // The same 4-tuple comes back above the old sequence space: a new incarnation (RFC 6191 without timestamps).
        peer.Send(new TcpRepr { SequenceNumber = peerNext + 100_000, Flags = TcpFlags.Syn, MaxSegmentSize = 1460 });
        var synAck = Assert.Single(peer.Receive()).Segment;
        Assert.Equal(TcpFlags.Syn | TcpFlags.Ack, synAck.Flags);
        Assert.Equal(peerNext + 100_001, synAck.AcknowledgmentNumber);
        // The handshake completes on the new incarnation, in the same slot count.
        peer.Send(new TcpRepr { SourcePort = 40000, SequenceNumber = peerNext + 100_001, AcknowledgmentNumber = synAck.SequenceNumber + 1, Flags = TcpFlags.Ack });
        Assert.Equal(1, peer.B.TcpConnectionCount);
    }

    [Fact]
    public void UnansweredKeepAlivesTimeTheConnectionOut()
    {
        using var peer = new RawTcpPeer(o => o with { KeepAlive = true, KeepAliveIdle = TimeSpan.FromSeconds(10), KeepAliveInterval = TimeSpan.FromSeconds(1), KeepAliveProbes = 3 });
        var (connection, _, bNext) = peer.Establish();
        int probes = 0;
        for (int i = 0; i < 12; i++)
        {
            peer.Advance(TimeSpan.FromSeconds(i == 0 ? 10 : 1));
            foreach (var (segment, payload) in peer.Receive())
                if (segment.Flags == TcpFlags.Ack && segment.SequenceNumber == bNext - 1 && payload.Length == 0) probes++;
            if (peer.B.GetTcpState(connection) == TcpState.Closed) break;
        }
        Assert.Equal(3, probes);
        Assert.Equal(TcpState.Closed, peer.B.GetTcpState(connection));
        Assert.Equal(TcpError.TimedOut, peer.B.GetTcpInfo(connection).Error);
        Assert.Equal(3, peer.B.TcpCounters.KeepAliveProbesSent);
    }

    [Fact]
    public void DataIsAcknowledgedEverySecondSegmentOrAfterTheDelay()
    {
        using var peer = new RawTcpPeer(o => o with { QuickAckSegments = 0 });
        var (_, peerNext, bNext) = peer.Establish();
        peer.Send(new TcpRepr { SequenceNumber = peerNext, AcknowledgmentNumber = bNext, Flags = TcpFlags.Ack }, new byte[100]);
        Assert.Empty(peer.Receive());
        peer.Advance(TimeSpan.FromMilliseconds(40));
        Assert.Equal(peerNext + 100, Assert.Single(peer.Receive()).Segment.AcknowledgmentNumber);
        peer.Send(new TcpRepr { SequenceNumber = peerNext + 100, AcknowledgmentNumber = bNext, Flags = TcpFlags.Ack }, new byte[100]);
        peer.Send(new TcpRepr { SequenceNumber = peerNext + 200, AcknowledgmentNumber = bNext, Flags = TcpFlags.Ack }, new byte[100]);
        Assert.Equal(peerNext + 300, Assert.Single(peer.Receive()).Segment.AcknowledgmentNumber);
    }

    [Fact]
    public void AnAckAtTheRightEdgeOfAFullWindowIsTaken()
    {
        // The peer has filled B's 4 KiB window and those bytes are still on their way (lost or reordered), so its
        // next ACK carries SEG.SEQ = RCV.NXT + RCV.WND. Linux accepts such an ACK; so must we, or the acknowledgment
        // of B's own data is thrown away.
        using var peer = new RawTcpPeer(o => o with { ReceiveBufferLength = 4096 });
        var (connection, peerNext, bNext) = peer.Establish();
        peer.B.WriteTcp(connection, "hello"u8, peer.Now);
        var data = Assert.Single(peer.Receive()).Segment;
        Assert.Equal(4096, data.WindowSize);
        Assert.Equal(5, peer.B.GetTcpInfo(connection).BytesInFlight);
        peer.Send(new TcpRepr { SequenceNumber = peerNext + 4096, AcknowledgmentNumber = bNext + 5, Flags = TcpFlags.Ack });
        Assert.Equal(0, peer.B.GetTcpInfo(connection).BytesInFlight);
        Assert.Equal(0, peer.B.Counters.Dropped(InterfaceDropReason.TcpOutOfWindow));
        // One byte further is beyond the window: dropped and answered.
        peer.Send(new TcpRepr { SequenceNumber = peerNext + 4097, AcknowledgmentNumber = bNext + 5, Flags = TcpFlags.Ack });
        Assert.Equal(1, peer.B.Counters.Dropped(InterfaceDropReason.TcpOutOfWindow));
        Assert.Equal(peerNext, Assert.Single(peer.Receive()).Segment.AcknowledgmentNumber);
    }

    [Fact]
    public void UnacceptableAcksAreAnsweredAtMostTwiceASecondButOldDataAlways()
    {
        using var peer = new RawTcpPeer();
        var (connection, peerNext, bNext) = peer.Establish();
        // Old pure ACKs (reordered behind newer ones): each answer is a duplicate ACK to the peer, so only the first
        // within half a second is sent.
        for (int i = 0; i < 5; i++) peer.Send(new TcpRepr { SequenceNumber = peerNext - 100, AcknowledgmentNumber = bNext, Flags = TcpFlags.Ack });
        Assert.Single(peer.Receive());
        Assert.Equal(4, peer.B.TcpCounters.UnacceptableAcksUnanswered);
        peer.Advance(TimeSpan.FromMilliseconds(600));
        peer.Send(new TcpRepr { SequenceNumber = peerNext - 100, AcknowledgmentNumber = bNext, Flags = TcpFlags.Ack });
        Assert.Single(peer.Receive());
        // Resent data the peer thinks we lack is always acknowledged: it is resending because an ACK went missing.
        for (int i = 0; i < 3; i++) peer.Send(new TcpRepr { SequenceNumber = peerNext - 10, AcknowledgmentNumber = bNext, Flags = TcpFlags.Ack }, new byte[10]);
        var answers = peer.Receive();
        Assert.Equal(3, answers.Count);
        Assert.All(answers, a => Assert.Equal(peerNext, a.Segment.AcknowledgmentNumber));
        Assert.Equal(4, peer.B.TcpCounters.UnacceptableAcksUnanswered);
        Assert.Equal(TcpState.Established, peer.B.GetTcpState(connection));
    }

    [Fact]
    public void DataReceivedTwiceIsReportedAsADuplicateSack()
    {
        using var peer = new RawTcpPeer(o => o with { DelayedAck = false });
        var (connection, peerNext, bNext) = peer.Establish(sack: true);
        var data = new byte[100];
        peer.Send(new TcpRepr { SequenceNumber = peerNext, AcknowledgmentNumber = bNext, Flags = TcpFlags.Ack }, data);
        Assert.Equal(0, Assert.Single(peer.Receive()).Segment.SackBlocks.Count);

        // Wholly old: the first (only) block is the duplicate, below the cumulative ACK (RFC 2883 section 4.1.1).
        peer.Send(new TcpRepr { SequenceNumber = peerNext, AcknowledgmentNumber = bNext, Flags = TcpFlags.Ack }, data);
        var dup = Assert.Single(peer.Receive()).Segment;
        Assert.Equal(peerNext + 100, dup.AcknowledgmentNumber);
        Assert.Equal(new TcpSackBlock(peerNext, peerNext + 100), Assert.Single(dup.SackBlocks.AsSpan().ToArray()));

        // Partly old: only the old part is reported.
        peer.Send(new TcpRepr { SequenceNumber = peerNext + 50, AcknowledgmentNumber = bNext, Flags = TcpFlags.Ack }, data);
        var partial = Assert.Single(peer.Receive()).Segment;
        Assert.Equal(peerNext + 150, partial.AcknowledgmentNumber);
        Assert.Equal(new TcpSackBlock(peerNext + 50, peerNext + 100), Assert.Single(partial.SackBlocks.AsSpan().ToArray()));

        // Held out of order and received again: the duplicate first, then the block that holds it (section 4.1.2).
        peer.Send(new TcpRepr { SequenceNumber = peerNext + 300, AcknowledgmentNumber = bNext, Flags = TcpFlags.Ack }, data);
        Assert.Equal(new TcpSackBlock(peerNext + 300, peerNext + 400), Assert.Single(Assert.Single(peer.Receive()).Segment.SackBlocks.AsSpan().ToArray()));
        peer.Send(new TcpRepr { SequenceNumber = peerNext + 300, AcknowledgmentNumber = bNext, Flags = TcpFlags.Ack }, data.AsSpan(0, 50));
        var held = Assert.Single(peer.Receive()).Segment.SackBlocks.AsSpan().ToArray();
        Assert.Equal([new TcpSackBlock(peerNext + 300, peerNext + 350), new TcpSackBlock(peerNext + 300, peerNext + 400)], held);

        // Reported once: the next ACK carries only the held block.
        peer.Send(new TcpRepr { SequenceNumber = peerNext + 500, AcknowledgmentNumber = bNext, Flags = TcpFlags.Ack }, data);
        var next = Assert.Single(peer.Receive()).Segment.SackBlocks.AsSpan().ToArray();
        Assert.DoesNotContain(next, b => b.Left == b.Right || b == new TcpSackBlock(peerNext + 300, peerNext + 350));
        Assert.Equal(3, peer.B.TcpCounters.DuplicateSacksSent);
        Assert.Equal(TcpState.Established, peer.B.GetTcpState(connection));
    }

    [Fact]
    public void NoDuplicateSackWithoutSackPermitted()
    {
        using var peer = new RawTcpPeer(o => o with { DelayedAck = false });
        var (_, peerNext, bNext) = peer.Establish(sack: false);
        var data = new byte[100];
        peer.Send(new TcpRepr { SequenceNumber = peerNext, AcknowledgmentNumber = bNext, Flags = TcpFlags.Ack }, data);
        peer.Send(new TcpRepr { SequenceNumber = peerNext, AcknowledgmentNumber = bNext, Flags = TcpFlags.Ack }, data);
        Assert.All(peer.Receive(), s => Assert.Equal(0, s.Segment.SackBlocks.Count));
        Assert.Equal(0, peer.B.TcpCounters.DuplicateSacksSent);
    }

    [Fact]
    public void ADuplicateSackFromThePeerIsCountedAndMovesNothing()
    {
        using var peer = new RawTcpPeer();
        var (connection, peerNext, bNext) = peer.Establish(sack: true);
        peer.B.WriteTcp(connection, new byte[1000], peer.Now);
        Assert.NotEmpty(peer.Receive());
        peer.Send(new TcpRepr { SequenceNumber = peerNext, AcknowledgmentNumber = bNext + 1000, Flags = TcpFlags.Ack, SackBlocks = new TcpSackBlocks(new TcpSackBlock(bNext, bNext + 500)) });
        Assert.Equal(1, peer.B.TcpCounters.DuplicateSacksReceived);
        Assert.Equal(0, peer.B.GetTcpInfo(connection).BytesInFlight);
    }

    [Fact]
    public void ANewIncarnationFromTheSamePortIsTakenOutOfTimeWait()
    {
        // The server closes first, so each round leaves it in TIME-WAIT for the tuple the client reuses at once. A new
        // SYN is taken there only if its timestamp is newer than the old incarnation's (RFC 6191): the timestamp clock
        // must be the same for every incarnation of a tuple, not drawn anew per connection.
        using var sim = new TcpSimulation(11);
        var random = new Random(11);
        Assert.True(sim.B.TryListenTcp(new IpEndpoint(IpAddress.AnyIpv4, 80), 16, out var listener));
        for (int round = 0; round < 20; round++)
        {
            var start = sim.Now;
            Assert.True(sim.A.TryConnectTcp(new IpEndpoint(TcpSimulation.AddressB, 80), 40000, sim.Now, out var client), $"round {round}: connect");
            TcpHandle server = default;
            Assert.True(sim.RunUntil(() => server.IsAssigned || sim.B.TryAcceptTcp(listener, out server), TimeSpan.FromSeconds(10)), sim.Describe($"round {round}: accept"));
            Assert.True(sim.RunUntil(() => sim.A.GetTcpState(client) == TcpState.Established, TimeSpan.FromSeconds(10)), sim.Describe($"round {round}: establish"));
            // A few round trips of 2 ms: no SYN waited for the retransmission timer.
            Assert.True(sim.Now - start < TimeSpan.FromMilliseconds(100), $"round {round}: the handshake took {(sim.Now - start).TotalMilliseconds} ms");
            Assert.True(sim.A.GetTcpInfo(client).Timestamps);
            sim.B.CloseTcp(server, sim.Now);
            Assert.True(sim.RunUntil(() => sim.A.GetTcpState(client) == TcpState.CloseWait, TimeSpan.FromSeconds(10)), sim.Describe($"round {round}: FIN"));
            sim.A.CloseTcp(client, sim.Now);
            Assert.True(sim.RunUntil(() => sim.A.TcpConnectionCount == 0, TimeSpan.FromSeconds(10)), sim.Describe($"round {round}: close"));
            Assert.Equal(1, sim.B.TcpConnectionCount); // the TIME-WAIT, taken over by the next round's SYN
            // The client reconnects after a pause of a few hundred microseconds to a few milliseconds.
            var pause = sim.Now + TimeSpan.FromMicroseconds(random.Next(200, 5000));
            sim.RunUntil(() => sim.Now >= pause, TimeSpan.FromSeconds(1));
        }
        Assert.Equal(0, sim.A.TcpCounters.ResetsReceived);
        Assert.Equal(0, sim.A.TcpCounters.RetransmittedSegments);
    }

    [Fact]
    public void ChallengeAcksAreRateLimited()
    {
        using var peer = new RawTcpPeer(o => o with { ChallengeAckLimit = 2 });
        var (connection, peerNext, _) = peer.Establish();
        for (int i = 1; i <= 5; i++) peer.Send(new TcpRepr { SequenceNumber = peerNext + i, Flags = TcpFlags.Rst });
        Assert.Equal(2, peer.Receive().Count);
        Assert.Equal(2, peer.B.TcpCounters.ChallengeAcksSent);
        Assert.Equal(3, peer.B.TcpCounters.ChallengeAcksSuppressed);
        Assert.Equal(TcpState.Established, peer.B.GetTcpState(connection));
    }

    [Fact]
    public void AbortResetsThePeer()
    {
        using var sim = new TcpSimulation(1);
        var (a, b) = sim.Connect();
        sim.A.AbortTcp(a, sim.Now);
        Assert.Equal(TcpState.Closed, sim.A.GetTcpState(a));
        Assert.Equal(0, sim.A.TcpConnectionCount);
        Assert.True(sim.RunUntil(() => sim.B.GetTcpState(b) == TcpState.Closed, TimeSpan.FromSeconds(1)));
        Assert.Equal(TcpError.ConnectionReset, sim.B.GetTcpInfo(b).Error);
    }

    [Fact]
    public void UnacknowledgedDataTimesOutAfterTheUserTimeout()
    {
        using var peer = new RawTcpPeer(o => o with { UserTimeout = TimeSpan.FromSeconds(5) });
        var (connection, _, _) = peer.Establish();
        Assert.Equal(5, peer.B.WriteTcp(connection, "hello"u8, peer.Now));
        int sends = 0;
        for (int i = 0; i < 100 && peer.B.GetTcpState(connection) != TcpState.Closed; i++)
        {
            foreach (var (segment, payload) in peer.Receive())
                if (payload.Length == 5) sends++;
            peer.Advance(TimeSpan.FromMilliseconds(100));
        }
        Assert.Equal(TcpState.Closed, peer.B.GetTcpState(connection));
        Assert.Equal(TcpError.TimedOut, peer.B.GetTcpInfo(connection).Error);
        // The first send and retransmissions at 1, 2 and 4 s of backoff before the 5 s limit.
        Assert.InRange(sends, 3, 5);
        Assert.True(peer.B.TcpCounters.RetransmissionTimeouts >= 2);
    }
}
