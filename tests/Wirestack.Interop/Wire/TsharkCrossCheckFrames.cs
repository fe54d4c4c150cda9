using System.Buffers.Binary;
using System.Text;
using Wirestack.Wire;
using static Wirestack.Interop.Wire.Tshark;

namespace Wirestack.Interop.Wire;

/// <summary>
/// The frames of <see cref="TsharkCrossCheckTests"/>: at least one of every format the wire layer
/// emits, each built with the reprs alone (no hand-written bytes), and for each the fields tshark
/// must decode, taken from the same reprs.
/// </summary>
internal sealed class TsharkCrossCheckFrames
{
    private const int MinimumFrameLength = 60; // Ethernet minimum without the FCS; shorter frames are padded with zeros

    private static readonly Host A = new(MacAddress.Parse("02:00:00:00:00:0a"), Ipv4Address.Parse("10.0.0.1"), Ipv6Address.Parse("fd00::a"));
    private static readonly Host B = new(MacAddress.Parse("02:00:00:00:00:0b"), Ipv4Address.Parse("10.0.0.2"), Ipv6Address.Parse("fd00::b"));
    private static readonly Host Router = new(MacAddress.Parse("02:00:00:00:00:01"), Ipv4Address.Parse("10.0.0.254"), Ipv6Address.Parse("fd00::1"));
    private static readonly Ipv4Address RemoteV4 = Ipv4Address.Parse("198.51.100.7");
    private static readonly Ipv6Address RemoteV6 = Ipv6Address.Parse("2001:db8::7");

    // Ports no tshark dissector claims, so payloads decode as plain data.
    private const ushort PortA = 40001;
    private const ushort PortB = 40002;

    private readonly List<ExpectedFrame> _frames = [];

    public static List<ExpectedFrame> Build()
    {
        var catalog = new TsharkCrossCheckFrames();
        catalog.Arp();
        catalog.Vlan();
        catalog.Igmp();
        catalog.Ipv4Fragments();
        catalog.Icmpv4Echo();
        catalog.Icmpv4Errors();
        catalog.Udp();
        catalog.UdpChecksumZero();
        catalog.Tcp();
        catalog.Mld();
        catalog.Ipv6Fragments();
        catalog.Icmpv6Echo();
        catalog.Icmpv6Errors();
        catalog.Ndp();
        return catalog._frames;
    }

    private int NextNumber => _frames.Count + 1;

    private void AcceptExpertInfo(params string[] messages) => _frames[^1] = _frames[^1] with { AcceptedExpertInfo = messages };

    private void Add(string name, byte[] frame, params (string Field, string Value)[] expected) =>
        _frames.Add(new ExpectedFrame(NextNumber, name, frame, expected));

    // --- ARP and VLANs ------------------------------------------------------------------------

    private void Arp()
    {
        var request = new ArpRepr
        {
            Operation = ArpOperation.Request,
            SenderHardwareAddress = A.Mac,
            SenderProtocolAddress = A.V4,
            TargetProtocolAddress = B.V4,
        };
        var reply = new ArpRepr
        {
            Operation = ArpOperation.Reply,
            SenderHardwareAddress = B.Mac,
            SenderProtocolAddress = B.V4,
            TargetHardwareAddress = A.Mac,
            TargetProtocolAddress = A.V4,
        };
        foreach (var (name, arp, from, to) in new[] { ("ARP request", request, A, MacAddress.Broadcast), ("ARP reply", reply, B, A.Mac) })
        {
            var bytes = new byte[arp.BufferLength];
            arp.Emit(bytes);
            Add(name, Ethernet(from.Mac, to, EtherType.Arp, bytes),
                ("eth.src", from.Mac.ToString()),
                ("eth.dst", to.ToString()),
                ("eth.type", Hex((ushort)EtherType.Arp, 4)),
                ("arp.opcode", Dec((ushort)arp.Operation)),
                ("arp.src.hw_mac", arp.SenderHardwareAddress.ToString()),
                ("arp.src.proto_ipv4", arp.SenderProtocolAddress.ToString()),
                ("arp.dst.hw_mac", arp.TargetHardwareAddress.ToString()),
                ("arp.dst.proto_ipv4", arp.TargetProtocolAddress.ToString()));
        }
    }

    private void Vlan()
    {
        // 802.1Q: one customer tag with a priority.
        var payload = "wirestack over 802.1Q"u8;
        var udp = new UdpRepr(PortA, PortB, payload.Length);
        var ip = new Ipv4Repr(A.V4, B.V4, IpProtocol.Udp, udp.BufferLength) { Identification = 0x0101 };
        var tag = new VlanTag(100, priority: 5);
        var eth = new EthernetRepr { Source = A.Mac, Destination = B.Mac, EtherType = EtherType.Ipv4, VlanTagCount = 1, OuterVlan = tag };
        Add("802.1Q-tagged IPv4/UDP", Ethernet(eth, Ipv4(ip, Udp(udp, payload, ip.PseudoHeaderSum()))),
            ("eth.type", Hex((ushort)EtherType.Vlan, 4)),
            ("vlan.id", Dec(tag.Id)),
            ("vlan.priority", Dec(tag.Priority)),
            ("vlan.dei", Bool(tag.DropEligible)),
            ("vlan.etype", Hex((ushort)EtherType.Ipv4, 4)),
            ("ip.src", ip.Source.ToString()),
            ("ip.dst", ip.Destination.ToString()),
            ("ip.id", Hex(ip.Identification, 4)),
            ("udp.srcport", Dec(udp.SourcePort)),
            ("udp.dstport", Dec(udp.DestinationPort)),
            ("udp.length", Dec(udp.BufferLength)),
            ("data.data", Bytes(payload)));

        // QinQ: an 802.1ad service tag outside an 802.1Q customer tag.
        payload = "wirestack over QinQ"u8;
        udp = new UdpRepr(PortA, PortB, payload.Length);
        ip = new Ipv4Repr(A.V4, B.V4, IpProtocol.Udp, udp.BufferLength) { Identification = 0x0102 };
        var outer = new VlanTag(200, priority: 3, protocol: EtherType.ServiceVlan);
        var inner = new VlanTag(300, priority: 1, dropEligible: true);
        eth = new EthernetRepr { Source = A.Mac, Destination = B.Mac, EtherType = EtherType.Ipv4, VlanTagCount = 2, OuterVlan = outer, InnerVlan = inner };
        Add("QinQ (802.1ad outer, 802.1Q inner) IPv4/UDP", Ethernet(eth, Ipv4(ip, Udp(udp, payload, ip.PseudoHeaderSum()))),
            ("eth.type", Hex((ushort)EtherType.ServiceVlan, 4)),
            ("ieee8021ad.id", Dec(outer.Id)),
            ("ieee8021ad.priority", Dec(outer.Priority)),
            ("vlan.id", Dec(inner.Id)),
            ("vlan.priority", Dec(inner.Priority)),
            ("vlan.dei", Bool(inner.DropEligible)),
            ("vlan.etype", Hex((ushort)EtherType.Ipv4, 4)),
            ("ip.src", ip.Source.ToString()),
            ("ip.id", Hex(ip.Identification, 4)),
            ("udp.srcport", Dec(udp.SourcePort)),
            ("udp.length", Dec(udp.BufferLength)),
            ("data.data", Bytes(payload)));
    }

