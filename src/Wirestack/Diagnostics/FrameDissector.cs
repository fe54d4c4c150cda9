using Wirestack.Wire;

namespace Wirestack.Diagnostics;

/// <summary>
/// Walks one Ethernet frame through every parser of the wire layer, top to bottom, and reports
/// what it found. It never throws on bad bytes: the first malformed layer ends the walk and is
/// named in <see cref="DissectedFrame.Error"/>. Used by tracers, the fuzz tests and the demo.
/// </summary>
public static class FrameDissector
{
    /// <summary>Dissects <paramref name="frame"/>; returns the first error (also in <paramref name="result"/>).</summary>
    public static WireError Dissect(ReadOnlySpan<byte> frame, out DissectedFrame result)
    {
        result = default;
        var error = EthernetFrame.TryParse(frame, out var ethernet);
        EthernetRepr link = default;
        if (error == WireError.None) error = EthernetRepr.Parse(ethernet, out link);
        if (error != WireError.None) return Fail(ref result, FrameLayer.Ethernet, error);
        result.Ethernet = link;
        result.NetworkOffset = ethernet.HeaderLength;
        result.NetworkEnd = frame.Length;
        return ethernet.EtherType switch
        {
            EtherType.Arp => DissectArp(ethernet.Payload, ref result),
            EtherType.Ipv4 => DissectIpv4(ethernet.Payload, ref result),
            EtherType.Ipv6 => DissectIpv6(ethernet.Payload, ref result),
            _ => WireError.None,
        };
    }

    private static WireError DissectArp(ReadOnlySpan<byte> bytes, ref DissectedFrame result)
    {
        var error = ArpPacket.TryParse(bytes, out var packet);
        ArpRepr arp = default;
        if (error == WireError.None) error = ArpRepr.Parse(packet, out arp);
        if (error != WireError.None) return Fail(ref result, FrameLayer.Arp, error);
        result.Network = FrameLayer.Arp;
        result.Arp = arp;
        result.NetworkEnd = result.NetworkOffset + packet.Length;
        return WireError.None;
    }

    private static WireError DissectIpv4(ReadOnlySpan<byte> bytes, ref DissectedFrame result)
    {
        var error = Ipv4Packet.TryParse(bytes, out var packet);
        Ipv4Repr ip = default;
        if (error == WireError.None) error = Ipv4Repr.Parse(packet, out ip);
        if (error != WireError.None) return Fail(ref result, FrameLayer.Ipv4, error);
        result.Network = FrameLayer.Ipv4;
        result.Ipv4 = ip;
        result.Protocol = ip.Protocol;
        result.IsFragment = packet.IsFragment;
        result.TransportOffset = result.NetworkOffset + packet.HeaderLength;
        result.NetworkEnd = result.NetworkOffset + packet.TotalLength;
        if (ip.FragmentOffset != 0)
        {
            result.Transport = FrameLayer.Fragment;
            return WireError.None;
        }
        // A first fragment carries the transport header, but its checksum covers the whole datagram.
        return DissectTransport(packet.Payload, ip.Protocol, ip.PseudoHeaderSum(), verifyChecksum: !packet.IsFragment, ref result);
    }

    private static WireError DissectIpv6(ReadOnlySpan<byte> bytes, ref DissectedFrame result)
    {
        var error = Ipv6Packet.TryParse(bytes, out var packet);
        Ipv6Repr ip = default;
        if (error == WireError.None) error = Ipv6Repr.Parse(packet, out ip);
        if (error != WireError.None) return Fail(ref result, FrameLayer.Ipv6, error);
        result.Network = FrameLayer.Ipv6;
        result.Ipv6 = ip;
        result.NetworkEnd = result.NetworkOffset + Ipv6Packet.HeaderLength + ip.PayloadLength;

        var headers = packet.ExtensionHeaders;
        bool laterFragment = false;
        while (headers.MoveNext())
        {
            var header = headers.Current;
            if (header.Error != WireError.None) break;
            error = DissectExtensionHeader(header, ref result, ref laterFragment);
            if (error != WireError.None) return Fail(ref result, FrameLayer.Ipv6, error);
        }
        if (headers.Error != WireError.None) return Fail(ref result, FrameLayer.Ipv6, headers.Error);
        result.Protocol = headers.UpperLayerProtocol;
        result.TransportOffset = result.NetworkOffset + Ipv6Packet.HeaderLength + headers.UpperLayerOffset;
        if (laterFragment)
        {
            result.Transport = FrameLayer.Fragment;
            return WireError.None;
        }
        int upperLength = ip.PayloadLength - headers.UpperLayerOffset;
        uint pseudo = InternetChecksum.PseudoHeaderSum(ip.Source, ip.Destination, headers.UpperLayerProtocol, upperLength);
        return DissectTransport(headers.UpperLayerPayload, headers.UpperLayerProtocol, pseudo, verifyChecksum: !result.IsFragment, ref result);
    }

    private static WireError DissectExtensionHeader(Ipv6ExtensionHeader header, ref DissectedFrame result, ref bool laterFragment)
    {
        switch (header.Type)
        {
            case IpProtocol.Ipv6Fragment:
            {
                var error = Ipv6FragmentHeader.TryParse(header.Bytes, out var fragment);
                if (error == WireError.None) error = Ipv6FragmentRepr.Parse(fragment, out _);
                if (error != WireError.None) return error;
                result.IsFragment = true;
                laterFragment = fragment.FragmentOffset != 0;
                return WireError.None;
            }
            case IpProtocol.HopByHop or IpProtocol.Ipv6DestinationOptions:
            {
                var error = Ipv6OptionsHeader.TryParse(header.Bytes, out var options);
                if (error == WireError.None) error = Ipv6OptionsHeaderRepr.Parse(options, out _);
                return error;
            }
            case IpProtocol.Ipv6Routing:
                return Ipv6RoutingHeader.TryParse(header.Bytes, out _);
            default:
                return WireError.None;
        }
    }

