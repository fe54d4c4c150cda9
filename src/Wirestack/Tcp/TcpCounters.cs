namespace Wirestack.Tcp;

/// <summary>
/// What TCP on an <see cref="Iface.Interface"/> has done. The owner thread writes them; any thread may read them.
/// Dropped segments are counted with the interface's drop reasons.
/// </summary>
public sealed class TcpCounters
{
    internal long SegmentsReceivedField;
    internal long SegmentsSentField;
    internal long RetransmittedSegmentsField;
    internal long FastRetransmitsField;
    internal long RetransmissionTimeoutsField;
    internal long ResetsSentField;
    internal long ResetsReceivedField;
    internal long ChallengeAcksSentField;
    internal long ConnectionsOpenedField;
    internal long ConnectionsAcceptedField;
    internal long ZeroWindowProbesSentField;
    internal long KeepAliveProbesSentField;
    internal long OutOfOrderSegmentsField;
    internal long SynCookiesSentField;
    internal long ChallengeAcksSuppressedField;
    internal long SynCookiesAcceptedField;
    internal long LostRetransmissionsField;
    internal long DuplicateSegmentsReceivedField;
    internal long DataAfterCloseResetsField;
    internal long UnacceptableAcksUnansweredField;
    internal long DuplicateSacksSentField;
    internal long DuplicateSacksReceivedField;
    internal long TransmitRingFullWaitsField;
    internal long SpuriousFastRetransmitsUndoneField;

    /// <summary>Segments delivered to TCP with a valid checksum.</summary>
    public long SegmentsReceived => Volatile.Read(ref SegmentsReceivedField);

    /// <summary>Segments handed to IP (retransmissions included).</summary>
    public long SegmentsSent => Volatile.Read(ref SegmentsSentField);

    /// <summary>Segments that carried data or a SYN or FIN sent before.</summary>
    public long RetransmittedSegments => Volatile.Read(ref RetransmittedSegmentsField);

    /// <summary>Losses repaired by fast retransmit (three duplicate acknowledgments).</summary>
    public long FastRetransmits => Volatile.Read(ref FastRetransmitsField);

    /// <summary>Retransmission timer expiries.</summary>
    public long RetransmissionTimeouts => Volatile.Read(ref RetransmissionTimeoutsField);

    /// <summary>Resets sent: to closed ports, refused segments and aborts.</summary>
    public long ResetsSent => Volatile.Read(ref ResetsSentField);

    /// <summary>Acceptable resets received.</summary>
    public long ResetsReceived => Volatile.Read(ref ResetsReceivedField);

    /// <summary>Challenge acknowledgments sent (RFC 5961) for in-window RSTs and SYNs and for ACKs outside the acceptable range.</summary>
    public long ChallengeAcksSent => Volatile.Read(ref ChallengeAcksSentField);

    /// <summary>Challenge acknowledgments not sent because the per-second limit was reached (RFC 5961 section 7).</summary>
    public long ChallengeAcksSuppressed => Volatile.Read(ref ChallengeAcksSuppressedField);

    /// <summary>Connections opened actively.</summary>
    public long ConnectionsOpened => Volatile.Read(ref ConnectionsOpenedField);

    /// <summary>Connections that completed the handshake on a listener.</summary>
    public long ConnectionsAccepted => Volatile.Read(ref ConnectionsAcceptedField);

    /// <summary>Probes sent into a zero window (persist timer).</summary>
    public long ZeroWindowProbesSent => Volatile.Read(ref ZeroWindowProbesSentField);

    /// <summary>Keep-alive probes sent.</summary>
    public long KeepAliveProbesSent => Volatile.Read(ref KeepAliveProbesSentField);

    /// <summary>SYN-ACKs sent with a SYN cookie because a listener's SYN queue was full.</summary>
    public long SynCookiesSent => Volatile.Read(ref SynCookiesSentField);

    /// <summary>Connections opened from a returning ACK with a valid SYN cookie.</summary>
    public long SynCookiesAccepted => Volatile.Read(ref SynCookiesAcceptedField);

    /// <summary>Data segments that arrived beyond a gap.</summary>
    public long OutOfOrderSegments => Volatile.Read(ref OutOfOrderSegmentsField);

    /// <summary>Retransmissions found lost during SACK recovery (later data was SACKed first) and sent again without waiting for the timer.</summary>
    public long LostRetransmissions => Volatile.Read(ref LostRetransmissionsField);

    /// <summary>Segments that arrived wholly below RCV.NXT: duplicates (the peer resent what we had, as when our ACK was late or lost) and reordered old ACKs; acknowledged, not counted as drops.</summary>
    public long DuplicateSegmentsReceived => Volatile.Read(ref DuplicateSegmentsReceivedField);

    /// <summary>Connections reset because new data arrived after the application closed them (RFC 1122 section 4.2.2.13).</summary>
    public long DataAfterCloseResets => Volatile.Read(ref DataAfterCloseResetsField);

    /// <summary>Unacceptable data-less segments (out of window or failing PAWS) not answered with an ACK because the connection had answered one less than half a second before, as Linux limits them.</summary>
    public long UnacceptableAcksUnanswered => Volatile.Read(ref UnacceptableAcksUnansweredField);

    /// <summary>ACKs that reported data received twice in their first SACK block (D-SACK, RFC 2883).</summary>
    public long DuplicateSacksSent => Volatile.Read(ref DuplicateSacksSentField);

    /// <summary>ACKs from the peer that reported a duplicate (D-SACK, RFC 2883): mostly retransmissions that were not needed.</summary>
    public long DuplicateSacksReceived => Volatile.Read(ref DuplicateSacksReceivedField);

    /// <summary>Segments (or ACKs) that found the device's transmit ring full and waited in the send ring to be tried again, instead of being lost.</summary>
    public long TransmitRingFullWaits => Volatile.Read(ref TransmitRingFullWaitsField);

    /// <summary>Fast retransmits found spurious (every retransmission came back as a D-SACK: the segments had been reordered, not lost) whose window reduction was undone.</summary>
    public long SpuriousFastRetransmitsUndone => Volatile.Read(ref SpuriousFastRetransmitsUndoneField);
}
