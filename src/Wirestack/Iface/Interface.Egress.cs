using Wirestack.Wire;

namespace Wirestack.Iface;

// Egress queueing: per-binding bounded send queues for datagrams that find the transmit ring full, and the
// scheduler that drains them as slots free up, by the configured EgressPolicy with a guaranteed share per binding.
public sealed partial class Interface
{
    // With a backlog and no transmit-completion signal from the device, poll again this soon to retry.
    private static readonly TimeSpan EgressRetryInterval = TimeSpan.FromMicroseconds(50);

    // Null when UdpSendBufferLength is 0: a datagram that finds the ring full is then dropped, as before queues.
    private DatagramQueue[]? _sendQueues;
    // The backlogged bindings in slot order (the view the policy sees), and where each slot sits in it (-1: idle).
    private EgressFlow[] _flows = [];
    private int[] _flowIndexBySlot = [];
    private long[] _lastServedRound = [];
    private int _flowCount;
    private EgressPolicy _egressPolicy = EgressPolicy.Fifo;
    private int _egressMaxSkips;
    private byte[] _egressScratch = [];
    private long _egressSequence;
    private long _egressRound;
    private int _egressPending;
    // While a UDP send runs, a full ring before the send committed any frame means "queue it", not "drop it".
    private bool _egressSending;
    // The last attempt found the ring full: sends only queue until the next poll tries again, which spares the
    // policy a decision and the device a flush (a system call on most devices) per datagram.
    private bool _egressStalled;
    private bool _egressBlocked;
    private long _framesCommitted;
    private long _egressCommitMark;

    /// <summary>
    /// Datagrams waiting in every binding's send queue for room in the device's transmit ring
    /// (<see cref="InterfaceOptions.UdpSendBufferLength"/>).
    /// </summary>
    public int PendingEgressPackets => _egressPending;

    /// <summary>Datagrams waiting in a binding's send queue; 0 when <paramref name="handle"/> is closed or not one of ours.</summary>
    public int PendingUdpSends(UdpHandle handle) =>
        _sendQueues is not null && TryGetBinding(handle, out _) ? _sendQueues[handle.Index].Count : 0;

    private void InitializeEgress(InterfaceOptions options)
    {
        _egressPolicy = options.EgressPolicy ?? EgressPolicy.Fifo;
        _egressMaxSkips = options.EgressMaxConsecutiveSkips;
        int bindings = options.UdpBindingCapacity;
        if (options.UdpSendBufferLength == 0 || bindings == 0) return;
        _sendQueues = new DatagramQueue[bindings];
        for (int i = 0; i < bindings; i++) _sendQueues[i] = new DatagramQueue(options.UdpSendBufferLength);
        _flows = new EgressFlow[bindings];
        _flowIndexBySlot = new int[bindings];
        _flowIndexBySlot.AsSpan().Fill(-1);
        _lastServedRound = new long[bindings];
        // A queued payload is copied out into this before it is sent: the ring may hold it in two pieces.
        _egressScratch = new byte[Math.Min(options.UdpSendBufferLength, MaxUpperLayerLength - UdpPacket.HeaderLength)];
    }

    private enum EgressOutcome
    {
        Sent,
        Dropped,
        Blocked,
    }

    // TrySendUdp's send: straight to the ring when nothing waits, else (or when the ring is full) into the binding's
    // send queue. Counts the datagram sent when it reaches the ring or the neighbour queue.
    private bool SendOrQueueUdp(int slot, UdpBinding binding, IpAddress destination, ushort destinationPort, ReadOnlySpan<byte> data, Instant now)
    {
        if (_sendQueues is null)
        {
            if (!SendUdpDatagram(binding, destination, destinationPort, data, now)) return false;
            Counters.UdpDatagramsSentField++;
            return true;
        }
        if (_flowCount != 0)
        {
            // Others already wait: this one waits its turn too, so the policy (and each binding's order) holds.
            if (!EnqueueUdp(slot, binding, destination, destinationPort, data)) return false;
            if (!_egressStalled) DrainEgress(now);
            return true;
        }
        switch (TrySendNow(binding, destination, destinationPort, data, now))
        {
            case EgressOutcome.Sent:
                Counters.UdpDatagramsSentField++;
                return true;
            case EgressOutcome.Dropped:
                return false;
            default:
                _egressStalled = true;
                return EnqueueUdp(slot, binding, destination, destinationPort, data);
        }
    }

    private EgressOutcome TrySendNow(UdpBinding binding, IpAddress destination, ushort destinationPort, ReadOnlySpan<byte> data, Instant now)
    {
        _egressSending = true;
        _egressBlocked = false;
        _egressCommitMark = _framesCommitted;
        bool sent;
        try
        {
            sent = SendUdpDatagram(binding, destination, destinationPort, data, now);
        }
        finally
        {
            _egressSending = false;
        }
        if (!_egressBlocked) return sent ? EgressOutcome.Sent : EgressOutcome.Dropped;
        _egressBlocked = false;
        if (!sent) return EgressOutcome.Blocked;
        // Sent (queued for resolution) although a frame on the way found the ring full: an ARP request or neighbour
        // solicitation was lost, which resolution retransmits. Count it as the central path would have.
        Counters.Drop(InterfaceDropReason.TransmitRingFull);
        return EgressOutcome.Sent;
    }

