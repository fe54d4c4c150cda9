namespace Wirestack.Nic;

/// <summary>
/// The faults a <see cref="FaultInjector"/> has injected in one direction, by kind. The device's
/// thread writes them; any thread may read them.
/// </summary>
public sealed class FaultCounters
{
    internal long FramesField;
    internal long DroppedField;
    internal long OversizedField;
    internal long DuplicatedField;
    internal long ReorderedField;
    internal long CorruptedField;
    internal long DelayedField;
    internal long RateDelayedField;
    internal long RateDroppedField;
    internal long PoolExhaustedDroppedField;
    internal long PoolExhaustedSkippedField;

    /// <summary>Frames the injector has seen in this direction, faulted or not (duplicates not counted).</summary>
    public long Frames => Volatile.Read(ref FramesField);

    /// <summary>Frames dropped at random (<see cref="FaultInjectorOptions.DropProbability"/>).</summary>
    public long Dropped => Volatile.Read(ref DroppedField);

    /// <summary>Frames dropped for being longer than <see cref="FaultInjectorOptions.MaxFrameLength"/> (the MTU clamp).</summary>
    public long Oversized => Volatile.Read(ref OversizedField);

    /// <summary>Extra copies of frames delivered (<see cref="FaultInjectorOptions.DuplicateProbability"/>).</summary>
    public long Duplicated => Volatile.Read(ref DuplicatedField);

    /// <summary>Frames held back behind later ones (<see cref="FaultInjectorOptions.ReorderProbability"/>).</summary>
    public long Reordered => Volatile.Read(ref ReorderedField);

    /// <summary>Frames with one bit flipped (<see cref="FaultInjectorOptions.CorruptProbability"/>).</summary>
    public long Corrupted => Volatile.Read(ref CorruptedField);

    /// <summary>Frames held for <see cref="FaultInjectorOptions.Delay"/> plus jitter (every frame, when a delay is set).</summary>
    public long Delayed => Volatile.Read(ref DelayedField);

    /// <summary>Frames held because the rate limit's token bucket was short (<see cref="RateLimitAction.Delay"/>).</summary>
    public long RateDelayed => Volatile.Read(ref RateDelayedField);

    /// <summary>Frames dropped because the rate limit's token bucket was short (<see cref="RateLimitAction.Drop"/>).</summary>
    public long RateDropped => Volatile.Read(ref RateDroppedField);

    /// <summary>Received frames that had to wait (delay, rate, or frames ahead still waiting) but found every pool slot taken, and were dropped.</summary>
    public long PoolExhaustedDropped => Volatile.Read(ref PoolExhaustedDroppedField);

    /// <summary>Frames that went on without the copy a fault needed (duplicate, corruption, reorder) because every pool slot was taken.</summary>
    public long PoolExhaustedSkipped => Volatile.Read(ref PoolExhaustedSkippedField);

    /// <inheritdoc />
    public override string ToString() =>
        $"{Frames} frames: dropped {Dropped}, oversized {Oversized}, duplicated {Duplicated}, reordered {Reordered}, corrupted {Corrupted}, delayed {Delayed}, rate-delayed {RateDelayed}, rate-dropped {RateDropped}, pool exhausted (dropped {PoolExhaustedDropped}, skipped {PoolExhaustedSkipped})";
}
