namespace Wirestack.Ip;

/// <summary>What an <see cref="IcmpRateLimiter"/> has let through and held back. The owning thread writes them; any thread may read them.</summary>
public sealed class IcmpRateLimiterCounters
{
    internal long AllowedField;
    internal long SuppressedGlobalField;
    internal long SuppressedPerDestinationField;

    /// <summary>Errors allowed to go.</summary>
    public long Allowed => Volatile.Read(ref AllowedField);

    /// <summary>Errors suppressed because the interface's bucket was empty.</summary>
    public long SuppressedGlobal => Volatile.Read(ref SuppressedGlobalField);

    /// <summary>Errors suppressed because their destination's bucket was empty.</summary>
    public long SuppressedPerDestination => Volatile.Read(ref SuppressedPerDestinationField);

    /// <summary>Errors suppressed for either reason.</summary>
    public long Suppressed => SuppressedGlobal + SuppressedPerDestination;
}
