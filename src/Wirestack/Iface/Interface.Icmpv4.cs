using Wirestack.Ip;
using Wirestack.Link;
using Wirestack.Nic;
using Wirestack.Wire;

namespace Wirestack.Iface;

// ICMPv4: echo (both ways), errors sent (rate-limited) and errors received (path MTU).
public sealed partial class Interface
{
    /// <summary>
    /// Sends an ICMP (or, to an IPv6 address, ICMPv6) echo request: routes <paramref name="destination"/> to a next
    /// hop, resolves it, and writes the Ethernet, IP and ICMP headers straight into a transmit slot, copying
    /// <paramref name="data"/> once with the checksum folded into the copy. When the next hop is still being
    /// resolved the packet waits in the ARP or NDP cache's bounded queue (and a request or solicitation goes out if
    /// this started the resolution). The frame is published by the next <see cref="Poll"/>'s flush. Replies of both
    /// families arrive through <see cref="TryDequeueEchoReply"/>.
    /// </summary>
    /// <param name="destination">A unicast address that is not ours.</param>
    /// <param name="identifier">The echo identifier.</param>
    /// <param name="sequenceNumber">The echo sequence number.</param>
    /// <param name="data">The echo data; at most 65507 bytes. Beyond the path MTU the request is sent in fragments.</param>
    /// <param name="now">The current time.</param>
    /// <returns>True when the request was written or queued; false when it was dropped (and counted).</returns>
    public bool TrySendIcmpEcho(IpAddress destination, ushort identifier, ushort sequenceNumber, ReadOnlySpan<byte> data, Instant now)
    {
        if (destination.IsIpv6) return TrySendIcmpv6Echo(destination.AsIpv6, identifier, sequenceNumber, data, now);
        return TrySendIcmpv4Echo(destination.AsIpv4, identifier, sequenceNumber, data, now);
    }

    private bool TrySendIcmpv4Echo(Ipv4Address destination, ushort identifier, ushort sequenceNumber, ReadOnlySpan<byte> data, Instant now)
    {
        if (!destination.IsUnicast || destination.IsLoopback || IndexOfAddress(destination) >= 0 || IsBroadcastFor(destination))
        {
            Counters.Drop(InterfaceDropReason.NoRoute);
            return false;
        }
        if (data.Length > MaxUpperLayerLength - Icmpv4Packet.HeaderLength)
        {
            Counters.Drop(InterfaceDropReason.PacketTooBig);
            return false;
        }
        var request = Icmpv4Repr.EchoRequest(identifier, sequenceNumber, data.Length);
        if (!SendIcmp(default, destination, request, data, now)) return false;
        Counters.EchoRequestsSentField++;
        return true;
    }

    /// <summary>Takes the oldest received echo reply from the bounded queue.</summary>
    /// <returns>False when none is waiting.</returns>
    public bool TryDequeueEchoReply(out EchoReply reply)
    {
        if (_echoCount == 0)
        {
            reply = default;
            return false;
        }
        reply = _echoReplies[_echoHead];
        _echoHead = _echoHead + 1 == _echoReplies.Length ? 0 : _echoHead + 1;
        _echoCount--;
        return true;
    }

    private void SendUnreachable(Ipv4Address source, int local, Icmpv4UnreachableCode code, ReadOnlySpan<byte> original, Instant now)
    {
        // RFC 1122 section 3.2.2: no ICMP error about a broadcast, a fragment, or a non-unicast source.
        if (local < 0 || original.IsEmpty || !source.IsUnicast) return;
        if (!_icmpLimiter.TryTake(source, now))
        {
            Counters.IcmpErrorsSuppressedField++;
            return;
        }
        var quote = original.Length > MaxIcmpQuoteLength ? original[..MaxIcmpQuoteLength] : original;
        var error = Icmpv4Repr.DestinationUnreachable(code, quote.Length);
        if (SendIcmp(_addresses[local].Address, source, error, quote, now)) Counters.IcmpErrorsSentField++;
    }

