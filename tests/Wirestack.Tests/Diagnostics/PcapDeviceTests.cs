using Wirestack.Diagnostics;
using Wirestack.Nic;
using Wirestack.Testing;
using Wirestack.Tests.Nic;
using Wirestack.Wire;
using static Wirestack.Tests.Nic.TestFrames;

namespace Wirestack.Tests.Diagnostics;

public sealed class PcapDeviceTests : IDisposable
{
    // 2024-11-22 12:34:56.1234567 UTC, in whole 100 ns ticks (what DateTimeOffset holds).
    private static readonly DateTimeOffset Epoch = DateTimeOffset.FromUnixTimeMilliseconds(1_732_278_896_123).AddTicks(4567);
    private const long EpochNanoseconds = 1_732_278_896_123_456_700;

    private readonly DirectoryInfo _directory = Directory.CreateTempSubdirectory("wirestack-pcapdevice-");

    public void Dispose() => _directory.Delete(recursive: true);

    private string NewPath() => Path.Combine(_directory.FullName, $"{Guid.NewGuid():N}.pcap");

    private static List<(long Time, byte[] Bytes, int OriginalLength)> ReadAll(string path)
    {
        var records = new List<(long, byte[], int)>();
        using var reader = PcapReader.Open(path);
        Assert.Equal(PcapLinkType.Ethernet, reader.LinkType);
        while (reader.TryReadFrame(out var record)) records.Add((record.TimestampNanoseconds, record.Data.ToArray(), record.OriginalLength));
        return records;
    }

    private static byte[] Frame(int length, byte fill)
    {
        var frame = new byte[length];
        frame.AsSpan().Fill(fill);
        return frame;
    }

    [Fact]
    public void FramesBothWaysLandInOrderWithTheirBytesAndTimes()
    {
        var clock = new EpochClock(Epoch, TimeSpan.TicksPerSecond);
        var (inner, peer) = PipeDevice.CreatePair();
        string path = NewPath();
        var sent = new List<byte[]>();
        using (var device = PcapDevice.Create(inner, path, new PcapDeviceOptions { TimeProvider = clock }))
        {
            Send(device, Frame(60, 1));                      // TX at +0
            clock.AdvanceTicks(15);                          // 1.5 us
            Send(device, Frame(1514, 2));                    // TX at +1.5 us
            device.Flush();
            Assert.Equal(2, ReceiveAll(peer).Count);

            Send(peer, Frame(42, 3));
            Send(peer, Frame(100, 4));
            peer.Flush();
            clock.AdvanceTicks(TimeSpan.TicksPerSecond);     // +1 s + 1.5 us
            Assert.Equal(2, device.Receive());
            Assert.Equal(2, device.Receive());               // still lent: not recorded twice
            device.ReleaseReceived(1);
            Send(peer, Frame(70, 5));
            peer.Flush();
            clock.AdvanceTicks(1);
            Assert.Equal(2, device.Receive());               // one old, one new: only the new one is recorded
            device.ReleaseReceived(2);
            Assert.Equal(5, device.FramesRecorded);
        }

        var records = ReadAll(path);
        Assert.Equal([60, 1514, 42, 100, 70], records.Select(r => r.Bytes.Length));
        Assert.Equal([1, 2, 3, 4, 5], records.Select(r => r.Bytes[0]));
        Assert.All(records, r => Assert.All(r.Bytes, b => Assert.Equal(r.Bytes[0], b)));
        Assert.All(records, r => Assert.Equal(r.Bytes.Length, r.OriginalLength));
        long[] expected =
        [
            EpochNanoseconds,
            EpochNanoseconds + 1_500,
            EpochNanoseconds + 1_000_001_500,
            EpochNanoseconds + 1_000_001_500,
            EpochNanoseconds + 1_000_001_600,
        ];
        Assert.Equal(expected, records.Select(r => r.Time));
    }

    [Fact]
    public void TimestampsStayExactWithANanosecondCounterLongAfterTheStart()
    {
        // A 1 GHz counter (Stopwatch on Linux): elapsed ticks times 10^9 overflows after 9.2 s if done naively.
        var clock = new EpochClock(Epoch, 1_000_000_000);
        var (inner, _) = PipeDevice.CreatePair();
        string path = NewPath();
        using (var device = PcapDevice.Create(inner, path, new PcapDeviceOptions { TimeProvider = clock }))
        {
            clock.AdvanceTicks(86_400L * 1_000_000_000 + 7); // a day and 7 ns
            Send(device, Frame(60, 1));
        }
        Assert.Equal(EpochNanoseconds + 86_400L * 1_000_000_000 + 7, ReadAll(path)[0].Time);
    }