    // --- IGMP ---------------------------------------------------------------------------------

    private void Igmp()
    {
        var allV3Routers = Ipv4Address.Parse("224.0.0.22");
        var groupA = Ipv4Address.Parse("239.1.1.1");
        var groupB = Ipv4Address.Parse("232.1.1.1");
        var groupC = Ipv4Address.Parse("239.2.2.2");
        Ipv4Address[] sources = [Ipv4Address.Parse("192.0.2.10"), Ipv4Address.Parse("192.0.2.11")];

        // IGMPv3 report: a join (CHANGE_TO_EXCLUDE, no sources) and ALLOW_NEW_SOURCES with two.
        var join = new MulticastRecordRepr<Ipv4Address>(MulticastRecordType.ChangeToExcludeMode, groupA);
        var allow = new MulticastRecordRepr<Ipv4Address>(MulticastRecordType.AllowNewSources, groupB, sources.Length);
        var report = new byte[8 + join.BufferLength + allow.BufferLength];
        var writer = new MulticastReportWriter<Ipv4Address>(report);
        writer.Add(join, []);
        writer.Add(allow, sources);
        Assert.Equal(report.Length, writer.Finish());
        var ip = IgmpIpv4(A.V4, allV3Routers, report.Length);
        Add("IPv4 (router alert) IGMPv3 report, 2 records", Ethernet(A.Mac, MacAddress.FromIpv4Multicast(allV3Routers), EtherType.Ipv4, Ipv4(ip, report)),
            ("ip.dst", allV3Routers.ToString()),
            ("ip.ttl", Dec(ip.TimeToLive)),
            ("ip.hdr_len", Dec(ip.HeaderLength)),
            ("ip.opt.ra", "0"),
            ("igmp.type", Hex((byte)IgmpType.MembershipReportV3, 2)),
            ("igmp.version", "3"),
            ("igmp.num_grp_recs", Dec(writer.RecordCount)),
            ("igmp.record_type", List((byte)join.RecordType, (byte)allow.RecordType)),
            ("igmp.maddr", List(join.MulticastAddress, allow.MulticastAddress)),
            ("igmp.num_src", List(join.SourceCount, allow.SourceCount)),
            ("igmp.saddr", List(sources[0], sources[1])));

        // IGMPv2 report and leave.
        var v2Report = new IgmpRepr { Type = IgmpType.MembershipReportV2, Group = groupC };
        var allRouters = Ipv4Address.Parse("224.0.0.2");
        foreach (var (name, igmp, destination) in new[] { ("IPv4 (router alert) IGMPv2 report", v2Report, groupC), ("IPv4 (router alert) IGMPv2 leave", v2Report with { Type = IgmpType.LeaveGroup }, allRouters) })
        {
            var message = new byte[igmp.BufferLength];
            igmp.Emit(message);
            ip = IgmpIpv4(A.V4, destination, message.Length);
            Add(name, Ethernet(A.Mac, MacAddress.FromIpv4Multicast(destination), EtherType.Ipv4, Ipv4(ip, message)),
                ("ip.dst", destination.ToString()),
                ("ip.opt.ra", "0"),
                ("igmp.type", Hex((byte)igmp.Type, 2)),
                ("igmp.version", "2"),
                ("igmp.maddr", igmp.Group.ToString()));
        }

        // IGMPv2 general query.
        var v2Query = new IgmpRepr { Type = IgmpType.MembershipQuery, QueryVersion = 2, MaxResponseCode = 100 };
        var v2QueryBytes = new byte[v2Query.BufferLength];
        v2Query.Emit(v2QueryBytes);
        var allSystems = Ipv4Address.Parse("224.0.0.1");
        ip = IgmpIpv4(Router.V4, allSystems, v2QueryBytes.Length);
        Add("IPv4 (router alert) IGMPv2 general query", Ethernet(Router.Mac, MacAddress.FromIpv4Multicast(allSystems), EtherType.Ipv4, Ipv4(ip, v2QueryBytes)),
            ("ip.dst", allSystems.ToString()),
            ("igmp.type", Hex((byte)v2Query.Type, 2)),
            ("igmp.version", "2"),
            ("igmp.max_resp", Dec(v2Query.MaxResponseCode)),
            ("igmp.maddr", v2Query.Group.ToString()));

        // IGMPv3 group-and-source-specific query.
        var query = new IgmpRepr
        {
            Type = IgmpType.MembershipQuery,
            QueryVersion = 3,
            MaxResponseCode = 100,
            Group = groupA,
            SuppressRouterProcessing = true,
            Robustness = 2,
            QueryIntervalCode = 125,
            SourceCount = sources.Length,
        };
        var queryBytes = new byte[query.BufferLength];
        query.Emit(queryBytes, sources);
        ip = IgmpIpv4(Router.V4, groupA, queryBytes.Length);
        Add("IPv4 (router alert) IGMPv3 query with sources", Ethernet(Router.Mac, MacAddress.FromIpv4Multicast(groupA), EtherType.Ipv4, Ipv4(ip, queryBytes)),
            ("ip.src", Router.V4.ToString()),
            ("ip.dst", groupA.ToString()),
            ("ip.opt.ra", "0"),
            ("igmp.type", Hex((byte)query.Type, 2)),
            ("igmp.version", "3"),
            ("igmp.max_resp", Dec(query.MaxResponseCode)),
            ("igmp.maddr", query.Group.ToString()),
            ("igmp.s", Bool(query.SuppressRouterProcessing)),
            ("igmp.qrv", Dec(query.Robustness)),
            ("igmp.qqic", Dec(query.QueryIntervalCode)),
            ("igmp.num_src", Dec(query.SourceCount)),
            ("igmp.saddr", List(sources[0], sources[1])));
    }

    private static Ipv4Repr IgmpIpv4(Ipv4Address source, Ipv4Address destination, int length) =>
        new(source, destination, IpProtocol.Igmp, length, timeToLive: 1)
        {
            Dscp = 48, // CS6, as Linux sends IGMP
            Options = RouterAlert(),
        };

    // RFC 2113 router alert, value 0: Ipv4Options keeps option bytes as they are (the repr does not interpret them).
    private static Ipv4Options RouterAlert() => Ipv4Options.FromBytes([0x94, 0x04, 0x00, 0x00]);

    // --- IPv4 fragments -------------------------------------------------------------------------

