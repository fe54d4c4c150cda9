using Wirestack.Wire;

namespace Wirestack.Iface;

// MLD (RFC 3810, and RFC 2710 when an MLDv1 querier is present): reports when a group is joined and left,
// repeated robustness-variable times, and answers to general and group-specific queries after a random delay.
// Reports go to ff02::16 (MLDv2) with hop limit 1, a router alert and a link-local source. ff02::1 and groups of
// interface- or reserved scope are never reported.
public sealed partial class Interface
{
    // RFC 3810 section 9: robustness variable, unsolicited report interval, older version querier present timeout
    // (robustness × query interval 125 s + query response interval 10 s).
    private const int MldRobustness = 2;
    private static readonly TimeSpan MldUnsolicitedReportInterval = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan MldOlderQuerierTimeout = TimeSpan.FromSeconds(MldRobustness * 125 + 10);
    private const byte MldHopLimit = 1;

    private MldGroupState[] _mldGroups = [];
    private Instant _mldNextDeadline = Instant.MaxValue;
    private Instant _mldGeneralResponseAt = Instant.MaxValue;
    private Instant _mldv1QuerierUntil = Instant.Zero;

    partial void JoinedIpv6Group(Ipv6Address group, Instant now)
    {
        if (!_ipv6Enabled || !IsReportable(group)) return;
        int index = IndexOfMldGroup(group);
        if (index < 0) index = AllocateMldGroup(group);
        if (index < 0) return;
        ref var state = ref _mldGroups[index];
        state.Leaving = false;
        state.ChangeReportsLeft = MldRobustness;
        // Before the first poll nothing goes out: the first report waits for it.
        state.NextChangeReport = _ipv6Started ? now : Instant.Zero;
        _mldNextDeadline = Instant.Min(_mldNextDeadline, state.NextChangeReport);
    }

    partial void LeftIpv6Group(Ipv6Address group, Instant now)
    {
        if (!_ipv6Enabled || !IsReportable(group)) return;
        int index = IndexOfMldGroup(group);
        if (index < 0) index = AllocateMldGroup(group);
        if (index < 0) return;
        ref var state = ref _mldGroups[index];
        state.Leaving = true;
        state.QueryResponseAt = Instant.MaxValue;
        // MLDv1 announces a leave once, with a done (RFC 2710 section 4).
        state.ChangeReportsLeft = InMldv1Mode(now) ? 1 : MldRobustness;
        state.NextChangeReport = _ipv6Started ? now : Instant.Zero;
        _mldNextDeadline = Instant.Min(_mldNextDeadline, state.NextChangeReport);
    }

    // RFC 3810 section 6: link-scope all-nodes and scopes 0 and 1 are never reported.
    private static bool IsReportable(Ipv6Address group) =>
        group != Ipv6Address.AllNodes && ((group.High >> 48) & 0xF) > 1;

    private bool InMldv1Mode(Instant now) => now < _mldv1QuerierUntil;

    private void StartMld(Instant now)
    {
        // Joins made before the first poll (the solicited-node groups) are reported now.
        for (int i = 0; i < _mldGroups.Length; i++)
            if (_mldGroups[i].InUse && _mldGroups[i].NextChangeReport == Instant.Zero) _mldGroups[i].NextChangeReport = now;
        _mldNextDeadline = Instant.Min(_mldNextDeadline, now);
    }

    private int IndexOfMldGroup(Ipv6Address group)
    {
        var groups = _mldGroups;
        for (int i = 0; i < groups.Length; i++)
            if (groups[i].InUse && groups[i].Group == group) return i;
        return -1;
    }

    private int AllocateMldGroup(Ipv6Address group)
    {
        var groups = _mldGroups;
        for (int i = 0; i < groups.Length; i++)
        {
            if (groups[i].InUse) continue;
            groups[i] = new MldGroupState { Group = group, InUse = true, QueryResponseAt = Instant.MaxValue };
            return i;
        }
        return -1;
    }

    private void ProcessMldQuery(Ipv6Address source, byte hopLimit, Icmpv6Packet icmp, Instant now)
    {
        // RFC 3810 section 5.1.14 and 6.2: from a link-local source, with hop limit 1.
        if (hopLimit != MldHopLimit || !source.IsLinkLocal)
        {
            Counters.Drop(InterfaceDropReason.MldInvalid);
            return;
        }
        var error = MldRepr.Parse(icmp, 0, out var query, verifyChecksum: false);
        if (error != WireError.None)
        {
            Counters.DropMalformed(error);
            return;
        }
        if (!query.IsMldv2Query) _mldv1QuerierUntil = now + MldOlderQuerierTimeout;
        long maxDelay = Math.Max(1, (long)query.MaximumResponseDelay * 1000);
        var at = now + TimeSpan.FromMicroseconds(_random.NextInt64(maxDelay));
        if (query.MulticastAddress.IsUnspecified)
        {
            // A general query: one report of every group, unless one is already due sooner.
            _mldGeneralResponseAt = Instant.Min(_mldGeneralResponseAt, at);
            _mldNextDeadline = Instant.Min(_mldNextDeadline, _mldGeneralResponseAt);
            return;
        }
        int index = IndexOfMldGroup(query.MulticastAddress);
        if (index < 0 || _mldGroups[index].Leaving) return;
        // Group-specific (and group-and-source-specific: we listen to every source) query.
        _mldGroups[index].QueryResponseAt = Instant.Min(_mldGroups[index].QueryResponseAt, at);
        _mldNextDeadline = Instant.Min(_mldNextDeadline, _mldGroups[index].QueryResponseAt);
    }

