namespace Wirestack.Cli.Serve.Iperf3;

/// <summary>
/// One data stream of a test and what it counted. The stream's own task updates the counters; the session reads
/// them once that task has ended (or, for the omitted seconds, as a snapshot of a 64-bit value).
/// </summary>
internal abstract class Iperf3Stream(int id, bool isSender)
{
    /// <summary>iperf3's stream id, which the client matches its own streams by.</summary>
    public int Id { get; } = id;

    /// <summary>The server sends on this stream (reverse or bidirectional tests).</summary>
    public bool IsSender { get; } = isSender;

    /// <summary>Bytes sent or received.</summary>
    public long Bytes { get; protected set; }

    /// <summary>Bytes counted during the omitted seconds at the start, left out of the results.</summary>
    public long OmittedBytes { get; set; }

    /// <summary>UDP: datagrams sent, or the highest sequence number received.</summary>
    public long Packets { get; protected set; }

    /// <summary>UDP: datagrams lost (gaps in the sequence numbers, less those that came late).</summary>
    public long LostPackets { get; protected set; }

    /// <summary>UDP: datagrams that came after a higher sequence number.</summary>
    public long OutOfOrderPackets { get; protected set; }

    /// <summary>UDP: the interarrival jitter of RFC 3550 (section 6.4.1), in seconds.</summary>
    public double JitterSeconds { get; protected set; }

    /// <summary>Why the stream stopped before the test ended (the peer closed or reset it), or null.</summary>
    public string? Failure { get; protected set; }

    /// <summary>
    /// iperf3 numbers streams 1, 3, 4, 5, ... in the order they connect (both ends number them alike, so the
    /// results the client gets back match its streams).
    /// </summary>
    public static int IdForIndex(int index) => index == 0 ? 1 : index + 2;
}
