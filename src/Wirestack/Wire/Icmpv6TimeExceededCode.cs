namespace Wirestack.Wire;

/// <summary>Codes of <see cref="Icmpv6Type.TimeExceeded"/>.</summary>
public enum Icmpv6TimeExceededCode : byte
{
    /// <summary>Hop limit exceeded in transit.</summary>
    HopLimitExceeded = 0,

    /// <summary>Fragment reassembly time exceeded.</summary>
    FragmentReassemblyTimeExceeded = 1,
}
