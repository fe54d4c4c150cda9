using Wirestack.Iface;
using Wirestack.Wire;
using static Wirestack.Tests.Iface.InterfaceTestBed;
using static Wirestack.Tests.Iface.Ipv4MulticastTestPeer;

namespace Wirestack.Tests.Iface;

public sealed class IgmpInterfaceTests
{
    private static InterfaceOptions Seeded(InterfaceOptions options) => options with { RandomSeed = 11 };

    private static long RealDrops(Interface iface) => iface.Counters.TotalDropped - iface.Counters.Dropped(InterfaceDropReason.NotForUs);

    [Fact]
    public void JoiningSendsRepeatedIgmpv3ReportsAndLeavingAStateChange()
    {
        var (raw, b) = RawAndB(Seeded);
        Assert.True(b.TryBindUdp(7000, out var handle));
        Assert.True(b.TryJoinUdpMulticastGroup(handle, Group, T0));
        Assert.True(b.IsMulticastGroupJoined(Group));
        var sent = Igmp(Run(raw, b, T0, 3000));
        Assert.Equal(2, sent.Count); // robustness variable 2
        foreach (var report in sent)
        {
            Assert.Equal(IgmpType.MembershipReportV3, report.Type);
            Assert.Equal(AllIgmpv3Routers, report.Destination);
            Assert.Equal(MacAddress.Parse("01:00:5e:00:00:16"), report.DestinationMac);
            Assert.Equal(1, report.TimeToLive);
            Assert.True(report.RouterAlert);
            Assert.Equal([(MulticastRecordType.ChangeToExcludeMode, Group)], report.Records);
        }
        Assert.Equal(2, b.Counters.IgmpReportsSent);

        Assert.True(b.LeaveUdpMulticastGroup(handle, Group, T0 + TimeSpan.FromSeconds(5)));
        Assert.False(b.IsMulticastGroupJoined(Group));
        var leaves = Igmp(Run(raw, b, T0 + TimeSpan.FromSeconds(5), 3000));
        Assert.Equal(2, leaves.Count);
        Assert.All(leaves, leave => Assert.Equal([(MulticastRecordType.ChangeToIncludeMode, Group)], leave.Records));
        Assert.Equal(0, RealDrops(b));
    }

    [Fact]
    public void RecordsDueTogetherShareReportsSplitAtTheMtu()
    {
        var (raw, b) = RawAndB(options => options with { RandomSeed = 11, MulticastGroupCapacity = 300, UdpMulticastGroupsPerBinding = 300 });
        Assert.True(b.TryBindUdp(7000, out var handle));
        for (int i = 0; i < 250; i++) Assert.True(b.TryJoinUdpMulticastGroup(handle, new Ipv4Address(239, 2, 0, (byte)i), T0));
        b.Poll(T0);
        // 1500 - 24 bytes of IPv4 header with the router alert - 8 of report header: 183 records of 8 bytes fit one.
        var first = Igmp(Ipv6TestPeer.Take(raw));
        Assert.Equal([183, 67], first.Select(r => r.Records.Count));
        Assert.All(first, r => Assert.All(r.Records, record => Assert.Equal(MulticastRecordType.ChangeToExcludeMode, record.Type)));
        Assert.Equal(250, first.SelectMany(r => r.Records).Select(r => r.Group).Distinct().Count());
    }

    [Fact]
    public void AllSystemsIsNeverReported()
    {
        var (raw, b) = RawAndB(Seeded);
        Assert.True(b.TryJoinMulticastGroup(AllSystems, T0));
        Assert.Empty(Igmp(Run(raw, b, T0, 3000)));
        SendQuery(raw, 3, default, 10);
        Assert.Empty(Igmp(Run(raw, b, T0 + TimeSpan.FromSeconds(4), 2000)));
        Assert.Equal(1, b.Counters.IgmpQueriesReceived);
    }