    // Called by TryGetTransmitSlot when the ring stays full: true (and nothing counted) when the frame is the first
    // of a UDP send that may wait in its binding's queue instead.
    private bool DeferToSendQueue()
    {
        if (!_egressSending || _framesCommitted != _egressCommitMark) return false;
        _egressBlocked = true;
        return true;
    }

    private bool EnqueueUdp(int slot, UdpBinding binding, IpAddress destination, ushort destinationPort, ReadOnlySpan<byte> data)
    {
        if (data.Length > MaxUpperLayerLength - UdpPacket.HeaderLength)
        {
            Counters.Drop(InterfaceDropReason.PacketTooBig);
            return false;
        }
        var queue = _sendQueues![slot];
        if (data.Length > _egressScratch.Length || !queue.TryEnqueue(destination, destinationPort, _egressSequence, data))
        {
            Counters.Drop(InterfaceDropReason.UdpSendQueueFull);
            return false;
        }
        _egressSequence++;
        _egressPending++;
        Counters.UdpDatagramsQueuedField++;
        int index = _flowIndexBySlot[slot];
        if (index < 0) index = AddFlow(slot, binding);
        Refresh(ref _flows[index], queue);
        return true;
    }

    // Sends queued datagrams, one scheduling round each, until the queues are empty or the ring is full.
    private void DrainEgress(Instant now)
    {
        _egressStalled = false;
        while (_flowCount != 0)
        {
            int chosen = ChooseFlow();
            int slot = _flows[chosen].Slot;
            var queue = _sendQueues![slot];
            int length = queue.PeekPayload(_egressScratch);
            var outcome = TrySendNow(_udpBindings[slot], queue.HeadDestination, queue.HeadPort, _egressScratch.AsSpan(0, length), now);
            // The ring is full: the decision is not taken, and the next poll decides afresh.
            if (outcome == EgressOutcome.Blocked)
            {
                _egressStalled = true;
                return;
            }
            if (outcome == EgressOutcome.Sent) Counters.UdpDatagramsSentField++;
            queue.Dequeue();
            _egressPending--;
            _egressRound++;
            _lastServedRound[slot] = _egressRound;
            for (int i = 0; i < _flowCount; i++) _flows[i].Skips++;
            if (queue.Count == 0)
            {
                RemoveFlow(chosen);
            }
            else
            {
                ref var flow = ref _flows[chosen];
                flow.Skips = 0;
                Refresh(ref flow, queue);
            }
        }
    }

    // The guarantee first: a flow skipped EgressMaxConsecutiveSkips rounds goes next (the most skipped of them, ties
    // to slot order), without asking the policy; otherwise the policy's choice, or FIFO's when it names no flow.
    private int ChooseFlow()
    {
        var flows = _flows.AsSpan(0, _flowCount);
        int overdue = -1;
        for (int i = 0; i < flows.Length; i++)
            if (flows[i].Skips >= _egressMaxSkips && (overdue < 0 || flows[i].Skips > flows[overdue].Skips)) overdue = i;
        if (overdue >= 0)
        {
            if (flows.Length > 1) Counters.EgressGuaranteedPicksField++;
            return overdue;
        }
        int chosen = _egressPolicy.SelectFlow(flows);
        return (uint)chosen < (uint)flows.Length ? chosen : EgressPolicy.Oldest(flows);
    }

    private int AddFlow(int slot, UdpBinding binding)
    {
        // Keep slot order: shift the later flows up by one.
        int index = _flowCount;
        while (index > 0 && _flows[index - 1].Slot > slot)
        {
            _flows[index] = _flows[index - 1];
            _flowIndexBySlot[_flows[index].Slot] = index;
            index--;
        }
        _flows[index] = new EgressFlow
        {
            Slot = slot,
            Handle = new UdpHandle(slot, binding.Generation),
            LocalPort = binding.Port,
            LastServedRound = _lastServedRound[slot],
        };
        _flowIndexBySlot[slot] = index;
        _flowCount++;
        return index;
    }

    private void RemoveFlow(int index)
    {
        _flowIndexBySlot[_flows[index].Slot] = -1;
        _flowCount--;
        for (int i = index; i < _flowCount; i++)
        {
            _flows[i] = _flows[i + 1];
            _flowIndexBySlot[_flows[i].Slot] = i;
        }
        _flows[_flowCount] = default;
    }

    private void Refresh(ref EgressFlow flow, DatagramQueue queue)
    {
        flow.QueuedDatagrams = queue.Count;
        flow.QueuedBytes = queue.UsedBytes;
        flow.NextLength = queue.HeadLength;
        flow.NextSequence = queue.HeadSequence;
        flow.LastServedRound = _lastServedRound[flow.Slot];
    }

    // A closing binding's queued datagrams are discarded and counted; its slot starts afresh for the next binding.
    private void DiscardSendQueue(int slot)
    {
        if (_sendQueues is null) return;
        int discarded = _sendQueues[slot].Clear();
        if (discarded != 0)
        {
            Counters.DroppedField[(int)InterfaceDropReason.UdpSendQueueDiscarded] += discarded;
            _egressPending -= discarded;
        }
        if (_flowIndexBySlot[slot] >= 0) RemoveFlow(_flowIndexBySlot[slot]);
        _lastServedRound[slot] = 0;
    }

    private Instant NextEgressDeadline(Instant now) => _flowCount == 0 ? Instant.MaxValue : now + EgressRetryInterval;
}
