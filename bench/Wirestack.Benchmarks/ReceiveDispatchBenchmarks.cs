using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using Wirestack.Iface;
using Wirestack.Wire;


namespace Wirestack.Benchmarks;

/// <summary>
/// The cost per packet of the Interface's receive dispatch: one <see cref="Interface.Poll"/> takes a batch of 32 UDP
/// frames from a device that lends them in place, parses Ethernet, IPv4 and UDP, verifies both checksums, finds the
/// binding and copies each payload into its receive ring; the benchmark then takes the datagrams off the ring
/// without copying them out (a zero-length buffer), so the ring never fills. The baseline copies the same frame
/// bytes with <see cref="Span{T}.CopyTo"/> alone, once per packet: the ratio is dispatch over one bare copy.
/// </summary>
[MemoryDiagnoser]
[Config(typeof(Config))]
public class ReceiveDispatchBenchmarks
{
    private const int Batch = 32;
    private const ushort Port = 7000;
    private static readonly MacAddress LocalMac = MacAddress.Parse("02:00:00:00:00:0b");
    private static readonly MacAddress PeerMac = MacAddress.Parse("02:00:00:00:00:0a");
    private static readonly Ipv4Address LocalAddress = new(10, 0, 0, 2);
    private static readonly Ipv4Address PeerAddress = new(10, 0, 0, 1);

    private Interface _stack = null!;
    private ReplayDevice _device = null!;
    private UdpHandle _handle;
    private byte[] _frame = [];
    private readonly byte[] _sink = new byte[1514 * Batch];
    private readonly Instant _now = Instant.FromMicroseconds(1_000_000);

    /// <summary>Whole Ethernet frames: the minimum and a full 1500-byte MTU.</summary>
    [Params(64, 1514)]
    public int FrameLength { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _frame = BuildFrame(FrameLength);
        _device = new ReplayDevice(_frame, Batch);
        _stack = new Interface(_device, new InterfaceOptions
        {
            MacAddress = LocalMac,
            Ipv4Addresses = [new Ipv4InterfaceAddress(LocalAddress, 24)],
            EnableIpv6 = false,
            AnnounceAddresses = false,
        });
        if (!_stack.TryBindUdp(Port, out _handle)) throw new InvalidOperationException("bind failed");
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        // Every frame must have reached the binding: a drop would make the figure meaningless.
        if (_stack.Counters.TotalDropped != 0 || _device.Transmitted != 0)
            throw new InvalidOperationException($"dispatch dropped or answered frames: {_stack.Counters}");
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = Batch)]
    public void CopyOnly()
    {
        for (int i = 0; i < Batch; i++) _frame.AsSpan().CopyTo(_sink.AsSpan(i * 1514));
    }

    [Benchmark(OperationsPerInvoke = Batch)]
    public int Dispatch()
    {
        _stack.Poll(_now);
        int taken = 0;
        while (_stack.TryReceiveUdp(_handle, [], out _, out _, out _)) taken++;
        return taken;
    }

    internal static byte[] BuildFrame(int frameLength)
    {
        const int Headers = EthernetFrame.UntaggedHeaderLength + Ipv4Packet.MinHeaderLength + UdpPacket.HeaderLength;
        byte[] payload = new byte[frameLength - Headers];
        new Random(7).NextBytes(payload);
        byte[] frame = new byte[frameLength];
        new EthernetRepr { Destination = LocalMac, Source = PeerMac, EtherType = EtherType.Ipv4 }.Emit(frame);
        var udp = new UdpRepr(40000, Port, payload.Length);
        var ip = new Ipv4Repr(PeerAddress, LocalAddress, IpProtocol.Udp, udp.BufferLength);
        ip.Emit(frame.AsSpan(EthernetFrame.UntaggedHeaderLength));
        udp.Emit(frame.AsSpan(EthernetFrame.UntaggedHeaderLength + Ipv4Packet.MinHeaderLength), payload, ip.PseudoHeaderSum());
        return frame;
    }

    private sealed class Config : ManualConfig
    {
        public Config() => AddColumn(StatisticColumn.OperationsPerSecond);
    }
}
