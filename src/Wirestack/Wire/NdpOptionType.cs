namespace Wirestack.Wire;

/// <summary>Neighbor discovery option types that Wirestack knows (RFC 4861 section 4.6 and later).</summary>
public enum NdpOptionType : byte
{
    /// <summary>Source link-layer address.</summary>
    SourceLinkLayerAddress = 1,

    /// <summary>Target link-layer address.</summary>
    TargetLinkLayerAddress = 2,

    /// <summary>Prefix information (router advertisements).</summary>
    PrefixInformation = 3,

    /// <summary>Redirected header (redirects).</summary>
    RedirectedHeader = 4,

    /// <summary>MTU (router advertisements).</summary>
    Mtu = 5,

    /// <summary>Nonce (RFC 3971); Linux puts one in duplicate address detection probes (RFC 7527).</summary>
    Nonce = 14,

    /// <summary>Route information (RFC 4191).</summary>
    RouteInformation = 24,

    /// <summary>Recursive DNS server (RFC 8106).</summary>
    RecursiveDnsServer = 25,

    /// <summary>DNS search list (RFC 8106).</summary>
    DnsSearchList = 31,
}
