namespace Wirestack.Benchmarks.DeviceRates;

/// <summary>One row of the table: a link, a direction and a frame size, with what was measured.</summary>
internal sealed record RateRow(RateLink Link, RateDirection Direction, int FrameBytes)
{
    /// <summary>Frames per second through the Wirestack device; null on a kernel-only row.</summary>
    public double? WirestackFramesPerSecond { get; init; }

    /// <summary>The kernel's own rate on the same kind of link in this run; null where there is none.</summary>
    public double? KernelFramesPerSecond { get; init; }

    /// <summary>Bytes allocated per frame on the threads driving the device, after the warm-up; null on a kernel-only row.</summary>
    public double? AllocatedBytesPerFrame { get; init; }
}
