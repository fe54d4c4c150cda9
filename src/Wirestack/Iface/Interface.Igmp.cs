using Wirestack.Wire;

namespace Wirestack.Iface;

// IGMP (RFC 3376, and RFC 2236 / RFC 1112 while an older querier is heard, RFC 3376 section 7): reports when a group
// is joined and left, repeated robustness-variable times, and answers to general and group-specific queries after a
// random delay up to the query's max response time. Every message goes out with TTL 1 and a router alert option
// (RFC 2113); IGMPv3 reports to 224.0.0.22, v1/v2 reports to the group, v2 leaves to 224.0.0.2. 224.0.0.1 is never
// reported.
public sealed partial class Interface
{
    // RFC 3376 section 8: robustness variable 2; unsolicited report interval 1 s (10 s in IGMPv1/v2, RFC 2236
    // section 8.10); older version querier present timeout = robustness × query interval 125 s + query response
    // interval 10 s.
    private const int IgmpRobustness = 2;
    private static readonly TimeSpan IgmpUnsolicitedReportInterval = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan IgmpV2UnsolicitedReportInterval = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan IgmpOlderQuerierTimeout = TimeSpan.FromSeconds(IgmpRobustness * 125 + 10);
    private const byte IgmpTimeToLive = 1;
    private const int RouterAlertOptionLength = 4;
    private const int IgmpHeadersLength = EthernetHeaderLength + Ipv4HeaderLength + RouterAlertOptionLength;
    private static readonly Ipv4Address AllSystems = new(224, 0, 0, 1);
    private static readonly Ipv4Address AllRouters = new(224, 0, 0, 2);
    private static readonly Ipv4Address AllIgmpv3Routers = new(224, 0, 0, 22);
    private static readonly MacAddress AllSystemsMac = MacAddress.FromIpv4Multicast(AllSystems);
    // RFC 2113: type 148 (copied, class 0, number 20), length 4, value 0 ("every router examines the packet").
    private static readonly Ipv4Options RouterAlertOption = Ipv4Options.FromBytes([0x94, 0x04, 0x00, 0x00]);

    private IgmpGroupState[] _igmpGroups = [];
    private int _igmpVersion;
    private Instant _igmpNextDeadline = Instant.MaxValue;
    private Instant _igmpGeneralResponseAt = Instant.MaxValue;
    private Instant _igmpV1QuerierUntil = Instant.Zero;
    private Instant _igmpV2QuerierUntil = Instant.Zero;

    // Called once at the end of the constructor.
    private void InitializeIgmp(InterfaceOptions options)
    {
        _igmpVersion = options.IgmpVersion;
        _multicastTimeToLive = options.MulticastTimeToLive;
        _igmpGroups = new IgmpGroupState[Math.Max(options.MulticastGroupCapacity, 1)];
    }

    /// <summary>
    /// The IGMP version the interface speaks now: <see cref="InterfaceOptions.IgmpVersion"/>, or 2 or 1 while a querier
    /// of that version has been heard within the older-version-querier-present timeout (260 s).
    /// </summary>
    /// <param name="now">The current time.</param>
    public int GetIgmpVersion(Instant now) =>
        now < _igmpV1QuerierUntil ? 1 : now < _igmpV2QuerierUntil ? 2 : _igmpVersion;

    // 224.0.0.1 is every host's: never reported (RFC 3376 section 5; RFC 2236 section 6).
    private bool AcceptsIpv4Multicast(Ipv4Address destination) =>
        destination == AllSystems || IndexOfMembership(destination) >= 0;

    partial void JoinedIpv4Group(Ipv4Address group, Instant now)
    {
        if (group == AllSystems || _addresses.Length == 0) return;
        int index = IndexOfIgmpGroup(group);
        if (index < 0) index = AllocateIgmpGroup(group);
        if (index < 0) return;
        ref var state = ref _igmpGroups[index];
        state.Leaving = false;
        state.ChangeReportsLeft = IgmpRobustness;
        state.NextChangeReport = now;
        _igmpNextDeadline = Instant.Min(_igmpNextDeadline, now);
    }

    partial void LeftIpv4Group(Ipv4Address group, Instant now)
    {
        if (group == AllSystems || _addresses.Length == 0) return;
        int index = IndexOfIgmpGroup(group);
        if (index < 0) index = AllocateIgmpGroup(group);
        if (index < 0) return;
        ref var state = ref _igmpGroups[index];
        int version = GetIgmpVersion(now);
        // IGMPv2 sends one leave; IGMPv1 has none (RFC 2236 section 3, RFC 3376 section 7.2.1).
        state.ChangeReportsLeft = version == 3 ? IgmpRobustness : version == 2 ? 1 : 0;
        if (state.ChangeReportsLeft == 0)
        {
            state = default;
            return;
        }
        state.Leaving = true;
        state.QueryResponseAt = Instant.MaxValue;
        state.NextChangeReport = now;
        _igmpNextDeadline = Instant.Min(_igmpNextDeadline, now);
    }

