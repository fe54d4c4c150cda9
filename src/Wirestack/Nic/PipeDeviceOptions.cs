namespace Wirestack.Nic;

/// <summary>How a <see cref="PipeDevice"/> pair (an in-process cable) is built.</summary>
public sealed record PipeDeviceOptions
{
    /// <summary>The link MTU, 68 to 65535. Default 1500.</summary>
    public int Mtu { get; init; } = 1500;

    /// <summary>Slots per direction, a power of two. Default 1024.</summary>
    public int RingSize { get; init; } = 1024;

    /// <summary>The most frames one receive lends. Default 64.</summary>
    public int ReceiveBatchSize { get; init; } = 64;

    /// <summary>One-way delay added to every frame. Default none.</summary>
    public TimeSpan Latency { get; init; }

    /// <summary>Link rate in bits per second; 0 for no limit. A frame leaves after the previous one has been serialised.</summary>
    public long BitsPerSecond { get; init; }

    /// <summary>
    /// Whether the receiving end vouches for TCP and UDP checksums (<see cref="FrameOffload.TransportChecksumTrusted"/>),
    /// as Linux does for loopback and veth, whose frames never cross a wire: the sender still fills every checksum,
    /// the receiver skips verifying it. Default false: every checksum is verified, so a corrupting wrapper (a
    /// <see cref="FaultInjector"/> between the ends) is caught.
    /// </summary>
    public bool TrustTransportChecksums { get; init; }

    /// <summary>The clock for latency and rate; a manual clock makes simulations deterministic. Default <see cref="TimeProvider.System"/>.</summary>
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;

    internal void Validate()
    {
        if (Mtu is < 68 or > 65535)
            throw new ArgumentOutOfRangeException(nameof(Mtu), Mtu, "PipeDeviceOptions.Mtu must be between 68 (the IPv4 minimum) and 65535.");
        if (RingSize < 2 || RingSize > 65536 || (RingSize & (RingSize - 1)) != 0)
            throw new ArgumentOutOfRangeException(nameof(RingSize), RingSize, "PipeDeviceOptions.RingSize must be a power of two between 2 and 65536.");
        if (ReceiveBatchSize < 1 || ReceiveBatchSize > RingSize)
            throw new ArgumentOutOfRangeException(nameof(ReceiveBatchSize), ReceiveBatchSize, $"PipeDeviceOptions.ReceiveBatchSize must be between 1 and RingSize ({RingSize}).");
        if (Latency < TimeSpan.Zero)
            throw new ArgumentOutOfRangeException(nameof(Latency), Latency, "PipeDeviceOptions.Latency cannot be negative.");
        if (BitsPerSecond < 0)
            throw new ArgumentOutOfRangeException(nameof(BitsPerSecond), BitsPerSecond, "PipeDeviceOptions.BitsPerSecond cannot be negative; use 0 for no limit.");
        ArgumentNullException.ThrowIfNull(TimeProvider);
    }
}
