namespace Wirestack.Wire;

/// <summary>
/// The control bits of a TCP header, as they sit in the low nine bits of header bytes 12–13
/// (RFC 9293 section 3.1, RFC 3168 for ECE and CWR).
/// </summary>
[Flags]
public enum TcpFlags : ushort
{
    /// <summary>No control bits.</summary>
    None = 0,

    /// <summary>No more data from the sender.</summary>
    Fin = 0x001,

    /// <summary>Synchronize sequence numbers.</summary>
    Syn = 0x002,

    /// <summary>Reset the connection.</summary>
    Rst = 0x004,

    /// <summary>Push function.</summary>
    Psh = 0x008,

    /// <summary>The acknowledgment number is significant.</summary>
    Ack = 0x010,

    /// <summary>The urgent pointer is significant.</summary>
    Urg = 0x020,

    /// <summary>ECN-Echo (RFC 3168).</summary>
    Ece = 0x040,

    /// <summary>Congestion window reduced (RFC 3168).</summary>
    Cwr = 0x080,

    /// <summary>
    /// The bit below CWR: ECN-nonce (RFC 3540, now historic), reused as AE by accurate ECN.
    /// Wirestack carries it but gives it no meaning.
    /// </summary>
    Ns = 0x100,
}
