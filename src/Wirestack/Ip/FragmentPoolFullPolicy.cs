namespace Wirestack.Ip;

/// <summary>What a <see cref="FragmentReassembler"/> does with the first fragment of a new datagram when every buffer is in use.</summary>
public enum FragmentPoolFullPolicy
{
    /// <summary>
    /// Discard the incomplete datagram that started longest ago and reuse its buffer. To keep real datagrams from
    /// completing, a flood must then replace the whole pool within the time a real datagram's fragments take to
    /// arrive (usually microseconds apart), which costs the attacker a high, sustained rate. Linux does the same
    /// when over its memory threshold.
    /// </summary>
    EvictOldest,

    /// <summary>
    /// Drop the new datagram's fragments. Cheap to attack: a handful of bogus first fragments per timeout period
    /// blocks all reassembly. Offered for callers who prefer finishing old datagrams over starting new ones.
    /// </summary>
    DropNew,
}
