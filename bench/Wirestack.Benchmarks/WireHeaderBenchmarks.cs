using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using Wirestack.Wire;

namespace Wirestack.Benchmarks;

/// <summary>
/// The per-frame cost of the wire layer on the receive and transmit paths: parse Ethernet + IPv4 +
/// TCP headers (views and reprs) of a minimal and a full-size frame, verify the whole TCP checksum
/// of a full-size frame, and emit the three headers. Every benchmark must allocate 0 bytes.
/// </summary>
[MemoryDiagnoser]
[Config(typeof(Config))]
public class WireHeaderBenchmarks
{
    private byte[] _frame = [];
    private readonly byte[] _output = new byte[1514];
    private EthernetRepr _ethernet;
    private Ipv4Repr _ipv4;
    private TcpRepr _tcp;

    /// <summary>Frame sizes: 64 (a bare ACK with padding) and 1514 (a full MSS segment).</summary>
    [Params(64, 1514)]
    public int FrameLength { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        int payload = FrameLength == 64 ? 0 : FrameLength - 14 - 20 - 32;
        _ethernet = new EthernetRepr
        {
            Destination = MacAddress.Parse("02:00:00:00:00:02"),
            Source = MacAddress.Parse("02:00:00:00:00:01"),
            EtherType = EtherType.Ipv4,
        };
        _tcp = new TcpRepr
        {
            SourcePort = 40000,
            DestinationPort = 5201,
            SequenceNumber = new TcpSeqNumber(1_000_000),
            AcknowledgmentNumber = new TcpSeqNumber(2_000_000),
            Flags = TcpFlags.Ack | TcpFlags.Psh,
            WindowSize = 501,
            Timestamps = new TcpTimestamps(123456, 654321),
            PayloadLength = payload,
        };
        _ipv4 = new Ipv4Repr(Ipv4Address.Parse("10.0.0.1"), Ipv4Address.Parse("10.0.0.2"), IpProtocol.Tcp, _tcp.TotalLength) { DontFragment = true };
        _frame = new byte[Math.Max(FrameLength, 14 + _ipv4.TotalLength)];
        var data = new byte[payload];
        new Random(1).NextBytes(data);
        _ethernet.Emit(_frame);
        _ipv4.Emit(_frame.AsSpan(14));
        _tcp.Emit(_frame.AsSpan(14 + _ipv4.HeaderLength), data, _ipv4.PseudoHeaderSum());
    }

    /// <summary>Parse views and reprs of all three headers, verifying the IPv4 header checksum only.</summary>
    [Benchmark(Baseline = true)]
    public int ParseHeaders()
    {
        EthernetFrame.TryParse(_frame, out var frame);
        EthernetRepr.Parse(frame, out var ethernet);
        Ipv4Packet.TryParse(frame.Payload, out var ip);
        Ipv4Repr.Parse(ip, out var ipv4);
        TcpPacket.TryParse(ip.Payload, out var segment);
        TcpRepr.Parse(segment, ipv4.PseudoHeaderSum(), out var tcp, verifyChecksum: false);
        return tcp.PayloadLength + (int)ethernet.EtherType;
    }

    /// <summary>The same, also verifying the TCP checksum over the whole segment.</summary>
    [Benchmark]
    public int ParseHeadersVerifyTcpChecksum()
    {
        EthernetFrame.TryParse(_frame, out var frame);
        Ipv4Packet.TryParse(frame.Payload, out var ip);
        Ipv4Repr.Parse(ip, out var ipv4);
        TcpPacket.TryParse(ip.Payload, out var segment);
        TcpRepr.Parse(segment, ipv4.PseudoHeaderSum(), out var tcp, verifyChecksum: true);
        return tcp.PayloadLength;
    }

    /// <summary>Emit the three headers (payload already in place) and fill both checksums.</summary>
    [Benchmark]
    public void EmitHeaders()
    {
        var output = _output.AsSpan(0, _frame.Length);
        _ethernet.Emit(output);
        _ipv4.Emit(output[14..]);
        var segment = output.Slice(14 + _ipv4.HeaderLength, _tcp.TotalLength);
        _tcp.EmitHeader(segment);
        TcpRepr.FillChecksum(segment, _ipv4.PseudoHeaderSum());
    }

    private sealed class Config : ManualConfig
    {
        public Config() => AddColumn(StatisticColumn.OperationsPerSecond);
    }
}
