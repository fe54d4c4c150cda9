using System.Text;

namespace Wirestack.Nic;

/// <summary>How a <see cref="TapDevice"/> (a Linux TAP interface) is created or attached to.</summary>
public sealed record TapDeviceOptions
{
    /// <summary>Linux's largest interface name, in bytes (IFNAMSIZ less the terminating NUL).</summary>
    public const int MaxNameLength = 15;

    /// <summary>The largest MTU a TAP interface takes: 65535 less the Ethernet header.</summary>
    public const int MaxMtu = 65535 - 14;

    /// <summary>
    /// The interface name. A TAP device of that name is attached to if it exists, created
    /// otherwise. Null or empty lets the kernel pick a free <c>tapN</c>; <see cref="TapDevice.Name"/>
    /// tells which. At most 15 bytes, without '/', ':' or white space. Default null.
    /// </summary>
    public string? Name { get; init; }

    /// <summary>The interface MTU, 68 to 65521; set on the interface when it differs. Default 1500.</summary>
    public int Mtu { get; init; } = 1500;

    /// <summary>
    /// True to make the interface outlive the device (TUNSETPERSIST): it stays until
    /// <c>ip link delete</c>. False leaves persistence as found, so an interface this device
    /// creates disappears when it is disposed. Default false.
    /// </summary>
    public bool Persistent { get; init; }

    /// <summary>
    /// The most frames one receive lends, 1 to 4096; the receive ring has this many slots, because
    /// the kernel hands a TAP device one frame per read and the device reads only what it lends.
    /// Default 64.
    /// </summary>
    public int ReceiveBatchSize { get; init; } = 64;

    /// <summary>Transmit slots, 1 to 4096: how many frames can be committed before a flush. Default 256.</summary>
    public int TransmitRingSize { get; init; } = 256;

    /// <summary>
    /// True to exchange a <c>virtio_net_hdr</c> with every frame (IFF_VNET_HDR) and turn on the kernel's checksum and
    /// TCP segmentation offloads for this descriptor (TUNSETOFFLOAD): the kernel then hands over TCP segments of up to
    /// 64 KiB that it did not cut to the MTU, with checksums it vouches for, and takes such segments to cut (or to
    /// deliver whole to its own stack). One system call then moves up to 64 KiB of TCP payload instead of one MTU's
    /// worth. Slots grow to 64 KiB each. A <see cref="FaultInjector"/> cannot wrap such a device. Default false.
    /// </summary>
    public bool Offloads { get; init; }

    /// <summary>
    /// True to open one queue of a multi-queue TAP interface (IFF_MULTI_QUEUE): every device opened with the same
    /// <see cref="Name"/> and this set adds a queue, and the kernel spreads the frames it sends over the queues (by its
    /// own flow hash, or by a steering program; <see cref="Sockets.ShardedNetwork.OpenTap"/> opens the queues and
    /// attaches Wirestack's). An interface is single-queue or multi-queue from its creation on; the other kind cannot
    /// attach to it. Default false.
    /// </summary>
    public bool MultiQueue { get; init; }

    internal void Validate()
    {
        if (!string.IsNullOrEmpty(Name)) ValidateName(Name);
        if (Mtu is < 68 or > MaxMtu)
            throw new ArgumentOutOfRangeException(nameof(Mtu), Mtu, $"TapDeviceOptions.Mtu must be between 68 (the IPv4 minimum) and {MaxMtu} (the TAP maximum: 65535 less the Ethernet header).");
        if (ReceiveBatchSize is < 1 or > 4096)
            throw new ArgumentOutOfRangeException(nameof(ReceiveBatchSize), ReceiveBatchSize, "TapDeviceOptions.ReceiveBatchSize must be between 1 and 4096.");
        if (TransmitRingSize is < 1 or > 4096)
            throw new ArgumentOutOfRangeException(nameof(TransmitRingSize), TransmitRingSize, "TapDeviceOptions.TransmitRingSize must be between 1 and 4096.");
    }

    // The kernel's own rules for a name (dev_valid_name), checked here so the error names the option.
    private static void ValidateName(string name)
    {
        int bytes = Encoding.UTF8.GetByteCount(name);
        if (bytes > MaxNameLength)
            throw new ArgumentException($"TapDeviceOptions.Name '{name}' is {bytes} bytes long; Linux interface names are at most {MaxNameLength} bytes. Choose a shorter name, or leave it empty to let the kernel pick one.", nameof(Name));
        if (name is "." or "..")
            throw new ArgumentException($"TapDeviceOptions.Name cannot be '{name}'; choose another name.", nameof(Name));
        foreach (char c in name)
        {
            if (c is '/' or ':' || char.IsWhiteSpace(c) || c == '\0')
                throw new ArgumentException($"TapDeviceOptions.Name '{name}' contains '{(c == '\0' ? "\\0" : c.ToString())}'; Linux interface names cannot contain '/', ':', NUL or white space.", nameof(Name));
        }
    }
}
