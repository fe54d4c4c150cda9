using System.Buffers.Binary;
using Wirestack.Iface;
using Wirestack.Nic;
using Wirestack.Wire;
using static Wirestack.Tests.Iface.InterfaceTestBed;

namespace Wirestack.Tests.Iface;

/// <summary>
/// Send queues and the egress scheduler: A sends through a transmit ring of 4 slots that B empties only when it
/// polls, so every datagram past the fourth waits in its binding's queue and the policy decides the order.
/// </summary>
public class EgressQueueTests
{
    private const ushort SinkPort = 9000;
    private const ushort FirstSenderPort = 5000;

    private sealed class Rig
    {
        public required Interface A { get; init; }
        public required Interface B { get; init; }
        public required UdpHandle Sink { get; init; }
        public required UdpHandle[] Senders { get; init; }
        private readonly ushort[] _next = new ushort[16];
        private readonly byte[] _buffer = new byte[65536];

        // Each payload names its sender and its place in that sender's sequence.
        public bool Send(int sender, int length = 16)
        {
            byte[] data = new byte[length];
            data[0] = (byte)sender;
            BinaryPrimitives.WriteUInt16BigEndian(data.AsSpan(1), _next[sender]++);
            return A.TrySendUdp(Senders[sender], AddressB, SinkPort, data, T0);
        }

        /// <summary>B takes one ring's worth, then A drains into the room; the datagrams B got, in order.</summary>
        public void Step(List<(int Sender, int Sequence)> received)
        {
            B.Poll(T0);
            while (B.TryReceiveUdp(Sink, _buffer, out int length, out _, out ushort port))
            {
                Assert.True(length >= 3);
                Assert.Equal(FirstSenderPort + _buffer[0], port);
                received.Add((_buffer[0], BinaryPrimitives.ReadUInt16BigEndian(_buffer.AsSpan(1))));
            }
            A.Poll(T0);
        }

        public List<(int Sender, int Sequence)> DeliverAll()
        {
            var received = new List<(int, int)>();
            for (int i = 0; i < 10_000 && (A.PendingEgressPackets > 0 || B.PendingUdpDatagrams(Sink) > 0 || i < 2); i++) Step(received);
            Step(received);
            Assert.Equal(0, A.PendingEgressPackets);
            return received;
        }
    }

    private static Rig Build(int senders, Func<InterfaceOptions, InterfaceOptions>? adjust = null)
    {
        var (first, second) = PipeDevice.CreatePair(new PipeDeviceOptions { RingSize = 4, ReceiveBatchSize = 4 });
        var optionsA = OptionsFor(MacA, AddressA);
        var a = new Interface(first, adjust is null ? optionsA : adjust(optionsA));
        var b = new Interface(second, OptionsFor(MacB, AddressB) with { UdpReceiveBufferLength = 1024 * 1024 });
        Assert.True(b.TryBindUdp(SinkPort, out var sink));
        var handles = new UdpHandle[senders];
        for (int i = 0; i < senders; i++) Assert.True(a.TryBindUdp((ushort)(FirstSenderPort + i), out handles[i]));
        var rig = new Rig { A = a, B = b, Sink = sink, Senders = handles };
        // Resolve B first, so that what follows is only UDP through a ring that starts empty.
        Assert.True(a.TrySendUdp(handles[0], AddressB, SinkPort, Data, T0));
        Pump(a, b, T0);
        Assert.True(b.TryReceiveUdp(sink, new byte[64], out _, out _, out _));
        return rig;
    }

    private static InterfaceOptions With(InterfaceOptions options, EgressPolicy policy, int skips = 8) =>
        options with { EgressPolicy = policy, EgressMaxConsecutiveSkips = skips };

    private static void AssertOrderPerSender(List<(int Sender, int Sequence)> received, int senders, int each)
    {
        for (int s = 0; s < senders; s++)
        {
            var sequences = received.Where(r => r.Sender == s).Select(r => r.Sequence).ToList();
            // each < 0: however many arrived, in order from the first.
            Assert.Equal(Enumerable.Range(0, each < 0 ? sequences.Count : each), sequences);
        }
    }