    private int IndexOfIgmpGroup(Ipv4Address group)
    {
        var groups = _igmpGroups;
        for (int i = 0; i < groups.Length; i++)
            if (groups[i].InUse && groups[i].Group == group) return i;
        return -1;
    }

    private int AllocateIgmpGroup(Ipv4Address group)
    {
        var groups = _igmpGroups;
        for (int i = 0; i < groups.Length; i++)
        {
            if (groups[i].InUse) continue;
            groups[i] = new IgmpGroupState { Group = group, InUse = true, QueryResponseAt = Instant.MaxValue };
            return i;
        }
        return -1;
    }

    private void ProcessIgmp(Ipv4Address destination, ReadOnlySpan<byte> payload, Instant now)
    {
        var error = IgmpPacket.TryParse(payload, out var packet);
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
        switch (packet.Type)
        {
            case IgmpType.MembershipQuery:
                ProcessIgmpQuery(destination, packet, now);
                return;
            case IgmpType.MembershipReportV1:
            case IgmpType.MembershipReportV2:
                // Another member answered first: an IGMPv1/v2 host then keeps quiet (RFC 2236 section 3).
                if (GetIgmpVersion(now) < 3 && IndexOfIgmpGroup(packet.GroupAddress) is int index and >= 0)
                    _igmpGroups[index].QueryResponseAt = Instant.MaxValue;
                return;
            case IgmpType.MembershipReportV3:
            case IgmpType.LeaveGroup:
                // Other hosts' reports are for routers; an IGMPv3 host ignores them (RFC 3376 section 5).
                return;
            default:
                Counters.Drop(InterfaceDropReason.IgmpInvalid);
                return;
        }
    }

    private void ProcessIgmpQuery(Ipv4Address destination, IgmpPacket packet, Instant now)
    {
        var error = IgmpRepr.Parse(packet, out var query, verifyChecksum: false);
        if (error != WireError.None)
        {
            Counters.DropMalformed(error);
            return;
        }
        var group = query.Group;
        // RFC 3376 sections 4.1.12 and 9.1: general queries go to 224.0.0.1, group-specific ones to their group.
        bool general = group.IsUnspecified;
        if (general ? destination != AllSystems : destination != group && destination != AllSystems)
        {
            Counters.Drop(InterfaceDropReason.IgmpInvalid);
            return;
        }
        Counters.IgmpQueriesReceivedField++;
        if (query.QueryVersion == 1) _igmpV1QuerierUntil = now + IgmpOlderQuerierTimeout;
        else if (query.QueryVersion == 2) _igmpV2QuerierUntil = now + IgmpOlderQuerierTimeout;
        long maxDelay = Math.Max(1, (long)query.MaxResponseTime.TotalMicroseconds);
        if (general && GetIgmpVersion(now) == 3)
        {
            // One report of every group, unless one is already due sooner (RFC 3376 section 5.2, rule 1).
            _igmpGeneralResponseAt = Instant.Min(_igmpGeneralResponseAt, now + TimeSpan.FromMicroseconds(_random.NextInt64(maxDelay)));
            _igmpNextDeadline = Instant.Min(_igmpNextDeadline, _igmpGeneralResponseAt);
            return;
        }
        // A group-specific query, or an IGMPv1/v2 general query: a timer of its own for each group concerned.
        var groups = _igmpGroups;
        for (int i = 0; i < groups.Length; i++)
        {
            ref var state = ref groups[i];
            if (!state.InUse || state.Leaving || (!general && state.Group != group)) continue;
            var at = now + TimeSpan.FromMicroseconds(_random.NextInt64(maxDelay));
            // A general response due sooner already reports the group (RFC 3376 section 5.2, rule 2).
            if (_igmpGeneralResponseAt <= at) continue;
            state.QueryResponseAt = Instant.Min(state.QueryResponseAt, at);
            _igmpNextDeadline = Instant.Min(_igmpNextDeadline, state.QueryResponseAt);
        }
    }

