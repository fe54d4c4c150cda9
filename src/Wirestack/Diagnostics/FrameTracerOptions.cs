using Wirestack.Nic;

namespace Wirestack.Diagnostics;

/// <summary>How a <see cref="FrameTracer"/> traces.</summary>
public sealed record FrameTracerOptions
{
    /// <summary>Which frames to trace: received, transmitted or both. Default both.</summary>
    public FrameDirections Directions { get; init; } = FrameDirections.Both;

    /// <summary>Put at the start of every line, to tell devices apart when several trace to one place. Default none.</summary>
    public string? Label { get; init; }

    /// <summary>The clock for the lines' times (seconds since the tracer was created). Default <see cref="TimeProvider.System"/>.</summary>
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;

    /// <summary>True to leave the inner device open when the tracer is disposed. Default false.</summary>
    public bool LeaveInnerOpen { get; init; }

    internal void Validate()
    {
        if ((Directions & ~FrameDirections.Both) != 0)
            throw new ArgumentOutOfRangeException(nameof(Directions), Directions, "FrameTracerOptions.Directions must be Receive, Transmit, Both or None.");
        ArgumentNullException.ThrowIfNull(TimeProvider);
    }
}
