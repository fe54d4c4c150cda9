using Wirestack.Wire;

namespace Wirestack.Tcp;

// What the control blocks need from the IP layer: send one segment whose payload is up to two pieces of a send
// ring (copied once, checksum folded into the copy), and the largest segment the path takes.
internal interface ITcpSegmentSender
{
    bool SendSegment(in TcpConnectionKey key, in TcpRepr header, ReadOnlySpan<byte> first, ReadOnlySpan<byte> second, Instant now);

    // The largest TCP payload without options that fits the path to remote (path MTU minus the IP and TCP headers).
    int MaxPayloadFor(IpAddress remote, Instant now);
}