    [Fact]
    public void AFullRingQueuesTheDatagramInsteadOfFailingAndPollSendsItLater()
    {
        var rig = Build(1);
        for (int i = 0; i < 4; i++) Assert.True(rig.Send(0));
        Assert.Equal(0, rig.A.PendingEgressPackets);
        for (int i = 0; i < 6; i++) Assert.True(rig.Send(0));
        Assert.Equal(6, rig.A.PendingUdpSends(rig.Senders[0]));
        Assert.Equal(6, rig.A.PendingEgressPackets);
        Assert.Equal(6, rig.A.Counters.UdpDatagramsQueued);
        Assert.Equal(0, rig.A.Counters.TotalDropped);
        // A poll with the ring still full sends nothing and asks to be polled again soon.
        Assert.Equal(T0 + TimeSpan.FromMicroseconds(50), rig.A.Poll(T0));
        Assert.Equal(6, rig.A.PendingEgressPackets);

        var received = rig.DeliverAll();
        AssertOrderPerSender(received, 1, 10);
        Assert.Equal(11, rig.A.Counters.UdpDatagramsSent);
        Assert.Equal(0, rig.A.PendingUdpSends(rig.Senders[0]));
        Assert.True(rig.A.Poll(T0) > T0 + TimeSpan.FromMilliseconds(1), "an empty backlog still asks for quick polls");
        Assert.Equal(0, rig.A.Counters.TotalDropped);
    }

    [Fact]
    public void FifoSendsInGlobalArrivalOrder()
    {
        // With the default limit of 8 skips the guarantee would let binding 2 cut in after 8 rounds (next test).
        var rig = Build(3, o => With(o, EgressPolicy.Fifo, skips: 1000));
        for (int s = 0; s < 3; s++)
            for (int i = 0; i < 10; i++) Assert.True(rig.Send(s));
        var received = rig.DeliverAll();
        var expected = new List<(int, int)>();
        for (int s = 0; s < 3; s++)
            for (int i = 0; i < 10; i++) expected.Add((s, i));
        Assert.Equal(expected, received);
    }

    [Fact]
    public void FifoYieldsToTheGuaranteeWhenABindingHasWaitedTheLimit()
    {
        var rig = Build(3, o => With(o, EgressPolicy.Fifo, skips: 8));
        for (int s = 0; s < 3; s++)
            for (int i = 0; i < 10; i++) Assert.True(rig.Send(s));
        var received = rig.DeliverAll();
        AssertOrderPerSender(received, 3, 10);
        // Rounds 1-8 (after the four that found the ring empty) follow arrival order; binding 1 had waited 6 when
        // binding 0 ran dry, binding 2 had waited 8 and goes next.
        Assert.Equal([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 2], received.Take(13).Select(r => r.Sender));
        Assert.True(rig.A.Counters.EgressGuaranteedPicks > 0);
    }

    [Fact]
    public void RoundRobinTakesOneDatagramPerBindingInTurn()
    {
        var rig = Build(3, o => With(o, EgressPolicy.RoundRobin));
        for (int s = 0; s < 3; s++)
            for (int i = 0; i < 10; i++) Assert.True(rig.Send(s));
        var received = rig.DeliverAll();

        // The first four went straight into the ring; then one per backlogged binding in slot order, in turn.
        var expected = new List<(int, int)> { (0, 0), (0, 1), (0, 2), (0, 3) };
        int[] next = [4, 0, 0];
        while (next[0] < 10 || next[1] < 10 || next[2] < 10)
            for (int s = 0; s < 3; s++)
                if (next[s] < 10) expected.Add((s, next[s]++));
        Assert.Equal(expected, received);
        AssertOrderPerSender(received, 3, 10);
    }

    [Fact]
    public void ACustomPolicyDecidesAndEachBindingKeepsItsOrder()
    {
        // The last backlogged binding first: the reverse of slot order.
        var rig = Build(3, o => With(o, new LastFlowPolicy(), skips: 1000));
        for (int s = 0; s < 3; s++)
            for (int i = 0; i < 10; i++) Assert.True(rig.Send(s));
        var received = rig.DeliverAll();
        var expected = new List<(int, int)> { (0, 0), (0, 1), (0, 2), (0, 3) };
        for (int s = 2; s >= 0; s--)
            for (int i = s == 0 ? 4 : 0; i < 10; i++) expected.Add((s, i));
        Assert.Equal(expected, received);
        Assert.Equal(0, rig.A.Counters.EgressGuaranteedPicks);
    }

