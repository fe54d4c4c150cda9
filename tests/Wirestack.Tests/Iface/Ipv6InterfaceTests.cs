using System.Buffers.Binary;
using Wirestack.Iface;
using Wirestack.Link;
using Wirestack.Testing;
using Wirestack.Wire;
using static Wirestack.Tests.Iface.InterfaceTestBed;
using static Wirestack.Tests.Iface.Ipv6TestPeer;

namespace Wirestack.Tests.Iface;

public class Ipv6InterfaceTests
{
    private static byte[] Pattern(int length, int seed)
    {
        byte[] data = new byte[length];
        for (int i = 0; i < length; i++) data[i] = (byte)(i * 7 + seed);
        return data;
    }

    // Drops other than frames for groups nobody joined (router solicitations, MLD reports to routers).
    private static long RealDrops(Interface iface) => iface.Counters.TotalDropped - iface.Counters.Dropped(InterfaceDropReason.NotForUs);

    [Fact]
    public void PingGoesBothWaysOverGlobalAndLinkLocalAddresses()
    {
        var (a, b) = Ipv6Pair();
        Pump(a, b, T0);
        Assert.Equal(LinkLocalA, a.Ipv6LinkLocalAddress);
        Assert.Equal(2, a.Ipv6Addresses.Length);

        Assert.True(a.TrySendIcmpEcho(GlobalB, 7, 1, Data, T0));
        Pump(a, b, T0 + TimeSpan.FromMilliseconds(3));
        Assert.True(a.TryDequeueEchoReply(out var reply));
        Assert.Equal((IpAddress)GlobalB, reply.Source);
        Assert.Equal(1, reply.SequenceNumber);
        Assert.Equal(Data.Length, reply.PayloadLength);
        Assert.Equal(TimeSpan.FromMilliseconds(3), reply.ReceivedAt - T0);

        Assert.True(b.TrySendIcmpEcho(LinkLocalA, 8, 2, Data, T0));
        Pump(a, b, T0);
        Assert.True(b.TryDequeueEchoReply(out reply));
        Assert.Equal((IpAddress)LinkLocalA, reply.Source);
        Assert.Equal(1, a.Counters.EchoRequestsAnswered);
        Assert.Equal(1, b.Counters.EchoRequestsAnswered);
        // IPv4 still works beside it.
        Assert.True(a.TrySendIcmpEcho(AddressB, 9, 3, Data, T0));
        Pump(a, b, T0);
        Assert.True(a.TryDequeueEchoReply(out reply));
        Assert.Equal((IpAddress)AddressB, reply.Source);
        Assert.Equal(0, RealDrops(a));
        Assert.Equal(0, RealDrops(b));
    }

    [Fact]
    public void UdpGoesBothWaysIncludingFragmentedDatagrams()
    {
        var (a, b) = Ipv6Pair();
        Assert.True(a.TryBindUdp(5000, out var ha));
        Assert.True(b.TryBindUdp(6000, out var hb));
        Pump(a, b, T0);
        // The first datagram waits for neighbour discovery; the 8 KB one is fragmented once B is resolved.
        Assert.True(a.TrySendUdp(ha, GlobalB, 6000, Data, T0));
        Pump(a, b, T0);
        byte[] big = Pattern(8192, 3);
        Assert.True(a.TrySendUdp(ha, GlobalB, 6000, big, T0));
        Pump(a, b, T0);

        byte[] buffer = new byte[65536];
        Assert.True(b.TryReceiveUdp(hb, buffer, out int length, out var source, out ushort port));
        Assert.Equal(Data, buffer[..length]);
        Assert.Equal((IpAddress)GlobalA, source);
        Assert.Equal(5000, port);
        Assert.True(b.TryReceiveUdp(hb, buffer, out length, out _, out _));
        Assert.Equal(big, buffer[..length]);
        Assert.Equal(6, a.Counters.FragmentsSent); // 8200 bytes of UDP in 1448-byte pieces
        Assert.Equal(1, b.Counters.DatagramsReassembled);

        byte[] bigBack = Pattern(8192, 9);
        Assert.True(b.TrySendUdp(hb, GlobalA, 5000, bigBack, T0));
        Assert.True(b.TrySendUdp(hb, LinkLocalA, 5000, Data, T0));
        Pump(a, b, T0);
        Assert.True(a.TryReceiveUdp(ha, buffer, out length, out source, out port));
        Assert.Equal(bigBack, buffer[..length]);
        Assert.Equal((IpAddress)GlobalB, source);
        Assert.True(a.TryReceiveUdp(ha, buffer, out length, out source, out _));
        Assert.Equal(Data, buffer[..length]);
        Assert.Equal((IpAddress)LinkLocalB, source); // link-local source for a link-local destination
        Assert.Equal(0, RealDrops(a));
        Assert.Equal(0, RealDrops(b));
    }

