using BenchmarkDotNet.Attributes;
using Wirestack.Wire;

namespace Wirestack.Benchmarks;

/// <summary>
/// Checksum throughput against <see cref="Span{T}.CopyTo"/> of the same bytes in the same run: the
/// baseline column turns noisy absolute figures into a ratio (target: Sum at least 0.5x of a copy at 1500 bytes).
/// </summary>
[MemoryDiagnoser]
public class ChecksumBenchmarks
{
    private byte[] _source = [];
    private byte[] _destination = [];

    /// <summary>Payload sizes: a small segment, a full Ethernet MTU, a jumbo frame.</summary>
    [Params(64, 1500, 9000)]
    public int Length { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _source = new byte[Length];
        _destination = new byte[Length];
        new Random(42).NextBytes(_source);
    }

    [Benchmark(Baseline = true)]
    public void SpanCopyTo() => _source.AsSpan().CopyTo(_destination);

    [Benchmark]
    public uint Sum() => InternetChecksum.Sum(_source);

    [Benchmark]
    public uint CopyAndSum() => InternetChecksum.CopyAndSum(_source, _destination);
}
