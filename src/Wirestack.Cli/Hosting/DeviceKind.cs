namespace Wirestack.Cli.Hosting;

/// <summary>The kinds of device the command line can open.</summary>
internal enum DeviceKind
{
    /// <summary>A TAP device, created or attached by name ("tap:NAME").</summary>
    Tap,

    /// <summary>An existing interface opened with AF_PACKET mmap rings ("packet:IFACE").</summary>
    PacketRing,

    /// <summary>One queue of an existing interface opened with AF_XDP ("xdp:IFACE[:QUEUE]").</summary>
    Xdp,
}
