namespace Wirestack.Ip;

/// <summary>
/// What a <see cref="FragmentReassembler"/> did, for one address family. The poll thread writes them; any thread
/// may read them (64-bit reads are atomic on the platforms Wirestack runs on, and a reader only needs a recent value).
/// </summary>
public sealed class FragmentCounters
{
    internal long FragmentsReceivedField;
    internal long ReassembledField;
    internal long DuplicatesField;
    internal long OverlapsField;
    internal long TimeoutsField;
    internal long PoolFullField;
    internal long EvictedField;
    internal long TooManyFragmentsField;
    internal long BadFragmentsField;
    internal long TooLargeField;

    /// <summary>Fragments handed to <see cref="FragmentReassembler.Accept"/> (atomic fragments not included).</summary>
    public long FragmentsReceived => Volatile.Read(ref FragmentsReceivedField);

    /// <summary>Datagrams completed and lent to the caller.</summary>
    public long Reassembled => Volatile.Read(ref ReassembledField);

    /// <summary>Exact duplicate fragments ignored.</summary>
    public long Duplicates => Volatile.Read(ref DuplicatesField);

    /// <summary>Datagrams discarded because two of their fragments overlapped.</summary>
    public long Overlaps => Volatile.Read(ref OverlapsField);

    /// <summary>Incomplete datagrams freed when their time ran out.</summary>
    public long Timeouts => Volatile.Read(ref TimeoutsField);

    /// <summary>Fragments dropped because no buffer was free for their datagram.</summary>
    public long PoolFullDrops => Volatile.Read(ref PoolFullField);

    /// <summary>Incomplete datagrams discarded to make room for a new one.</summary>
    public long Evicted => Volatile.Read(ref EvictedField);

    /// <summary>Datagrams discarded for having more than the allowed number of fragments.</summary>
    public long TooManyFragments => Volatile.Read(ref TooManyFragmentsField);

    /// <summary>Fragments dropped for a bad length, an end past 65535, or contradicting their datagram's end.</summary>
    public long BadFragments => Volatile.Read(ref BadFragmentsField);

    /// <summary>Fragments dropped for ending past the configured largest datagram.</summary>
    public long TooLarge => Volatile.Read(ref TooLargeField);

    /// <inheritdoc />
    public override string ToString() =>
        $"fragments {FragmentsReceived}, reassembled {Reassembled}, duplicates {Duplicates}, overlaps {Overlaps}, timeouts {Timeouts}, pool full {PoolFullDrops}, evicted {Evicted}, too many {TooManyFragments}, bad {BadFragments}, too large {TooLarge}";
}
