using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using Wirestack.Iface;
using Wirestack.Nic;
using Wirestack.Tcp;
using Wirestack.Wire;

namespace Wirestack.Benchmarks;

/// <summary>
/// 64 KiB through one TCP connection between two interfaces on the in-process pipe: write into A's send ring,
/// poll both until B has read it all (segments, checksums, ACKs, windows, timers). The baseline copies the same
/// bytes twice (into and out of a ring), the copies any stack makes, so the ratio is the cost of TCP/IP around them.
/// </summary>
[MemoryDiagnoser]
[Config(typeof(Config))]
public class TcpTransferBenchmarks
{
    private const int Chunk = 64 * 1024;
    private Interface _a = null!;
    private Interface _b = null!;
    private TcpHandle _client;
    private TcpHandle _server;
    private readonly byte[] _data = new byte[Chunk];
    private readonly byte[] _ring = new byte[Chunk];
    private readonly byte[] _sink = new byte[Chunk];

    [GlobalSetup]
    public void Setup()
    {
        new Random(3).NextBytes(_data);
        var (first, second) = PipeDevice.CreatePair(new PipeDeviceOptions { RingSize = 1024 });
        _a = new Interface(first, Options("02:00:00:00:00:0a", new Ipv4Address(10, 0, 0, 1)));
        _b = new Interface(second, Options("02:00:00:00:00:0b", new Ipv4Address(10, 0, 0, 2)));
        var now = Now;
        if (!_b.TryListenTcp(new IpEndpoint(IpAddress.AnyIpv4, 80), 1, out var listener)) throw new InvalidOperationException("listen failed");
        if (!_a.TryConnectTcp(new IpEndpoint(new Ipv4Address(10, 0, 0, 2), 80), 0, now, out _client)) throw new InvalidOperationException("connect failed");
        for (int i = 0; i < 100 && !_server.IsAssigned; i++)
        {
            _a.Poll(Now);
            _b.Poll(Now);
            _b.TryAcceptTcp(listener, out _server);
        }
        if (!_server.IsAssigned) throw new InvalidOperationException("the handshake did not complete");
    }

    private static Instant Now => Instant.Now(TimeProvider.System);

    private static InterfaceOptions Options(string mac, Ipv4Address address) => new()
    {
        MacAddress = MacAddress.Parse(mac),
        Ipv4Addresses = [new Ipv4InterfaceAddress(address, 24)],
        AnnounceAddresses = false,
        EnableIpv6 = false,
        Tcp = new TcpOptions { DelayedAck = false },
    };

    [Benchmark(Baseline = true)]
    public void CopyTwice()
    {
        _data.AsSpan().CopyTo(_ring);
        _ring.AsSpan().CopyTo(_sink);
    }

    [Benchmark]
    public int Transfer64KiB()
    {
        int written = 0, read = 0;
        while (read < Chunk)
        {
            var now = Now;
            if (written < Chunk) written += _a.WriteTcp(_client, _data.AsSpan(written), now);
            _a.Poll(now);
            _b.Poll(now);
            read += _b.ReadTcp(_server, _sink.AsSpan(read), now);
        }
        return read;
    }

    private sealed class Config : ManualConfig
    {
        public Config() => AddColumn(StatisticColumn.OperationsPerSecond);
    }
}
