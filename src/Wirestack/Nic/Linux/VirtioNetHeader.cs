namespace Wirestack.Nic.Linux;

/// <summary>
/// <c>struct virtio_net_hdr</c> (linux/virtio_net.h): the 10 bytes the kernel puts before a frame it hands over with
/// offloads (a TAP device with IFF_VNET_HDR, an AF_PACKET socket with PACKET_VNET_HDR) and expects before a frame it
/// takes: flags, gso_type, hdr_len, gso_size, csum_start, csum_offset, little-endian on every host Wirestack runs on.
/// Shared by <see cref="TapDevice"/> and <see cref="PacketRingDevice"/>; pure functions, so testable without a kernel.
/// </summary>
internal static class VirtioNetHeader
{
    /// <summary>sizeof(struct virtio_net_hdr).</summary>
    public const int Length = 10;

    public const byte FlagNeedsChecksum = 1;
    public const byte FlagDataValid = 2;

    public const byte GsoNone = 0;
    public const byte GsoTcpV4 = 1;
    public const byte GsoUdp = 3;
    public const byte GsoTcpV6 = 4;
    public const byte GsoUdpL4 = 5;
    /// <summary>Or'ed into gso_type: the segments carry ECN's CWR bit, which only the first may keep.</summary>
    public const byte GsoEcn = 0x80;

    private const int EthernetHeaderLength = 14;

    /// <summary>
    /// Reads a received frame's header. NEEDS_CSUM means the sender is the local kernel's stack, which left the sum for
    /// the "hardware" to finish; DATA_VALID that the kernel has checked it. Either way the stack has nothing to verify.
    /// A coalesced TCP segment reports its segment size. A UDP super-datagram (UDP_L4: a local sender's UDP_SEGMENT, or
    /// UDP GRO) reports <see cref="FrameOffload.UdpSegments"/> and the payload bytes per datagram; its checksum is
    /// trusted whatever the flags say, as the kernel only builds one with the sum partial (or checked, after GRO), and a
    /// single sum over the whole could not vouch for each datagram anyway. Returns false for a frame the stack cannot
    /// take as it is: one the kernel coalesced from IP fragments (UFO) or by a kind it does not name.
    /// </summary>
    public static bool TryRead(ReadOnlySpan<byte> header, out FrameOffload offload)
    {
        byte flags = header[0];
        int gsoType = header[1] & ~GsoEcn;
        bool trusted = (flags & (FlagNeedsChecksum | FlagDataValid)) != 0;
        int segmentSize = 0;
        bool udpSegments = false;
        if (gsoType != GsoNone)
        {
            if (gsoType is not (GsoTcpV4 or GsoTcpV6 or GsoUdpL4))
            {
                offload = default;
                return false;
            }
            segmentSize = header[4] | (header[5] << 8);
            if (gsoType == GsoUdpL4)
            {
                udpSegments = true;
                trusted = true;
            }
        }
        offload = new FrameOffload { SegmentSize = segmentSize, TransportChecksumTrusted = trusted, UdpSegments = udpSegments };
        return true;
    }

    /// <summary>
    /// Writes a transmitted frame's header. Checksums are complete (the stack folds them into its one copy), so flags stay
    /// 0; a segment to cut names its family, the segment size, and how long its headers are (Ethernet, IP, TCP) so the
    /// kernel keeps them in the linear part it copies to every segment.
    /// </summary>
    /// <param name="header">The <see cref="Length"/> bytes before the frame.</param>
    /// <param name="frame">The frame, starting at its Ethernet header.</param>
    /// <param name="offload">What the stack asked for the frame.</param>
    public static void Write(Span<byte> header, ReadOnlySpan<byte> frame, in FrameOffload offload)
    {
        header[..Length].Clear();
        if (offload.SegmentSize == 0) return;
        const int ethernet = EthernetHeaderLength;
        bool ipv6 = frame.Length > ethernet && frame[12] == 0x86 && frame[13] == 0xDD;
        int ipLength = ipv6 ? 40 : frame.Length > ethernet ? (frame[ethernet] & 0x0F) * 4 : 0;
        int tcpAt = ethernet + ipLength;
        int tcpLength = frame.Length > tcpAt + 12 ? (frame[tcpAt + 12] >> 4) * 4 : 20;
        int headers = tcpAt + tcpLength;
        header[1] = ipv6 ? GsoTcpV6 : GsoTcpV4;
        header[2] = (byte)headers;
        header[3] = (byte)(headers >> 8);
        header[4] = (byte)offload.SegmentSize;
        header[5] = (byte)(offload.SegmentSize >> 8);
    }

    /// <summary>
    /// As <see cref="Write"/>, but a segment to cut goes in the form the kernel's own stack hands a device: NEEDS_CSUM
    /// with csum_start and csum_offset naming the TCP checksum, and that field holding only the pseudo-header sum, for
    /// whoever cuts the segment to finish per segment. AF_PACKET needs this: a super-segment with a complete checksum
    /// and no NEEDS_CSUM is lost when the kernel has to cut it in software (an interface with tx checksumming off).
    /// </summary>
    /// <param name="header">The <see cref="Length"/> bytes before the frame.</param>
    /// <param name="frame">The frame, starting at its Ethernet header; its TCP checksum field is rewritten.</param>
    /// <param name="offload">What the stack asked for the frame.</param>
    public static void WritePartialChecksum(Span<byte> header, Span<byte> frame, in FrameOffload offload)
    {
        Write(header, frame, offload);
        if (offload.SegmentSize == 0) return;
        const int ethernet = EthernetHeaderLength;
        bool ipv6 = frame[12] == 0x86 && frame[13] == 0xDD;
        int tcpAt = ethernet + (ipv6 ? 40 : (frame[ethernet] & 0x0F) * 4);
        int tcpLength = frame.Length - tcpAt;
        // The pseudo-header: addresses, protocol and the whole super-segment's TCP length, as Linux's
        // tcp_v4_send_check leaves it (the segmenter adjusts the length per segment).
        ulong sum = 6 + (uint)(tcpLength >> 16) + (uint)(tcpLength & 0xFFFF);
        var addresses = ipv6 ? frame.Slice(ethernet + 8, 32) : frame.Slice(ethernet + 12, 8);
        for (int i = 0; i < addresses.Length; i += 2) sum += (uint)(addresses[i] << 8 | addresses[i + 1]);
        while (sum > 0xFFFF) sum = (sum & 0xFFFF) + (sum >> 16);
        frame[tcpAt + 16] = (byte)(sum >> 8);
        frame[tcpAt + 17] = (byte)sum;
        header[0] = FlagNeedsChecksum;
        header[6] = (byte)tcpAt;
        header[7] = (byte)(tcpAt >> 8);
        header[8] = 16;
        header[9] = 0;
    }
}