    [Fact]
    public void AddressesAreAnnouncedAtTheFirstPollAndRoutersSolicited()
    {
        var (raw, b) = RawAndIpv6B();
        b.Poll(T0);
        var frames = Take(raw);
        var advertisements = OfType(frames, Icmpv6Type.NeighborAdvertisement);
        Assert.Equal(2, advertisements.Count);
        var targets = new List<Ipv6Address>();
        foreach (var frame in advertisements)
        {
            var icmp = Icmpv6Of(frame, out var ip);
            Assert.Equal(Ipv6Address.AllNodes, ip.Destination);
            Assert.Equal(255, ip.HopLimit);
            Assert.Equal(MacAddress.FromIpv6Multicast(Ipv6Address.AllNodes), MacAddress.Read(frame));
            Assert.Equal(WireError.None, NdpRepr.Parse(icmp, 0, out var na, verifyChecksum: false));
            Assert.False(na.Solicited);
            Assert.True(na.Override);
            Assert.Equal(MacB, na.TargetLinkLayerAddress);
            Assert.Equal(ip.Source, na.TargetAddress);
            targets.Add(na.TargetAddress);
        }
        Assert.Contains(LinkLocalB, targets);
        Assert.Contains(GlobalB, targets);

        // Three router solicitations, the first within a second, then four seconds apart (RFC 4861 section 6.3.7).
        int solicitations = 0;
        for (int ms = 0; ms <= 10_000; ms += 100)
        {
            b.Poll(T0 + TimeSpan.FromMilliseconds(ms));
            frames.AddRange(Take(raw));
        }
        foreach (var frame in OfType(frames, Icmpv6Type.RouterSolicitation))
        {
            Icmpv6Of(frame, out var ip);
            Assert.Equal(Ipv6Address.AllRouters, ip.Destination);
            Assert.Equal(LinkLocalB, ip.Source);
            solicitations++;
        }
        Assert.Equal(3, solicitations);
        Assert.Equal(3, b.Counters.RouterSolicitationsSent);
        Assert.Equal(2, b.Counters.NeighborAdvertisementsSent);
    }

