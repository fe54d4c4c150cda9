using Wirestack.Wire;

namespace Wirestack.Iface;

/// <summary>
/// Counters an <see cref="Interface"/> keeps. Its owner thread writes them; any thread may read them
/// (64-bit reads are atomic on the platforms Wirestack runs on). Drops are kept in arrays indexed by
/// reason so that adding a reason costs no new field and reading them needs no reflection.
/// </summary>
public sealed class InterfaceCounters
{
    // Sized from the enums themselves, so a new reason or parser error needs no change here.
    private static readonly int ReasonCount = Enum.GetValues<InterfaceDropReason>().Length;
    private static readonly int WireErrorCount = Enum.GetValues<WireError>().Length;

    internal readonly long[] DroppedField = new long[ReasonCount];
    internal readonly long[] MalformedField = new long[WireErrorCount];
    internal long ReceivedFramesField;
    internal long ArpRequestsSentField;
    internal long ArpRepliesSentField;
    internal long ArpAnnouncementsSentField;
    internal long EchoRequestsSentField;
    internal long EchoRequestsAnsweredField;
    internal long EchoRepliesReceivedField;
    internal long IcmpErrorsSentField;
    internal long IcmpErrorsSuppressedField;
    internal long DatagramsReassembledField;
    internal long QueuedPacketsSentField;
    internal long UdpDatagramsSentField;
    internal long UdpDatagramsReceivedField;
    internal long FragmentsSentField;
    internal long IcmpErrorsReceivedField;
    internal long PathMtuUpdatesField;
    internal long NeighborSolicitationsSentField;
    internal long NeighborAdvertisementsSentField;
    internal long RouterSolicitationsSentField;
    internal long RouterAdvertisementsReceivedField;
    internal long MldReportsSentField;
    internal long IgmpReportsSentField;
    internal long IgmpQueriesReceivedField;
    internal long UdpDatagramsQueuedField;
    internal long EgressGuaranteedPicksField;

    /// <summary>Frames taken from the device.</summary>
    public long ReceivedFrames => Volatile.Read(ref ReceivedFramesField);

    /// <summary>ARP requests sent: first requests, retransmissions and unicast probes.</summary>
    public long ArpRequestsSent => Volatile.Read(ref ArpRequestsSentField);

    /// <summary>ARP replies sent to requests for our addresses.</summary>
    public long ArpRepliesSent => Volatile.Read(ref ArpRepliesSentField);

    /// <summary>Gratuitous ARP announcements of our addresses (RFC 5227), sent when the interface comes up.</summary>
    public long ArpAnnouncementsSent => Volatile.Read(ref ArpAnnouncementsSentField);

    /// <summary>Echo requests accepted by <see cref="Interface.TrySendIcmpEcho"/> (sent or queued for resolution).</summary>
    public long EchoRequestsSent => Volatile.Read(ref EchoRequestsSentField);

    /// <summary>Echo requests to our addresses that were answered (the reply sent or queued for resolution).</summary>
    public long EchoRequestsAnswered => Volatile.Read(ref EchoRequestsAnsweredField);

    /// <summary>Echo replies queued for <see cref="Interface.TryDequeueEchoReply"/>.</summary>
    public long EchoRepliesReceived => Volatile.Read(ref EchoRepliesReceivedField);

    /// <summary>ICMP error messages sent (protocol and port unreachable).</summary>
    public long IcmpErrorsSent => Volatile.Read(ref IcmpErrorsSentField);

    /// <summary>ICMP error messages the rate limiter held back.</summary>
    public long IcmpErrorsSuppressed => Volatile.Read(ref IcmpErrorsSuppressedField);

    /// <summary>IPv4 datagrams completed from fragments.</summary>
    public long DatagramsReassembled => Volatile.Read(ref DatagramsReassembledField);

    /// <summary>Packets that waited for address resolution and were sent once it finished.</summary>
    public long QueuedPacketsSent => Volatile.Read(ref QueuedPacketsSentField);

    /// <summary>
    /// UDP datagrams accepted by <see cref="Interface.TrySendUdp"/> (sent or queued for resolution); one that waited in
    /// its binding's send queue counts when it leaves the queue.
    /// </summary>
    public long UdpDatagramsSent => Volatile.Read(ref UdpDatagramsSentField);

    /// <summary>UDP datagrams queued on a binding for <see cref="Interface.TryReceiveUdp"/>.</summary>
    public long UdpDatagramsReceived => Volatile.Read(ref UdpDatagramsReceivedField);

    /// <summary>IPv4 fragments sent for datagrams larger than the path MTU.</summary>
    public long FragmentsSent => Volatile.Read(ref FragmentsSentField);