    private void RunIgmpTimers(Instant now)
    {
        _lastPoll = now;
        if (now < _igmpNextDeadline) return;
        var next = Instant.MaxValue;
        if (now >= _igmpGeneralResponseAt)
        {
            _igmpGeneralResponseAt = Instant.MaxValue;
            SendIgmpGeneralResponse(now);
        }
        next = Instant.Min(next, _igmpGeneralResponseAt);
        int version = GetIgmpVersion(now);
        // IGMPv3 records due at once share reports (RFC 3376 section 5.1 merges them), as many as the MTU needs.
        var batch = new IgmpReportBatch();
        var groups = _igmpGroups;
        for (int i = 0; i < groups.Length; i++)
        {
            ref var state = ref groups[i];
            if (!state.InUse) continue;
            if (state.ChangeReportsLeft > 0 && now >= state.NextChangeReport)
            {
                var type = state.Leaving ? MulticastRecordType.ChangeToIncludeMode : MulticastRecordType.ChangeToExcludeMode;
                if (version == 3) AddIgmpRecord(ref batch, type, state.Group);
                else SendIgmpReport(state.Group, type, version);
                state.ChangeReportsLeft--;
                var interval = version == 3 ? IgmpUnsolicitedReportInterval : IgmpV2UnsolicitedReportInterval;
                state.NextChangeReport = now + TimeSpan.FromMicroseconds(1 + _random.NextInt64((long)interval.TotalMicroseconds));
            }
            if (now >= state.QueryResponseAt)
            {
                state.QueryResponseAt = Instant.MaxValue;
                if (!state.Leaving)
                {
                    if (version == 3) AddIgmpRecord(ref batch, MulticastRecordType.ModeIsExclude, state.Group);
                    else SendIgmpReport(state.Group, MulticastRecordType.ModeIsExclude, version);
                }
            }
            if (state.Leaving && state.ChangeReportsLeft == 0)
            {
                state = default;
                continue;
            }
            if (state.ChangeReportsLeft > 0) next = Instant.Min(next, state.NextChangeReport);
            next = Instant.Min(next, state.QueryResponseAt);
        }
        FinishIgmpBatch(ref batch);
        _igmpNextDeadline = next;
    }

    // An IGMPv3 report being filled in a transmit slot, record by record.
    private ref struct IgmpReportBatch
    {
        public Span<byte> Slot;
        public MulticastReportWriter<Ipv4Address> Writer;
        public bool Open;
    }

    private void AddIgmpRecord(scoped ref IgmpReportBatch batch, MulticastRecordType type, Ipv4Address group)
    {
        var record = new MulticastRecordRepr<Ipv4Address>(type, group);
        if (batch.Open && batch.Writer.Remaining < record.BufferLength) FinishIgmpBatch(ref batch);
        if (!batch.Open)
        {
            if (!TryGetTransmitSlot(out var slot)) return;
            batch.Slot = slot;
            batch.Writer = new MulticastReportWriter<Ipv4Address>(slot.Slice(IgmpHeadersLength, MaxIgmpReportLength));
            batch.Open = true;
        }
        batch.Writer.Add(record, default);
    }

    private void FinishIgmpBatch(scoped ref IgmpReportBatch batch)
    {
        if (!batch.Open) return;
        CommitIgmp(batch.Slot, AllIgmpv3Routers, batch.Writer.Finish());
        batch.Open = false;
    }

    // IGMPv1/v2 (IGMPv3 records go through AddIgmpRecord): a report to the group, or an IGMPv2 leave to all-routers.
    private void SendIgmpReport(Ipv4Address group, MulticastRecordType type, int version)
    {
        bool leave = type == MulticastRecordType.ChangeToIncludeMode;
        if (leave && version == 1) return;
        if (!TryGetTransmitSlot(out var slot)) return;
        var message = new IgmpRepr
        {
            Type = leave ? IgmpType.LeaveGroup : version == 2 ? IgmpType.MembershipReportV2 : IgmpType.MembershipReportV1,
            Group = group,
        };
        message.Emit(slot[IgmpHeadersLength..]);
        CommitIgmp(slot, leave ? AllRouters : group, message.BufferLength);
    }

    // A current-state record for every reportable IPv4 group we listen to, in as many reports as the MTU needs.
    private void SendIgmpGeneralResponse(Instant now)
    {
        int version = GetIgmpVersion(now);
        if (version < 3)
        {
            for (int i = 0; i < _membershipCount; i++)
            {
                var member = _memberships[i].Group;
                if (member.IsIpv4 && member.AsIpv4 != AllSystems) SendIgmpReport(member.AsIpv4, MulticastRecordType.ModeIsExclude, version);
            }
            return;
        }
        var batch = new IgmpReportBatch();
        for (int i = 0; i < _membershipCount; i++)
        {
            var member = _memberships[i].Group;
            if (member.IsIpv4 && member.AsIpv4 != AllSystems) AddIgmpRecord(ref batch, MulticastRecordType.ModeIsExclude, member.AsIpv4);
        }
        FinishIgmpBatch(ref batch);
    }

    // What fits one frame after the IPv4 header and its router alert.
    private int MaxIgmpReportLength => _mtu - Ipv4HeaderLength - RouterAlertOptionLength;

    // The IGMP message is already in the slot after the headers; write the headers in front of it and send.
    private void CommitIgmp(Span<byte> slot, Ipv4Address destination, int messageLength)
    {
        WriteEthernetHeader(slot, MacAddress.FromIpv4Multicast(destination), EtherType.Ipv4);
        var ip = new Ipv4Repr(_addresses[0].Address, destination, IpProtocol.Igmp, messageLength, IgmpTimeToLive)
        {
            Identification = _nextIdentification++,
            Options = RouterAlertOption,
        };
        ip.Emit(slot[EthernetHeaderLength..]);
        Commit(slot, IgmpHeadersLength + messageLength);
        Counters.IgmpReportsSentField++;
    }
}