    [Fact]
    public void SolicitationsAreAnsweredAndNeighboursResolved()
    {
        var (raw, b) = RawAndIpv6B();
        b.Poll(T0);
        Take(raw);
        // A solicits B's global address, to its solicited-node group, with its MAC.
        SendNdp(raw, MacAddress.FromIpv6Multicast(GlobalB.SolicitedNodeMulticast), GlobalA, GlobalB.SolicitedNodeMulticast,
            NdpRepr.NeighborSolicitation(GlobalB, MacA));
        b.Poll(T0);
        var answers = OfType(Take(raw), Icmpv6Type.NeighborAdvertisement);
        var answer = Assert.Single(answers);
        var icmp = Icmpv6Of(answer, out var ip);
        Assert.Equal(GlobalB, ip.Source);
        Assert.Equal(GlobalA, ip.Destination);
        Assert.Equal(255, ip.HopLimit);
        Assert.Equal(WireError.None, NdpRepr.Parse(icmp, 0, out var na, verifyChecksum: false));
        Assert.True(na.Solicited);
        Assert.True(na.Override);
        Assert.False(na.IsRouter);
        Assert.Equal(GlobalB, na.TargetAddress);
        Assert.Equal(MacB, na.TargetLinkLayerAddress);
        // Learned stale from the solicitation, then in delay because the answer was sent through it (RFC 4861 7.3.3).
        Assert.Equal(NeighborState.Delay, b.Ipv6Neighbors!.GetState(GlobalA, out var learned));
        Assert.Equal(MacA, learned);

        // A duplicate address probe (from ::) for B's address is defended to all-nodes.
        SendNdp(raw, MacAddress.FromIpv6Multicast(GlobalB.SolicitedNodeMulticast), Ipv6Address.Unspecified, GlobalB.SolicitedNodeMulticast,
            NdpRepr.NeighborSolicitation(GlobalB, null));
        b.Poll(T0);
        var defence = Assert.Single(OfType(Take(raw), Icmpv6Type.NeighborAdvertisement));
        Icmpv6Of(defence, out ip);
        Assert.Equal(Ipv6Address.AllNodes, ip.Destination);

        // B resolves another neighbour: a solicitation to its solicited-node group, then the queued ping goes out.
        var other = Ipv6Address.Parse("fd00::c");
        Assert.True(b.TrySendIcmpEcho(other, 1, 1, Data, T0));
        b.Poll(T0);
        var frames = Take(raw);
        var solicitation = Assert.Single(OfType(frames, Icmpv6Type.NeighborSolicitation));
        Icmpv6Of(solicitation, out ip);
        Assert.Equal(other.SolicitedNodeMulticast, ip.Destination);
        Assert.Equal(MacAddress.FromIpv6Multicast(other.SolicitedNodeMulticast), MacAddress.Read(solicitation));
        Assert.Equal(1, AnswerSolicitations(raw, frames));
        b.Poll(T0);
        var echo = Assert.Single(OfType(Take(raw), Icmpv6Type.EchoRequest));
        Assert.Equal(MacA, MacAddress.Read(echo));
        Assert.Equal(1, b.Counters.QueuedPacketsSent);
        Assert.Equal(NeighborState.Reachable, b.Ipv6Neighbors.GetState(other, out _));
        Assert.Equal(0, RealDrops(b));
    }

    [Fact]
    public void NdpWithAHopLimitBelow255IsDroppedAndCounted()
    {
        var (raw, b) = RawAndIpv6B();
        b.Poll(T0);
        Take(raw);
        SendNdp(raw, MacB, GlobalA, GlobalB, NdpRepr.NeighborSolicitation(GlobalB, MacA), hopLimit: 64);
        var ra = new NdpRepr { Type = Icmpv6Type.RouterAdvertisement, RouterLifetime = 1800 };
        SendNdp(raw, MacB, LinkLocalA, Ipv6Address.AllNodes, ra, hopLimit: 254);
        b.Poll(T0);
        Assert.Empty(OfType(Take(raw), Icmpv6Type.NeighborAdvertisement));
        Assert.Equal(2, b.Counters.Dropped(InterfaceDropReason.NdpInvalid));
        Assert.Equal(NeighborState.None, b.Ipv6Neighbors!.GetState(GlobalA, out _));
        Assert.Equal(0, b.Counters.RouterAdvertisementsReceived);
    }

