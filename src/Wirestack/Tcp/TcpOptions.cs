namespace Wirestack.Tcp;

/// <summary>TCP settings of an <see cref="Iface.Interface"/>: sizes, timers and algorithms. Every size is allocated up front or at first use of a slot.</summary>
public sealed record TcpOptions
{
    /// <summary>How many connections (in every state, TIME-WAIT included) may exist at once. Default 1024.</summary>
    public int ConnectionCapacity { get; init; } = 1024;

    /// <summary>How many listeners may be open at once. Default 16.</summary>
    public int ListenerCapacity { get; init; } = 16;

    /// <summary>Each connection's send ring (the retransmission store), in bytes, rounded up to a power of two. Default 256 KiB.</summary>
    public int SendBufferLength { get; init; } = 256 * 1024;

    /// <summary>Each connection's receive ring, in bytes, rounded up to a power of two; the advertised window never exceeds its free space. Default 256 KiB.</summary>
    public int ReceiveBufferLength { get; init; } = 256 * 1024;

    /// <summary>How many separate ranges beyond gaps the receiver keeps; data needing more is dropped. Default 16.</summary>
    public int MaxOutOfOrderRanges { get; init; } = 16;

    /// <summary>MSL: TIME-WAIT lasts twice this. Default 30 s (Linux's 60 s TIME-WAIT).</summary>
    public TimeSpan MaximumSegmentLifetime { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>The retransmission timeout before the first RTT sample (RFC 6298). Default 1 s.</summary>
    public TimeSpan InitialRetransmissionTimeout { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>The floor of the retransmission timeout. Default 200 ms, as Linux.</summary>
    public TimeSpan MinRetransmissionTimeout { get; init; } = TimeSpan.FromMilliseconds(200);

    /// <summary>The ceiling of the retransmission timeout, backoff included. Default 120 s, as Linux.</summary>
    public TimeSpan MaxRetransmissionTimeout { get; init; } = TimeSpan.FromSeconds(120);

    /// <summary>Whether to delay acknowledgments of in-order data (RFC 1122, RFC 9293 section 3.8.6.3). Default true.</summary>
    public bool DelayedAck { get; init; } = true;

    /// <summary>The longest an acknowledgment is delayed. Default 40 ms, as Linux.</summary>
    public TimeSpan DelayedAckTimeout { get; init; } = TimeSpan.FromMilliseconds(40);

    /// <summary>How many data segments at the start of a connection are acknowledged at once (quick ACK, to open the peer's slow start). Default 16.</summary>
    public int QuickAckSegments { get; init; } = 16;

    /// <summary>Whether the Nagle algorithm holds back small segments while data is unacknowledged (RFC 9293 section 3.7.4). Default true.</summary>
    public bool Nagle { get; init; } = true;

    /// <summary>Whether idle connections send keep-alive probes. Default false.</summary>
    public bool KeepAlive { get; init; }

    /// <summary>Idle time before the first keep-alive probe. Default 2 h.</summary>
    public TimeSpan KeepAliveIdle { get; init; } = TimeSpan.FromHours(2);

    /// <summary>Time between unanswered keep-alive probes. Default 75 s.</summary>
    public TimeSpan KeepAliveInterval { get; init; } = TimeSpan.FromSeconds(75);

    /// <summary>Unanswered keep-alive probes before the connection is dropped. Default 9.</summary>
    public int KeepAliveProbes { get; init; } = 9;

    /// <summary>How long data (or a SYN) may stay unacknowledged before the connection is dropped (RFC 9293 user timeout). Default 5 min.</summary>
    public TimeSpan UserTimeout { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>How long a connection closed by the application may wait in FIN-WAIT-2 for the peer's FIN. Default 60 s, as Linux.</summary>
    public TimeSpan FinWait2Timeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>The congestion control algorithm (the control block does the loss recovery around either: RFC 6675 with SACK, NewReno without). Default CUBIC, as Linux.</summary>
    public CongestionControlAlgorithm CongestionControl { get; init; } = CongestionControlAlgorithm.Cubic;

    /// <summary>The most challenge ACKs (RFC 5961) the stack sends per second, across all connections. Default 1000.</summary>
    public int ChallengeAckLimit { get; init; } = 1000;

    /// <summary>Whether to offer window scaling (RFC 7323). Default true.</summary>
    public bool WindowScaling { get; init; } = true;

    /// <summary>Whether to offer timestamps (RFC 7323: RTTM and PAWS). Default true.</summary>
    public bool Timestamps { get; init; } = true;

    /// <summary>Whether to offer selective acknowledgments (RFC 2018). Default true.</summary>
    public bool SelectiveAcknowledgments { get; init; } = true;

    /// <summary>Throws when a setting is out of range, naming it.</summary>
    /// <exception cref="ArgumentException">A setting is invalid.</exception>
    public void Validate()
    {
        if (ConnectionCapacity is < 1 or > 1 << 20)
            throw new ArgumentOutOfRangeException(nameof(ConnectionCapacity), ConnectionCapacity, "TcpOptions.ConnectionCapacity must be between 1 and 1048576.");
        if (ListenerCapacity is < 0 or > 4096)
            throw new ArgumentOutOfRangeException(nameof(ListenerCapacity), ListenerCapacity, "TcpOptions.ListenerCapacity must be between 0 and 4096.");
        if (SendBufferLength is < 1024 or > 1 << 30)
            throw new ArgumentOutOfRangeException(nameof(SendBufferLength), SendBufferLength, "TcpOptions.SendBufferLength must be between 1 KiB and 1 GiB.");
        if (ReceiveBufferLength is < 1024 or > 1 << 30)
            throw new ArgumentOutOfRangeException(nameof(ReceiveBufferLength), ReceiveBufferLength, "TcpOptions.ReceiveBufferLength must be between 1 KiB and 1 GiB.");
        if (MaxOutOfOrderRanges is < 1 or > 1024)
            throw new ArgumentOutOfRangeException(nameof(MaxOutOfOrderRanges), MaxOutOfOrderRanges, "TcpOptions.MaxOutOfOrderRanges must be between 1 and 1024.");
        if (MaximumSegmentLifetime < TimeSpan.Zero)
            throw new ArgumentOutOfRangeException(nameof(MaximumSegmentLifetime), MaximumSegmentLifetime, "TcpOptions.MaximumSegmentLifetime must not be negative.");
        if (MinRetransmissionTimeout <= TimeSpan.Zero || InitialRetransmissionTimeout <= TimeSpan.Zero || MaxRetransmissionTimeout < MinRetransmissionTimeout)
            throw new ArgumentException("TcpOptions retransmission timeouts must be positive, with MaxRetransmissionTimeout at least MinRetransmissionTimeout.", nameof(MaxRetransmissionTimeout));
        if (DelayedAckTimeout < TimeSpan.Zero || DelayedAckTimeout > TimeSpan.FromMilliseconds(500))
            throw new ArgumentOutOfRangeException(nameof(DelayedAckTimeout), DelayedAckTimeout, "TcpOptions.DelayedAckTimeout must be between 0 and 500 ms (RFC 9293).");
        if (QuickAckSegments < 0)
            throw new ArgumentOutOfRangeException(nameof(QuickAckSegments), QuickAckSegments, "TcpOptions.QuickAckSegments must not be negative.");
        if (KeepAliveIdle <= TimeSpan.Zero || KeepAliveInterval <= TimeSpan.Zero || KeepAliveProbes < 1)
            throw new ArgumentException("TcpOptions keep-alive idle time and interval must be positive and KeepAliveProbes at least 1.", nameof(KeepAliveProbes));
        if (ChallengeAckLimit < 0)
            throw new ArgumentOutOfRangeException(nameof(ChallengeAckLimit), ChallengeAckLimit, "TcpOptions.ChallengeAckLimit must not be negative.");
        if (UserTimeout <= TimeSpan.Zero || FinWait2Timeout <= TimeSpan.Zero)
            throw new ArgumentException("TcpOptions.UserTimeout and FinWait2Timeout must be positive.", nameof(UserTimeout));
    }
}