    [Fact]
    public void QueriesAreAnsweredAfterARandomDelayWithinTheMaxResponseTime()
    {
        var (raw, b) = RawAndB(Seeded);
        Assert.True(b.TryBindUdp(7000, out var handle));
        Assert.True(b.TryJoinUdpMulticastGroup(handle, Group, T0));
        Assert.True(b.TryJoinUdpMulticastGroup(handle, OtherGroup, T0));
        Run(raw, b, T0, 3000);

        // A general query with max response time 2 s (code 20): one report naming every group, within 2 s, not at once.
        var start = T0 + TimeSpan.FromSeconds(10);
        SendQuery(raw, 3, default, 20);
        var timed = RunTimed(raw, b, start, 3000);
        var answer = Assert.Single(timed);
        Assert.InRange(answer.Ms, 1, 2000);
        var report = Assert.Single(Igmp([answer.Frame]));
        Assert.Equal(AllIgmpv3Routers, report.Destination);
        Assert.Equal(2, report.Records.Count);
        Assert.Contains((MulticastRecordType.ModeIsExclude, Group), report.Records);
        Assert.Contains((MulticastRecordType.ModeIsExclude, OtherGroup), report.Records);

        // A group-specific query (sent to the group): a report of that group alone.
        start += TimeSpan.FromSeconds(10);
        SendQuery(raw, 3, OtherGroup, 10);
        timed = RunTimed(raw, b, start, 2000);
        answer = Assert.Single(timed);
        Assert.InRange(answer.Ms, 0, 1000);
        Assert.Equal([(MulticastRecordType.ModeIsExclude, OtherGroup)], Assert.Single(Igmp([answer.Frame])).Records);

        // A query about a group B is not in goes unanswered.
        SendQuery(raw, 3, new Ipv4Address(239, 9, 9, 9), 10, destination: AllSystems);
        Assert.Empty(Run(raw, b, start + TimeSpan.FromSeconds(5), 2000));
        Assert.Equal(3, b.Counters.IgmpQueriesReceived);
        Assert.Equal(0, RealDrops(b));
    }

    [Fact]
    public void AnIgmpv2QuerierSwitchesTheHostToIgmpv2UntilItIsGone()
    {
        var (raw, b) = RawAndB(Seeded);
        Assert.True(b.TryBindUdp(7000, out var handle));
        Assert.True(b.TryJoinUdpMulticastGroup(handle, Group, T0));
        Run(raw, b, T0, 3000);
        Assert.Equal(3, b.GetIgmpVersion(T0));

        var start = T0 + TimeSpan.FromSeconds(10);
        SendQuery(raw, 2, default, 100); // 10 s
        var reports = Igmp(Run(raw, b, start, 10_500));
        var report = Assert.Single(reports);
        Assert.Equal(IgmpType.MembershipReportV2, report.Type);
        Assert.Equal(Group, report.Destination);
        Assert.Equal(Group, report.Group);
        Assert.Equal(MacAddress.FromIpv4Multicast(Group), report.DestinationMac);
        Assert.Equal(1, report.TimeToLive);
        Assert.True(report.RouterAlert);
        Assert.Equal(2, b.GetIgmpVersion(start + TimeSpan.FromSeconds(11)));

        // An IGMPv2 leave goes once, to all-routers.
        var leaveAt = start + TimeSpan.FromSeconds(20);
        Assert.True(b.LeaveUdpMulticastGroup(handle, Group, leaveAt));
        var leave = Assert.Single(Igmp(Run(raw, b, leaveAt, 12_000, stepMs: 500)));
        Assert.Equal(IgmpType.LeaveGroup, leave.Type);
        Assert.Equal(AllRouters, leave.Destination);
        Assert.Equal(Group, leave.Group);

        // 260 s after the last IGMPv2 query (robustness × query interval + response interval) IGMPv3 is back.
        Assert.Equal(3, b.GetIgmpVersion(start + TimeSpan.FromSeconds(261)));
        Assert.True(b.TryJoinUdpMulticastGroup(handle, Group, start + TimeSpan.FromSeconds(261)));
        var v3 = Igmp(Run(raw, b, start + TimeSpan.FromSeconds(261), 2000));
        Assert.All(v3, r => Assert.Equal(IgmpType.MembershipReportV3, r.Type));
        Assert.Equal(2, v3.Count);
    }

    [Fact]
    public void InIgmpv2ModeAnotherMembersReportSuppressesOurs()
    {
        var (raw, b) = RawAndB(Seeded);
        Assert.True(b.TryBindUdp(7000, out var handle));
        Assert.True(b.TryJoinUdpMulticastGroup(handle, Group, T0));
        Assert.True(b.TryJoinUdpMulticastGroup(handle, OtherGroup, T0));
        Run(raw, b, T0, 3000);
        // The query and another host's report of Group arrive in one poll: only OtherGroup is still reported.
        SendQuery(raw, 2, default, 100);
        var report = new IgmpRepr { Type = IgmpType.MembershipReportV2, Group = Group };
        byte[] message = new byte[report.BufferLength];
        report.Emit(message);
        SendIpv4(raw, Group, IpProtocol.Igmp, message, routerAlert: true);
        var sent = Igmp(Run(raw, b, T0 + TimeSpan.FromSeconds(10), 10_500));
        var only = Assert.Single(sent);
        Assert.Equal((IgmpType.MembershipReportV2, OtherGroup), (only.Type, only.Group));
        Assert.Equal(0, RealDrops(b));
    }

