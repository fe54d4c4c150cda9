namespace Wirestack.Sockets;

/// <summary>Why a <see cref="WirestackException"/> was thrown; the counterpart of <see cref="System.Net.Sockets.SocketError"/>.</summary>
public enum WirestackErrorCode
{
    /// <summary>An argument or option is invalid for this operation.</summary>
    InvalidArgument = 1,

    /// <summary>The local port is already bound.</summary>
    AddressInUse,

    /// <summary>The local address is not one of the stack's, or every binding or ephemeral port is in use.</summary>
    AddressNotAvailable,

    /// <summary>No route leads to the destination, or the stack dropped the packet for want of one.</summary>
    Unreachable,

    /// <summary>The operation did not complete within its timeout.</summary>
    TimedOut,

    /// <summary>The peer refused the connection (a TCP reset to a SYN, or an ICMP port unreachable).</summary>
    Refused,

    /// <summary>The peer reset the connection.</summary>
    Reset,

    /// <summary>The socket or the stack was closed, before or while the operation waited.</summary>
    Closed,

    /// <summary>The datagram is larger than the socket can carry.</summary>
    MessageTooLong,

    /// <summary>The operation is not supported (yet) by this stack or this network.</summary>
    NotSupported,

    /// <summary>A bounded queue or table of the stack is full.</summary>
    NoBufferSpace,

    /// <summary>The socket is not in a state that allows the operation (for example, not bound yet).</summary>
    InvalidState,
}
