namespace Wirestack.Tcp;

/// <summary>The states of a TCP connection (RFC 9293 section 3.3.2).</summary>
public enum TcpState
{
    /// <summary>No connection: never opened, or finished (see the connection's <see cref="TcpError"/> for why).</summary>
    Closed,
    /// <summary>Waiting for a connection request (a listener).</summary>
    Listen,
    /// <summary>A SYN was sent; waiting for the peer's SYN.</summary>
    SynSent,
    /// <summary>A SYN was received and answered; waiting for the acknowledgment of ours.</summary>
    SynReceived,
    /// <summary>Open: data flows both ways.</summary>
    Established,
    /// <summary>Our FIN was sent; waiting for its acknowledgment or the peer's FIN.</summary>
    FinWait1,
    /// <summary>Our FIN was acknowledged; waiting for the peer's FIN.</summary>
    FinWait2,
    /// <summary>The peer's FIN arrived; waiting for the application to close.</summary>
    CloseWait,
    /// <summary>Both FINs crossed; waiting for the acknowledgment of ours.</summary>
    Closing,
    /// <summary>The peer closed first and our FIN was sent; waiting for its acknowledgment.</summary>
    LastAck,
    /// <summary>Both sides closed; waiting 2·MSL so that stray segments of this connection die out.</summary>
    TimeWait,
}
