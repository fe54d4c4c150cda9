using Wirestack.Nic;

namespace Wirestack.Diagnostics;

/// <summary>How a <see cref="PcapDevice"/> records.</summary>
public sealed record PcapDeviceOptions
{
    /// <summary>Which frames to record: received, transmitted or both. Default both.</summary>
    public FrameDirections Directions { get; init; } = FrameDirections.Both;

    /// <summary>
    /// The clock for the records' timestamps: its UTC time when the device is created, plus the
    /// time its timestamps say has passed since. Default <see cref="TimeProvider.System"/>.
    /// </summary>
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;

    /// <summary>True to leave the inner device open when the recorder is disposed. Default false.</summary>
    public bool LeaveInnerOpen { get; init; }

    /// <summary>True to flush but not close a writer passed to the constructor when the recorder is disposed. Default false.</summary>
    public bool LeaveWriterOpen { get; init; }

    internal void Validate()
    {
        if ((Directions & ~FrameDirections.Both) != 0)
            throw new ArgumentOutOfRangeException(nameof(Directions), Directions, "PcapDeviceOptions.Directions must be Receive, Transmit, Both or None.");
        ArgumentNullException.ThrowIfNull(TimeProvider);
    }
}