    private void Ipv4Fragments()
    {
        // One UDP datagram (checksum over all of it) cut into three fragments: the first holds the
        // UDP header, the second is a middle fragment (DF clear, MF set), the last clears MF.
        var payload = Pattern(100, 0x30);
        var udp = new UdpRepr(PortA, PortB, payload.Length);
        var whole = new Ipv4Repr(A.V4, B.V4, IpProtocol.Udp, udp.BufferLength);
        var datagram = Udp(udp, payload, whole.PseudoHeaderSum());
        int[] cuts = [0, 48, 96, datagram.Length];
        int last = NextNumber + cuts.Length - 2;
        for (int i = 0; i + 1 < cuts.Length; i++)
        {
            var piece = datagram.AsSpan(cuts[i], cuts[i + 1] - cuts[i]);
            var fragment = new Ipv4Repr(A.V4, B.V4, IpProtocol.Udp, piece.Length)
            {
                Identification = 0x4242,
                FragmentOffset = cuts[i],
                MoreFragments = i + 2 < cuts.Length,
            };
            var frame = Ethernet(A.Mac, B.Mac, EtherType.Ipv4, Ipv4(fragment, piece));
            var expected = new List<(string, string)>
            {
                ("ip.id", Hex(fragment.Identification, 4)),
                ("ip.flags.df", Bool(fragment.DontFragment)),
                ("ip.flags.mf", Bool(fragment.MoreFragments)),
                ("ip.frag_offset", Dec(fragment.FragmentOffset / 8)),
                ("ip.len", Dec(fragment.TotalLength)),
            };
            if (fragment.MoreFragments)
            {
                expected.Add(("ip.reassembled_in", Dec(last)));
                Add(i == 0 ? "IPv4 first fragment (UDP header), MF" : "IPv4 middle fragment, DF clear, MF", frame, [.. expected]);
            }
            else
            {
                expected.AddRange(
                [
                    ("ip.reassembled.length", Dec(datagram.Length)),
                    ("udp.srcport", Dec(udp.SourcePort)),
                    ("udp.dstport", Dec(udp.DestinationPort)),
                    ("udp.length", Dec(udp.BufferLength)),
                    ("data.data", Bytes(payload)),
                ]);
                Add("IPv4 last fragment, reassembled UDP", frame, [.. expected]);
            }
        }
    }

    // --- ICMPv4 ---------------------------------------------------------------------------------

    private void Icmpv4Echo()
    {
        var payload = Pattern(56, 0x10);
        var request = Icmpv4Repr.EchoRequest(0x1234, 1, payload.Length);
        var reply = Icmpv4Repr.EchoReply(request.Identifier, request.SequenceNumber, payload.Length);
        foreach (var (name, icmp, from, to) in new[] { ("ICMPv4 echo request", request, A, B), ("ICMPv4 echo reply", reply, B, A) })
        {
            var ip = new Ipv4Repr(from.V4, to.V4, IpProtocol.Icmp, icmp.BufferLength) { Identification = (ushort)(0x2000 + NextNumber), DontFragment = true };
            Add(name, Ethernet(from.Mac, to.Mac, EtherType.Ipv4, Ipv4(ip, Icmpv4(icmp, payload))),
                ("ip.src", ip.Source.ToString()),
                ("ip.dst", ip.Destination.ToString()),
                ("ip.ttl", Dec(ip.TimeToLive)),
                ("ip.flags.df", Bool(ip.DontFragment)),
                ("ip.proto", Dec((byte)ip.Protocol)),
                ("icmp.type", Dec((byte)icmp.Type)),
                ("icmp.code", Dec(icmp.Code)),
                ("icmp.ident", Dec(icmp.Identifier)),
                ("icmp.seq", Dec(icmp.SequenceNumber)),
                ("data.data", Bytes(payload)));
        }
    }

    private void Icmpv4Errors()
    {
        // Port unreachable, quoting the whole datagram that caused it (Linux quotes up to 548 bytes).
        var probe = "is anyone listening?"u8;
        var udp = new UdpRepr(PortA, 33333, probe.Length);
        var invoking = new Ipv4Repr(A.V4, B.V4, IpProtocol.Udp, udp.BufferLength) { Identification = 0x7001 };
        var quote = Ipv4(invoking, Udp(udp, probe, invoking.PseudoHeaderSum()));
        AddIcmpv4Error("ICMPv4 destination unreachable (port), quoting IPv4/UDP", B,
            Icmpv4Repr.DestinationUnreachable(Icmpv4UnreachableCode.PortUnreachable, quote.Length), invoking, quote,
            ("udp.srcport", Dec(udp.SourcePort)),
            ("udp.dstport", Dec(udp.DestinationPort)),
            ("udp.length", Dec(udp.BufferLength)));

        // Fragmentation needed: a full-size TCP segment with DF meets a 1400-byte link. The quote is the
        // header and the first 8 bytes of the segment (RFC 792): tshark must decode the ports and the
        // sequence number and, with no checksum field quoted, report no TCP checksum status at all.
        var segment = new TcpRepr
        {
            SourcePort = PortA,
            DestinationPort = 443,
            SequenceNumber = new TcpSeqNumber(0x1122_3344),
            AcknowledgmentNumber = new TcpSeqNumber(0x5566_7788),
            Flags = TcpFlags.Ack | TcpFlags.Psh,
            WindowSize = 501,
            Timestamps = new TcpTimestamps(1000, 2000),
            PayloadLength = 1448,
        };
        var big = new Ipv4Repr(A.V4, RemoteV4, IpProtocol.Tcp, segment.TotalLength) { Identification = 0x7002, DontFragment = true };
        var full = Ipv4(big, Tcp(segment, Pattern(segment.PayloadLength, 0x41), big.PseudoHeaderSum()));
        quote = full[..(big.HeaderLength + 8)];
        var fragNeeded = Icmpv4Repr.DestinationUnreachable(Icmpv4UnreachableCode.FragmentationNeeded, quote.Length, nextHopMtu: 1400);
        AddIcmpv4Error("ICMPv4 fragmentation needed (MTU 1400), quoting IPv4 + 8 bytes of TCP", Router, fragNeeded, big, quote,
            ("icmp.mtu", Dec(fragNeeded.NextHopMtu)),
            ("tcp.srcport", Dec(segment.SourcePort)),
            ("tcp.dstport", Dec(segment.DestinationPort)),
            ("tcp.seq", Dec(segment.SequenceNumber.Value)),
            ("tcp.checksum.status", ""));

        // Time exceeded in transit: a traceroute probe with TTL 1, quoted whole.
        udp = new UdpRepr(PortA, 33434, 32);
        var probeIp = new Ipv4Repr(A.V4, RemoteV4, IpProtocol.Udp, udp.BufferLength, timeToLive: 1) { Identification = 0x7003 };
        quote = Ipv4(probeIp, Udp(udp, new byte[32], probeIp.PseudoHeaderSum()));
        AddIcmpv4Error("ICMPv4 time exceeded (TTL), quoting IPv4/UDP", Router,
            Icmpv4Repr.TimeExceeded(Icmpv4TimeExceededCode.TtlExceeded, quote.Length), probeIp, quote,
            ("udp.dstport", Dec(udp.DestinationPort)));

        // Parameter problem pointing at the first option of a header with options.
        udp = new UdpRepr(PortA, PortB, 4);
        var withOptions = new Ipv4Repr(A.V4, B.V4, IpProtocol.Udp, udp.BufferLength) { Identification = 0x7004, Options = RouterAlert() };
        quote = Ipv4(withOptions, Udp(udp, "ping"u8, withOptions.PseudoHeaderSum()));
        var problem = Icmpv4Repr.ParameterProblem(20, quote.Length);
        AddIcmpv4Error("ICMPv4 parameter problem (pointer), quoting IPv4+options/UDP", B, problem, withOptions, quote,
            ("icmp.pointer", Dec(problem.Pointer)),
            ("ip.hdr_len", List(20, withOptions.HeaderLength)),
            ("udp.srcport", Dec(udp.SourcePort)));
    }

