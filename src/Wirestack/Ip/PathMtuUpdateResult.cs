namespace Wirestack.Ip;

/// <summary>What <see cref="PathMtuCache{TAddress}.Update"/> did with a reported MTU.</summary>
public enum PathMtuUpdateResult
{
    /// <summary>The destination had no entry; one was made with the (clamped) reported MTU.</summary>
    Learned,

    /// <summary>The destination's entry was lowered (or newly marked below the minimum), and its timeout restarted.</summary>
    Lowered,

    /// <summary>The report was not below what the destination already has (the entry, or the link MTU); nothing changed.</summary>
    Ignored,
}
