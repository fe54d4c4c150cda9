using Wirestack.Wire;

namespace Wirestack.Iface;

// Received UDP datagrams to bindings: multicast and broadcast to every binding that wants them, unicast to the most
// specific one.
public sealed partial class Interface
{
    // Validates a received UDP datagram and queues it on the bindings it is for. Returns false only when no binding
    // wants it, so that the caller can answer with its family's port unreachable (never about multicast or
    // broadcast); every other outcome is counted here.
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
        if (!_udpPorts.TryGetValue(udp.DestinationPort, out int head))
        {
            Counters.Drop(InterfaceDropReason.NoSocket);
            return false;
        }
        if (destination.IsMulticast)
        {
            // Only bindings that joined the group hear it (as with IP_MULTICAST_ALL off), however the interface joined.
            if (DeliverToAll(head, source, udp.SourcePort, destination, packet.Payload, joined: true) == 0)
                Counters.Drop(InterfaceDropReason.NotJoined);
            return true;
        }
        if (destination.IsIpv4 && IsBroadcastFor(destination.AsIpv4))
        {
            if (DeliverToAll(head, source, udp.SourcePort, destination, packet.Payload, joined: false) > 0) return true;
            Counters.Drop(InterfaceDropReason.NoSocket);
            return false;
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
            Counters.Drop(InterfaceDropReason.NoSocket);
            return false;
        }
        Enqueue(_udpBindings[best], source, udp.SourcePort, packet.Payload);
        return true;
    }

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
