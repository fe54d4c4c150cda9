namespace Wirestack.Tests.Nic;

/// <summary>
/// A manual clock whose UTC time is fixed at a chosen instant when the timestamp counter is at its
/// start, and whose counter runs at a chosen frequency: for exact pcap timestamps.
/// </summary>
internal sealed class EpochClock(DateTimeOffset utcAtStart, long frequency) : TimeProvider
{
    private const long Start = 5_000;
    private long _ticks = Start;

    public override long TimestampFrequency => frequency;

    public override long GetTimestamp() => Volatile.Read(ref _ticks);

    public override DateTimeOffset GetUtcNow() => utcAtStart + GetElapsedTime(Start, GetTimestamp());

    public void AdvanceTicks(long ticks) => Interlocked.Add(ref _ticks, ticks);
}
