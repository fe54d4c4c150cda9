using Wirestack.Wire;

namespace Wirestack.Iface;

// Received UDP datagrams to bindings: multicast and broadcast to every binding that wants them, unicast to the most
// specific one.
public sealed partial class Interface
{
    // Validates a received UDP datagram and queues it on the bindings it is for. Returns false only when no binding
    // wants it, so that the caller can answer with its family's port unreachable (never about multicast or
    // broadcast); every other outcome is counted here. A UDP super-datagram (the kernel's UDP GSO or GRO: one header,
    // its length and checksum covering the whole) is taken apart here into the datagrams it carries, each delivered
    // and counted as if it had come on its own.
    private bool ProcessUdp(IpAddress source, IpAddress destination, ReadOnlySpan<byte> payload)
    {
        var error = UdpPacket.TryParse(payload, out var packet);
        if (error != WireError.None)
        {
            Counters.DropMalformed(error);
            return true;
        }
        var pseudoHeader = InternetChecksum.PseudoHeaderSum(source, destination, IpProtocol.Udp, packet.Length);
        if (UdpRepr.Parse(packet, pseudoHeader, out var udp, verifyChecksum: !_transportChecksumTrusted) != WireError.None)
        {
            Counters.Drop(InterfaceDropReason.UdpBadChecksum);
            return true;
        }
        var data = packet.Payload;
        int segmentSize = data.Length;
        int datagrams = 1;
        if (_udpSegmentSize >= 0)
        {
            if (_udpSegmentSize == 0)
            {
                Counters.Drop(InterfaceDropReason.UdpBadSegmentation);
                return true;
            }
            // The last datagram may be shorter; a payload no longer than one datagram is just that datagram.
            segmentSize = _udpSegmentSize;
            if (data.Length > segmentSize) datagrams = (data.Length + segmentSize - 1) / segmentSize;
        }
        if (!_udpPorts.TryGetValue(udp.DestinationPort, out int head))
        {
            Counters.Drop(InterfaceDropReason.NoSocket, datagrams);
            return false;
        }
        bool multicast = destination.IsMulticast;
        if (multicast || (destination.IsIpv4 && IsBroadcastFor(destination.AsIpv4)))
        {
            // Only bindings that joined a group hear it (as with IP_MULTICAST_ALL off), however the interface joined.
            for (int i = 0, offset = 0; i < datagrams; i++, offset += segmentSize)
            {
                if (DeliverToAll(head, source, udp.SourcePort, destination, Segment(data, offset, segmentSize), joined: multicast) == 0)
                {
                    // The same bindings match every datagram of a super-datagram: none wants any of them.
                    Counters.Drop(multicast ? InterfaceDropReason.NotJoined : InterfaceDropReason.NoSocket, datagrams);
                    return multicast;
                }
            }
            return true;
        }
        // Unicast: a binding on the very address wins over a wildcard; among equals the newest (first in the chain).
        int best = -1;
        for (int i = head; i >= 0; i = _udpBindings[i].NextOnPort)
        {
            var binding = _udpBindings[i];
            if (binding.LocalAddress == destination)
            {
                best = i;
                break;
            }
            if (best < 0 && binding.IsWildcardFor(destination)) best = i;
        }
        if (best < 0)
        {
            Counters.Drop(InterfaceDropReason.NoSocket, datagrams);
            return false;
        }
        var target = _udpBindings[best];
        for (int i = 0, offset = 0; i < datagrams; i++, offset += segmentSize)
            Enqueue(target, source, udp.SourcePort, Segment(data, offset, segmentSize));
        return true;
    }

    // The datagram at offset of a super-datagram's payload: segmentSize bytes, or what is left.
    private static ReadOnlySpan<byte> Segment(ReadOnlySpan<byte> data, int offset, int segmentSize) =>
        data.Slice(offset, Math.Min(segmentSize, data.Length - offset));

    // Queues a copy on every binding of the port bound to the destination or a wildcard covering it (and, for a
    // group, that joined it). Returns how many bindings matched, whether or not each had room.
    private int DeliverToAll(int head, IpAddress source, ushort sourcePort, IpAddress destination, ReadOnlySpan<byte> payload, bool joined)
    {
        int matched = 0;
        for (int i = head; i >= 0; i = _udpBindings[i].NextOnPort)
        {
            var binding = _udpBindings[i];
            if (binding.LocalAddress != destination && !binding.IsWildcardFor(destination)) continue;
            if (joined && !binding.HasJoined(destination)) continue;
            matched++;
            Enqueue(binding, source, sourcePort, payload);
        }
        return matched;
    }

    // A group or broadcast datagram we sent, delivered to our own bindings that would take it off the wire (the
    // sender too, when it joined), as Linux loops them back. Nothing is counted as dropped when none wants it.
    private void LoopBackUdp(IpAddress source, ushort sourcePort, IpAddress destination, ushort destinationPort, ReadOnlySpan<byte> data)
    {
        if (_udpPorts.TryGetValue(destinationPort, out int head))
            DeliverToAll(head, source, sourcePort, destination, data, joined: destination.IsMulticast);
    }

    private void Enqueue(UdpBinding binding, IpAddress source, ushort sourcePort, ReadOnlySpan<byte> payload)
    {
        if (!binding.TryEnqueue(source, sourcePort, payload))
        {
            Counters.Drop(InterfaceDropReason.UdpQueueFull);
            return;
        }
        Counters.UdpDatagramsReceivedField++;
    }
}
