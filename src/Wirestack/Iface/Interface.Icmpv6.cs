using Wirestack.Ip;
using Wirestack.Wire;

namespace Wirestack.Iface;

// ICMPv6: echo (both ways), errors received (packet too big feeds the path MTU cache), and dispatch of the
// neighbour discovery and MLD messages to their handlers.
public sealed partial class Interface
{
    // Sends an echo request over IPv6; TrySendIcmpEcho calls it for an IPv6 destination.
    private bool TrySendIcmpv6Echo(Ipv6Address destination, ushort identifier, ushort sequenceNumber, ReadOnlySpan<byte> data, Instant now)
    {
        if (!_ipv6Enabled || !destination.IsUnicast || destination.IsLoopback || IndexOfIpv6Address(destination) >= 0)
        {
            Counters.Drop(InterfaceDropReason.NoRoute);
            return false;
        }
        if (data.Length > MaxUpperLayerLength - Icmpv6Packet.HeaderLength)
        {
            Counters.Drop(InterfaceDropReason.PacketTooBig);
            return false;
        }
        var request = Icmpv6Repr.EchoRequest(identifier, sequenceNumber, data.Length);
        if (!SendIpv6(default, destination, IpProtocol.Icmpv6, request.BufferLength, Ipv6Upper.Icmp, request, default, data, _ipv6HopLimit, now))
            return false;
        Counters.EchoRequestsSentField++;
        return true;
    }

    private void ProcessIcmpv6(Ipv6Address source, Ipv6Address destination, int local, byte hopLimit, ReadOnlySpan<byte> payload, ReadOnlySpan<byte> original, Instant now)
    {
        var error = Icmpv6Packet.TryParse(payload, out var icmp);
        if (error != WireError.None)
        {
            Counters.DropMalformed(error);
            return;
        }
        if (!icmp.VerifyChecksum(InternetChecksum.PseudoHeaderSum(source, destination, IpProtocol.Icmpv6, payload.Length)))
        {
            Counters.Drop(InterfaceDropReason.BadChecksum);
            return;
        }
        switch (icmp.Type)
        {
            case Icmpv6Type.EchoRequest:
                // Echo to a group we listen to (ff02::1 included) is answered from a unicast address, as Linux does.
                var replySource = local >= 0 ? _ipv6Addresses[local].Address : SelectIpv6Source(source, now);
                if (source.IsUnspecified)
                {
                    Counters.DropMalformed(WireError.BadAddress);
                    return;
                }
                var data = icmp.Payload;
                var reply = Icmpv6Repr.EchoReply(icmp.Identifier, icmp.SequenceNumber, data.Length);
                if (SendIpv6(replySource, source, IpProtocol.Icmpv6, reply.BufferLength, Ipv6Upper.Icmp, reply, default, data, _ipv6HopLimit, now))
                    Counters.EchoRequestsAnsweredField++;
                break;
            case Icmpv6Type.EchoReply:
                EnqueueEchoReply(new EchoReply(source, icmp.Identifier, icmp.SequenceNumber, icmp.Payload.Length, now));
                break;
            case Icmpv6Type.PacketTooBig:
                Counters.IcmpErrorsReceivedField++;
                ProcessPacketTooBig(icmp, now);
                break;
            case Icmpv6Type.DestinationUnreachable:
            case Icmpv6Type.TimeExceeded:
            case Icmpv6Type.ParameterProblem:
                // Counted only: nothing here keeps per-flow state an error could abort yet.
                Counters.IcmpErrorsReceivedField++;
                break;
            case Icmpv6Type.RouterSolicitation:
            case Icmpv6Type.RouterAdvertisement:
            case Icmpv6Type.NeighborSolicitation:
            case Icmpv6Type.NeighborAdvertisement:
                ProcessNdp(source, destination, hopLimit, icmp, now);
                break;
            case Icmpv6Type.MulticastListenerQuery:
                ProcessMldQuery(source, hopLimit, icmp, now);
                break;
            case Icmpv6Type.MulticastListenerReport:
            case Icmpv6Type.MulticastListenerReportV2:
            case Icmpv6Type.MulticastListenerDone:
                // Other listeners' reports: an MLDv2 host does not suppress its own (RFC 3810 section 6.1), nothing to do.
                break;
            default:
                // Unknown informational messages are discarded, unknown errors passed up (RFC 4443 section 2.4).
                if (icmp.IsError) Counters.IcmpErrorsReceivedField++;
                else Counters.Drop(InterfaceDropReason.UnsupportedIcmpType);
                break;
        }
    }

    private void EnqueueEchoReply(in EchoReply reply)
    {
        if (_echoCount == _echoReplies.Length)
        {
            Counters.Drop(InterfaceDropReason.EchoReplyQueueFull);
            return;
        }
        int tail = _echoHead + _echoCount;
        if (tail >= _echoReplies.Length) tail -= _echoReplies.Length;
        _echoReplies[tail] = reply;
        _echoCount++;
        Counters.EchoRepliesReceivedField++;
    }

    private void ProcessPacketTooBig(Icmpv6Packet icmp, Instant now)
    {
        // The quote starts with the IPv6 header of the packet that did not fit.
        var quote = icmp.Payload;
        if (quote.Length < Ipv6Packet.HeaderLength || quote[0] >> 4 != 6)
        {
            Counters.DropMalformed(WireError.Truncated);
            return;
        }
        var quotedSource = Ipv6Address.Read(quote[8..]);
        var quotedDestination = Ipv6Address.Read(quote[24..]);
        // Only a report about a packet we sent may narrow a path (RFC 8201 section 4 and RFC 5927).
        if (IndexOfIpv6Address(quotedSource) < 0 || !quotedDestination.IsUnicast)
        {
            Counters.Drop(InterfaceDropReason.NotForUs);
            return;
        }
        // The cache never goes below 1280 (RFC 8201 section 4) and never above the link MTU.
        int reported = (int)Math.Min(icmp.Mtu, (uint)ushort.MaxValue);
        if (_ipv6PathMtu.Update(quotedDestination, reported, now) != PathMtuUpdateResult.Ignored) Counters.PathMtuUpdatesField++;
    }

    // RFC 8200 section 4.5: when reassembly is abandoned after the first fragment arrived, the source hears
    // "fragment reassembly time exceeded", quoting that fragment. Only for datagrams to our own unicast addresses.
    partial void ReportIpv6ReassemblyTimeout(in ExpiredDatagram datagram, Instant now)
    {
        var key = datagram.Key;
        int local = IndexOfIpv6Address(key.Destination);
        if (local < 0) return;
        var error = Icmpv6Repr.TimeExceeded(Icmpv6TimeExceededCode.FragmentReassemblyTimeExceeded, 0);
        SendIpv6Error(error, key.Source, key.Destination, local, datagram.Quote, now);
    }
}