    [Fact]
    public void RouterAdvertisementConfiguresAnAddressThatExpiresWithItsValidLifetime()
    {
        var (raw, b) = RawAndIpv6B();
        b.Poll(T0);
        Take(raw);
        var prefix = Ipv6Address.Parse("2001:db8:1::");
        var ra = new NdpRepr
        {
            Type = Icmpv6Type.RouterAdvertisement,
            CurrentHopLimit = 60,
            RouterLifetime = 1800,
            SourceLinkLayerAddress = MacA,
            Mtu = 1400,
            PrefixInformation = new NdpPrefixInformation
            {
                Prefix = prefix, PrefixLength = 64, OnLink = true, Autonomous = true, ValidLifetime = 30, PreferredLifetime = 20,
            },
        };
        SendNdp(raw, MacAddress.FromIpv6Multicast(Ipv6Address.AllNodes), LinkLocalA, Ipv6Address.AllNodes, ra);
        b.Poll(T0);
        var slaac = new Ipv6Address(prefix.High, Ipv6Address.InterfaceIdentifier(MacB));
        Assert.True(b.TryGetIpv6AddressLifetime(slaac, out var validUntil, out var preferredUntil));
        Assert.Equal(T0 + TimeSpan.FromSeconds(30), validUntil);
        Assert.Equal(T0 + TimeSpan.FromSeconds(20), preferredUntil);
        Assert.Equal(3, b.Ipv6Addresses.Length);
        Assert.Equal(60, b.Ipv6HopLimit);
        Assert.Equal(1400, b.Ipv6LinkMtu);
        Assert.Equal(1, b.Counters.RouterAdvertisementsReceived);
        // The new address is announced, and its solicited-node group joined (and reported).
        b.Poll(T0 + TimeSpan.FromMilliseconds(1));
        var frames = Take(raw);
        Assert.Contains(OfType(frames, Icmpv6Type.NeighborAdvertisement), f => Icmpv6Of(f, out var ip).Type == Icmpv6Type.NeighborAdvertisement && ip.Source == slaac);
        // The router is the default route: an off-link destination goes to its MAC, from the SLAAC address.
        Assert.True(b.Ipv6Routes!.TryLookup(Ipv6Address.Parse("2001:db8:99::1"), T0, out var nextHop));
        Assert.Equal(LinkLocalA, nextHop);
        Assert.True(b.TrySendIcmpEcho(Ipv6Address.Parse("2001:db8:99::1"), 1, 1, Data, T0));
        b.Poll(T0);
        var echo = Assert.Single(OfType(Take(raw), Icmpv6Type.EchoRequest));
        Icmpv6Of(echo, out var echoIp);
        Assert.Equal(slaac, echoIp.Source);
        Assert.Equal(60, echoIp.HopLimit);
        Assert.Equal(MacA, MacAddress.Read(echo));

        // Its deadline is a poll deadline; at it the address goes, and with it the on-link route.
        var deadline = b.Poll(T0 + TimeSpan.FromSeconds(29));
        Assert.True(deadline <= T0 + TimeSpan.FromSeconds(30));
        Assert.True(b.TryGetIpv6AddressLifetime(slaac, out _, out _));
        b.Poll(T0 + TimeSpan.FromSeconds(30));
        Assert.False(b.TryGetIpv6AddressLifetime(slaac, out _, out _));
        Assert.Equal(2, b.Ipv6Addresses.Length);
        Assert.False(b.Ipv6Routes.TryLookup(slaac, T0 + TimeSpan.FromSeconds(30), out var hop) && hop == slaac);
    }

    [Fact]
    public void PacketTooBigLowersThePathMtuOnlyForPacketsWeSent()
    {
        var (raw, b) = RawAndIpv6B();
        b.Poll(T0);
        Take(raw);
        var far = Ipv6Address.Parse("fd00::99");
        byte[] quote = new byte[1232];
        new Ipv6Repr(GlobalB, far, IpProtocol.Udp, 1400).Emit(quote);
        SendIcmpv6(raw, GlobalA, GlobalB, Icmpv6Repr.PacketTooBig(1300, quote.Length), quote);
        // Not about a packet of ours: ignored.
        byte[] foreign = new byte[48];
        new Ipv6Repr(GlobalA, far, IpProtocol.Udp, 1400).Emit(foreign);
        SendIcmpv6(raw, GlobalA, GlobalB, Icmpv6Repr.PacketTooBig(1280, foreign.Length), foreign);
        b.Poll(T0);
        Assert.Equal(1300, b.Ipv6PathMtu!.GetMtu(far, T0));
        Assert.Equal(1, b.Counters.PathMtuUpdates);
        Assert.Equal(2, b.Counters.IcmpErrorsReceived);
        // Never below 1280, whatever a router says.
        SendIcmpv6(raw, GlobalA, GlobalB, Icmpv6Repr.PacketTooBig(600, quote.Length), quote);
        b.Poll(T0);
        Assert.Equal(1280, b.Ipv6PathMtu.GetMtu(far, T0));

        // A datagram over the path MTU is sent in fragments that fit it.
        Assert.True(b.TryBindUdp(6000, out var handle));
        Assert.True(b.TrySendUdp(handle, far, 7000, Data, T0));
        b.Poll(T0);
        AnswerSolicitations(raw, Take(raw));
        b.Poll(T0);
        Take(raw);
        Assert.True(b.TrySendUdp(handle, far, 7000, Pattern(2000, 1), T0));
        b.Poll(T0);
        var fragments = Take(raw);
        Assert.Equal(2, fragments.Count);
        foreach (var frame in fragments)
        {
            Assert.True(TryIpv6(frame, out var ip));
            Assert.Equal(IpProtocol.Ipv6Fragment, ip.NextHeader);
            Assert.True(ip.Buffer.Length <= 1280);
        }
    }