    private void AddIcmpv4Error(string name, Host from, Icmpv4Repr icmp, Ipv4Repr inner, byte[] quote, params (string, string)[] more)
    {
        var ip = new Ipv4Repr(from.V4, A.V4, IpProtocol.Icmp, icmp.BufferLength) { Identification = (ushort)(0x3000 + NextNumber), Dscp = 48 };
        Add(name, Ethernet(from.Mac, A.Mac, EtherType.Ipv4, Ipv4(ip, Icmpv4(icmp, quote))),
            [
                ("ip.src", List(ip.Source, inner.Source)),
                ("ip.dst", List(ip.Destination, inner.Destination)),
                ("ip.id", List(Hex(ip.Identification, 4), Hex(inner.Identification, 4))),
                ("ip.len", List(ip.TotalLength, inner.TotalLength)),
                ("ip.ttl", List(ip.TimeToLive, inner.TimeToLive)),
                ("ip.flags.df", List(Bool(ip.DontFragment), Bool(inner.DontFragment))),
                ("ip.proto", List((byte)ip.Protocol, (byte)inner.Protocol)),
                ("icmp.type", Dec((byte)icmp.Type)),
                ("icmp.code", Dec(icmp.Code)),
                .. more,
            ]);
    }

    // --- UDP and TCP ------------------------------------------------------------------------------

    private void Udp()
    {
        var payload = "wirestack udp over ipv4"u8;
        var udp = new UdpRepr(PortA, PortB, payload.Length);
        var ip = new Ipv4Repr(A.V4, B.V4, IpProtocol.Udp, udp.BufferLength, timeToLive: 33) { Identification = 0x5001, Dscp = 10, Ecn = 1 };
        Add("IPv4/UDP", Ethernet(A.Mac, B.Mac, EtherType.Ipv4, Ipv4(ip, Udp(udp, payload, ip.PseudoHeaderSum()))),
            ("eth.src", A.Mac.ToString()),
            ("eth.dst", B.Mac.ToString()),
            ("eth.type", Hex((ushort)EtherType.Ipv4, 4)),
            ("ip.src", ip.Source.ToString()),
            ("ip.dst", ip.Destination.ToString()),
            ("ip.ttl", Dec(ip.TimeToLive)),
            ("ip.id", Hex(ip.Identification, 4)),
            ("ip.dsfield.dscp", Dec(ip.Dscp)),
            ("ip.dsfield.ecn", Dec(ip.Ecn)),
            ("ip.flags.df", Bool(ip.DontFragment)),
            ("ip.flags.mf", Bool(ip.MoreFragments)),
            ("ip.frag_offset", "0"),
            ("ip.len", Dec(ip.TotalLength)),
            ("ip.proto", Dec((byte)ip.Protocol)),
            ("udp.srcport", Dec(udp.SourcePort)),
            ("udp.dstport", Dec(udp.DestinationPort)),
            ("udp.length", Dec(udp.BufferLength)),
            ("data.data", Bytes(payload)));

        payload = "wirestack udp over ipv6"u8;
        udp = new UdpRepr(PortB, PortA, payload.Length);
        var ip6 = new Ipv6Repr(B.V6, A.V6, IpProtocol.Udp, udp.BufferLength, hopLimit: 17) { FlowLabel = 0x12345, Dscp = 46 };
        Add("IPv6/UDP", Ethernet(B.Mac, A.Mac, EtherType.Ipv6, Ipv6(ip6, Udp(udp, payload, ip6.PseudoHeaderSum()))),
            ("eth.type", Hex((ushort)EtherType.Ipv6, 4)),
            ("ipv6.src", ip6.Source.ToString()),
            ("ipv6.dst", ip6.Destination.ToString()),
            ("ipv6.hlim", Dec(ip6.HopLimit)),
            ("ipv6.nxt", Dec((byte)ip6.NextHeader)),
            ("ipv6.plen", Dec(ip6.PayloadLength)),
            ("ipv6.flow", Hex(ip6.FlowLabel, 6)),
            ("ipv6.tclass.dscp", Dec(ip6.Dscp)),
            ("udp.srcport", Dec(udp.SourcePort)),
            ("udp.dstport", Dec(udp.DestinationPort)),
            ("udp.length", Dec(udp.BufferLength)),
            ("data.data", Bytes(payload)));
    }

    // A datagram whose checksum sums to zero goes out as 0xFFFF (RFC 768; over IPv6 a zero would be
    // illegal). The first two payload bytes are chosen to make the sum come out that way.
    private void UdpChecksumZero()
    {
        var payload = new byte[18];
        "zero-sum"u8.CopyTo(payload.AsSpan(2));
        var udp = new UdpRepr(PortA, PortB, payload.Length);
        var ip = new Ipv6Repr(A.V6, B.V6, IpProtocol.Udp, udp.BufferLength);
        Assert.Equal(WireError.None, UdpPacket.TryParse(Udp(udp, payload, ip.PseudoHeaderSum()), out var first));
        // Adding the word the checksum field held makes the ones'-complement sum 0xFFFF: a checksum of zero.
        BinaryPrimitives.WriteUInt16BigEndian(payload, first.Checksum);
        var datagram = Udp(udp, payload, ip.PseudoHeaderSum());
        Assert.Equal(WireError.None, UdpPacket.TryParse(datagram, out var zeroSum));
        Assert.Equal(0xFFFF, zeroSum.Checksum);
        Add("IPv6/UDP whose checksum computes to zero (sent as 0xFFFF)", Ethernet(A.Mac, B.Mac, EtherType.Ipv6, Ipv6(ip, datagram)),
            ("udp.checksum", Hex(zeroSum.Checksum, 4)),
            ("udp.srcport", Dec(udp.SourcePort)),
            ("data.data", Bytes(payload)));
    }