    [Fact]
    public void APolicyThatNamesNoFlowFallsBackToFifo()
    {
        var rig = Build(2, o => With(o, new OutOfRangePolicy()));
        for (int s = 0; s < 2; s++)
            for (int i = 0; i < 6; i++) Assert.True(rig.Send(s));
        var received = rig.DeliverAll();
        Assert.Equal([(0, 0), (0, 1), (0, 2), (0, 3), (0, 4), (0, 5), (1, 0), (1, 1), (1, 2), (1, 3), (1, 4), (1, 5)], received);
    }

    [Theory]
    [InlineData(8, 3)]
    [InlineData(8, 2)]
    [InlineData(2, 5)]
    [InlineData(0, 4)]
    public void AGreedyPolicyCannotStarveOtherBindings(int maxSkips, int senders)
    {
        var rig = Build(senders, o => With(o, new GreedyPolicy(), maxSkips));
        const int Rounds = 10_000;
        var received = new List<(int Sender, int Sequence)>();
        while (received.Count < Rounds + 4)
        {
            // Keep every binding backlogged, so that each round is a choice among all of them.
            for (int s = 0; s < senders; s++)
                while (rig.A.PendingUdpSends(rig.Senders[s]) < 6) Assert.True(rig.Send(s));
            rig.Step(received);
        }
        // The first four found the ring empty; everything after them was scheduled.
        var scheduled = received.Skip(4).Take(Rounds).ToList();
        int window = maxSkips + senders;
        int[] counts = new int[senders];
        int[] lastServed = new int[senders];
        lastServed.AsSpan().Fill(-1);
        for (int round = 0; round < scheduled.Count; round++)
        {
            int s = scheduled[round].Sender;
            counts[s]++;
            // Skipped at most K + N - 1 rounds in a row: served at least once in every K + N.
            Assert.True(round - lastServed[s] <= window, $"binding {s} waited {round - lastServed[s] - 1} rounds before round {round}; the bound is {window - 1}");
            lastServed[s] = round;
        }
        for (int s = 0; s < senders; s++)
        {
            Assert.True(counts[s] >= Rounds / window, $"binding {s} sent {counts[s]} of {Rounds}; the guarantee is {Rounds / window}");
            Assert.True(Rounds - 1 - lastServed[s] < window, $"binding {s} last sent in round {lastServed[s]}");
        }
        if (maxSkips >= senders)
        {
            // Otherwise the greedy policy got its way: binding 0 took the rest.
            Assert.True(counts[0] > Rounds / 2, $"binding 0 sent only {counts[0]}: {string.Join(", ", counts)}");
            Assert.True(rig.A.Counters.EgressGuaranteedPicks > 0);
        }
        else if (maxSkips == 0)
        {
            for (int s = 0; s < senders; s++) Assert.InRange(counts[s], Rounds / senders - 1, Rounds / senders + 1);
        }
        AssertOrderPerSender(received, senders, -1);
    }

    [Fact]
    public void ThePolicySeesEachBackloggedBindingsState()
    {
        var policy = new RecordingPolicy();
        var rig = Build(3, o => With(o, policy));
        for (int i = 0; i < 4; i++) Assert.True(rig.Send(0));
        Assert.True(rig.Send(2, 100));
        Assert.True(rig.Send(2, 40));
        Assert.True(rig.Send(0, 20));
        // Behind a backlog that found the ring full, sends only queue: the next poll decides.
        Assert.Equal(0, policy.Calls);

        rig.Step([]);
        Assert.True(policy.Calls > 0);
        var first = policy.First;
        // Slot order, whatever the arrival order: binding 0 (slot 0) before binding 2.
        Assert.Equal(2, first.Length);
        Assert.Equal(rig.Senders[0], first[0].Handle);
        Assert.Equal(FirstSenderPort, first[0].LocalPort);
        Assert.Equal(1, first[0].QueuedDatagrams);
        Assert.Equal(20, first[0].NextLength);
        Assert.Equal(28 + 20, first[0].QueuedBytes);
        Assert.Equal(rig.Senders[2], first[1].Handle);
        Assert.Equal(FirstSenderPort + 2, first[1].LocalPort);
        Assert.Equal(2, first[1].QueuedDatagrams);
        Assert.Equal(100, first[1].NextLength);
        Assert.Equal(28 * 2 + 140, first[1].QueuedBytes);
        Assert.True(first[1].NextSequence < first[0].NextSequence);
        Assert.All(first, f => Assert.Equal(0, f.Skips));
        Assert.All(first, f => Assert.Equal(0, f.LastServedRound));
        // FIFO's choice was binding 2: binding 0 was skipped once in the next decision.
        var second = policy.Last;
        Assert.Equal(1, second[0].Skips);
        Assert.Equal(1, second[1].LastServedRound);
    }