    private void ProcessIcmp(Ipv4Address source, int local, ReadOnlySpan<byte> payload, Instant now)
    {
        var error = Icmpv4Packet.TryParse(payload, out var icmp);
        if (error != WireError.None)
        {
            Counters.DropMalformed(error);
            return;
        }
        if (!icmp.VerifyChecksum())
        {
            Counters.Drop(InterfaceDropReason.BadChecksum);
            return;
        }
        switch (icmp.Type)
        {
            case Icmpv4Type.EchoRequest:
                if (local < 0)
                {
                    Counters.Drop(InterfaceDropReason.BroadcastEcho);
                    return;
                }
                if (!source.IsUnicast)
                {
                    Counters.DropMalformed(WireError.BadAddress);
                    return;
                }
                var data = icmp.Payload;
                var reply = Icmpv4Repr.EchoReply(icmp.Identifier, icmp.SequenceNumber, data.Length);
                if (SendIcmp(_addresses[local].Address, source, reply, data, now)) Counters.EchoRequestsAnsweredField++;
                break;
            case Icmpv4Type.EchoReply:
                if (_echoCount == _echoReplies.Length)
                {
                    Counters.Drop(InterfaceDropReason.EchoReplyQueueFull);
                    return;
                }
                int tail = _echoHead + _echoCount;
                if (tail >= _echoReplies.Length) tail -= _echoReplies.Length;
                _echoReplies[tail] = new EchoReply(source, icmp.Identifier, icmp.SequenceNumber, icmp.Payload.Length, now);
                _echoCount++;
                Counters.EchoRepliesReceivedField++;
                break;
            case Icmpv4Type.DestinationUnreachable:
                Counters.IcmpErrorsReceivedField++;
                if (icmp.Code == (byte)Icmpv4UnreachableCode.FragmentationNeeded) ProcessFragmentationNeeded(icmp, now);
                break;
            case Icmpv4Type.TimeExceeded:
            case Icmpv4Type.ParameterProblem:
            case Icmpv4Type.SourceQuench:
                // Counted only: nothing here keeps per-flow state an error could abort yet.
                Counters.IcmpErrorsReceivedField++;
                break;
            default:
                Counters.Drop(InterfaceDropReason.UnsupportedIcmpType);
                break;
        }
    }

    private void ProcessFragmentationNeeded(Icmpv4Packet icmp, Instant now)
    {
        var error = QuotedIpv4Packet.TryParse(icmp.QuotedDatagram, out var quoted);
        if (error != WireError.None)
        {
            Counters.DropMalformed(error);
            return;
        }
        // Only a report about a packet we sent may narrow a path: anything else is someone else's, or forged.
        if (IndexOfAddress(quoted.Source) < 0 || !quoted.Destination.IsUnicast)
        {
            Counters.Drop(InterfaceDropReason.NotForUs);
            return;
        }
        // Never believe a next-hop MTU at or above the size of the packet it complains about (RFC 1191 section 4).
        int reported = icmp.NextHopMtu;
        if (reported >= quoted.TotalLength && reported != 0) return;
        if (_pathMtu.Update(quoted.Destination, reported, now) != PathMtuUpdateResult.Ignored) Counters.PathMtuUpdatesField++;
    }

    // Routes, resolves and sends one ICMP message; source default means "pick one for the next hop".
    private bool SendIcmp(Ipv4Address source, Ipv4Address destination, in Icmpv4Repr icmp, ReadOnlySpan<byte> payload, Instant now) =>
        SendIpv4(source, destination, IpProtocol.Icmp, icmp.BufferLength, icmp, default, payload, now);

    // RFC 792 / RFC 1122 section 3.2.1.3: a datagram whose first fragment arrived but which never completed is
    // reported to its source with "fragment reassembly time exceeded", quoting that first fragment. Only for
    // datagrams sent to one of our addresses by a unicast source, and rate-limited like every error.
    private void ReportReassemblyTimeout(in ExpiredDatagram datagram, Instant now)
    {
        var key = datagram.Key;
        if (key.IsIpv6)
        {
            ReportIpv6ReassemblyTimeout(datagram, now);
            return;
        }
        int local = IndexOfAddress(key.Ipv4Destination);
        var source = key.Ipv4Source;
        if (local < 0 || !source.IsUnicast || source.IsLoopback) return;
        if (!_icmpLimiter.TryTake(source, now))
        {
            Counters.IcmpErrorsSuppressedField++;
            return;
        }
        var quote = datagram.Quote;
        var error = Icmpv4Repr.TimeExceeded(Icmpv4TimeExceededCode.ReassemblyTimeExceeded, quote.Length);
        if (SendIcmp(_addresses[local].Address, source, error, quote, now)) Counters.IcmpErrorsSentField++;
    }

    // The IPv6 counterpart (ICMPv6 time exceeded, code 1) belongs with the IPv6 protocol code.
    partial void ReportIpv6ReassemblyTimeout(in ExpiredDatagram datagram, Instant now);
}
