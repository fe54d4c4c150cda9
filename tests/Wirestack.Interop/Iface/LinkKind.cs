namespace Wirestack.Interop.Iface;

/// <summary>How a <see cref="KernelLink"/> joins the Interface to the kernel.</summary>
public enum LinkKind
{
    /// <summary>A TAP device whose kernel side is moved into the kernel's namespace.</summary>
    Tap,

    /// <summary>
    /// A TAP device opened with <see cref="Nic.TapDeviceOptions.Offloads"/>: the kernel hands over and takes TCP segments of
    /// up to 64 KiB (TSO/GSO) with checksums it vouches for.
    /// </summary>
    TapOffloads,

    /// <summary>A veth pair: the kernel's end in its namespace, ours opened with AF_PACKET rings (TPACKET_V2).</summary>
    PacketRing,

    /// <summary>
    /// As <see cref="PacketRing"/>, but the veth keeps the kernel's default checksum offloads: TCP and UDP from the kernel
    /// arrive with partial checksums the ring marks TP_STATUS_CSUMNOTREADY (TSO and GSO stay off).
    /// </summary>
    PacketRingChecksumOffload,

    /// <summary>
    /// As <see cref="PacketRing"/>, but both veth ends keep TSO, GSO and GRO on (and checksum offloads), and the device is
    /// opened with <see cref="Nic.PacketRingDeviceOptions.Offloads"/> (PACKET_VNET_HDR): TCP segments of up to 64 KiB
    /// go each way whole.
    /// </summary>
    PacketRingOffloads,

    /// <summary>
    /// As <see cref="PacketRing"/> (the veth without offloads), but the device is opened with
    /// <see cref="Nic.PacketRingDeviceOptions.Offloads"/>: it sends TCP segments of up to 64 KiB, which the kernel cuts to
    /// the MTU in software (GSO) on the queueing discipline's path, and receives MTU-sized frames.
    /// </summary>
    PacketRingSoftwareSegmentation,

    /// <summary>A veth pair: the kernel's end in its namespace, ours opened with AF_XDP, the program in generic mode.</summary>
    Xdp,
}