    private void Tcp()
    {
        // SYN with every handshake option, in Linux's layout.
        var syn = new TcpRepr
        {
            SourcePort = PortA,
            DestinationPort = PortB,
            SequenceNumber = new TcpSeqNumber(0xF000_0001), // above 2^31: printed unsigned
            Flags = TcpFlags.Syn,
            WindowSize = 64240,
            MaxSegmentSize = 1460,
            SackPermitted = true,
            Timestamps = new TcpTimestamps(0x0102_0304, 0),
            WindowScale = 7,
        };
        AddTcpV4("TCP SYN (MSS, SACK-permitted, timestamps, window scale)", A, B, syn, [],
            ("tcp.hdr_len", Dec(syn.HeaderLength)),
            ("tcp.option_kind", List(2, 4, 8, 1, 3)),
            ("tcp.options.mss_val", Dec(syn.MaxSegmentSize!.Value)),
            ("tcp.options.sack_perm", "0402"),
            ("tcp.options.timestamp.tsval", Dec(syn.Timestamps!.Value.Value)),
            ("tcp.options.timestamp.tsecr", Dec(syn.Timestamps!.Value.EchoReply)),
            ("tcp.options.wscale.shift", Dec(syn.WindowScale!.Value)));

        // A data segment with timestamps, three SACK blocks and a payload.
        var ack = new TcpSeqNumber(0x8000_0000);
        TcpSackBlock[] blocks =
        [
            new(ack + 5000, ack + 6000),
            new(ack + 3000, ack + 4000),
            new(ack + 1000, ack + 2000),
        ];
        var payload = Encoding.ASCII.GetBytes("wirestack tcp payload: the quick brown fox jumps over the lazy dog, 0123456789");
        var data = new TcpRepr
        {
            SourcePort = PortB,
            DestinationPort = PortA,
            SequenceNumber = new TcpSeqNumber(0x0000_1000),
            AcknowledgmentNumber = ack,
            Flags = TcpFlags.Ack | TcpFlags.Psh,
            WindowSize = 501,
            Timestamps = new TcpTimestamps(0xAABB_CCDD, 0x0102_0304),
            SackBlocks = new TcpSackBlocks(blocks),
            PayloadLength = payload.Length,
        };
        AddTcpV4("TCP data (timestamps, 3 SACK blocks, payload)", B, A, data, payload,
            ("tcp.hdr_len", Dec(data.HeaderLength)),
            ("tcp.option_kind", List(1, 1, 8, 1, 1, 5)),
            ("tcp.options.timestamp.tsval", Dec(data.Timestamps!.Value.Value)),
            ("tcp.options.timestamp.tsecr", Dec(data.Timestamps!.Value.EchoReply)),
            ("tcp.options.sack.count", Dec(blocks.Length)),
            ("tcp.options.sack_le", List(blocks.Select(b => b.Left.Value).Cast<object>())),
            ("tcp.options.sack_re", List(blocks.Select(b => b.Right.Value).Cast<object>())),
            ("tcp.len", Dec(payload.Length)),
            ("tcp.payload", Bytes(payload)));

        var fin = new TcpRepr
        {
            SourcePort = PortA,
            DestinationPort = PortB,
            SequenceNumber = new TcpSeqNumber(0xF000_0002),
            AcknowledgmentNumber = new TcpSeqNumber(0x0000_1000 + (uint)payload.Length),
            Flags = TcpFlags.Fin | TcpFlags.Ack,
            WindowSize = 502,
            Timestamps = new TcpTimestamps(0x0102_0400, 0xAABB_CCDD),
        };
        AddTcpV4("TCP FIN/ACK", A, B, fin, [],
            ("tcp.option_kind", List(1, 1, 8)),
            ("tcp.len", "0"));

        var rst = new TcpRepr
        {
            SourcePort = PortB,
            DestinationPort = PortA,
            SequenceNumber = fin.AcknowledgmentNumber,
            Flags = TcpFlags.Rst,
        };
        AddTcpV4("TCP RST", B, A, rst, [],
            ("tcp.hdr_len", "20"),
            ("tcp.option_kind", ""),
            ("tcp.len", "0"));
        // tshark flags every reset (PI_SEQUENCE, PI_WARN): a remark on the connection, not on the format.
        AcceptExpertInfo("Connection reset (RST)");
    }

    private void AddTcpV4(string name, Host from, Host to, TcpRepr tcp, byte[] payload, params (string, string)[] more)
    {
        var ip = new Ipv4Repr(from.V4, to.V4, IpProtocol.Tcp, tcp.TotalLength) { Identification = (ushort)(0x6000 + NextNumber), DontFragment = true };
        Add(name, Ethernet(from.Mac, to.Mac, EtherType.Ipv4, Ipv4(ip, Tcp(tcp, payload, ip.PseudoHeaderSum()))),
            [
                ("ip.src", ip.Source.ToString()),
                ("ip.dst", ip.Destination.ToString()),
                ("ip.flags.df", Bool(ip.DontFragment)),
                ("ip.proto", Dec((byte)ip.Protocol)),
                ("tcp.srcport", Dec(tcp.SourcePort)),
                ("tcp.dstport", Dec(tcp.DestinationPort)),
                ("tcp.seq_raw", Dec(tcp.SequenceNumber.Value)),
                ("tcp.ack_raw", Dec(tcp.AcknowledgmentNumber.Value)),
                ("tcp.flags", Hex((ushort)tcp.Flags, 4)),
                ("tcp.window_size_value", Dec(tcp.WindowSize)),
                .. more,
            ]);
    }

    // --- MLD ------------------------------------------------------------------------------------

