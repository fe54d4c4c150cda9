namespace Wirestack.Cli.Serve.Iperf3;

/// <summary>
/// Keeps a sender at its target rate the way iperf3 does: a block may go while the average rate since the start is
/// below the target, so a sender that fell behind catches up in a burst.
/// </summary>
/// <param name="bitsPerSecond">The target; 0 for no limit.</param>
/// <param name="start">When sending started (<see cref="Iperf3Clock.Now"/>).</param>
internal readonly struct Iperf3Pacer(long bitsPerSecond, double start)
{
    /// <summary>How long a paced sender sleeps when it is ahead.</summary>
    public static readonly TimeSpan Tick = TimeSpan.FromMilliseconds(1);

    /// <summary>Whether the sender is paced at all.</summary>
    public bool IsLimited => bitsPerSecond > 0;

    /// <summary>Whether another block may go after <paramref name="bytesSent"/> bytes.</summary>
    public bool MaySend(long bytesSent, double now) =>
        bitsPerSecond <= 0 || bytesSent * 8.0 < bitsPerSecond * (now - start);
}
