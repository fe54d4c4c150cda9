using static Wirestack.Nic.Linux.PacketNative;

namespace Wirestack.Nic.Linux;

/// <summary>
/// Reads what a TPACKET_V2 receive frame's header says about the frame: whether it arrived whole, and whether the
/// kernel vouches for its transport checksum. Pure functions of the header fields, so the rules are testable
/// without a socket.
/// </summary>
internal static class PacketRingFrameStatus
{
    /// <summary>
    /// True when the kernel cut the frame short: it copied fewer bytes than the frame had (tp_snaplen below tp_len,
    /// say a GSO super-segment from a peer with TSO on, longer than a slot), or flagged the frame as copied only in
    /// part (TP_STATUS_COPY), or the bytes it claims to have copied run past the slot.
    /// </summary>
    public static bool IsTruncated(uint status, int macOffset, uint snapLength, uint length, int frameSize) =>
        (status & TP_STATUS_COPY) != 0 || snapLength < length || macOffset + (long)snapLength > frameSize;

    /// <summary>
    /// True when the kernel vouches for the frame's TCP or UDP checksum: TP_STATUS_CSUMNOTREADY (CHECKSUM_PARTIAL, the
    /// frame came from a local stack that left the sum for the "hardware" to finish, so the field holds only the
    /// pseudo-header sum) or TP_STATUS_CSUM_VALID (the driver or the kernel already checked it). A frame with
    /// neither bit has its checksum verified by the stack.
    /// </summary>
    public static bool TransportChecksumTrusted(uint status) =>
        (status & (TP_STATUS_CSUMNOTREADY | TP_STATUS_CSUM_VALID)) != 0;
}