    private void Mld()
    {
        var linkLocalA = Ipv6Address.LinkLocalFromMac(A.Mac);
        var routerLinkLocal = Ipv6Address.Parse("fe80::1");
        var any = Ipv6Address.Parse("ff15::1:2:3");
        var ssm = Ipv6Address.Parse("ff3e::8000:1");
        Ipv6Address[] sources = [Ipv6Address.Parse("2001:db8::100"), Ipv6Address.Parse("2001:db8::101")];
        var hopByHop = Ipv6OptionsHeaderRepr.ForMld();

        // MLDv2 report behind a hop-by-hop router alert: a join without sources, an ALLOW with two.
        var join = new MulticastRecordRepr<Ipv6Address>(MulticastRecordType.ChangeToExcludeMode, any);
        var allow = new MulticastRecordRepr<Ipv6Address>(MulticastRecordType.AllowNewSources, ssm, sources.Length);
        var report = new byte[8 + join.BufferLength + allow.BufferLength];
        var writer = new MulticastReportWriter<Ipv6Address>(report);
        writer.Add(join, []);
        writer.Add(allow, sources);
        var ip = new Ipv6Repr(linkLocalA, Ipv6Address.AllMldv2Routers, IpProtocol.HopByHop, hopByHop.HeaderLength + report.Length, hopLimit: 1);
        Assert.Equal(report.Length, writer.Finish(ip.PseudoHeaderSum(IpProtocol.Icmpv6, report.Length)));
        Add("IPv6 hop-by-hop (router alert) MLDv2 report, 2 records",
            Ethernet(A.Mac, MacAddress.FromIpv6Multicast(ip.Destination), EtherType.Ipv6, Ipv6(ip, Concat(OptionsHeader(hopByHop), report))),
            ("eth.dst", MacAddress.FromIpv6Multicast(ip.Destination).ToString()),
            ("ipv6.src", ip.Source.ToString()),
            ("ipv6.dst", ip.Destination.ToString()),
            ("ipv6.hlim", Dec(ip.HopLimit)),
            ("ipv6.nxt", Dec((byte)ip.NextHeader)),
            ("ipv6.hopopts.nxt", Dec((byte)hopByHop.NextHeader)),
            ("ipv6.opt.router_alert", Dec(hopByHop.RouterAlert!.Value)),
            ("icmpv6.type", Dec((byte)Icmpv6Type.MulticastListenerReportV2)),
            ("icmpv6.mldr.nb_mcast_records", Dec(writer.RecordCount)),
            ("icmpv6.mldr.mar.record_type", List((byte)join.RecordType, (byte)allow.RecordType)),
            ("icmpv6.mldr.mar.multicast_address", List(join.MulticastAddress, allow.MulticastAddress)),
            ("icmpv6.mldr.mar.nb_sources", List(join.SourceCount, allow.SourceCount)),
            ("icmpv6.mldr.mar.source_address", List(sources[0], sources[1])));

        // MLDv1 report and done.
        foreach (var (name, mld, destination) in new[] { ("IPv6 hop-by-hop (router alert) MLDv1 report", MldRepr.Report(any), any), ("IPv6 hop-by-hop (router alert) MLDv1 done", MldRepr.Done(any), Ipv6Address.AllRouters) })
        {
            ip = new Ipv6Repr(linkLocalA, destination, IpProtocol.HopByHop, hopByHop.HeaderLength + mld.BufferLength, hopLimit: 1);
            var message = new byte[mld.BufferLength];
            mld.Emit(message, ip.PseudoHeaderSum(IpProtocol.Icmpv6, message.Length));
            Add(name, Ethernet(A.Mac, MacAddress.FromIpv6Multicast(destination), EtherType.Ipv6, Ipv6(ip, Concat(OptionsHeader(hopByHop), message))),
                ("ipv6.dst", destination.ToString()),
                ("ipv6.hopopts.nxt", Dec((byte)hopByHop.NextHeader)),
                ("ipv6.opt.router_alert", Dec(hopByHop.RouterAlert!.Value)),
                ("icmpv6.type", Dec((byte)mld.Type)),
                ("icmpv6.mld.multicast_address", mld.MulticastAddress.ToString()));
        }

        // MLDv2 multicast-address-and-source-specific query.
        var query = new MldRepr
        {
            Type = Icmpv6Type.MulticastListenerQuery,
            IsMldv2Query = true,
            MaximumResponseCode = 10000,
            MulticastAddress = ssm,
            SuppressRouterSideProcessing = true,
            Robustness = 2,
            QueryIntervalCode = 125,
            SourceCount = sources.Length,
        };
        ip = new Ipv6Repr(routerLinkLocal, ssm, IpProtocol.HopByHop, hopByHop.HeaderLength + query.BufferLength, hopLimit: 1);
        var queryBytes = new byte[query.BufferLength];
        query.Emit(queryBytes, ip.PseudoHeaderSum(IpProtocol.Icmpv6, queryBytes.Length), sources);
        Add("IPv6 hop-by-hop (router alert) MLDv2 query with sources",
            Ethernet(Router.Mac, MacAddress.FromIpv6Multicast(ssm), EtherType.Ipv6, Ipv6(ip, Concat(OptionsHeader(hopByHop), queryBytes))),
            ("ipv6.src", ip.Source.ToString()),
            ("ipv6.dst", ip.Destination.ToString()),
            ("ipv6.hopopts.nxt", Dec((byte)hopByHop.NextHeader)),
            ("ipv6.opt.router_alert", Dec(hopByHop.RouterAlert!.Value)),
            ("icmpv6.type", Dec((byte)query.Type)),
            ("icmpv6.mld.maximum_response_code", Dec(query.MaximumResponseCode)),
            ("icmpv6.mld.multicast_address", query.MulticastAddress.ToString()),
            ("icmpv6.mld.flag.s", Bool(query.SuppressRouterSideProcessing)),
            ("icmpv6.mld.flag.qrv", Dec(query.Robustness)),
            ("icmpv6.mld.qqi", Dec(query.QueryIntervalCode)),
            ("icmpv6.mld.nb_sources", Dec(query.SourceCount)),
            ("icmpv6.mld.source_address", List(sources[0], sources[1])));
    }

    // --- IPv6 fragments -------------------------------------------------------------------------

    private void Ipv6Fragments()
    {
        // One UDP datagram cut in two behind fragment headers; the checksum covers the whole datagram.
        var payload = Pattern(120, 0x60);
        var udp = new UdpRepr(PortA, PortB, payload.Length);
        var whole = new Ipv6Repr(A.V6, B.V6, IpProtocol.Udp, udp.BufferLength);
        var datagram = Udp(udp, payload, whole.PseudoHeaderSum());
        int[] cuts = [0, 64, datagram.Length];
        int last = NextNumber + cuts.Length - 2;
        for (int i = 0; i + 1 < cuts.Length; i++)
        {
            var piece = datagram.AsSpan(cuts[i], cuts[i + 1] - cuts[i]);
            var header = new Ipv6FragmentRepr
            {
                NextHeader = IpProtocol.Udp,
                FragmentOffset = cuts[i],
                MoreFragments = i + 2 < cuts.Length,
                Identification = 0xDEAD_BEEF,
            };
            var fragmentHeader = new byte[header.HeaderLength];
            header.Emit(fragmentHeader);
            var ip = new Ipv6Repr(A.V6, B.V6, IpProtocol.Ipv6Fragment, header.HeaderLength + piece.Length);
            var frame = Ethernet(A.Mac, B.Mac, EtherType.Ipv6, Ipv6(ip, Concat(fragmentHeader, piece.ToArray())));
            var expected = new List<(string, string)>
            {
                ("ipv6.nxt", Dec((byte)ip.NextHeader)),
                ("ipv6.plen", Dec(ip.PayloadLength)),
                ("ipv6.fraghdr.nxt", Dec((byte)header.NextHeader)),
                ("ipv6.fraghdr.offset", Dec(header.FragmentOffset / 8)),
                ("ipv6.fraghdr.more", Bool(header.MoreFragments)),
                ("ipv6.fraghdr.ident", Hex(header.Identification, 8)),
            };
            if (header.MoreFragments)
            {
                expected.Add(("ipv6.reassembled.in", Dec(last)));
                Add("IPv6 fragment header, first fragment (UDP header)", frame, [.. expected]);
            }
            else
            {
                expected.AddRange(
                [
                    ("ipv6.reassembled.length", Dec(datagram.Length)),
                    ("udp.srcport", Dec(udp.SourcePort)),
                    ("udp.length", Dec(udp.BufferLength)),
                    ("data.data", Bytes(payload)),
                ]);
                Add("IPv6 fragment header, last fragment, reassembled UDP", frame, [.. expected]);
            }
        }
    }