    [Fact]
    public void SystemClockTimestampsAreNow()
    {
        var (inner, _) = PipeDevice.CreatePair();
        string path = NewPath();
        long before = (DateTimeOffset.UtcNow - DateTimeOffset.UnixEpoch).Ticks * 100;
        using (var device = PcapDevice.Create(inner, path))
        {
            Send(device, Frame(60, 1));
        }
        long after = (DateTimeOffset.UtcNow - DateTimeOffset.UnixEpoch).Ticks * 100;
        long time = ReadAll(path)[0].Time;
        Assert.InRange(time, before - 1_000_000, after + 1_000_000);
    }

    [Theory]
    [InlineData(FrameDirections.Receive)]
    [InlineData(FrameDirections.Transmit)]
    public void RecordsOnlyTheChosenDirection(FrameDirections directions)
    {
        var (inner, peer) = PipeDevice.CreatePair();
        string path = NewPath();
        using (var device = PcapDevice.Create(inner, path, new PcapDeviceOptions { Directions = directions }))
        {
            Send(device, Frame(60, 1));
            device.Flush();
            Send(peer, Frame(61, 2));
            peer.Flush();
            Assert.Single(ReceiveAll(device));
            Assert.Single(ReceiveAll(peer));
        }
        var records = ReadAll(path);
        Assert.Single(records);
        Assert.Equal(directions == FrameDirections.Transmit ? 60 : 61, records[0].Bytes.Length);
    }

    [Fact]
    public void AWriterPassedInCanBeLeftOpenAndIsFlushed()
    {
        var stream = new MemoryStream();
        var (inner, _) = PipeDevice.CreatePair();
        using var writer = new PcapWriter(new BufferedStream(stream, 1 << 16), leaveOpen: true);
        using (var device = new PcapDevice(inner, writer, new PcapDeviceOptions { LeaveWriterOpen = true }))
        {
            Send(device, Frame(60, 1));
        }
        Assert.Equal(24 + 16 + 60, stream.Length); // flushed through the buffer on dispose
        writer.WriteFrame(Frame(10, 2), 0);         // and still usable
    }

    [Fact]
    public void TsharkReadsTheCapture()
    {
        string tshark = Prerequisites.RequireTool("tshark", "tshark");
        var (inner, peer) = PipeDevice.CreatePair();
        string path = NewPath();
        using (var device = PcapDevice.Create(inner, path))
        {
            Send(device, ArpRequest());
            device.Flush();
            Send(peer, TcpSegment(TcpFlags.Syn, 1000, 0, [], mss: 1460));
            peer.Flush();
            ReceiveAll(device);
            Send(device, UdpDatagram("hello"u8));
            device.Flush();
        }
        var result = ProcessRunner.Run(tshark, "-r", path, "-n", "-T", "fields", "-E", "separator=|", "-e", "frame.len", "-e", "frame.protocols", "-e", "_ws.col.Info")
            .EnsureSuccess("tshark");
        var lines = result.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(3, lines.Length);
        Assert.StartsWith("42|eth:ethertype:arp|Who has 10.0.0.2? Tell 10.0.0.1", lines[0], StringComparison.Ordinal);
        Assert.StartsWith("58|eth:ethertype:ip:tcp|", lines[1], StringComparison.Ordinal);
        Assert.Contains("[SYN]", lines[1], StringComparison.Ordinal);
        Assert.StartsWith("47|eth:ethertype:ip:udp", lines[2], StringComparison.Ordinal);
    }

    [Fact]
    public void RecordingAllocatesNothingPerFrame()
    {
        var (inner, peer) = PipeDevice.CreatePair();
        using var device = PcapDevice.Create(inner, NewPath());
        var payload = new byte[1514];
        void Round()
        {
            for (int i = 0; i < 16; i++) Send(device, payload);
            device.Flush();
            peer.ReleaseReceived(peer.Receive());
            for (int i = 0; i < 16; i++) Send(peer, payload);
            peer.Flush();
            int n = device.Receive();
            for (int i = 0; i < n; i++) _ = device.GetReceived(i).Length;
            device.ReleaseReceived(n);
        }
        for (int i = 0; i < 100; i++) Round();
        Assert.Equal(0, AllocationMeter.Measure(Round));
        Assert.True(device.FramesRecorded >= 1100 * 32);
    }
}
