namespace Wirestack.Nic.Linux;

/// <summary>
/// The shape of a PACKET_MMAP ring (struct tpacket_req) for a given MTU and frame count. The kernel
/// wants blocks that are whole pages, frames that are multiples of 16 bytes, and exactly
/// <see cref="FramesPerBlock"/> = block size / frame size frames in every block; the frame count must
/// be blocks times that. Frames are then at a fixed stride from the start of the mapping.
/// </summary>
internal readonly record struct PacketRingGeometry(int FrameSize, int FramesPerBlock, int BlockSize, int BlockCount, int FrameCount)
{
    /// <summary>Above this a block needs a high-order allocation the kernel may not find; it then uses fewer frames per block.</summary>
    public const int PreferredMaxBlockSize = 128 * 1024;

    /// <summary>Bytes one ring takes in the mapping.</summary>
    public long RingBytes => (long)BlockSize * BlockCount;

    /// <summary>
    /// The smallest frame that holds a <paramref name="mtu"/>-sized packet with an Ethernet header
    /// and a VLAN tag in both directions: received frames start at
    /// <see cref="PacketNative.ReceiveMacOffset"/> (66), transmitted ones at
    /// <see cref="PacketNative.TransmitDataOffset"/> (32).
    /// </summary>
    public static int MinimumFrameSize(int mtu) =>
        PacketNative.Align(Math.Max(PacketNative.ReceiveMacOffset, PacketNative.TransmitDataOffset) + mtu + DeviceCapabilities.FrameOverhead);

    /// <summary>
    /// The frame size with offloads (PACKET_VNET_HDR): 64 KiB, one frame per block. A block of a power of two pages is
    /// what the kernel allocates anyway (it rounds each block up to one), so anything above 64 KiB would cost 128 KiB.
    /// </summary>
    public const int OffloadFrameSize = 64 * 1024;

    /// <summary>
    /// The largest frame (Ethernet header on) an offload frame holds in both rings: received frames start at
    /// <see cref="PacketNative.ReceiveMacOffset"/> plus the virtio_net_hdr (76), transmitted ones at
    /// <see cref="PacketNative.TransmitDataOffset"/> plus the header (42).
    /// </summary>
    public const int MaxOffloadFrameLength = OffloadFrameSize - PacketNative.ReceiveMacOffset - VirtioNetHeader.Length;

    /// <summary>The ring for offloads: <paramref name="frameCount"/> frames of <see cref="OffloadFrameSize"/> bytes, each in a block of its own.</summary>
    public static PacketRingGeometry ForOffloads(int frameCount, int pageSize)
    {
        if (OffloadFrameSize % pageSize != 0)
            throw new ArgumentException($"A {OffloadFrameSize}-byte ring frame is not a whole number of {pageSize}-byte pages; open the device without PacketRingDeviceOptions.Offloads.");
        return new PacketRingGeometry(OffloadFrameSize, 1, OffloadFrameSize, frameCount, frameCount);
    }

    /// <summary>
    /// Picks the frames per block (a power of two, so it divides <paramref name="frameCount"/>) that
    /// wastes the least memory: the frame size is stretched to share each block's pages evenly, so
    /// nothing is left over at the end of a block.
    /// </summary>
    public static PacketRingGeometry For(int mtu, int frameCount, int pageSize)
    {
        int needed = MinimumFrameSize(mtu);
        PacketRingGeometry best = default;
        for (int perBlock = 1; perBlock <= frameCount; perBlock *= 2)
        {
            long pages = ((long)perBlock * needed + pageSize - 1) / pageSize;
            long blockSize = pages * pageSize;
            if (perBlock > 1 && blockSize > PreferredMaxBlockSize) break;
            if (blockSize % perBlock != 0) continue;
            long frameSize = blockSize / perBlock;
            if (frameSize % PacketNative.TPACKET_ALIGNMENT != 0) continue;
            if (best.FrameSize == 0 || frameSize < best.FrameSize)
                best = new PacketRingGeometry((int)frameSize, perBlock, (int)blockSize, frameCount / perBlock, frameCount);
        }
        return best.FrameSize != 0
            ? best
            : throw new ArgumentException($"No ring geometry fits an MTU of {mtu} with {frameCount} frames on {pageSize}-byte pages.");
    }
}