    private void RunMldTimers(Instant now)
    {
        if (now < _mldNextDeadline) return;
        var next = Instant.MaxValue;
        if (now >= _mldGeneralResponseAt)
        {
            _mldGeneralResponseAt = Instant.MaxValue;
            SendMldGeneralResponse(now);
        }
        next = Instant.Min(next, _mldGeneralResponseAt);
        var groups = _mldGroups;
        for (int i = 0; i < groups.Length; i++)
        {
            ref var state = ref groups[i];
            if (!state.InUse) continue;
            if (state.ChangeReportsLeft > 0 && now >= state.NextChangeReport)
            {
                SendMldReport(state.Group, state.Leaving ? MulticastRecordType.ChangeToIncludeMode : MulticastRecordType.ChangeToExcludeMode, now);
                state.ChangeReportsLeft--;
                state.NextChangeReport = now + TimeSpan.FromMicroseconds(1 + _random.NextInt64((long)MldUnsolicitedReportInterval.TotalMicroseconds));
            }
            if (now >= state.QueryResponseAt)
            {
                state.QueryResponseAt = Instant.MaxValue;
                if (!state.Leaving) SendMldReport(state.Group, MulticastRecordType.ModeIsExclude, now);
            }
            if (state.Leaving && state.ChangeReportsLeft == 0)
            {
                state = default;
                continue;
            }
            if (state.ChangeReportsLeft > 0) next = Instant.Min(next, state.NextChangeReport);
            next = Instant.Min(next, state.QueryResponseAt);
        }
        _mldNextDeadline = next;
    }

    // One record per group (MLDv2), or in MLDv1 mode a report to the group or a done to all-routers.
    private void SendMldReport(Ipv6Address group, MulticastRecordType type, Instant now)
    {
        var source = Ipv6LinkLocalAddress;
        if (InMldv1Mode(now))
        {
            bool done = type == MulticastRecordType.ChangeToIncludeMode;
            var message = done ? MldRepr.Done(group) : MldRepr.Report(group);
            var destination = done ? Ipv6Address.AllRouters : group;
            var v1 = _ipv6MessageScratch.AsSpan(0, message.BufferLength);
            message.Emit(v1, InternetChecksum.PseudoHeaderSum(source, destination, IpProtocol.Icmpv6, v1.Length));
            if (EmitIpv6Message(MacAddress.FromIpv6Multicast(destination), source, destination, MldHopLimit, routerAlert: true, v1))
                Counters.MldReportsSentField++;
            return;
        }
        var writer = new MulticastReportWriter<Ipv6Address>(_ipv6MessageScratch.AsSpan(0, MaxMldReportLength));
        writer.Add(new MulticastRecordRepr<Ipv6Address>(type, group), default);
        SendMldv2Report(ref writer);
    }

    // A current-state record for every reportable group we listen to, in as many reports as the MTU needs.
    private void SendMldGeneralResponse(Instant now)
    {
        if (InMldv1Mode(now))
        {
            for (int i = 0; i < _membershipCount; i++)
            {
                var group = _memberships[i].Group;
                if (group.IsIpv6 && IsReportable(group.AsIpv6)) SendMldReport(group.AsIpv6, MulticastRecordType.ModeIsExclude, now);
            }
            return;
        }
        var writer = new MulticastReportWriter<Ipv6Address>(_ipv6MessageScratch.AsSpan(0, MaxMldReportLength));
        for (int i = 0; i < _membershipCount; i++)
        {
            var group = _memberships[i].Group;
            if (!group.IsIpv6 || !IsReportable(group.AsIpv6)) continue;
            var record = new MulticastRecordRepr<Ipv6Address>(MulticastRecordType.ModeIsExclude, group.AsIpv6);
            if (writer.Remaining < record.BufferLength)
            {
                SendMldv2Report(ref writer);
                writer = new MulticastReportWriter<Ipv6Address>(_ipv6MessageScratch.AsSpan(0, MaxMldReportLength));
            }
            writer.Add(record, default);
        }
        if (writer.RecordCount > 0) SendMldv2Report(ref writer);
    }

    // What fits one frame after the IPv6 header and the router alert's hop-by-hop header.
    private int MaxMldReportLength => _ipv6LinkMtu - Ipv6Packet.HeaderLength - RouterAlertHeaderLength;

    private void SendMldv2Report(ref MulticastReportWriter<Ipv6Address> writer)
    {
        var source = Ipv6LinkLocalAddress;
        var destination = Ipv6Address.AllMldv2Routers;
        int length = writer.Finish(InternetChecksum.PseudoHeaderSum(source, destination, IpProtocol.Icmpv6, writer.Length));
        if (EmitIpv6Message(MacAddress.FromIpv6Multicast(destination), source, destination, MldHopLimit, routerAlert: true, _ipv6MessageScratch.AsSpan(0, length)))
            Counters.MldReportsSentField++;
    }
}
