namespace Wirestack.Benchmarks.DeviceRates;

/// <summary>The link a row's frames cross; the table lists rows in this order.</summary>
internal enum RateLink
{
    /// <summary>Two <see cref="Nic.PipeDevice"/>s in this process.</summary>
    Pipe,

    /// <summary>A <see cref="Nic.TapDevice"/> whose interface is in a namespace.</summary>
    Tap,

    /// <summary>A <see cref="Nic.PacketRingDevice"/> on the host end of a veth pair into a namespace.</summary>
    PacketRing,

    /// <summary>A veth pair between two namespaces, the kernel on both ends.</summary>
    KernelVeth,

    /// <summary>An <see cref="Nic.XdpDevice"/> on the host end of a veth pair, its program in native (driver) mode.</summary>
    XdpNative,

    /// <summary>An <see cref="Nic.XdpDevice"/> on the host end of a veth pair, its program in generic (SKB) mode.</summary>
    XdpGeneric,
}
