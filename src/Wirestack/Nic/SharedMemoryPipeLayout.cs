namespace Wirestack.Nic;

/// <summary>
/// Where everything lies in a shared-memory pipe's file. The first page holds the header: identity and geometry,
/// a block per side (its state, process id and heartbeat, its "sleeping" flags and the futex word that wakes it)
/// and the two rings' indexes, each word that one side writes on its own cache line. Then come each ring's
/// frame lengths, then each ring's slots, page-aligned. Ring 0 carries frames from side A to side B, ring 1 back.
/// </summary>
internal readonly struct SharedMemoryPipeLayout
{
    public const ulong Magic = 0x5049504D48535357; // "WSSHMPIP" read as a little-endian 64-bit word
    public const int Version = 1;

    // Header fields.
    public const int MagicOffset = 0;
    public const int VersionOffset = 8;
    public const int SlotCountOffset = 12;
    public const int SlotSizeOffset = 16;
    public const int MtuOffset = 20;
    public const int LengthOffset = 24;

    // Side blocks: A at 256, B at 512, 256 bytes each.
    public const int SideBlockOffset = 256;
    public const int SideBlockLength = 256;
    public const int SideStateOffset = 0;
    public const int SidePidOffset = 4;
    public const int SideHeartbeatOffset = 8;
    public const int SideSleepingOffset = 64;
    public const int SideDoorbellOffset = 128;

    // Ring indexes: ring 0 at 768, ring 1 at 896; the tail (producer) and head (consumer) on separate lines.
    public const int RingIndexOffset = 768;
    public const int RingIndexLength = 128;
    public const int RingTailOffset = 0;
    public const int RingHeadOffset = 64;

    public const int HeaderLength = 1024;
    private const int PageSize = 4096;

    // Side states.
    public const int StateEmpty = 0;
    public const int StateAttached = 1;
    public const int StateClosed = 2;

    // Sleeping flags: what a side waits for.
    public const int SleepingForReceive = 1;
    public const int SleepingForTransmitSpace = 2;

    public SharedMemoryPipeLayout(int slotCount, int mtu)
    {
        SlotCount = slotCount;
        Mtu = mtu;
        // Cache-line-aligned slots: a frame written by one side never shares a line with the next slot's.
        SlotSize = (mtu + DeviceCapabilities.FrameOverhead + 63) & ~63;
        long lengths = ((long)slotCount * sizeof(int) + 63) & ~63L;
        LengthsOffset = HeaderLength;
        SlotsOffset = (HeaderLength + 2 * lengths + PageSize - 1) & ~(long)(PageSize - 1);
        RingSlotsLength = (long)slotCount * SlotSize;
        TotalLength = SlotsOffset + 2 * RingSlotsLength;
        RingLengthsLength = lengths;
    }

    public int SlotCount { get; }

    public int SlotSize { get; }

    public int Mtu { get; }

    public long LengthsOffset { get; }

    public long RingLengthsLength { get; }

    public long SlotsOffset { get; }

    public long RingSlotsLength { get; }

    public long TotalLength { get; }

    public static int SideOffset(int side) => SideBlockOffset + side * SideBlockLength;

    public static int RingOffset(int ring) => RingIndexOffset + ring * RingIndexLength;

    public long RingLengthsOffset(int ring) => LengthsOffset + ring * RingLengthsLength;

    public long RingSlotsOffset(int ring) => SlotsOffset + ring * RingSlotsLength;
}