    [Fact]
    public void ClosingABindingDiscardsAndCountsItsQueuedDatagrams()
    {
        var rig = Build(3);
        for (int i = 0; i < 4; i++) Assert.True(rig.Send(0));
        for (int s = 0; s < 3; s++)
            for (int i = 0; i < 5; i++) Assert.True(rig.Send(s));
        Assert.Equal(15, rig.A.PendingEgressPackets);
        Assert.True(rig.A.CloseUdp(rig.Senders[1]));
        Assert.Equal(5, rig.A.Counters.Dropped(InterfaceDropReason.UdpSendQueueDiscarded));
        Assert.Equal(10, rig.A.PendingEgressPackets);
        Assert.Equal(0, rig.A.PendingUdpSends(rig.Senders[1]));

        // A new binding in the closed one's slot starts with an empty queue.
        Assert.True(rig.A.TryBindUdp(FirstSenderPort + 1, out var reopened));
        Assert.Equal(0, rig.A.PendingUdpSends(reopened));

        var received = rig.DeliverAll();
        Assert.DoesNotContain(received, r => r.Sender == 1);
        Assert.Equal(9, received.Count(r => r.Sender == 0));
        Assert.Equal(5, received.Count(r => r.Sender == 2));
        Assert.Equal(5, rig.A.Counters.TotalDropped);
    }

    [Fact]
    public void AFullSendQueueFailsTheSendAndCountsIt()
    {
        // Room for two 16-byte datagrams: 2 x (28 + 16) = 88 bytes.
        var rig = Build(1, o => o with { UdpSendBufferLength = 88 });
        for (int i = 0; i < 6; i++) Assert.True(rig.Send(0));
        Assert.False(rig.Send(0));
        Assert.Equal(1, rig.A.Counters.Dropped(InterfaceDropReason.UdpSendQueueFull));
        Assert.Equal(2, rig.A.PendingUdpSends(rig.Senders[0]));
        var received = rig.DeliverAll();
        Assert.Equal(6, received.Count);
        // The refused datagram took its sequence number with it.
        Assert.Equal([0, 1, 2, 3, 4, 5], received.Select(r => r.Sequence));
    }

    [Fact]
    public void WithoutSendQueuesAFullRingDropsAsBefore()
    {
        var rig = Build(1, o => o with { UdpSendBufferLength = 0 });
        for (int i = 0; i < 4; i++) Assert.True(rig.Send(0));
        Assert.False(rig.Send(0));
        Assert.Equal(1, rig.A.Counters.Dropped(InterfaceDropReason.TransmitRingFull));
        Assert.Equal(0, rig.A.PendingEgressPackets);
        Assert.Equal(0, rig.A.PendingUdpSends(rig.Senders[0]));
    }

    [Fact]
    public void ADatagramThatNeedsFragmentsWaitsWholeAndGoesOutInFragments()
    {
        var rig = Build(1);
        for (int i = 0; i < 4; i++) Assert.True(rig.Send(0));
        Assert.True(rig.Send(0, 3000));
        Assert.Equal(1, rig.A.PendingEgressPackets);
        var received = rig.DeliverAll();
        Assert.Equal([0, 1, 2, 3, 4], received.Select(r => r.Sequence));
        Assert.Equal(3, rig.A.Counters.FragmentsSent);
        Assert.Equal(1, rig.B.Counters.DatagramsReassembled);
        Assert.Equal(0, rig.A.Counters.TotalDropped);
    }

