using Wirestack.Ip;
using Wirestack.Link;
using Wirestack.Nic;
using Wirestack.Wire;

namespace Wirestack.Iface;

// IPv4: receive validation and reassembly, delivery by protocol, routing, resolution and fragmentation on send.
public sealed partial class Interface
{
    private long _seenIpv4Evicted;

    private void ProcessIpv4(ReadOnlySpan<byte> payload, Instant now)
    {
        var error = Ipv4Packet.TryParse(payload, out var packet);
        if (error != WireError.None)
        {
            Counters.DropMalformed(error);
            return;
        }
        if (!packet.VerifyChecksum())
        {
            Counters.Drop(InterfaceDropReason.BadChecksum);
            return;
        }
        var source = packet.Source;
        if (source.IsMulticast || source.IsBroadcast || source.IsLoopback)
        {
            Counters.DropMalformed(WireError.BadAddress);
            return;
        }
        var destination = packet.Destination;
        int local = IndexOfAddress(destination);
        if (local < 0 && !IsBroadcastFor(destination) && !(destination.IsMulticast && AcceptsIpv4Multicast(destination)))
        {
            Counters.Drop(InterfaceDropReason.NotForUs);
            return;
        }
        if (!packet.IsFragment)
        {
            Deliver(source, destination, local, packet.Protocol, packet.Payload, packet.Buffer, now);
            return;
        }
        var outcome = _reassembler.Accept(Fragment.FromIpv4(packet), now, out var datagram);
        // A full pool makes room by evicting the oldest incomplete datagram: its fragments are dropped too.
        long evicted = _reassembler.Ipv4Counters.Evicted;
        if (evicted != _seenIpv4Evicted)
        {
            Counters.DroppedField[(int)InterfaceDropReason.ReassemblyEvicted] += evicted - _seenIpv4Evicted;
            _seenIpv4Evicted = evicted;
        }
        switch (outcome)
        {
            case FragmentOutcome.Complete:
                Counters.DatagramsReassembledField++;
                // The device vouched for this fragment's frame, not for the datagram the others complete.
                _transportChecksumTrusted = false;
                _udpSegmentSize = -1;
                try
                {
                    // No quote for errors: RFC 1122 sends none for fragments, and the whole datagram is gone.
                    Deliver(source, destination, local, datagram.UpperLayerProtocol, datagram.Payload, default, now);
                }
                finally
                {
                    _reassembler.Release(datagram.Handle);
                }
                break;
            case FragmentOutcome.Incomplete:
            case FragmentOutcome.Duplicate:
                break;
            case FragmentOutcome.TooLarge:
            case FragmentOutcome.PoolFull:
                Counters.Drop(InterfaceDropReason.ReassemblyFull);
                break;
            default:
                Counters.Drop(InterfaceDropReason.BadFragment);
                break;
        }
    }

    // local is the index of the address the datagram was sent to, or -1 for a broadcast or multicast.
    private void Deliver(Ipv4Address source, Ipv4Address destination, int local, IpProtocol protocol, ReadOnlySpan<byte> payload, ReadOnlySpan<byte> original, Instant now)
    {
        switch (protocol)
        {
            case IpProtocol.Icmp:
                ProcessIcmp(source, local, payload, now);
                return;
            case IpProtocol.Udp:
                if (!ProcessUdp(source, destination, payload) && _sendPortUnreachable)
                    SendUnreachable(source, local, Icmpv4UnreachableCode.PortUnreachable, original, now);
                return;
            case IpProtocol.Igmp:
                ProcessIgmp(destination, payload, now);
                return;
            case IpProtocol.Tcp:
                // Never to a broadcast (RFC 1122 section 4.2.3.10).
                if (local >= 0) ProcessTcp(source, destination, payload, now);
                else Counters.Drop(InterfaceDropReason.TcpBadAddress);
                return;
        }
        Counters.Drop(InterfaceDropReason.UnsupportedProtocol);
        if (_sendProtocolUnreachable) SendUnreachable(source, local, Icmpv4UnreachableCode.ProtocolUnreachable, original, now);
    }

    // Routes, resolves and sends one IPv4 datagram carrying an ICMP message or a UDP datagram (by protocol; the
    // other repr is ignored), fragmenting it when it is larger than the path MTU. A multicast or broadcast
    // destination goes straight to its Ethernet address, without a route or resolution. A timeToLive of 0 means the
    // interface's.
    private bool SendIpv4(Ipv4Address source, Ipv4Address destination, IpProtocol protocol, int upperLength,
        in Icmpv4Repr icmp, in UdpRepr udp, ReadOnlySpan<byte> payload, Instant now, byte timeToLive = 0)
    {
        if (upperLength > MaxUpperLayerLength)
        {
            Counters.Drop(InterfaceDropReason.PacketTooBig);
            return false;
        }
        bool direct = destination.IsMulticast || IsBroadcastFor(destination);
        Ipv4Address nextHop = default;
        if (direct ? _addresses.Length == 0 : !_routes.TryLookup(destination, now, out nextHop))
        {
            Counters.Drop(InterfaceDropReason.NoRoute);
            return false;
        }
        if (source.IsUnspecified) source = direct ? SelectDirectSource(destination) : SelectSource(nextHop);
        var ip = new Ipv4Repr(source, destination, protocol, upperLength, timeToLive == 0 ? _timeToLive : timeToLive)
        {
            Identification = _nextIdentification++,
        };
        int packetLength = Ipv4HeaderLength + upperLength;
        if (direct)
        {
            var mac = destination.IsMulticast ? MacAddress.FromIpv4Multicast(destination) : MacAddress.Broadcast;
            return EmitIpv4(mac, ip, icmp, udp, payload, packetLength, _mtu);
        }
        // The cache is empty until a router reports a narrower path, and then it answers with at most the link MTU.
        int mtu = _pathMtu.Count == 0 ? _mtu : _pathMtu.GetMtu(destination, now);
        var lookup = _neighbors.Lookup(nextHop, now);
        switch (lookup.Result)
        {
            case NeighborLookupResult.Found:
                return EmitIpv4(lookup.Mac, ip, icmp, udp, payload, packetLength, mtu);
            case NeighborLookupResult.SendRequest:
                SendArpRequest(nextHop, MacAddress.Broadcast);
                return Queue(nextHop, ip, icmp, udp, payload, packetLength, mtu, now);
            case NeighborLookupResult.Pending:
                return Queue(nextHop, ip, icmp, udp, payload, packetLength, mtu, now);
            default:
                Counters.Drop(InterfaceDropReason.NeighborTableFull);
                return false;
        }
    }