    /// <summary>ICMP error messages received (destination unreachable, time exceeded, parameter problem, source quench).</summary>
    public long IcmpErrorsReceived => Volatile.Read(ref IcmpErrorsReceivedField);

    /// <summary>Fragmentation-needed messages that lowered (or set) a destination's path MTU.</summary>
    public long PathMtuUpdates => Volatile.Read(ref PathMtuUpdatesField);

    /// <summary>IPv6 neighbour solicitations sent: resolutions, their retransmissions and unicast probes.</summary>
    public long NeighborSolicitationsSent => Volatile.Read(ref NeighborSolicitationsSentField);

    /// <summary>IPv6 neighbour advertisements sent: answers to solicitations and unsolicited announcements.</summary>
    public long NeighborAdvertisementsSent => Volatile.Read(ref NeighborAdvertisementsSentField);

    /// <summary>IPv6 router solicitations sent.</summary>
    public long RouterSolicitationsSent => Volatile.Read(ref RouterSolicitationsSentField);

    /// <summary>Valid IPv6 router advertisements received and acted on.</summary>
    public long RouterAdvertisementsReceived => Volatile.Read(ref RouterAdvertisementsReceivedField);

    /// <summary>MLD reports (and MLDv1 dones) sent: on joins, leaves and in answer to queries.</summary>
    public long MldReportsSent => Volatile.Read(ref MldReportsSentField);

    /// <summary>IGMP reports (and IGMPv2 leaves) sent: on joins, leaves and in answer to queries.</summary>
    public long IgmpReportsSent => Volatile.Read(ref IgmpReportsSentField);

    /// <summary>Valid IGMP membership queries received (general and group-specific, any version).</summary>
    public long IgmpQueriesReceived => Volatile.Read(ref IgmpQueriesReceivedField);
    /// <summary>UDP datagrams that found the transmit ring full (or others waiting) and waited in their binding's send queue.</summary>
    public long UdpDatagramsQueued => Volatile.Read(ref UdpDatagramsQueuedField);

    /// <summary>
    /// Egress scheduling rounds in which a backlogged binding went because it had been skipped
    /// <see cref="InterfaceOptions.EgressMaxConsecutiveSkips"/> rounds, without asking the policy.
    /// </summary>
    public long EgressGuaranteedPicks => Volatile.Read(ref EgressGuaranteedPicksField);

    /// <summary>Frames or packets dropped for <paramref name="reason"/>.</summary>
    public long Dropped(InterfaceDropReason reason) =>
        (uint)reason < (uint)DroppedField.Length ? Volatile.Read(ref DroppedField[(int)reason]) : 0;

    /// <summary>Frames dropped as <see cref="InterfaceDropReason.Malformed"/> because a parser reported <paramref name="error"/>.</summary>
    public long Malformed(WireError error) =>
        (uint)error < (uint)MalformedField.Length ? Volatile.Read(ref MalformedField[(int)error]) : 0;

    /// <summary>Every drop, whatever the reason.</summary>
    public long TotalDropped
    {
        get
        {
            long total = 0;
            for (int i = 0; i < DroppedField.Length; i++) total += Volatile.Read(ref DroppedField[i]);
            return total;
        }
    }

    internal void Drop(InterfaceDropReason reason) => DroppedField[(int)reason]++;

    internal void Drop(InterfaceDropReason reason, int count) => DroppedField[(int)reason] += count;

    internal void DropMalformed(WireError error)
    {
        DroppedField[(int)InterfaceDropReason.Malformed]++;
        if ((uint)error < (uint)MalformedField.Length) MalformedField[(int)error]++;
    }

    /// <inheritdoc />
    public override string ToString()
    {
        var text = new System.Text.StringBuilder();
        text.Append("received ").Append(ReceivedFrames)
            .Append(", echo sent ").Append(EchoRequestsSent).Append(" answered ").Append(EchoRequestsAnswered)
            .Append(" replies ").Append(EchoRepliesReceived)
            .Append(", udp sent ").Append(UdpDatagramsSent).Append(" received ").Append(UdpDatagramsReceived)
            .Append(", fragments sent ").Append(FragmentsSent).Append(" reassembled ").Append(DatagramsReassembled)
            .Append(", arp requests ").Append(ArpRequestsSent).Append(" replies ").Append(ArpRepliesSent)
            .Append(" announcements ").Append(ArpAnnouncementsSent)
            .Append(", igmp reports ").Append(IgmpReportsSent).Append(" queries ").Append(IgmpQueriesReceived);
        for (int i = 0; i < DroppedField.Length; i++)
        {
            long count = Volatile.Read(ref DroppedField[i]);
            if (count != 0) text.Append(", ").Append(((InterfaceDropReason)i).ToString()).Append(' ').Append(count);
        }
        return text.ToString();
    }
}
