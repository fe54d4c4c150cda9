namespace Wirestack.Nic;

/// <summary>
/// What a <see cref="FaultInjector"/> does to frames. Every fault is off by default; the same
/// <see cref="Seed"/> and the same traffic give the same faults.
/// </summary>
public sealed record FaultInjectorOptions
{
    private static readonly TimeSpan MaxDuration = TimeSpan.FromDays(1);

    /// <summary>Seeds the random choices. Each direction draws from its own sequence, so one direction's faults do not depend on the other's traffic. Default 0.</summary>
    public int Seed { get; init; }

    /// <summary>Which directions are faulted; the other passes straight through. Default both.</summary>
    public FrameDirections Directions { get; init; } = FrameDirections.Both;

    /// <summary>Probability, 0 to 1, that a frame is dropped.</summary>
    public double DropProbability { get; init; }

    /// <summary>Probability, 0 to 1, that a frame is delivered twice (the copy right behind it, uncorrupted).</summary>
    public double DuplicateProbability { get; init; }

    /// <summary>Probability, 0 to 1, that a frame is held back until <see cref="ReorderDistance"/> later frames have gone by.</summary>
    public double ReorderProbability { get; init; }

    /// <summary>How many later frames a reordered frame lets go first. At least 1; default 1 (it swaps with the next).</summary>
    public int ReorderDistance { get; init; } = 1;

    /// <summary>
    /// The longest a reordered frame is held when too few frames follow it: after this it goes
    /// anyway, so a frame at the end of a burst is late rather than lost. Above zero; default 10 ms.
    /// </summary>
    public TimeSpan ReorderTimeout { get; init; } = TimeSpan.FromMilliseconds(10);

    /// <summary>Probability, 0 to 1, that one random bit of one random byte (at or after <see cref="CorruptOffset"/>) is flipped.</summary>
    public double CorruptProbability { get; init; }

    /// <summary>
    /// The first byte corruption may hit. The default 14 spares the Ethernet header, so a corrupt
    /// frame still reaches the stack and its checksums must catch the damage; 0 lets any byte be hit.
    /// Frames no longer than this are never corrupted.
    /// </summary>
    public int CorruptOffset { get; init; } = 14;

    /// <summary>Fixed delay added to every frame. Default none.</summary>
    public TimeSpan Delay { get; init; }

    /// <summary>
    /// Random extra delay, uniform from zero to this, added to every frame. Jitter never reorders:
    /// a frame never leaves before the one ahead of it (reordering is <see cref="ReorderProbability"/>'s job).
    /// </summary>
    public TimeSpan Jitter { get; init; }

    /// <summary>Rate limit in bits per second, a token bucket of <see cref="RateBurstBytes"/>; 0 (default) for none.</summary>
    public long RateBitsPerSecond { get; init; }

    /// <summary>The token bucket's size in bytes: how much may go at once after a quiet spell. 0 (default) means one frame of the inner device's <see cref="DeviceCapabilities.MaxFrameLength"/>.</summary>
    public int RateBurstBytes { get; init; }

    /// <summary>What happens to a frame over the rate: delayed until the bucket refills (default), or dropped.</summary>
    public RateLimitAction RateLimitAction { get; init; } = RateLimitAction.Delay;

    /// <summary>The MTU clamp: frames longer than this many bytes (the whole Ethernet frame) are dropped. 0 (default) for none.</summary>
    public int MaxFrameLength { get; init; }

    /// <summary>
    /// Slots per faulted direction, each one frame long, to hold delayed, reordered, duplicated and
    /// corrupted copies (and, on transmit, every frame between commit and its departure). 1 to 65536; default 256.
    /// </summary>
    public int PoolSize { get; init; } = 256;

    /// <summary>The clock for delay, jitter, rate and reorder timeouts; a manual clock makes tests deterministic. Default <see cref="TimeProvider.System"/>.</summary>
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;

    /// <summary>True to leave the inner device open when the injector is disposed. Default false.</summary>
    public bool LeaveInnerOpen { get; init; }

    internal void Validate()
    {
        if ((Directions & ~FrameDirections.Both) != 0)
            throw new ArgumentOutOfRangeException(nameof(Directions), Directions, "FaultInjectorOptions.Directions must be Receive, Transmit, Both or None.");
        CheckProbability(DropProbability, nameof(DropProbability));
        CheckProbability(DuplicateProbability, nameof(DuplicateProbability));
        CheckProbability(ReorderProbability, nameof(ReorderProbability));
        CheckProbability(CorruptProbability, nameof(CorruptProbability));
        if (ReorderDistance < 1)
            throw new ArgumentOutOfRangeException(nameof(ReorderDistance), ReorderDistance, "FaultInjectorOptions.ReorderDistance must be at least 1 (the number of later frames a reordered frame lets go first).");
        if (ReorderTimeout <= TimeSpan.Zero || ReorderTimeout > MaxDuration)
            throw new ArgumentOutOfRangeException(nameof(ReorderTimeout), ReorderTimeout, "FaultInjectorOptions.ReorderTimeout must be above zero and at most a day.");
        if (CorruptOffset < 0)
            throw new ArgumentOutOfRangeException(nameof(CorruptOffset), CorruptOffset, "FaultInjectorOptions.CorruptOffset cannot be negative; use 0 to let corruption hit any byte, 14 to spare the Ethernet header.");
        CheckDuration(Delay, nameof(Delay));
        CheckDuration(Jitter, nameof(Jitter));
        if (RateBitsPerSecond < 0)
            throw new ArgumentOutOfRangeException(nameof(RateBitsPerSecond), RateBitsPerSecond, "FaultInjectorOptions.RateBitsPerSecond cannot be negative; use 0 for no rate limit.");
        if (RateBurstBytes is < 0 or > 64 << 20)
            throw new ArgumentOutOfRangeException(nameof(RateBurstBytes), RateBurstBytes, "FaultInjectorOptions.RateBurstBytes must be between 0 (one maximum-length frame) and 64 MiB.");
        if (RateLimitAction is not (RateLimitAction.Delay or RateLimitAction.Drop))
            throw new ArgumentOutOfRangeException(nameof(RateLimitAction), RateLimitAction, "FaultInjectorOptions.RateLimitAction must be Delay or Drop.");
        if (MaxFrameLength < 0)
            throw new ArgumentOutOfRangeException(nameof(MaxFrameLength), MaxFrameLength, "FaultInjectorOptions.MaxFrameLength cannot be negative; use 0 for no MTU clamp.");
        if (PoolSize is < 1 or > 65536)
            throw new ArgumentOutOfRangeException(nameof(PoolSize), PoolSize, "FaultInjectorOptions.PoolSize must be between 1 and 65536 slots.");
        ArgumentNullException.ThrowIfNull(TimeProvider);
    }

    private static void CheckProbability(double value, string name)
    {
        // Written so that NaN fails too.
        if (!(value >= 0 && value <= 1))
            throw new ArgumentOutOfRangeException(name, value, $"FaultInjectorOptions.{name} must be a probability between 0 and 1.");
    }

    private static void CheckDuration(TimeSpan value, string name)
    {
        if (value < TimeSpan.Zero || value > MaxDuration)
            throw new ArgumentOutOfRangeException(name, value, $"FaultInjectorOptions.{name} must be between zero and a day.");
    }
}
