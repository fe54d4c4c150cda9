namespace Wirestack.Ip;

/// <summary>What <see cref="FragmentReassembler.Accept"/> did with a fragment.</summary>
public enum FragmentOutcome
{
    /// <summary>Stored; the datagram still has holes.</summary>
    Incomplete,

    /// <summary>The fragment completed its datagram, which is lent to the caller until released.</summary>
    Complete,

    /// <summary>
    /// Offset 0 and no more fragments (an IPv6 atomic fragment, RFC 6946): the packet is whole already and must be
    /// processed in isolation, so nothing was stored; the caller uses its payload as it is.
    /// </summary>
    NotFragmented,

    /// <summary>An exact duplicate (same offset and length) of a fragment already stored: ignored, the first copy kept.</summary>
    Duplicate,

    /// <summary>The fragment overlapped a stored one: the whole datagram was discarded (RFC 5722).</summary>
    Overlap,

    /// <summary>
    /// A non-last fragment whose length is not a multiple of 8, or an empty one: dropped. For IPv6 RFC 8200 says a
    /// parameter problem (code 0, pointing at the payload length) should be sent for the first case.
    /// </summary>
    BadLength,

    /// <summary>
    /// The fragment ends past 65535: dropped. For IPv6 RFC 8200 says a parameter problem (code 0, pointing at the
    /// fragment offset) should be sent.
    /// </summary>
    TooLong,

    /// <summary>The fragment ends past the reassembler's <see cref="FragmentReassemblerOptions.MaxDatagramSize"/>: dropped.</summary>
    TooLarge,

    /// <summary>
    /// The fragment contradicts the datagram's known end (a second last fragment ending elsewhere, a fragment past
    /// the end, a last fragment before data already received): the whole datagram was discarded.
    /// </summary>
    Inconsistent,

    /// <summary>The datagram would have more than <see cref="FragmentReassemblerOptions.MaxFragmentsPerDatagram"/> fragments: discarded whole.</summary>
    TooManyFragments,

    /// <summary>No buffer was free (all lent to the caller, or the policy is <see cref="FragmentPoolFullPolicy.DropNew"/>): dropped.</summary>
    PoolFull,
}
