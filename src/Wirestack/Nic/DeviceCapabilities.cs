namespace Wirestack.Nic;

/// <summary>What a device carries and how its rings are sized; fixed when the device is created.</summary>
public sealed record DeviceCapabilities
{
    /// <summary>The largest IP packet the link carries (Ethernet MTU), in bytes.</summary>
    public required int Mtu { get; init; }

    /// <summary>The largest frame a slot holds: the MTU plus the Ethernet header and one VLAN tag.</summary>
    public int MaxFrameLength => Mtu + FrameOverhead;

    /// <summary>Slots in the receive ring.</summary>
    public required int ReceiveRingSize { get; init; }

    /// <summary>Slots in the transmit ring.</summary>
    public required int TransmitRingSize { get; init; }

    /// <summary>The most frames one <see cref="INetworkDevice.Receive"/> lends at once.</summary>
    public required int ReceiveBatchSize { get; init; }

    /// <summary>Checksums the device verifies on receive, so the stack need not.</summary>
    public ChecksumOffload ReceiveChecksums { get; init; }

    /// <summary>Checksums the device fills on transmit, so the stack need not.</summary>
    public ChecksumOffload TransmitChecksums { get; init; }

    /// <summary>
    /// The largest IP packet the device takes on transmit as one TCP segment to cut into MTU-sized ones (TSO/GSO),
    /// and may hand over on receive as TCP segments it coalesced (GRO); its transmit slots are then that long plus
    /// <see cref="FrameOverhead"/>. 0 (the default) when it does neither: every frame is at most
    /// <see cref="MaxFrameLength"/>. See <see cref="FrameOffload"/>.
    /// </summary>
    public int MaxOffloadLength { get; init; }

    /// <summary>The Ethernet header plus one VLAN tag: what a slot holds beyond the MTU.</summary>
    public const int FrameOverhead = 14 + 4;
}
