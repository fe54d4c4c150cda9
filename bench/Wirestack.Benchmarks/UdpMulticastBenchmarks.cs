using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using Wirestack.Iface;
using Wirestack.Nic;
using Wirestack.Wire;

namespace Wirestack.Benchmarks;

/// <summary>
/// UDP datagrams of 64 bytes from one Interface to another over the in-process pipe, in batches of 32: send, poll
/// both, drain every receiving binding. The baseline sends the same datagrams unicast to one binding; the others
/// send them to a group that <see cref="Receivers"/> ReuseAddress bindings joined (each gets a copy) and to the
/// subnet broadcast, so the ratios are the cost of group lookup and fan-out over plain unicast delivery.
/// </summary>
[MemoryDiagnoser]
[Config(typeof(Config))]
public class UdpMulticastBenchmarks
{
    private const int Batch = 32;
    private const ushort Port = 7000;
    private static readonly Ipv4Address AddressA = new(10, 0, 0, 1);
    private static readonly Ipv4Address AddressB = new(10, 0, 0, 2);
    private static readonly Ipv4Address Group = new(239, 1, 2, 3);
    private static readonly Ipv4Address Broadcast = new(10, 0, 0, 255);
    private readonly byte[] _payload = new byte[64];
    private readonly byte[] _buffer = new byte[2048];
    private Interface _a = null!;
    private Interface _b = null!;
    private UdpHandle _sender;
    private UdpHandle[] _receivers = [];
    private Instant _now = Instant.FromMicroseconds(1_000_000);

    /// <summary>How many bindings on B share the port and joined the group.</summary>
    [Params(1, 4)]
    public int Receivers { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var (first, second) = PipeDevice.CreatePair(new PipeDeviceOptions { RingSize = 256, ReceiveBatchSize = Batch * 2 });
        _a = new Interface(first, Options("02:00:00:00:00:0a", AddressA));
        _b = new Interface(second, Options("02:00:00:00:00:0b", AddressB));
        _a.TryBindUdp(new IpEndpoint(IpAddress.AnyIpv4, 5000), UdpBindFlags.AllowBroadcast, out _sender);
        _receivers = new UdpHandle[Receivers];
        for (int i = 0; i < Receivers; i++)
        {
            _b.TryBindUdp(new IpEndpoint(IpAddress.AnyIpv4, Port), UdpBindFlags.ReuseAddress, out _receivers[i]);
            _b.TryJoinUdpMulticastGroup(_receivers[i], Group, _now);
        }
        // Resolve B once, and let the IGMP reports go by.
        for (int i = 0; i < 4; i++) Run(AddressB);
        _now += TimeSpan.FromSeconds(10);
        Run(AddressB);
    }

    private static InterfaceOptions Options(string mac, Ipv4Address address) => new()
    {
        MacAddress = MacAddress.Parse(mac),
        Ipv4Addresses = [new Ipv4InterfaceAddress(address, 24)],
        EnableIpv6 = false,
        AnnounceAddresses = false,
    };

    [Benchmark(Baseline = true, OperationsPerInvoke = Batch)]
    public int Unicast() => Run(AddressB);

    [Benchmark(OperationsPerInvoke = Batch)]
    public int Multicast() => Run(Group);

    [Benchmark(OperationsPerInvoke = Batch)]
    public int SubnetBroadcast() => Run(Broadcast);

    private int Run(Ipv4Address destination)
    {
        _now += TimeSpan.FromMicroseconds(10);
        for (int i = 0; i < Batch; i++) _a.TrySendUdp(_sender, destination, Port, _payload, _now);
        _a.Poll(_now);
        _b.Poll(_now);
        int received = 0;
        foreach (var handle in _receivers)
            while (_b.TryReceiveUdp(handle, _buffer, out _, out _, out _)) received++;
        return received;
    }

    private sealed class Config : ManualConfig
    {
        public Config() => AddColumn(StatisticColumn.OperationsPerSecond);
    }
}