    private bool EmitIpv4(MacAddress mac, in Ipv4Repr ip, in Icmpv4Repr icmp, in UdpRepr udp, ReadOnlySpan<byte> payload, int packetLength, int mtu)
    {
        if (packetLength > mtu) return SendFragments(mac, ip, icmp, udp, payload, mtu);
        if (!TryGetTransmitSlot(out var slot)) return false;
        WriteEthernetHeader(slot, mac, EtherType.Ipv4);
        ip.Emit(slot[EthernetHeaderLength..]);
        EmitUpperLayer(slot.Slice(EthernetHeaderLength + Ipv4HeaderLength, ip.PayloadLength), ip, icmp, udp, payload);
        Commit(slot, EthernetHeaderLength + packetLength);
        return true;
    }

    private static void EmitUpperLayer(Span<byte> buffer, in Ipv4Repr ip, in Icmpv4Repr icmp, in UdpRepr udp, ReadOnlySpan<byte> payload)
    {
        if (ip.Protocol == IpProtocol.Udp) udp.Emit(buffer, payload, ip.PseudoHeaderSum());
        else icmp.Emit(buffer, payload);
    }

    // The whole message is built once in a scratch buffer, because its checksum covers every fragment; each
    // fragment is then one header and one copy straight into a transmit slot. All fragments share the datagram's
    // Identification. A fragment that finds the ring full is dropped (and counted), and so is the datagram.
    private bool SendFragments(MacAddress mac, Ipv4Repr ip, in Icmpv4Repr icmp, in UdpRepr udp, ReadOnlySpan<byte> payload, int mtu)
    {
        var message = _datagramScratch.AsSpan(0, ip.PayloadLength);
        EmitUpperLayer(message, ip, icmp, udp, payload);
        foreach (var fragment in Fragmenter.ForIpv4(message.Length, mtu))
        {
            if (!TryGetTransmitSlot(out var slot)) return false;
            ip.PayloadLength = fragment.Length;
            ip.FragmentOffset = fragment.Offset;
            ip.MoreFragments = fragment.MoreFragments;
            WriteEthernetHeader(slot, mac, EtherType.Ipv4);
            ip.Emit(slot[EthernetHeaderLength..]);
            message.Slice(fragment.Offset, fragment.Length).CopyTo(slot[(EthernetHeaderLength + Ipv4HeaderLength)..]);
            Commit(slot, EthernetHeaderLength + Ipv4HeaderLength + fragment.Length);
            Counters.FragmentsSentField++;
        }
        return true;
    }

    private bool Queue(Ipv4Address nextHop, in Ipv4Repr ip, in Icmpv4Repr icmp, in UdpRepr udp, ReadOnlySpan<byte> payload, int packetLength, int mtu, Instant now)
    {
        // Only whole packets wait for resolution: a datagram that needs fragments is dropped (resolution still
        // started, so the next one goes out), which keeps the bounded queue one packet per slot.
        if (packetLength > mtu || packetLength > _scratch.Length)
        {
            Counters.Drop(InterfaceDropReason.PacketTooBig);
            return false;
        }
        var packet = _scratch.AsSpan(0, packetLength);
        ip.Emit(packet);
        EmitUpperLayer(packet[Ipv4HeaderLength..], ip, icmp, udp, payload);
        bool queued = _neighbors.TryQueue(nextHop, packet, now);
        SyncNeighborDrops();
        return queued;
    }

    private int IndexOfAddress(Ipv4Address address)
    {
        var addresses = _addresses;
        for (int i = 0; i < addresses.Length; i++)
            if (addresses[i].Address == address) return i;
        return -1;
    }

    private bool IsBroadcastFor(Ipv4Address address)
    {
        if (address.IsBroadcast) return true;
        var addresses = _addresses;
        for (int i = 0; i < addresses.Length; i++)
            if (addresses[i].PrefixLength < 31 && addresses[i].SubnetBroadcast == address) return true;
        return false;
    }

    // For a subnet broadcast, the address in that subnet; for the limited broadcast and multicast, the first.
    private Ipv4Address SelectDirectSource(Ipv4Address destination)
    {
        var addresses = _addresses;
        for (int i = 0; i < addresses.Length; i++)
            if (addresses[i].PrefixLength < 31 && addresses[i].SubnetBroadcast == destination) return addresses[i].Address;
        return addresses[0].Address;
    }

    private Ipv4Address SelectSource(Ipv4Address nextHop)
    {
        var addresses = _addresses;
        for (int i = 0; i < addresses.Length; i++)
            if (addresses[i].Address.IsInSameSubnet(nextHop, addresses[i].PrefixLength)) return addresses[i].Address;
        return addresses[0].Address;
    }
}