    [Fact]
    public void UnknownNextHeaderIsAnsweredWithAParameterProblem()
    {
        var (raw, b) = RawAndIpv6B();
        b.Poll(T0);
        // A solicitation first, so that B knows where A is.
        SendNdp(raw, MacB, GlobalA, GlobalB, NdpRepr.NeighborSolicitation(GlobalB, MacA));
        b.Poll(T0);
        Take(raw);
        SendIpv6(raw, MacB, GlobalA, GlobalB, (IpProtocol)253, 64, Data);
        b.Poll(T0);
        var problem = Assert.Single(OfType(Take(raw), Icmpv6Type.ParameterProblem));
        var icmp = Icmpv6Of(problem, out var ip);
        Assert.Equal((byte)Icmpv6ParameterProblemCode.UnrecognizedNextHeader, icmp.Code);
        Assert.Equal(6u, icmp.Pointer);
        Assert.Equal(GlobalA, ip.Destination);
        Assert.Equal(40 + Data.Length, icmp.Payload.Length);
        Assert.Equal(1, b.Counters.Dropped(InterfaceDropReason.UnsupportedProtocol));

        // A UDP datagram to a closed port earns a port unreachable; to a multicast group it earns nothing.
        byte[] udp = new byte[8 + Data.Length];
        new UdpRepr(1234, 9, Data.Length).Emit(udp, Data, InternetChecksum.PseudoHeaderSum(GlobalA, GlobalB, IpProtocol.Udp, udp.Length));
        SendIpv6(raw, MacB, GlobalA, GlobalB, IpProtocol.Udp, 64, udp);
        b.Poll(T0 + TimeSpan.FromSeconds(1));
        var unreachable = Assert.Single(OfType(Take(raw), Icmpv6Type.DestinationUnreachable));
        Assert.Equal((byte)Icmpv6DestinationUnreachableCode.PortUnreachable, Icmpv6Of(unreachable, out _).Code);
        new UdpRepr(1234, 9, Data.Length).Emit(udp, Data, InternetChecksum.PseudoHeaderSum(GlobalA, Ipv6Address.AllNodes, IpProtocol.Udp, udp.Length));
        SendIpv6(raw, MacAddress.FromIpv6Multicast(Ipv6Address.AllNodes), GlobalA, Ipv6Address.AllNodes, IpProtocol.Udp, 64, udp);
        b.Poll(T0 + TimeSpan.FromSeconds(2));
        Assert.Empty(OfType(Take(raw), Icmpv6Type.DestinationUnreachable));

        // An unknown hop-by-hop option whose action bits say "discard and report" is reported, pointing at it.
        byte[] withOption = new byte[8 + udp.Length];
        withOption[0] = (byte)IpProtocol.Udp;
        withOption[2] = 0x87; // action 10: discard and send a parameter problem
        withOption[3] = 4;
        udp.CopyTo(withOption, 8);
        SendIpv6(raw, MacB, GlobalA, GlobalB, IpProtocol.HopByHop, 64, withOption);
        b.Poll(T0 + TimeSpan.FromSeconds(3));
        var optionProblem = Assert.Single(OfType(Take(raw), Icmpv6Type.ParameterProblem));
        icmp = Icmpv6Of(optionProblem, out _);
        Assert.Equal((byte)Icmpv6ParameterProblemCode.UnrecognizedOption, icmp.Code);
        Assert.Equal(42u, icmp.Pointer);
        Assert.Equal(1, b.Counters.Dropped(InterfaceDropReason.UnknownIpv6Option));
    }

