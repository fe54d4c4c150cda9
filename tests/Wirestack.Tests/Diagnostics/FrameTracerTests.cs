using Wirestack.Diagnostics;
using Wirestack.Nic;
using Wirestack.Tests.Nic;
using Wirestack.Wire;
using static Wirestack.Tests.Nic.TestFrames;

namespace Wirestack.Tests.Diagnostics;

public class FrameTracerTests
{
    [Fact]
    public void ArpIpv4AndTcpFramesAreDecodedOneLineEachBothWays()
    {
        var clock = new ManualTimeProvider();
        var (inner, peer) = PipeDevice.CreatePair();
        var lines = new List<string>();
        using var tracer = new FrameTracer(inner, lines.Add, new FrameTracerOptions { TimeProvider = clock, Label = "eth0" });

        Send(tracer, ArpRequest());
        tracer.Flush();
        clock.Advance(TimeSpan.FromMilliseconds(1.5));
        Send(peer, TcpSegment(TcpFlags.Syn, 1000, 0, [], mss: 1460));
        Send(peer, TcpSegment(TcpFlags.Psh | TcpFlags.Ack, 1001, 5000, "hello"u8));
        peer.Flush();
        Assert.Equal(2, tracer.Receive());
        Assert.Equal(2, tracer.Receive()); // lent frames are traced once
        tracer.ReleaseReceived(2);
        Send(tracer, UdpDatagram("query"u8));

        Assert.Equal(4, lines.Count);
        Assert.Equal("eth0 0.000000 TX 42 B 02:00:00:00:00:0a > ff:ff:ff:ff:ff:ff ARP who-has 10.0.0.2 tell 10.0.0.1", lines[0]);
        Assert.StartsWith("eth0 0.001500 RX 58 B 02:00:00:00:00:0a > 02:00:00:00:00:0b IPv4 10.0.0.1 > 10.0.0.2 ttl 64 TCP 40000 > 80 [", lines[1], StringComparison.Ordinal);
        Assert.Contains("Syn", lines[1], StringComparison.Ordinal);
        Assert.EndsWith("seq 1000 win 65535 mss 1460 len 0", lines[1], StringComparison.Ordinal);
        Assert.StartsWith("eth0 0.001500 RX 59 B ", lines[2], StringComparison.Ordinal);
        Assert.Contains("TCP 40000 > 80", lines[2], StringComparison.Ordinal);
        Assert.Contains("seq 1001 ack 5000 win 65535 len 5", lines[2], StringComparison.Ordinal);
        Assert.Equal("eth0 0.001500 TX 47 B 02:00:00:00:00:0a > 02:00:00:00:00:0b IPv4 10.0.0.1 > 10.0.0.2 ttl 64 UDP 5000 > 53 len 5", lines[3]);
    }

    [Fact]
    public void MalformedFramesSayWhatIsWrong()
    {
        var (inner, _) = PipeDevice.CreatePair();
        var lines = new List<string>();
        using var tracer = new FrameTracer(inner, lines.Add);
        var segment = TcpSegment(TcpFlags.Ack, 1, 2, "data"u8);
        segment[^1] ^= 0x01; // the TCP checksum no longer matches
        Send(tracer, segment);
        Send(tracer, [1, 2, 3]);
        Assert.EndsWith("[Tcp BadChecksum]", lines[0], StringComparison.Ordinal);
        Assert.EndsWith("TX 3 B malformed Ethernet frame [Truncated]", lines[1], StringComparison.Ordinal);
    }

    [Fact]
    public void WritesToATextWriterAndTracesOnlyTheChosenDirection()
    {
        var (inner, peer) = PipeDevice.CreatePair();
        var output = new StringWriter();
        using (var tracer = new FrameTracer(inner, output, new FrameTracerOptions { Directions = FrameDirections.Receive }))
        {
            Send(tracer, ArpRequest());
            tracer.Flush();
            Send(peer, UdpDatagram("x"u8));
            peer.Flush();
            Assert.Single(ReceiveAll(tracer));
        }
        var lines = output.ToString().Split(Environment.NewLine, StringSplitOptions.RemoveEmptyEntries);
        var line = Assert.Single(lines);
        Assert.Contains(" RX 43 B ", line, StringComparison.Ordinal);
        Assert.Contains("UDP 5000 > 53 len 1", line, StringComparison.Ordinal);
    }

    [Fact]
    public void FramesPassThroughUnchanged()
    {
        var (inner, peer) = PipeDevice.CreatePair();
        using var tracer = new FrameTracer(inner, TextWriter.Null);
        var frame = TcpSegment(TcpFlags.Ack, 7, 8, "payload"u8);
        Send(tracer, frame);
        tracer.Flush();
        Assert.Equal(frame, Assert.Single(ReceiveAll(peer)));
    }
}
