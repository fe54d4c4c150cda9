namespace Wirestack.Iface;

/// <summary>
/// Chooses which backlogged UDP binding sends next when the device's transmit ring frees a slot
/// (<see cref="InterfaceOptions.EgressPolicy"/>). Use <see cref="Fifo"/> or <see cref="RoundRobin"/>, or derive
/// from this class for a policy of your own.
/// </summary>
/// <remarks>
/// <para>
/// The interface calls <see cref="SelectFlow"/> once per scheduling round (one datagram sent from a send queue) on
/// its poll thread, so a policy needs no locks, and must not allocate or block: it runs once per packet.
/// </para>
/// <para>
/// Whatever a policy answers, every backlogged binding keeps a guaranteed share. A flow skipped
/// <see cref="InterfaceOptions.EgressMaxConsecutiveSkips"/> (K) consecutive rounds goes next; when several are that
/// overdue, the most skipped goes first (ties to the earlier in the span). A served flow restarts at 0 skips and can
/// never overtake a flow that was already overdue, whose count grows in step with its own, so once a flow is overdue
/// at most the N − 1 other backlogged flows go before it. Hence with N flows backlogged, each is served at least once
/// in every K + N consecutive rounds: at least ⌊W / (K + N)⌋ of any W consecutive rounds, a long-run share of at
/// least 1 / (K + N) of the datagrams sent from the queues (which is at least 1 / (N·(K + 1))). K = 0 is strict
/// round robin. Shares count datagrams, not bytes.
/// </para>
/// </remarks>
public abstract class EgressPolicy
{
    /// <summary>
    /// Global arrival order: the datagram handed to <see cref="Interface.TrySendUdp"/> first goes first, except where the
    /// guarantee lets a binding that has waited <see cref="InterfaceOptions.EgressMaxConsecutiveSkips"/> rounds cut in.
    /// </summary>
    public static EgressPolicy Fifo { get; } = new FifoEgressPolicy();

    /// <summary>One datagram per backlogged binding in turn: the binding served longest ago goes next.</summary>
    public static EgressPolicy RoundRobin { get; } = new RoundRobinEgressPolicy();

    /// <summary>Picks the flow whose next datagram goes out now.</summary>
    /// <param name="flows">The backlogged flows, at least one, in the bindings' slot order.</param>
    /// <returns>
    /// An index into <paramref name="flows"/>. An index out of range is treated as <see cref="Fifo"/>'s choice (a
    /// policy cannot stall the interface).
    /// </returns>
    public abstract int SelectFlow(ReadOnlySpan<EgressFlow> flows);

    private sealed class FifoEgressPolicy : EgressPolicy
    {
        public override int SelectFlow(ReadOnlySpan<EgressFlow> flows) => Oldest(flows);

        public override string ToString() => "Fifo";
    }

    private sealed class RoundRobinEgressPolicy : EgressPolicy
    {
        // Least recently served first; a flow that never sent has round 0. Ties go to slot order, so the turn
        // passes through the bindings in a fixed cycle.
        public override int SelectFlow(ReadOnlySpan<EgressFlow> flows)
        {
            int best = 0;
            for (int i = 1; i < flows.Length; i++)
                if (flows[i].LastServedRound < flows[best].LastServedRound) best = i;
            return best;
        }

        public override string ToString() => "RoundRobin";
    }

    internal static int Oldest(ReadOnlySpan<EgressFlow> flows)
    {
        int best = 0;
        for (int i = 1; i < flows.Length; i++)
            if (flows[i].NextSequence < flows[best].NextSequence) best = i;
        return best;
    }
}
