namespace Wirestack.Nic;

/// <summary>How an <see cref="XdpDevice"/>'s socket moves frames between the driver and the UMEM.</summary>
public enum XdpCopyMode
{
    /// <summary>Zero-copy where the driver allows it, copy otherwise.</summary>
    Auto,

    /// <summary>
    /// XDP_ZEROCOPY: the driver's DMA reads and writes the UMEM itself. Needs a driver with AF_XDP
    /// zero-copy support and the program attached in native mode; opening fails otherwise.
    /// </summary>
    ZeroCopy,

    /// <summary>XDP_COPY: the kernel copies each frame between its own buffers and the UMEM. Works on every interface.</summary>
    Copy,
}
