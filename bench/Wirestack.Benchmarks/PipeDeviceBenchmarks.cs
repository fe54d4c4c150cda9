using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using Wirestack.Nic;

namespace Wirestack.Benchmarks;

/// <summary>
/// Frames through the in-process pipe device in batches of 32: lend, write, commit, flush on one
/// end; receive, read, release on the other. One operation is one batch; frames/s is 32 x op/s.
/// The baseline copies the same bytes with <see cref="Span{T}.CopyTo"/> alone, so the ratio is the
/// device's overhead over the copy a stack makes anyway.
/// </summary>
[MemoryDiagnoser]
[Config(typeof(Config))]
public class PipeDeviceBenchmarks
{
    private const int Batch = 32;
    private PipeDevice _sender = null!;
    private PipeDevice _receiver = null!;
    private byte[] _frame = [];
    private readonly byte[] _sink = new byte[1514 * Batch];

    /// <summary>Frame sizes: minimum Ethernet and full MTU.</summary>
    [Params(64, 1514)]
    public int FrameLength { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        (_sender, _receiver) = PipeDevice.CreatePair(new PipeDeviceOptions { RingSize = 256, ReceiveBatchSize = Batch });
        _frame = new byte[FrameLength];
        new Random(3).NextBytes(_frame);
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = Batch)]
    public void CopyOnly()
    {
        for (int i = 0; i < Batch; i++) _frame.AsSpan().CopyTo(_sink.AsSpan(i * 1514));
    }

    [Benchmark(OperationsPerInvoke = Batch)]
    public int SendAndReceiveBatch()
    {
        for (int i = 0; i < Batch; i++)
        {
            _sender.TryGetTransmitSlot(out var slot);
            _frame.AsSpan().CopyTo(slot);
            _sender.CommitTransmit(_frame.Length);
        }
        _sender.Flush();
        int n = _receiver.Receive();
        int sum = 0;
        for (int i = 0; i < n; i++) sum += _receiver.GetReceived(i)[12];
        _receiver.ReleaseReceived(n);
        return sum;
    }

    private sealed class Config : ManualConfig
    {
        public Config() => AddColumn(StatisticColumn.OperationsPerSecond);
    }
}
