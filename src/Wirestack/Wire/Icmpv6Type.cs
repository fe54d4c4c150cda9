namespace Wirestack.Wire;

/// <summary>ICMPv6 message types (RFC 4443, RFC 4861, RFC 2710, RFC 3810) that Wirestack knows.</summary>
public enum Icmpv6Type : byte
{
    /// <summary>Destination unreachable (error).</summary>
    DestinationUnreachable = 1,

    /// <summary>Packet too big (error), carrying the next hop's MTU.</summary>
    PacketTooBig = 2,

    /// <summary>Time exceeded (error).</summary>
    TimeExceeded = 3,

    /// <summary>Parameter problem (error), carrying a pointer into the invoking packet.</summary>
    ParameterProblem = 4,

    /// <summary>Echo request.</summary>
    EchoRequest = 128,

    /// <summary>Echo reply.</summary>
    EchoReply = 129,

    /// <summary>Multicast listener query (MLDv1 or MLDv2, told apart by length).</summary>
    MulticastListenerQuery = 130,

    /// <summary>MLDv1 multicast listener report.</summary>
    MulticastListenerReport = 131,

    /// <summary>MLDv1 multicast listener done.</summary>
    MulticastListenerDone = 132,

    /// <summary>NDP router solicitation.</summary>
    RouterSolicitation = 133,

    /// <summary>NDP router advertisement.</summary>
    RouterAdvertisement = 134,

    /// <summary>NDP neighbor solicitation.</summary>
    NeighborSolicitation = 135,

    /// <summary>NDP neighbor advertisement.</summary>
    NeighborAdvertisement = 136,

    /// <summary>NDP redirect.</summary>
    Redirect = 137,

    /// <summary>MLDv2 multicast listener report.</summary>
    MulticastListenerReportV2 = 143,
}

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

/// <summary>Codes of <see cref="Icmpv6Type.TimeExceeded"/>.</summary>
public enum Icmpv6TimeExceededCode : byte
{
    /// <summary>Hop limit exceeded in transit.</summary>
    HopLimitExceeded = 0,

    /// <summary>Fragment reassembly time exceeded.</summary>
    FragmentReassemblyTimeExceeded = 1,
}

/// <summary>Codes of <see cref="Icmpv6Type.ParameterProblem"/>.</summary>
public enum Icmpv6ParameterProblemCode : byte
{
    /// <summary>Erroneous header field encountered.</summary>
    ErroneousHeaderField = 0,

    /// <summary>Unrecognised next header type encountered.</summary>
    UnrecognizedNextHeader = 1,

    /// <summary>Unrecognised IPv6 option encountered.</summary>
    UnrecognizedOption = 2,

    /// <summary>The first fragment has an incomplete header chain (RFC 7112).</summary>
    IncompleteHeaderChain = 3,
}