    // --- ICMPv6 ---------------------------------------------------------------------------------

    private void Icmpv6Echo()
    {
        var payload = Pattern(32, 0xA0);
        var request = Icmpv6Repr.EchoRequest(0x4321, 7, payload.Length);
        var reply = Icmpv6Repr.EchoReply(request.Identifier, request.SequenceNumber, payload.Length);
        foreach (var (name, icmp, from, to) in new[] { ("ICMPv6 echo request", request, A, B), ("ICMPv6 echo reply", reply, B, A) })
        {
            var ip = new Ipv6Repr(from.V6, to.V6, IpProtocol.Icmpv6, icmp.BufferLength);
            Add(name, Ethernet(from.Mac, to.Mac, EtherType.Ipv6, Ipv6(ip, Icmpv6(icmp, payload, ip.PseudoHeaderSum()))),
                ("ipv6.src", ip.Source.ToString()),
                ("ipv6.dst", ip.Destination.ToString()),
                ("ipv6.nxt", Dec((byte)ip.NextHeader)),
                ("icmpv6.type", Dec((byte)icmp.Type)),
                ("icmpv6.code", Dec(icmp.Code)),
                ("icmpv6.echo.identifier", Hex(icmp.Identifier, 4)),
                ("icmpv6.echo.sequence_number", Dec(icmp.SequenceNumber)),
                ("data.data", Bytes(payload)));
        }
    }

    private void Icmpv6Errors()
    {
        // Packet too big: a 1500-byte packet meets a 1400-byte link; the quote fills the minimum MTU, so
        // the quoted UDP checksum cannot be verified (tshark must say Unverified).
        var udp = new UdpRepr(PortA, PortB, 1500 - 40 - 8);
        var big = new Ipv6Repr(A.V6, RemoteV6, IpProtocol.Udp, udp.BufferLength);
        var quote = Ipv6(big, Udp(udp, Pattern(udp.PayloadLength, 0x11), big.PseudoHeaderSum()))[..Icmpv6Repr.MaxErrorPayload];
        var tooBig = Icmpv6Repr.PacketTooBig(1400, quote.Length);
        AddIcmpv6Error("ICMPv6 packet too big (MTU 1400), quoting IPv6/UDP", Router, tooBig, big, quote,
            ("icmpv6.mtu", Dec(tooBig.Mtu)),
            ("udp.srcport", Dec(udp.SourcePort)),
            ("udp.checksum.status", "2"));

        udp = new UdpRepr(PortA, 33333, 12);
        var small = new Ipv6Repr(A.V6, B.V6, IpProtocol.Udp, udp.BufferLength);
        quote = Ipv6(small, Udp(udp, Pattern(12, 0x22), small.PseudoHeaderSum()));
        AddIcmpv6Error("ICMPv6 destination unreachable (port), quoting IPv6/UDP", B,
            Icmpv6Repr.DestinationUnreachable(Icmpv6DestinationUnreachableCode.PortUnreachable, quote.Length), small, quote,
            ("udp.dstport", Dec(udp.DestinationPort)));

        udp = new UdpRepr(PortA, 33434, 16);
        var probe = new Ipv6Repr(A.V6, RemoteV6, IpProtocol.Udp, udp.BufferLength, hopLimit: 1);
        quote = Ipv6(probe, Udp(udp, new byte[16], probe.PseudoHeaderSum()));
        AddIcmpv6Error("ICMPv6 time exceeded (hop limit), quoting IPv6/UDP", Router,
            Icmpv6Repr.TimeExceeded(Icmpv6TimeExceededCode.HopLimitExceeded, quote.Length), probe, quote,
            ("udp.dstport", Dec(udp.DestinationPort)));

        udp = new UdpRepr(PortA, PortB, 8);
        var odd = new Ipv6Repr(A.V6, B.V6, IpProtocol.Udp, udp.BufferLength) { FlowLabel = 0xABCDE };
        quote = Ipv6(odd, Udp(udp, Pattern(8, 0x33), odd.PseudoHeaderSum()));
        var problem = Icmpv6Repr.ParameterProblem(Icmpv6ParameterProblemCode.ErroneousHeaderField, 4, quote.Length);
        AddIcmpv6Error("ICMPv6 parameter problem (pointer), quoting IPv6/UDP", B, problem, odd, quote,
            ("icmpv6.pointer", Dec(problem.Pointer)),
            ("ipv6.flow", List(Hex(0, 6), Hex(odd.FlowLabel, 6))));
    }

    private void AddIcmpv6Error(string name, Host from, Icmpv6Repr icmp, Ipv6Repr inner, byte[] quote, params (string, string)[] more)
    {
        var ip = new Ipv6Repr(from.V6, A.V6, IpProtocol.Icmpv6, icmp.BufferLength, hopLimit: 255);
        Add(name, Ethernet(from.Mac, A.Mac, EtherType.Ipv6, Ipv6(ip, Icmpv6(icmp, quote, ip.PseudoHeaderSum()))),
            [
                ("ipv6.src", List(ip.Source, inner.Source)),
                ("ipv6.dst", List(ip.Destination, inner.Destination)),
                ("ipv6.plen", List(ip.PayloadLength, inner.PayloadLength)),
                ("ipv6.hlim", List(ip.HopLimit, inner.HopLimit)),
                ("icmpv6.type", Dec((byte)icmp.Type)),
                ("icmpv6.code", Dec(icmp.Code)),
                .. more,
            ]);
    }

    // --- NDP ------------------------------------------------------------------------------------

