namespace Wirestack.Nic;

/// <summary>How an <see cref="XdpDevice"/> (an AF_XDP socket on one queue of an interface) is set up.</summary>
public sealed record XdpDeviceOptions
{
    /// <summary>The largest MTU an <see cref="XdpDevice"/> carries: a 4096-byte UMEM chunk less the kernel's 256-byte XDP headroom and the 18-byte frame overhead.</summary>
    public const int MaxMtu = 4096 - 256 - DeviceCapabilities.FrameOverhead;

    /// <summary>
    /// The link MTU the device reports and sizes its UMEM chunks for, 68 to <see cref="MaxMtu"/>; null
    /// (the default) reads the interface's own MTU when the device opens, which must then be at most
    /// <see cref="MaxMtu"/>. Received frames longer than a slot are counted in <see cref="DeviceCounters.ReceiveDropped"/>.
    /// </summary>
    public int? Mtu { get; init; }

    /// <summary>The interface's receive queue the socket binds to, 0 or more (one socket per queue). Default 0.</summary>
    public int QueueId { get; init; }

    /// <summary>
    /// Entries in each of the four rings (fill, receive, transmit, completion), a power of two from
    /// 64 to 16384. The UMEM holds twice as many chunks: one per receive and one per transmit slot.
    /// Default 2048.
    /// </summary>
    public int RingSize { get; init; } = 2048;

    /// <summary>The most frames one receive lends, 1 to <see cref="RingSize"/>. Default 64.</summary>
    public int ReceiveBatchSize { get; init; } = 64;

    /// <summary>Where the XDP program runs: native (driver), generic (SKB), or native falling back to generic (the default).</summary>
    public XdpAttachMode AttachMode { get; init; } = XdpAttachMode.Auto;

    /// <summary>Zero-copy, copy, or zero-copy falling back to copy (the default).</summary>
    public XdpCopyMode CopyMode { get; init; } = XdpCopyMode.Auto;

    /// <summary>
    /// Binds with XDP_USE_NEED_WAKEUP (default true): the kernel says through a flag in each ring when
    /// it needs a system call to make progress, and a flush makes sendto(2) only then. Set false to
    /// kick the kernel on every flush.
    /// </summary>
    public bool UseNeedWakeup { get; init; } = true;

    /// <summary>
    /// Removes a Wirestack XDP program found attached to the interface whose process has exited (it
    /// died without detaching, and would otherwise keep redirecting frames to a socket that is gone).
    /// Default true. A program that is not Wirestack's, or whose process still runs, is never touched:
    /// opening fails and says which program holds the interface.
    /// </summary>
    public bool ReplaceStaleProgram { get; init; } = true;

    /// <summary>
    /// Puts the interface in promiscuous mode for as long as the device is open (default true): the
    /// stack answers for its own MAC address, which is not the interface's, and a real NIC would
    /// otherwise filter those frames out before XDP sees them.
    /// </summary>
    public bool Promiscuous { get; init; } = true;

    internal void Validate()
    {
        if (Mtu is < 68 or > MaxMtu)
            throw new ArgumentOutOfRangeException(nameof(Mtu), Mtu, $"XdpDeviceOptions.Mtu must be between 68 (the IPv4 minimum) and {MaxMtu} (what a 4096-byte UMEM chunk holds), or null to use the interface's MTU.");
        if (QueueId < 0)
            throw new ArgumentOutOfRangeException(nameof(QueueId), QueueId, "XdpDeviceOptions.QueueId must be 0 or more: the index of one of the interface's receive queues.");
        if (RingSize < 64 || RingSize > 16384 || (RingSize & (RingSize - 1)) != 0)
            throw new ArgumentOutOfRangeException(nameof(RingSize), RingSize, "XdpDeviceOptions.RingSize must be a power of two between 64 and 16384.");
        if (ReceiveBatchSize < 1 || ReceiveBatchSize > RingSize)
            throw new ArgumentOutOfRangeException(nameof(ReceiveBatchSize), ReceiveBatchSize, $"XdpDeviceOptions.ReceiveBatchSize must be between 1 and RingSize ({RingSize}).");
        if (!Enum.IsDefined(AttachMode))
            throw new ArgumentOutOfRangeException(nameof(AttachMode), AttachMode, "XdpDeviceOptions.AttachMode must be Auto, Native or Generic.");
        if (!Enum.IsDefined(CopyMode))
            throw new ArgumentOutOfRangeException(nameof(CopyMode), CopyMode, "XdpDeviceOptions.CopyMode must be Auto, ZeroCopy or Copy.");
        if (AttachMode == XdpAttachMode.Generic && CopyMode == XdpCopyMode.ZeroCopy)
            throw new ArgumentException("XdpDeviceOptions: zero-copy needs the program attached in native mode; use AttachMode Native (or Auto), or CopyMode Copy (or Auto) with Generic.", nameof(CopyMode));
    }

    /// <summary>The UMEM chunk size for frames of up to <paramref name="maxFrameLength"/> bytes: 2048 when they fit beside the XDP headroom, else 4096.</summary>
    internal static int ChunkSizeFor(int maxFrameLength) => maxFrameLength + 256 <= 2048 ? 2048 : 4096;
}
