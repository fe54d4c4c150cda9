using BenchmarkDotNet.Attributes;
using Wirestack.Tcp;
using Wirestack.Wire;

namespace Wirestack.Benchmarks;

/// <summary>
/// What the sender pays per SACK-carrying ACK in loss recovery (update the scoreboard, recompute the pipe, find
/// the next segment) against checksumming the 1460-byte segment that such an ACK lets it send, in the same run
/// (target: below 4x of that checksum with 30 ranges held; the pipe walk is linear in the ranges).
/// </summary>
[MemoryDiagnoser]
public class SackScoreboardBenchmarks
{
    private const int Mss = 1460;
    private readonly byte[] _segment = new byte[Mss];
    private readonly SackScoreboard _board = new(32);
    private readonly TcpSeqNumber _una = new(0xFFFF_0000);
    private TcpSeqNumber _nxt;
    private TcpSackBlocks _ack;

    /// <summary>The ranges already held when the ACK arrives.</summary>
    [Params(3, 30)]
    public int Ranges { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        new Random(42).NextBytes(_segment);
        _nxt = _una + 4 * Ranges * Mss;
        _board.Reset(_una);
        for (int i = 1; i <= Ranges; i++)
        {
            Span<TcpSackBlock> one = [new TcpSackBlock(_una + (2 * i - 1) * Mss, _una + 2 * i * Mss)];
            _board.Update(_una, one, _nxt);
        }
        // Every other segment SACKed, the ACK reports the newest three again plus one new block.
        _ack = new TcpSackBlocks(
            new TcpSackBlock(_una + (4 * Ranges - 1) * Mss, _nxt),
            new TcpSackBlock(_una + (2 * Ranges - 1) * Mss, _una + 2 * Ranges * Mss),
            new TcpSackBlock(_una + (2 * Ranges - 3) * Mss, _una + (2 * Ranges - 2) * Mss));
    }

    [Benchmark(Baseline = true)]
    public uint ChecksumOfASegment() => InternetChecksum.Sum(_segment);

    /// <summary>A duplicate ACK in recovery: its blocks repeat what the board holds (the common case), then SetPipe and NextSeg.</summary>
    [Benchmark]
    public int UpdatePipeNextSeg()
    {
        _board.Update(_una, _ack.AsSpan(), _nxt);
        int pipe = _board.Pipe(_una, _nxt, _una, Mss);
        _board.TryNextSegment(_una, _nxt, _una, Mss, out _, out int length);
        return pipe + length;
    }
}
