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