    [Fact]
    public void JoiningAGroupSendsMldv2ReportsThatDecode()
    {
        var (raw, b) = RawAndIpv6B();
        b.Poll(T0);
        // The solicited-node group (fe80::ff:fe00:b and fd00::b share it: same low 24 bits) is reported at start.
        var startReports = OfType(Take(raw), Icmpv6Type.MulticastListenerReportV2);
        Assert.NotEmpty(startReports);

        var group = Ipv6Address.Parse("ff05::1234");
        Assert.True(b.TryJoinMulticastGroup(group, T0));
        var frames = new List<byte[]>();
        for (int ms = 0; ms <= 2000; ms += 50)
        {
            b.Poll(T0 + TimeSpan.FromMilliseconds(ms));
            frames.AddRange(Take(raw));
        }
        var reports = new List<byte[]>();
        foreach (var frame in OfType(frames, Icmpv6Type.MulticastListenerReportV2))
            if (RecordsOf(frame).Contains((MulticastRecordType.ChangeToExcludeMode, group))) reports.Add(frame);
        Assert.Equal(2, reports.Count); // robustness variable 2
        foreach (var frame in reports)
        {
            Assert.True(TryIpv6(frame, out var ip));
            Assert.Equal(1, ip.HopLimit);
            Assert.Equal(LinkLocalB, ip.Source);
            Assert.Equal(Ipv6Address.AllMldv2Routers, ip.Destination);
            Assert.Equal(IpProtocol.HopByHop, ip.NextHeader);
            Assert.Equal(WireError.None, Ipv6OptionsHeader.TryParse(ip.Payload, out var hopByHop));
            Assert.Equal(WireError.None, Ipv6OptionsHeaderRepr.Parse(hopByHop, out var options));
            Assert.Equal(Ipv6OptionsHeaderRepr.RouterAlertMld, options.RouterAlert);
        }

        // A general query is answered with every group we listen to (but never ff02::1).
        byte[] query = new byte[MldRepr.Mldv2QueryMinLength];
        var general = new MldRepr { Type = Icmpv6Type.MulticastListenerQuery, IsMldv2Query = true, MaximumResponseCode = 1000 };
        general.Emit(query, InternetChecksum.PseudoHeaderSum(LinkLocalA, Ipv6Address.AllNodes, IpProtocol.Icmpv6, query.Length));
        SendIpv6(raw, MacAddress.FromIpv6Multicast(Ipv6Address.AllNodes), LinkLocalA, Ipv6Address.AllNodes, IpProtocol.Icmpv6, 1, query);
        var start = T0 + TimeSpan.FromSeconds(3);
        frames.Clear();
        for (int ms = 0; ms <= 1100; ms += 50)
        {
            b.Poll(start + TimeSpan.FromMilliseconds(ms));
            frames.AddRange(Take(raw));
        }
        var answer = Assert.Single(OfType(frames, Icmpv6Type.MulticastListenerReportV2));
        var records = RecordsOf(answer);
        Assert.Contains((MulticastRecordType.ModeIsExclude, group), records);
        Assert.Contains((MulticastRecordType.ModeIsExclude, GlobalB.SolicitedNodeMulticast), records);
        Assert.DoesNotContain(records, r => r.Group == Ipv6Address.AllNodes);

        // Leaving reports a change to include mode (with no sources: the leave).
        Assert.True(b.LeaveMulticastGroup(group, start));
        b.Poll(start + TimeSpan.FromSeconds(2));
        var leave = Assert.Single(OfType(Take(raw), Icmpv6Type.MulticastListenerReportV2));
        Assert.Contains((MulticastRecordType.ChangeToIncludeMode, group), RecordsOf(leave));
        Assert.Equal(0, RealDrops(b));
    }

    private static List<(MulticastRecordType Type, Ipv6Address Group)> RecordsOf(byte[] frame)
    {
        var icmp = Icmpv6Of(frame, out var ip);
        Assert.Equal(WireError.None, Mldv2Report.Parse(icmp, InternetChecksum.PseudoHeaderSum(ip.Source, ip.Destination, IpProtocol.Icmpv6, icmp.Buffer.Length), out var report));
        var records = new List<(MulticastRecordType, Ipv6Address)>();
        foreach (var record in report.Records)
        {
            Assert.Equal(0, record.SourceCount);
            records.Add((record.RecordType, record.MulticastAddress));
        }
        Assert.Equal(report.RecordCount, records.Count);
        return records;
    }

