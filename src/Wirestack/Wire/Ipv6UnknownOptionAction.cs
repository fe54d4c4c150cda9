namespace Wirestack.Wire;

/// <summary>
/// What a node must do with an option whose type it does not recognise: the two high-order bits
/// of the option type (RFC 8200 section 4.2).
/// </summary>
public enum Ipv6UnknownOptionAction : byte
{
    /// <summary>Skip the option and continue processing the header.</summary>
    Skip = 0,

    /// <summary>Discard the packet silently.</summary>
    Discard = 1,

    /// <summary>Discard the packet and send a parameter problem (code 2) pointing at the option type.</summary>
    DiscardAndReport = 2,

    /// <summary>Discard the packet and send a parameter problem only if the destination was not multicast.</summary>
    DiscardAndReportUnlessMulticast = 3,
}
