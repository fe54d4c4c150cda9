namespace Wirestack.Tcp;

/// <summary>
/// A sender's congestion controller: it owns the congestion window and the slow-start threshold, in
/// bytes, and the control block tells it what happened. It never reads a clock; times come as <see cref="Instant"/>.
/// </summary>
/// <remarks>
/// <para>The caller's contract:</para>
/// <list type="bullet">
/// <item><see cref="OnAck"/> only for cumulative ACKs of new data outside loss recovery.</item>
/// <item>On loss detection (three duplicate ACKs, or the SACK scoreboard) call <see cref="OnFastRetransmit"/>
/// once per recovery episode; it sets cwnd = ssthresh. Fast-recovery window inflation is the caller's job:
/// during recovery send while the pipe (RFC 6675 SetPipe, or without SACK FlightSize minus
/// dupacks·SMSS, RFC 6582) is below <see cref="CongestionWindow"/>.</item>
/// <item>When the ACK covering the recovery point arrives call <see cref="OnRecoveryExit"/>.</item>
/// <item>On a retransmission timeout call <see cref="OnRetransmitTimeout"/> (also after a SYN or SYN-ACK was
/// retransmitted, RFC 5681 section 3.1, once the connection is established).</item>
/// <item>Before sending after an idle period longer than the RTO call <see cref="OnIdleRestart"/>.</item>
/// </list>
/// <para>Controllers that also implement <see cref="IRttSampleSink"/> (both built-in ones) want each RTT sample,
/// before the <see cref="OnAck"/> of the same ACK, for HyStart++.</para>
/// </remarks>
public interface ICongestionControl
{
    /// <summary>cwnd: how many bytes may be in flight, in bytes.</summary>
    int CongestionWindow { get; }

    /// <summary>ssthresh, in bytes; <see cref="int.MaxValue"/> until the first loss.</summary>
    int SlowStartThreshold { get; }

    /// <summary>
    /// Starts over for a new connection: cwnd = IW = min(10·mss, max(2·mss, 14600)) (RFC 6928),
    /// ssthresh = <see cref="int.MaxValue"/>.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="mss"/> is not positive.</exception>
    void Initialize(int mss, Instant now);

    /// <summary>A cumulative ACK of new data arrived outside loss recovery.</summary>
    /// <param name="ackedBytes">The bytes it newly acknowledged.</param>
    /// <param name="bytesInFlight">The bytes still outstanding after it (SND.NXT − SND.UNA, updated). The window
    /// grows only while the sender used it (RFC 7661): an application-limited sender doesn't earn more.</param>
    /// <param name="smoothedRtt">The current SRTT (zero if none yet).</param>
    /// <param name="now">The time the ACK arrived.</param>
    void OnAck(int ackedBytes, int bytesInFlight, TimeSpan smoothedRtt, Instant now);

    /// <summary>Loss was detected by duplicate ACKs or SACK: sets ssthresh from the flight and cwnd = ssthresh.</summary>
    /// <param name="bytesInFlight">FlightSize when the loss was detected.</param>
    /// <param name="now">The current time.</param>
    void OnFastRetransmit(int bytesInFlight, Instant now);

    /// <summary>
    /// The last fast retransmit was spurious (every retransmission of the episode came back as a duplicate, RFC 2883 /
    /// RFC 3708): restores the window and state as they were before <see cref="OnFastRetransmit"/> (RFC 9438 section 4.9).
    /// Call it instead of <see cref="OnRecoveryExit"/> when recovery ends so, or after it. Does nothing after a
    /// retransmission timeout or a second call.
    /// </summary>
    void OnSpuriousFastRetransmit(Instant now);
    /// <summary>A full ACK ended loss recovery (for NewReno cwnd = ssthresh).</summary>
    void OnRecoveryExit(Instant now);

    /// <summary>The retransmission timer expired (RFC 5681 section 3.1, eq. 4): ssthresh from the flight, cwnd = one segment.</summary>
    /// <param name="bytesInFlight">FlightSize when the timer expired.</param>
    /// <param name="now">The current time.</param>
    void OnRetransmitTimeout(int bytesInFlight, Instant now);

    /// <summary>The sender was idle for longer than an RTO and is about to send again (RFC 5681 section 4.1):
    /// cwnd shrinks to at most the initial window.</summary>
    void OnIdleRestart(Instant now);

    /// <summary>The MSS changed (path MTU discovery): the window keeps its size in segments.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="mss"/> is not positive.</exception>
    void OnMssChanged(int mss);
}
