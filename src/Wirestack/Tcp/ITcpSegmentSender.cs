using Wirestack.Wire;

namespace Wirestack.Tcp;

// What the control blocks need from the IP layer: send one segment whose payload is up to two pieces of a send
// ring (copied once, checksum folded into the copy), and the largest segment the path takes.
internal interface ITcpSegmentSender
{
    // segmentSize: the payload per segment on the wire. A payload longer than that goes to a device that segments
    // (MaxOffloadPayloadFor above 0) as one frame for the device to cut; 0 when the payload fits one segment.
    TcpSendResult SendSegment(in TcpConnectionKey key, in TcpRepr header, ReadOnlySpan<byte> first, ReadOnlySpan<byte> second, Instant now, int segmentSize = 0);

    // The largest TCP payload without options one frame may carry for the device to cut into segments (TSO/GSO), or 0
    // when the device does not segment.
    int MaxOffloadPayloadFor(IpAddress remote);

    // The largest TCP payload without options that fits the path to remote (path MTU minus the IP and TCP headers).
    int MaxPayloadFor(IpAddress remote, Instant now);
}
