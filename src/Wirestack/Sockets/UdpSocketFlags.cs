namespace Wirestack.Sockets;

/// <summary>How a UDP socket binds, as the matching socket options do on a kernel socket.</summary>
[Flags]
public enum UdpSocketFlags
{
    /// <summary>An exclusive binding that sends no broadcasts.</summary>
    None = 0,

    /// <summary>Lets several sockets bind the same port (SO_REUSEADDR), for multicast receivers.</summary>
    ReuseAddress = 1,

    /// <summary>Lets the socket send to broadcast addresses (SO_BROADCAST).</summary>
    AllowBroadcast = 2,
}
