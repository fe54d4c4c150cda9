namespace Wirestack.Wire;

/// <summary>The codes of an ICMPv4 destination unreachable message (RFC 792, RFC 1122, RFC 1812).</summary>
public enum Icmpv4UnreachableCode : byte
{
    /// <summary>Net unreachable.</summary>
    NetUnreachable = 0,

    /// <summary>Host unreachable.</summary>
    HostUnreachable = 1,

    /// <summary>Protocol unreachable.</summary>
    ProtocolUnreachable = 2,

    /// <summary>Port unreachable.</summary>
    PortUnreachable = 3,

    /// <summary>Fragmentation needed and don't-fragment set; the message carries the next-hop MTU (RFC 1191).</summary>
    FragmentationNeeded = 4,

    /// <summary>Source route failed.</summary>
    SourceRouteFailed = 5,

    /// <summary>Destination network unknown (RFC 1122).</summary>
    DestinationNetworkUnknown = 6,

    /// <summary>Destination host unknown (RFC 1122).</summary>
    DestinationHostUnknown = 7,

    /// <summary>Source host isolated (RFC 1122).</summary>
    SourceHostIsolated = 8,

    /// <summary>Communication with the destination network administratively prohibited (RFC 1122).</summary>
    NetworkProhibited = 9,

    /// <summary>Communication with the destination host administratively prohibited (RFC 1122).</summary>
    HostProhibited = 10,

    /// <summary>Network unreachable for the type of service (RFC 1122).</summary>
    NetworkUnreachableForTos = 11,

    /// <summary>Host unreachable for the type of service (RFC 1122).</summary>
    HostUnreachableForTos = 12,

    /// <summary>Communication administratively prohibited (RFC 1812).</summary>
    CommunicationProhibited = 13,

    /// <summary>Host precedence violation (RFC 1812).</summary>
    HostPrecedenceViolation = 14,

    /// <summary>Precedence cutoff in effect (RFC 1812).</summary>
    PrecedenceCutoff = 15,
}
