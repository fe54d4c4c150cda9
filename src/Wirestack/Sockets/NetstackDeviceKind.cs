namespace Wirestack.Sockets;

/// <summary>Which device a <see cref="Netstack"/> opens from <see cref="NetstackOptions"/>.</summary>
public enum NetstackDeviceKind
{
    /// <summary>None from options: the device is given in code (<see cref="NetstackBuilder.UseDevice"/>).</summary>
    None = 0,

    /// <summary>A TAP device (<see cref="Nic.TapDevice"/>) named <see cref="NetstackOptions.DeviceName"/>, created if missing.</summary>
    Tap,

    /// <summary>AF_PACKET rings (<see cref="Nic.PacketRingDevice"/>) on the existing interface <see cref="NetstackOptions.DeviceName"/>.</summary>
    PacketRing,
}