    [Fact]
    public void QueuedDatagramsKeepTheirDestinationsOfBothFamilies()
    {
        var (first, second) = PipeDevice.CreatePair(new PipeDeviceOptions { RingSize = 4, ReceiveBatchSize = 4 });
        var a = new Interface(first, Ipv6TestPeer.Ipv6OptionsFor(MacA, AddressA, Ipv6TestPeer.GlobalA));
        var b = new Interface(second, Ipv6TestPeer.Ipv6OptionsFor(MacB, AddressB, Ipv6TestPeer.GlobalB));
        Assert.True(a.TryBindUdp(FirstSenderPort, out var sender));
        Assert.True(b.TryBindUdp(SinkPort, out var sink));
        // Let the start-up chatter (router solicitations, MLD reports) pass and resolve B in both families.
        var now = T0;
        byte[] buffer = new byte[256];
        Assert.True(a.TrySendUdp(sender, AddressB, SinkPort, Data, now));
        Assert.True(a.TrySendUdp(sender, Ipv6TestPeer.GlobalB, SinkPort, Data, now));
        for (int i = 0; i < 50; i++)
        {
            now += TimeSpan.FromMilliseconds(100);
            Pump(a, b, now, 2);
        }
        while (b.TryReceiveUdp(sink, buffer, out _, out _, out _)) { }

        var destinations = new List<IpAddress>();
        for (int i = 0; i < 12; i++)
        {
            IpAddress destination = i % 3 == 0 ? AddressB : Ipv6TestPeer.GlobalB;
            buffer[0] = (byte)i;
            Assert.True(a.TrySendUdp(sender, destination, SinkPort, buffer.AsSpan(0, 8 + i), now));
            destinations.Add(destination);
        }
        Assert.True(a.PendingUdpSends(sender) >= 8);
        var received = new List<(int Index, bool Ipv6, int Length)>();
        for (int i = 0; i < 50 && received.Count < 12; i++)
        {
            b.Poll(now);
            while (b.TryReceiveUdp(sink, buffer, out int length, out var source, out _))
                received.Add((buffer[0], source.IsIpv6, length));
            a.Poll(now);
        }
        Assert.Equal(Enumerable.Range(0, 12), received.Select(r => r.Index));
        Assert.Equal(destinations.Select(d => d.IsIpv6), received.Select(r => r.Ipv6));
        Assert.Equal(Enumerable.Range(8, 12), received.Select(r => r.Length));
        Assert.Equal(0, a.PendingEgressPackets);
        // IPv6's own chatter (reports, solicitations) may find the ring full and be dropped: only UDP waits.
        Assert.Equal(0, a.Counters.Dropped(InterfaceDropReason.UdpSendQueueFull));
        Assert.Equal(0, a.Counters.Dropped(InterfaceDropReason.NoRoute));
    }

    [Fact]
    public void OptionsOutOfRangeAreNamed()
    {
        var options = OptionsFor(MacA, AddressA);
        Assert.Contains("UdpSendBufferLength", Assert.Throws<ArgumentOutOfRangeException>(() => (options with { UdpSendBufferLength = -1 }).Validate()).Message, StringComparison.Ordinal);
        Assert.Contains("EgressMaxConsecutiveSkips", Assert.Throws<ArgumentOutOfRangeException>(() => (options with { EgressMaxConsecutiveSkips = -1 }).Validate()).Message, StringComparison.Ordinal);
    }

    // Records the first and the latest views it was shown (copied: the span is only lent), then chooses as FIFO.
    private sealed class RecordingPolicy : EgressPolicy
    {
        public int Calls { get; private set; }

        public EgressFlow[] First { get; private set; } = [];

        public EgressFlow[] Last { get; private set; } = [];

        public override int SelectFlow(ReadOnlySpan<EgressFlow> flows)
        {
            if (Calls++ == 0) First = flows.ToArray();
            else if (Calls == 2) Last = flows.ToArray();
            return Fifo.SelectFlow(flows);
        }
    }

    private sealed class GreedyPolicy : EgressPolicy
    {
        public override int SelectFlow(ReadOnlySpan<EgressFlow> flows) => 0;
    }

    private sealed class LastFlowPolicy : EgressPolicy
    {
        public override int SelectFlow(ReadOnlySpan<EgressFlow> flows) => flows.Length - 1;
    }

    private sealed class OutOfRangePolicy : EgressPolicy
    {
        public override int SelectFlow(ReadOnlySpan<EgressFlow> flows) => flows.Length;
    }
}