    [Fact]
    public void AnIgmpv1QuerierGetsV1ReportsAndNoLeave()
    {
        var (raw, b) = RawAndB(Seeded);
        Assert.True(b.TryBindUdp(7000, out var handle));
        Assert.True(b.TryJoinUdpMulticastGroup(handle, Group, T0));
        Run(raw, b, T0, 3000);
        var start = T0 + TimeSpan.FromSeconds(10);
        SendQuery(raw, 1, default, 0);
        var report = Assert.Single(Igmp(Run(raw, b, start, 10_500, stepMs: 100)));
        Assert.Equal(IgmpType.MembershipReportV1, report.Type);
        Assert.Equal(Group, report.Destination);
        Assert.Equal(1, b.GetIgmpVersion(start + TimeSpan.FromSeconds(11)));
        Assert.True(b.LeaveUdpMulticastGroup(handle, Group, start + TimeSpan.FromSeconds(20)));
        Assert.Empty(Igmp(Run(raw, b, start + TimeSpan.FromSeconds(20), 12_000, stepMs: 500)));
    }

    [Fact]
    public void IgmpVersion2OptionSpeaksIgmpv2FromTheStart()
    {
        var (raw, b) = RawAndB(options => options with { RandomSeed = 3, IgmpVersion = 2 });
        Assert.Equal(2, b.GetIgmpVersion(T0));
        Assert.True(b.TryBindUdp(7000, out var handle));
        Assert.True(b.TryJoinUdpMulticastGroup(handle, Group, T0));
        var reports = Igmp(Run(raw, b, T0, 12_000, stepMs: 100));
        Assert.Equal(2, reports.Count);
        Assert.All(reports, r => Assert.Equal((IgmpType.MembershipReportV2, Group), (r.Type, r.Destination)));
        Assert.Throws<ArgumentOutOfRangeException>(() => (OptionsFor(MacA, AddressA) with { IgmpVersion = 1 }).Validate());
    }

    [Fact]
    public void InvalidIgmpIsDroppedWithAReason()
    {
        var (raw, b) = RawAndB(Seeded);
        Assert.True(b.TryBindUdp(7000, out var handle));
        Assert.True(b.TryJoinUdpMulticastGroup(handle, Group, T0));
        Run(raw, b, T0, 3000);

        // A general query sent to a group rather than 224.0.0.1 (RFC 3376 section 9.1).
        SendQuery(raw, 3, default, 10, destination: Group);
        b.Poll(T0 + TimeSpan.FromSeconds(4));
        Assert.Equal(1, b.Counters.Dropped(InterfaceDropReason.IgmpInvalid));
        // A bad checksum.
        byte[] query = Query(3, default, 10);
        query[2] ^= 0xFF;
        SendIpv4(raw, AllSystems, IpProtocol.Igmp, query, routerAlert: true);
        // A truncated message, a 10-byte query (neither v2 nor v3), and an unknown type.
        SendIpv4(raw, AllSystems, IpProtocol.Igmp, Query(3, default, 10).AsSpan(0, 6), routerAlert: true);
        byte[] odd = new byte[10];
        Query(2, default, 10).CopyTo(odd, 0);
        IgmpRepr.FillChecksum(odd);
        SendIpv4(raw, AllSystems, IpProtocol.Igmp, odd, routerAlert: true);
        byte[] unknown = new byte[8];
        unknown[0] = 0x13;
        IgmpRepr.FillChecksum(unknown);
        SendIpv4(raw, AllSystems, IpProtocol.Igmp, unknown, routerAlert: true);
        b.Poll(T0 + TimeSpan.FromSeconds(5));
        Assert.Equal(1, b.Counters.Dropped(InterfaceDropReason.BadChecksum));
        Assert.Equal(1, b.Counters.Malformed(WireError.Truncated));
        Assert.Equal(1, b.Counters.Malformed(WireError.BadLength));
        Assert.Equal(2, b.Counters.Dropped(InterfaceDropReason.IgmpInvalid));
        Assert.Equal(0, b.Counters.IgmpQueriesReceived);
        Assert.Empty(Igmp(Run(raw, b, T0 + TimeSpan.FromSeconds(5), 3000)));
    }
}
