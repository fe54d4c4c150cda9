using Wirestack.Wire;

namespace Wirestack.Iface;

// What IGMP still owes one IPv4 group: state-change reports to repeat (for a join or a leave) and an answer to a
// query about it. Kept apart from the membership table, because a left group still has reports to send.
internal struct IgmpGroupState
{
    internal Ipv4Address Group;
    // State-change reports still to send: robustness-variable times after a join or a leave (one IGMPv2 leave).
    internal int ChangeReportsLeft;
    internal bool Leaving;
    internal Instant NextChangeReport;
    // When to answer a query about the group; MaxValue when none is pending.
    internal Instant QueryResponseAt;
    internal bool InUse;
}
