namespace Wirestack.Nic;

/// <summary>
/// What a device does for one frame beyond carrying it: on transmit, cutting a TCP segment longer than the MTU into
/// MTU-sized segments (TSO/GSO); on receive, vouching for the transport checksum of a frame (one the local host
/// left partial for the device to fill, or one already checked), so the stack need not verify it, and saying that a
/// frame carries segments coalesced into one (TCP) or a UDP super-datagram the stack is to take apart
/// (<see cref="UdpSegments"/>). Any device may vouch for a received checksum; only a device whose
/// <see cref="DeviceCapabilities.MaxOffloadLength"/> is above 0 reports or accepts a <see cref="SegmentSize"/>.
/// </summary>
public readonly record struct FrameOffload
{
    /// <summary>Nothing: the frame goes as it is, and its checksums are the stack's to verify.</summary>
    public static FrameOffload None => default;

    /// <summary>
    /// Transmit: the TCP payload bytes per segment the device cuts the frame's TCP segment into (each with a copy of
    /// its IP and TCP headers, sequence numbers, lengths and checksums fixed up); 0 to send the frame as it is.
    /// Receive: the payload size of the segments the device coalesced into this frame, or 0; with
    /// <see cref="UdpSegments"/>, the UDP payload bytes per datagram.
    /// </summary>
    public int SegmentSize { get; init; }

    /// <summary>
    /// Receive: the frame is a UDP super-datagram (Linux's UDP GSO, <c>UDP_SEGMENT</c>, or UDP GRO): one IP and UDP
    /// header, with lengths covering the whole, before the payloads of several datagrams of <see cref="SegmentSize"/>
    /// bytes each (the last may be shorter), all with the same addresses and ports. The stack delivers each as its own
    /// datagram; one whose <see cref="SegmentSize"/> is 0 is dropped. Transmit: never set (the stack does not send them).
    /// </summary>
    public bool UdpSegments { get; init; }

    /// <summary>Receive: the device or the local host vouches for the TCP or UDP checksum; the stack skips verifying it.</summary>
    public bool TransportChecksumTrusted { get; init; }

    /// <summary>Transmit: a TCP segment to be cut into segments of <paramref name="segmentSize"/> payload bytes.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="segmentSize"/> is not 1 to 65535.</exception>
    public static FrameOffload TcpSegmentation(int segmentSize)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(segmentSize, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(segmentSize, ushort.MaxValue);
        return new FrameOffload { SegmentSize = segmentSize };
    }
}
