using Wirestack.Wire;

namespace Wirestack.Iface;

// What MLD still owes one IPv6 group: state-change reports to repeat (for a join or a leave) and an answer to a
// query about it. Kept apart from the membership table, because a left group still has reports to send.
internal struct MldGroupState
{
    internal Ipv6Address Group;
    // State-change reports still to send: robustness-variable times after a join or a leave.
    internal int ChangeReportsLeft;
    internal bool Leaving;
    internal Instant NextChangeReport;
    // When to answer a group-specific query; MaxValue when none is pending.
    internal Instant QueryResponseAt;
    internal bool InUse;
}
