namespace Wirestack.Diagnostics;

/// <summary>
/// One record read by <see cref="PcapReader.TryReadFrame(out PcapRecord)"/>. <see cref="Data"/> is a view of the reader's
/// reused buffer: it is valid only until the next call to <c>TryReadFrame</c> or until the reader is disposed, so copy the
/// bytes out if you need them longer.
/// </summary>
public readonly ref struct PcapRecord
{
    /// <summary>Creates a record; the reader uses this, and tests may too.</summary>
    /// <param name="timestampNanoseconds">Capture time in nanoseconds since the Unix epoch.</param>
    /// <param name="originalLength">Length of the frame on the wire, at least <paramref name="data"/>'s length.</param>
    /// <param name="data">The captured bytes, possibly fewer than the frame had.</param>
    public PcapRecord(long timestampNanoseconds, int originalLength, ReadOnlySpan<byte> data)
    {
        TimestampNanoseconds = timestampNanoseconds;
        OriginalLength = originalLength;
        Data = data;
    }

    /// <summary>Capture time in nanoseconds since the Unix epoch (microsecond files are scaled up).</summary>
    public long TimestampNanoseconds { get; }

    /// <summary>Length of the frame on the wire (orig_len); larger than <see cref="Data"/>'s length when the capture truncated it.</summary>
    public int OriginalLength { get; }

    /// <summary>The captured bytes (incl_len of them). Valid until the next read; see the type's remarks.</summary>
    public ReadOnlySpan<byte> Data { get; }

    /// <summary>True when the snapshot length cut the frame short, so <see cref="Data"/> is not the whole frame.</summary>
    public bool IsTruncated => Data.Length < OriginalLength;
}