    private static WireError DissectTransport(ReadOnlySpan<byte> bytes, IpProtocol protocol, uint pseudoHeaderSum, bool verifyChecksum, ref DissectedFrame result)
    {
        WireError error;
        switch (protocol)
        {
            case IpProtocol.Tcp:
            {
                error = TcpPacket.TryParse(bytes, out var packet);
                TcpRepr repr = default;
                if (error == WireError.None) error = TcpRepr.Parse(packet, pseudoHeaderSum, out repr, verifyChecksum);
                result.Tcp = repr;
                return Done(ref result, FrameLayer.Tcp, error);
            }
            case IpProtocol.Udp:
            {
                error = UdpPacket.TryParse(bytes, out var packet);
                UdpRepr repr = default;
                if (error == WireError.None)
                    error = UdpRepr.Parse(packet, pseudoHeaderSum, out repr, verifyChecksum, allowZeroChecksum: result.Network == FrameLayer.Ipv4);
                result.Udp = repr;
                return Done(ref result, FrameLayer.Udp, error);
            }
            case IpProtocol.Icmp:
            {
                error = Icmpv4Packet.TryParse(bytes, out var packet);
                Icmpv4Repr repr = default;
                if (error == WireError.None) error = Icmpv4Repr.Parse(packet, out repr, verifyChecksum);
                if (error == WireError.None && repr.IsError) error = QuotedIpv4Packet.TryParse(packet.QuotedDatagram, out _);
                result.Icmpv4 = repr;
                return Done(ref result, FrameLayer.Icmpv4, error);
            }
            case IpProtocol.Igmp:
            {
                error = IgmpPacket.TryParse(bytes, out var packet);
                IgmpRepr repr = default;
                if (error == WireError.None) error = IgmpRepr.Parse(packet, out repr, verifyChecksum);
                if (error == WireError.None) error = WalkIgmpLists(packet);
                result.Igmp = repr;
                return Done(ref result, FrameLayer.Igmp, error);
            }
            case IpProtocol.Icmpv6:
            {
                error = Icmpv6Packet.TryParse(bytes, out var packet);
                if (error == WireError.None) error = DissectIcmpv6(packet, pseudoHeaderSum, verifyChecksum, ref result);
                return Done(ref result, FrameLayer.Icmpv6, error);
            }
            case IpProtocol.Ipv6NoNextHeader:
                return WireError.None;
            default:
                result.Transport = FrameLayer.Unknown;
                return WireError.None;
        }
    }

    // ICMPv6 carries three families of messages, each with its own repr.
    private static WireError DissectIcmpv6(Icmpv6Packet packet, uint pseudoHeaderSum, bool verifyChecksum, ref DissectedFrame result)
    {
        result.Icmpv6 = new Icmpv6Repr { Type = packet.Type, Code = packet.Code };
        if (Icmpv6Repr.Handles(packet.Type))
        {
            var error = Icmpv6Repr.Parse(packet, pseudoHeaderSum, out var repr, verifyChecksum);
            if (error == WireError.None) result.Icmpv6 = repr;
            return error;
        }
        if (NdpRepr.Handles(packet.Type))
        {
            var error = NdpRepr.Parse(packet, pseudoHeaderSum, out var ndp, verifyChecksum);
            result.Ndp = ndp;
            return error;
        }
        if (packet.Type == Icmpv6Type.MulticastListenerReportV2)
        {
            var error = Mldv2Report.Parse(packet, pseudoHeaderSum, out var report, verifyChecksum);
            if (error != WireError.None) return error;
            foreach (var record in report.Records)
            {
                error = MulticastRecordRepr<Ipv6Address>.Parse(record, out _);
                if (error != WireError.None) return error;
            }
            return WireError.None;
        }
        if (MldRepr.Handles(packet.Type))
        {
            var error = MldRepr.Parse(packet, pseudoHeaderSum, out var mld, verifyChecksum);
            result.Mld = mld;
            return error;
        }
        // A type Wirestack does not interpret (a redirect, say) is still checked as far as it can be.
        return verifyChecksum && !packet.VerifyChecksum(pseudoHeaderSum) ? WireError.BadChecksum : WireError.None;
    }

    // Group records and source lists are read here so that every element parser is exercised.
    private static WireError WalkIgmpLists(IgmpPacket packet)
    {
        if (packet.Type != IgmpType.MembershipReportV3) return WireError.None;
        var records = packet.GroupRecords;
        foreach (var record in records)
        {
            var error = MulticastRecordRepr<Ipv4Address>.Parse(record, out _);
            if (error != WireError.None) return error;
            foreach (var source in record.Sources) _ = source;
        }
        return records.Error;
    }

    private static WireError Done(ref DissectedFrame result, FrameLayer layer, WireError error)
    {
        if (error != WireError.None) return Fail(ref result, layer, error);
        result.Transport = layer;
        return WireError.None;
    }

    private static WireError Fail(ref DissectedFrame result, FrameLayer layer, WireError error)
    {
        result.Error = error;
        result.ErrorLayer = layer;
        return error;
    }
}
