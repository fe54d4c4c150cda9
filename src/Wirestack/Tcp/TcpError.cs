namespace Wirestack.Tcp;

/// <summary>Why a connection ended other than by an orderly close.</summary>
public enum TcpError
{
    /// <summary>No error: open, or closed in order.</summary>
    None,
    /// <summary>The peer answered the connection request with a reset (nothing listens there).</summary>
    ConnectionRefused,
    /// <summary>The peer reset the connection.</summary>
    ConnectionReset,
    /// <summary>Data, a SYN or keep-alive probes went unacknowledged for longer than the user timeout.</summary>
    TimedOut,
    /// <summary>The application aborted the connection.</summary>
    Aborted,
}
