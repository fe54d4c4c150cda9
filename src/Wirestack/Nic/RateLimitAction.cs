namespace Wirestack.Nic;

/// <summary>What a <see cref="FaultInjector"/>'s rate limit does with a frame that finds the token bucket short.</summary>
public enum RateLimitAction
{
    /// <summary>Hold the frame until the bucket has refilled enough (a shaper: a bottleneck link with a queue).</summary>
    Delay,

    /// <summary>Drop the frame (a policer).</summary>
    Drop,
}