    private void Ndp()
    {
        var linkLocalA = Ipv6Address.LinkLocalFromMac(A.Mac);
        var routerLinkLocal = Ipv6Address.Parse("fe80::1");

        var rs = NdpRepr.RouterSolicitation(A.Mac);
        AddNdp("NDP router solicitation (SLL)", A.Mac, linkLocalA, Ipv6Address.AllRouters, rs,
            ("icmpv6.opt.type", Dec((byte)NdpOptionType.SourceLinkLayerAddress)),
            ("icmpv6.opt.linkaddr", A.Mac.ToString()));

        var prefix = new NdpPrefixInformation
        {
            PrefixLength = 64,
            OnLink = true,
            Autonomous = true,
            ValidLifetime = 86400,
            PreferredLifetime = 14400,
            Prefix = Ipv6Address.Parse("fd00::"),
        };
        var ra = new NdpRepr
        {
            Type = Icmpv6Type.RouterAdvertisement,
            CurrentHopLimit = 64,
            ManagedAddressConfiguration = true,
            OtherConfiguration = true,
            RouterPreference = NdpRouterPreference.High,
            RouterLifetime = 1800,
            ReachableTime = 30000,
            RetransmitTimer = 1000,
            SourceLinkLayerAddress = Router.Mac,
            Mtu = 1500,
            PrefixInformation = prefix,
        };
        AddNdp("NDP router advertisement (M/O, lifetime, SLL, MTU, prefix)", Router.Mac, routerLinkLocal, Ipv6Address.AllNodes, ra,
            ("icmpv6.nd.ra.cur_hop_limit", Dec(ra.CurrentHopLimit)),
            ("icmpv6.nd.ra.flag.m", Bool(ra.ManagedAddressConfiguration)),
            ("icmpv6.nd.ra.flag.o", Bool(ra.OtherConfiguration)),
            ("icmpv6.nd.ra.flag.prf", Dec((byte)ra.RouterPreference)),
            ("icmpv6.nd.ra.router_lifetime", Dec(ra.RouterLifetime)),
            ("icmpv6.nd.ra.reachable_time", Dec(ra.ReachableTime)),
            ("icmpv6.nd.ra.retrans_timer", Dec(ra.RetransmitTimer)),
            ("icmpv6.opt.type", List((byte)NdpOptionType.SourceLinkLayerAddress, (byte)NdpOptionType.Mtu, (byte)NdpOptionType.PrefixInformation)),
            ("icmpv6.opt.linkaddr", Router.Mac.ToString()),
            ("icmpv6.opt.mtu", Dec(ra.Mtu!.Value)),
            ("icmpv6.opt.prefix.length", Dec(prefix.PrefixLength)),
            ("icmpv6.opt.prefix.flag.l", Bool(prefix.OnLink)),
            ("icmpv6.opt.prefix.flag.a", Bool(prefix.Autonomous)),
            ("icmpv6.opt.prefix.valid_lifetime", Dec(prefix.ValidLifetime)),
            ("icmpv6.opt.prefix.preferred_lifetime", Dec(prefix.PreferredLifetime)),
            ("icmpv6.opt.prefix", prefix.Prefix.ToString()));

        var ns = NdpRepr.NeighborSolicitation(B.V6, A.Mac);
        AddNdp("NDP neighbor solicitation (SLL)", A.Mac, A.V6, B.V6.SolicitedNodeMulticast, ns,
            ("icmpv6.nd.ns.target_address", ns.TargetAddress.ToString()),
            ("icmpv6.opt.type", Dec((byte)NdpOptionType.SourceLinkLayerAddress)),
            ("icmpv6.opt.linkaddr", A.Mac.ToString()));

        var na = NdpRepr.NeighborAdvertisement(B.V6, isRouter: true, solicited: true, @override: false, B.Mac);
        AddNdp("NDP neighbor advertisement (TLL, R/S/O)", B.Mac, B.V6, A.V6, na,
            ("icmpv6.nd.na.target_address", na.TargetAddress.ToString()),
            ("icmpv6.nd.na.flag.r", Bool(na.IsRouter)),
            ("icmpv6.nd.na.flag.s", Bool(na.Solicited)),
            ("icmpv6.nd.na.flag.o", Bool(na.Override)),
            ("icmpv6.opt.type", Dec((byte)NdpOptionType.TargetLinkLayerAddress)),
            ("icmpv6.opt.linkaddr", B.Mac.ToString()));
    }

    private void AddNdp(string name, MacAddress fromMac, Ipv6Address source, Ipv6Address destination, NdpRepr ndp, params (string, string)[] more)
    {
        var ip = new Ipv6Repr(source, destination, IpProtocol.Icmpv6, ndp.BufferLength, hopLimit: 255);
        var message = new byte[ndp.BufferLength];
        ndp.Emit(message, ip.PseudoHeaderSum());
        var toMac = destination.IsMulticast ? MacAddress.FromIpv6Multicast(destination) : A.Mac;
        Add(name, Ethernet(fromMac, toMac, EtherType.Ipv6, Ipv6(ip, message)),
            [
                ("eth.dst", toMac.ToString()),
                ("ipv6.src", ip.Source.ToString()),
                ("ipv6.dst", ip.Destination.ToString()),
                ("ipv6.hlim", Dec(ip.HopLimit)),
                ("icmpv6.type", Dec((byte)ndp.Type)),
                ("icmpv6.code", "0"),
                .. more,
            ]);
    }

    // --- emitting layers with the reprs ---------------------------------------------------------

    private static byte[] Ethernet(MacAddress source, MacAddress destination, EtherType type, byte[] payload) =>
        Ethernet(new EthernetRepr { Source = source, Destination = destination, EtherType = type }, payload);

    private static byte[] Ethernet(EthernetRepr eth, byte[] payload)
    {
        var frame = new byte[Math.Max(MinimumFrameLength, eth.HeaderLength + payload.Length)];
        eth.Emit(frame);
        payload.CopyTo(frame.AsSpan(eth.HeaderLength));
        return frame;
    }

    private static byte[] Ipv4(Ipv4Repr ip, ReadOnlySpan<byte> payload)
    {
        Assert.Equal(ip.PayloadLength, payload.Length);
        var packet = new byte[ip.TotalLength];
        ip.Emit(packet);
        payload.CopyTo(packet.AsSpan(ip.HeaderLength));
        return packet;
    }

    private static byte[] Ipv6(Ipv6Repr ip, ReadOnlySpan<byte> payload)
    {
        Assert.Equal(ip.PayloadLength, payload.Length);
        var packet = new byte[ip.TotalLength];
        ip.Emit(packet);
        payload.CopyTo(packet.AsSpan(ip.HeaderLength));
        return packet;
    }

    private static byte[] OptionsHeader(Ipv6OptionsHeaderRepr header)
    {
        var bytes = new byte[header.HeaderLength];
        header.Emit(bytes);
        return bytes;
    }

    private static byte[] Udp(UdpRepr udp, ReadOnlySpan<byte> payload, uint pseudoHeaderSum)
    {
        var datagram = new byte[udp.BufferLength];
        udp.Emit(datagram, payload, pseudoHeaderSum);
        return datagram;
    }

    private static byte[] Tcp(TcpRepr tcp, ReadOnlySpan<byte> payload, uint pseudoHeaderSum)
    {
        var segment = new byte[tcp.TotalLength];
        tcp.Emit(segment, payload, pseudoHeaderSum);
        return segment;
    }

    private static byte[] Icmpv4(Icmpv4Repr icmp, ReadOnlySpan<byte> payload)
    {
        var message = new byte[icmp.BufferLength];
        icmp.Emit(message, payload);
        return message;
    }

    private static byte[] Icmpv6(Icmpv6Repr icmp, ReadOnlySpan<byte> payload, uint pseudoHeaderSum)
    {
        var message = new byte[icmp.BufferLength];
        icmp.Emit(message, payload, pseudoHeaderSum);
        return message;
    }

    private static byte[] Concat(params byte[][] parts)
    {
        var all = new byte[parts.Sum(p => p.Length)];
        int at = 0;
        foreach (var part in parts)
        {
            part.CopyTo(all, at);
            at += part.Length;
        }
        return all;
    }

    private static byte[] Pattern(int length, byte start)
    {
        var bytes = new byte[length];
        for (int i = 0; i < length; i++) bytes[i] = (byte)(start + i);
        return bytes;
    }

    private sealed record Host(MacAddress Mac, Ipv4Address V4, Ipv6Address V6);
}
