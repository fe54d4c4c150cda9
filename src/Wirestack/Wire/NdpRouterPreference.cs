namespace Wirestack.Wire;

/// <summary>The default router preference of a router advertisement (RFC 4191 section 2.2).</summary>
public enum NdpRouterPreference : byte
{
    /// <summary>Medium (the default, and what a reserved value 10 is treated as).</summary>
    Medium = 0,

    /// <summary>High.</summary>
    High = 1,

    /// <summary>Reserved; receivers treat it as <see cref="Medium"/>.</summary>
    Reserved = 2,

    /// <summary>Low.</summary>
    Low = 3,
}
