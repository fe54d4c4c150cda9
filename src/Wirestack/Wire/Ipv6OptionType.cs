namespace Wirestack.Wire;

/// <summary>Option types of the hop-by-hop and destination options headers that Wirestack knows.</summary>
public enum Ipv6OptionType : byte
{
    /// <summary>One byte of padding (no length byte).</summary>
    Pad1 = 0,

    /// <summary>Two or more bytes of padding.</summary>
    PadN = 1,

    /// <summary>Router alert (RFC 2711): routers should look inside. MLD messages carry it.</summary>
    RouterAlert = 5,

    /// <summary>Jumbo payload (RFC 2675); Wirestack does not handle jumbograms.</summary>
    JumboPayload = 0xC2,
}