    [Fact]
    public void Ipv6OnlyAndIpv4OnlyInterfacesAreAllowed()
    {
        var (first, second) = Wirestack.Nic.PipeDevice.CreatePair();
        var v6only = new Interface(first, new InterfaceOptions { MacAddress = MacA });
        Assert.Empty(v6only.Ipv4Addresses.ToArray());
        Assert.Equal(LinkLocalA, v6only.Ipv6LinkLocalAddress);
        var v4only = new Interface(second, OptionsFor(MacB, AddressB));
        Assert.Equal(0, v4only.Ipv6Addresses.Length);
        Assert.Null(v4only.Ipv6Neighbors);
        var error = Assert.Throws<ArgumentException>(() => new InterfaceOptions { MacAddress = MacA, EnableIpv6 = false }.Validate());
        Assert.Contains("EnableIpv6", error.Message);
        error = Assert.Throws<ArgumentException>(() => new InterfaceOptions { MacAddress = MacA, Ipv6DefaultGateway = Ipv6Address.Parse("2001:db8::1") }.Validate());
        Assert.Contains("Ipv6DefaultGateway", error.Message);
        // An IPv4-only host drops IPv6 frames as an unsupported EtherType.
        var (raw, b) = RawAndB();
        SendIpv6(raw, MacB, LinkLocalA, LinkLocalB, IpProtocol.Icmpv6, 64, Data);
        b.Poll(T0);
        Assert.Equal(1, b.Counters.Dropped(InterfaceDropReason.UnsupportedEtherType));
    }

    [Fact]
    public void SteadyStateIpv6UdpEchoAllocatesNothing()
    {
        var (a, b) = Ipv6Pair();
        Assert.True(a.TryBindUdp(5000, out var ha));
        Assert.True(b.TryBindUdp(6000, out var hb));
        byte[] buffer = new byte[9000];
        byte[] big = new byte[8192];
        var now = T0;
        long received = 0;
        int round = 0;
        void Exchange()
        {
            now += TimeSpan.FromMicroseconds(10);
            // Every 16th round is an 8 KB datagram: fragmentation and reassembly are on the measured path too.
            a.TrySendUdp(ha, GlobalB, 6000, ++round % 16 == 0 ? big : Data, now);
            a.Poll(now);
            b.Poll(now);
            while (b.TryReceiveUdp(hb, buffer, out int length, out var source, out ushort port))
                b.TrySendUdp(hb, source, port, buffer.AsSpan(0, length), now);
            b.Poll(now);
            a.Poll(now);
            while (a.TryReceiveUdp(ha, buffer, out _, out _, out _)) received++;
        }
        long allocated = AllocationMeter.Measure(Exchange, warmup: 1000, iterations: 20_000, windows: 3);
        Assert.Equal(0, allocated);
        Assert.True(received >= 20_000, $"{received} echoed");
        Assert.Equal(0, RealDrops(a));
        Assert.Equal(0, RealDrops(b));
    }

    [Fact]
    public void IncompleteDatagramIsReportedWithTimeExceeded()
    {
        var (raw, b) = RawAndIpv6B();
        b.Poll(T0);
        Take(raw);
        // The first 1 024 bytes of a UDP datagram whose other fragments never come.
        byte[] fragment = new byte[Ipv6FragmentHeader.Length + 1024];
        fragment[0] = (byte)IpProtocol.Udp;
        fragment[3] = 1; // offset 0, more fragments
        BinaryPrimitives.WriteUInt32BigEndian(fragment.AsSpan(4), 0x5eed);
        SendIpv6(raw, MacB, GlobalA, GlobalB, IpProtocol.Ipv6Fragment, 64, fragment);
        b.Poll(T0);
        Assert.Equal(1, b.Reassembler.AssemblingCount);

        var later = T0 + b.Reassembler.Options.Ipv6Timeout + TimeSpan.FromMilliseconds(1);
        b.Poll(later);
        Assert.Equal(0, b.Reassembler.AssemblingCount);
        Assert.Equal(1, b.Counters.Dropped(InterfaceDropReason.ReassemblyTimeout));
        // B resolves A first; answer, then read the error.
        AnswerSolicitations(raw, Take(raw));
        b.Poll(later);
        var errors = OfType(Take(raw), Icmpv6Type.TimeExceeded);
        var error = Assert.Single(errors);
        var icmp = Icmpv6Of(error, out var ip);
        Assert.Equal(GlobalA, ip.Destination);
        Assert.Equal(GlobalB, ip.Source);
        Assert.Equal((byte)Icmpv6TimeExceededCode.FragmentReassemblyTimeExceeded, icmp.Code);
        // The quote starts with the first fragment's own IPv6 header.
        var quote = icmp.Payload;
        Assert.Equal(6, quote[0] >> 4);
        Assert.Equal(GlobalA, Ipv6Address.Read(quote[8..]));
        Assert.Equal(1, b.Counters.IcmpErrorsSent);
    }
}
