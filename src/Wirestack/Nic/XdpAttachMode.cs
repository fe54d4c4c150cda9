namespace Wirestack.Nic;

/// <summary>Where an <see cref="XdpDevice"/> attaches its XDP program on the interface.</summary>
public enum XdpAttachMode
{
    /// <summary>Native (driver) mode where the driver supports it, generic mode otherwise.</summary>
    Auto,

    /// <summary>
    /// Native (driver) mode, XDP_FLAGS_DRV_MODE: the program runs in the driver before the kernel
    /// allocates a socket buffer, the fast path. Fails where the driver has no XDP support.
    /// </summary>
    Native,

    /// <summary>
    /// Generic (SKB) mode, XDP_FLAGS_SKB_MODE: the program runs after the kernel made a socket buffer.
    /// Works on every interface; slower, and never zero-copy.
    /// </summary>
    Generic,
}
