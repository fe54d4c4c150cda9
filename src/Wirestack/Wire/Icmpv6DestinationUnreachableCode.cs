namespace Wirestack.Wire;

/// <summary>Codes of <see cref="Icmpv6Type.DestinationUnreachable"/>.</summary>
public enum Icmpv6DestinationUnreachableCode : byte
{
    /// <summary>No route to destination.</summary>
    NoRoute = 0,

    /// <summary>Communication with destination administratively prohibited.</summary>
    AdministrativelyProhibited = 1,

    /// <summary>Beyond scope of source address.</summary>
    BeyondScope = 2,

    /// <summary>Address unreachable (neighbor discovery failed, say).</summary>
    AddressUnreachable = 3,

    /// <summary>Port unreachable.</summary>
    PortUnreachable = 4,

    /// <summary>Source address failed ingress/egress policy.</summary>
    SourcePolicyFailed = 5,

    /// <summary>Reject route to destination.</summary>
    RejectRoute = 6,
}
