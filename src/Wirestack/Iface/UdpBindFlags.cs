namespace Wirestack.Iface;

/// <summary>How a UDP binding shares its port and what it may send to, for <see cref="Interface.TryBindUdp(Wire.IpEndpoint, UdpBindFlags, out UdpHandle)"/>.</summary>
[Flags]
public enum UdpBindFlags
{
    /// <summary>An exclusive binding that sends to unicast and multicast destinations only.</summary>
    None = 0,

    /// <summary>
    /// Lets several bindings share a port when every one of them asks for it, as SO_REUSEADDR does for UDP: each
    /// multicast or broadcast datagram is delivered to every matching binding, a unicast one to the most specific.
    /// </summary>
    ReuseAddress = 1,

    /// <summary>
    /// Lets the binding send to the limited broadcast 255.255.255.255 and to subnet broadcasts, as SO_BROADCAST
    /// does; without it such sends are dropped as <see cref="InterfaceDropReason.BroadcastNotAllowed"/>.
    /// </summary>
    AllowBroadcast = 2,
}
