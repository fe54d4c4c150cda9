namespace Wirestack.Ip;

/// <summary>How a <see cref="FragmentReassembler"/> is sized and how long it waits. All memory is taken from these at construction.</summary>
public sealed record FragmentReassemblerOptions
{
    /// <summary>The largest <see cref="MaxDatagramSize"/>: a fragment offset plus length can never legally pass it.</summary>
    public const int MaxPossibleDatagramSize = 65535;

    /// <summary>The most buffers a reassembler may have.</summary>
    public const int MaxBufferCount = 1024;

    /// <summary>
    /// Reassembly buffers: how many datagrams can be under reassembly (or lent to the caller) at once. Default 16,
    /// which with the default size is about 1 MiB, a quarter of Linux's default 4 MiB threshold: a user-space stack
    /// usually serves a few peers, and fragmentation is rare on paths that do PMTU discovery.
    /// </summary>
    public int BufferCount { get; init; } = 16;

    /// <summary>
    /// Bytes per buffer: the largest reassembled payload (the fragmentable part). Default 65535, so that any legal
    /// datagram fits; a smaller value saves memory and drops larger datagrams as <see cref="FragmentOutcome.TooLarge"/>.
    /// </summary>
    public int MaxDatagramSize { get; init; } = MaxPossibleDatagramSize;

    /// <summary>
    /// The most fragments one datagram may have, against floods of tiny fragments that cost per-fragment work.
    /// Default 64: a 65535-byte IPv6 packet at the 1280-byte minimum MTU takes 54; a full-size IPv4 datagram over
    /// 1500-byte Ethernet takes 45.
    /// </summary>
    public int MaxFragmentsPerDatagram { get; init; } = 64;

    /// <summary>How long an IPv4 datagram may take from its first-arriving fragment. Default 30 s (Linux's ipfrag_time).</summary>
    public TimeSpan Ipv4Timeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>How long an IPv6 packet may take from its first-arriving fragment. Default 60 s (RFC 8200 section 4.5, Linux's ip6frag_time).</summary>
    public TimeSpan Ipv6Timeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>What to do with a new datagram when every buffer is taken. Default <see cref="FragmentPoolFullPolicy.EvictOldest"/>.</summary>
    public FragmentPoolFullPolicy PoolFullPolicy { get; init; } = FragmentPoolFullPolicy.EvictOldest;

    internal void Validate()
    {
        if (BufferCount is < 1 or > MaxBufferCount)
            throw new ArgumentOutOfRangeException(nameof(BufferCount), BufferCount, $"FragmentReassemblerOptions.BufferCount must be between 1 and {MaxBufferCount}.");
        if (MaxDatagramSize is < 8 or > MaxPossibleDatagramSize)
            throw new ArgumentOutOfRangeException(nameof(MaxDatagramSize), MaxDatagramSize, $"FragmentReassemblerOptions.MaxDatagramSize must be between 8 and {MaxPossibleDatagramSize}.");
        if (MaxFragmentsPerDatagram is < 2 or > 8192)
            throw new ArgumentOutOfRangeException(nameof(MaxFragmentsPerDatagram), MaxFragmentsPerDatagram, "FragmentReassemblerOptions.MaxFragmentsPerDatagram must be between 2 and 8192 (the most 8-byte fragments 65535 bytes can hold).");
        if (Ipv4Timeout <= TimeSpan.Zero)
            throw new ArgumentOutOfRangeException(nameof(Ipv4Timeout), Ipv4Timeout, "FragmentReassemblerOptions.Ipv4Timeout must be positive.");
        if (Ipv6Timeout <= TimeSpan.Zero)
            throw new ArgumentOutOfRangeException(nameof(Ipv6Timeout), Ipv6Timeout, "FragmentReassemblerOptions.Ipv6Timeout must be positive.");
        if (!Enum.IsDefined(PoolFullPolicy))
            throw new ArgumentOutOfRangeException(nameof(PoolFullPolicy), PoolFullPolicy, "FragmentReassemblerOptions.PoolFullPolicy is not a known policy.");
    }
}
