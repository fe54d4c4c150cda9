namespace Wirestack.Wire;

/// <summary>The codes of an ICMPv4 time exceeded message (RFC 792).</summary>
public enum Icmpv4TimeExceededCode : byte
{
    /// <summary>Time to live exceeded in transit.</summary>
    TtlExceeded = 0,

    /// <summary>Fragment reassembly time exceeded.</summary>
    ReassemblyTimeExceeded = 1,
}
