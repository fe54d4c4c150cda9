using System.Runtime.InteropServices;

namespace Wirestack.Nic.Linux;

/// <summary>
/// The AF_XDP definitions <see cref="XdpDevice"/> needs, with the layouts of the kernel's uapi header
/// linux/if_xdp.h (64-bit Linux): socket options at SOL_XDP, the UMEM registration, the ring offsets
/// the kernel reports and the page offsets each ring is mapped at.
/// </summary>
internal static unsafe partial class XdpNative
{
    public const int AF_XDP = 44;
    public const int SOL_XDP = 283;

    public const int EAFNOSUPPORT = 97;
    public const int EOPNOTSUPP = 95;
    public const int EBUSY = 16;
    public const int ENOMEM = 12;
    public const int EEXIST = 17;
    public const int ENXIO = 6;
    public const int ENETDOWN = 100;

    public const int MSG_DONTWAIT = 0x40;

    // Socket options at SOL_XDP.
    public const int XDP_MMAP_OFFSETS = 1;
    public const int XDP_RX_RING = 2;
    public const int XDP_TX_RING = 3;
    public const int XDP_UMEM_REG = 4;
    public const int XDP_UMEM_FILL_RING = 5;
    public const int XDP_UMEM_COMPLETION_RING = 6;
    public const int XDP_STATISTICS = 7;
    public const int XDP_OPTIONS = 8;

    // sxdp_flags of bind.
    public const ushort XDP_COPY = 1 << 1;
    public const ushort XDP_ZEROCOPY = 1 << 2;
    public const ushort XDP_USE_NEED_WAKEUP = 1 << 3;

    /// <summary>The bit of a ring's flags word that says the kernel needs a system call to make progress.</summary>
    public const uint XDP_RING_NEED_WAKEUP = 1 << 0;

    /// <summary>xdp_options.flags: the socket is bound in zero-copy mode.</summary>
    public const uint XDP_OPTIONS_ZEROCOPY = 1 << 0;

    // Page offsets to mmap each ring at.
    public const long XDP_PGOFF_RX_RING = 0;
    public const long XDP_PGOFF_TX_RING = 0x80000000;
    public const long XDP_UMEM_PGOFF_FILL_RING = 0x100000000;
    public const long XDP_UMEM_PGOFF_COMPLETION_RING = 0x180000000;

    /// <summary>
    /// XDP_PACKET_HEADROOM: what the kernel keeps free at the start of every receive chunk (aligned
    /// mode) for an XDP program to grow headers into; a received frame is at most a chunk minus this.
    /// </summary>
    public const int XdpPacketHeadroom = 256;

    public const int MAP_PRIVATE = 0x02;
    public const int MAP_ANONYMOUS = 0x20;

    /// <summary>struct sockaddr_xdp.</summary>
    [StructLayout(LayoutKind.Explicit, Size = 16)]
    public struct SockaddrXdp
    {
        [FieldOffset(0)] public ushort Family;
        [FieldOffset(2)] public ushort Flags;
        [FieldOffset(4)] public uint InterfaceIndex;
        [FieldOffset(8)] public uint QueueId;
        [FieldOffset(12)] public uint SharedUmemFd;
    }

    /// <summary>struct xdp_ring_offset: where in a ring's mapping its producer, consumer, descriptors and flags are.</summary>
    [StructLayout(LayoutKind.Explicit, Size = 32)]
    public struct XdpRingOffset
    {
        [FieldOffset(0)] public ulong Producer;
        [FieldOffset(8)] public ulong Consumer;
        [FieldOffset(16)] public ulong Descriptors;
        [FieldOffset(24)] public ulong Flags;
    }

    /// <summary>struct xdp_mmap_offsets: the four rings' offsets, as XDP_MMAP_OFFSETS returns them.</summary>
    [StructLayout(LayoutKind.Explicit, Size = 128)]
    public struct XdpMmapOffsets
    {
        [FieldOffset(0)] public XdpRingOffset Rx;
        [FieldOffset(32)] public XdpRingOffset Tx;
        [FieldOffset(64)] public XdpRingOffset Fill;
        [FieldOffset(96)] public XdpRingOffset Completion;
    }

    /// <summary>struct xdp_umem_reg (the 24-byte form every AF_XDP kernel accepts).</summary>
    [StructLayout(LayoutKind.Explicit, Size = 24)]
    public struct XdpUmemReg
    {
        [FieldOffset(0)] public ulong Address;
        [FieldOffset(8)] public ulong Length;
        [FieldOffset(16)] public uint ChunkSize;
        [FieldOffset(20)] public uint Headroom;
    }

    /// <summary>struct xdp_statistics (cumulative since bind).</summary>
    [StructLayout(LayoutKind.Explicit, Size = 48)]
    public struct XdpStatistics
    {
        [FieldOffset(0)] public ulong RxDropped;
        [FieldOffset(8)] public ulong RxInvalidDescriptors;
        [FieldOffset(16)] public ulong TxInvalidDescriptors;
        [FieldOffset(24)] public ulong RxRingFull;
        [FieldOffset(32)] public ulong RxFillRingEmptyDescriptors;
        [FieldOffset(40)] public ulong TxRingEmptyDescriptors;
    }

    /// <summary>struct xdp_desc: one frame in the RX or TX ring, by its address in the UMEM.</summary>
    [StructLayout(LayoutKind.Explicit, Size = 16)]
    public struct XdpDesc
    {
        [FieldOffset(0)] public ulong Address;
        [FieldOffset(8)] public uint Length;
        [FieldOffset(12)] public uint Options;
    }

    [LibraryImport("libc", EntryPoint = "recvfrom", SetLastError = true)]
    public static partial nint RecvFrom(int fd, void* buffer, nuint length, int flags, void* address, uint* addressLength);
}
