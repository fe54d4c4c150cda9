namespace Wirestack.Nic;

/// <summary>How a <see cref="PacketRingDevice"/> (an AF_PACKET socket with memory-mapped rings) is set up.</summary>
public sealed record PacketRingDeviceOptions
{
    /// <summary>
    /// The link MTU the device reports and sizes its slots for, 68 to 65535; null (the default)
    /// reads the interface's own MTU when the device opens. Above the interface's MTU, longer frames
    /// are refused by the kernel (counted in <see cref="DeviceCounters.TransmitDropped"/>); below it,
    /// received frames longer than a slot are counted in <see cref="DeviceCounters.ReceiveDropped"/>.
    /// </summary>
    public int? Mtu { get; init; }

    /// <summary>Frames in each ring (receive and transmit), a power of two from 8 to 65536. Default 1024.</summary>
    public int RingSize { get; init; } = 1024;

    /// <summary>The most frames one receive lends, 1 to <see cref="RingSize"/>. Default 64.</summary>
    public int ReceiveBatchSize { get; init; } = 64;

    /// <summary>
    /// Puts the interface in promiscuous mode for as long as the device is open (default true): the
    /// stack answers for its own MAC address, which is not the interface's, and a real NIC would
    /// otherwise filter those frames out before the socket sees them.
    /// </summary>
    public bool Promiscuous { get; init; } = true;

    /// <summary>
    /// Hands transmitted frames straight to the driver, skipping the interface's queueing discipline
    /// (PACKET_QDISC_BYPASS): faster, but traffic control (tc, netem) on the interface then does not apply
    /// to them and captures on the interface (tcpdump) do not see them. Set false for either.
    /// Default null: bypass, except with <see cref="Offloads"/> on an interface without TSO, where the kernel cuts the
    /// device's 64 KiB segments in software (GSO), which it does only on the queueing discipline's path. True there
    /// keeps the bypass and sends MTU-sized frames only (<see cref="DeviceCapabilities.MaxOffloadLength"/> 0); on a veth
    /// without offloads, 1 MiB HTTP responses went at about twice the rate with the kernel segmenting.
    /// </summary>
    public bool? BypassQueueingDiscipline { get; init; }

    /// <summary>
    /// Exchanges a <c>virtio_net_hdr</c> with every frame (PACKET_VNET_HDR), as a TAP device does with
    /// <see cref="TapDeviceOptions.Offloads"/>: the kernel hands over TCP segments of up to 64 KiB whole (a veth peer's
    /// TSO/GSO super-segments, or what GRO coalesced) with their checksums vouched for, and takes such segments to cut to
    /// the MTU itself, so the interface's TSO, GSO and GRO can stay on. Each ring frame is then 64 KiB, so the two rings
    /// map <see cref="RingSize"/> × 128 KiB (1024: 128 MiB), and the device's <see cref="DeviceCapabilities.MaxOffloadLength"/>
    /// says how long a segment may be. A small frame takes a whole 64 KiB frame too, so a flood of small frames needs as
    /// many ring frames as without offloads (on a veth, 64-byte UDP at full rate lost 65 % with 256, 9 % with 1024).
    /// Default false.
    /// </summary>
    public bool Offloads { get; init; }

    internal void Validate()
    {
        if (Mtu is < 68 or > 65535)
            throw new ArgumentOutOfRangeException(nameof(Mtu), Mtu, "PacketRingDeviceOptions.Mtu must be between 68 (the IPv4 minimum) and 65535, or null to use the interface's MTU.");
        if (RingSize < 8 || RingSize > 65536 || (RingSize & (RingSize - 1)) != 0)
            throw new ArgumentOutOfRangeException(nameof(RingSize), RingSize, "PacketRingDeviceOptions.RingSize must be a power of two between 8 and 65536.");
        if (ReceiveBatchSize < 1 || ReceiveBatchSize > RingSize)
            throw new ArgumentOutOfRangeException(nameof(ReceiveBatchSize), ReceiveBatchSize, $"PacketRingDeviceOptions.ReceiveBatchSize must be between 1 and RingSize ({RingSize}).");
    }
}
