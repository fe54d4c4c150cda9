using System.Buffers.Binary;
using System.Diagnostics;
using System.Security.Cryptography;
using Wirestack.Iface;
using Wirestack.Interop.Iface;
using Wirestack.Nic;
using Wirestack.Tcp;
using Wirestack.Wire;

namespace Wirestack.Interop.Nic;

/// <summary>
/// A <see cref="SharedMemoryPipeDevice"/> between this process (side A, an Interface at 10.9.0.1) and a second one
/// (tests/Wirestack.ShmPeer, side B, an Interface at 10.9.0.2 that echoes): UDP, ping and a 64 MiB TCP echo
/// checked with SHA-256 on both sides, and a peer killed in the middle, which side A must report, not wait on.
/// </summary>
public sealed class SharedMemoryPipeTwoProcessTests : IDisposable
{
    private static readonly Ipv4Address OurAddress = new(10, 9, 0, 1);
    private static readonly Ipv4Address PeerAddress = new(10, 9, 0, 2);
    private readonly string _path = $"wirestack-interop-{Environment.ProcessId}-{Guid.NewGuid():N}";
    private readonly SharedMemoryPipeDevice _device;
    private readonly Interface _iface;

    public SharedMemoryPipeTwoProcessTests()
    {
        _device = SharedMemoryPipeDevice.Create(_path);
        _iface = new Interface(_device, new InterfaceOptions
        {
            MacAddress = MacAddress.Parse("02:00:0a:09:00:01"),
            Ipv4Addresses = [new Ipv4InterfaceAddress(OurAddress, 24)],
            EnableIpv6 = false,
            Tcp = new TcpOptions { SendBufferLength = 1 << 20, ReceiveBufferLength = 1 << 20 },
        });
    }

    private static ITestOutputHelper? Output => TestContext.Current.TestOutputHelper;

    public void Dispose() => _device.Dispose();

    [Fact]
    public void AThousandUdpDatagramsAreEchoed()
    {
        using var peer = ShmPeerProcess.Start("echo", _device.Path);
        Assert.True(_iface.TryBindUdp(9000, out var udp));
        const int Count = 1000;
        const int Window = 32;
        var payload = new byte[512];
        var reply = new byte[2048];
        int sent = 0, echoed = 0, wrong = 0;
        Instant Step(Instant now)
        {
            while (_iface.TryReceiveUdp(udp, reply, out int length, out var source, out ushort port))
            {
                if (length != payload.Length || BinaryPrimitives.ReadInt32LittleEndian(reply) != echoed || source != (IpAddress)PeerAddress || port != 7) wrong++;
                echoed++;
            }
            // One datagram until the first echo (the neighbour queue holds only a few while ARP resolves), then a
            // window of them in flight.
            bool progress = false;
            while (sent < Count && sent - echoed < (echoed == 0 ? 1 : Window))
            {
                BinaryPrimitives.WriteInt32LittleEndian(payload, sent);
                if (!_iface.TrySendUdp(udp, PeerAddress, 7, payload, now)) break;
                sent++;
                progress = true;
            }
            return progress ? now : now + TimeSpan.FromMilliseconds(10);
        }
        var clock = Stopwatch.StartNew();
        using (var loop = new PollLoop(_iface, Step))
        {
            while (Volatile.Read(ref echoed) < Count && clock.Elapsed < TimeSpan.FromSeconds(60) && !loop.Failed) Thread.Sleep(10);
            loop.Stop();
            Assert.False(loop.Failed, loop.Failure?.ToString());
        }
        Output?.WriteLine($"{echoed} of {Count} echoed in {clock.Elapsed.TotalMilliseconds:F0} ms; {_device.Counters}\n{_iface.Counters}");
        Assert.Equal(Count, echoed);
        Assert.Equal(0, wrong);
        // A look now: PeerState is as old as the last periodic look, and the whole exchange can take less than the
        // interval between two (a fresh-clone run echoed all in 31 ms and still read the Waiting of the start).
        Assert.Equal(PipePeerState.Connected, _device.CheckPeer());
    }

    [Fact]
    public void ThePeerAnswersPing()
    {
        using var peer = ShmPeerProcess.Start("echo", _device.Path);
        int sent = 0, replies = 0;
        var times = new List<double>();
        Instant sentAt = default;
        Instant Step(Instant now)
        {
            while (_iface.TryDequeueEchoReply(out var reply))
            {
                if (reply.Source == (IpAddress)PeerAddress && reply.Identifier == 77) replies++;
                times.Add((reply.ReceivedAt - sentAt).TotalMicroseconds);
            }
            if (sent < 20 && replies == sent)
            {
                sentAt = now;
                if (_iface.TrySendIcmpEcho(PeerAddress, 77, (ushort)sent, "wirestack shm ping"u8, now)) sent++;
            }
            return now + TimeSpan.FromMilliseconds(5);
        }
        var clock = Stopwatch.StartNew();
        using (var loop = new PollLoop(_iface, Step))
        {
            while (Volatile.Read(ref replies) < 20 && clock.Elapsed < TimeSpan.FromSeconds(30) && !loop.Failed) Thread.Sleep(10);
            loop.Stop();
            Assert.False(loop.Failed, loop.Failure?.ToString());
        }
        Output?.WriteLine($"{replies} replies; RTT us: {string.Join(' ', times.Select(t => t.ToString("F0", System.Globalization.CultureInfo.InvariantCulture)))}");
        Assert.Equal(20, replies);
    }

    [Fact]
    public void SixtyFourMebibytesOfTcpAreEchoedIntact()
    {
        const int Length = 64 << 20;
        using var peer = ShmPeerProcess.Start("echo", _device.Path);
        byte[] data = new byte[Length];
        new Random(64).NextBytes(data);
        string expected = Convert.ToHexStringLower(SHA256.HashData(data));
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        byte[] buffer = new byte[256 * 1024];
        TcpHandle connection = default;
        int written = 0;
        long echoed = 0;
        bool shut = false, finished = false;
        Instant Step(Instant now)
        {
            if (!connection.IsAssigned)
            {
                Assert.True(_iface.TryConnectTcp(new IpEndpoint(PeerAddress, 5001), 0, now, out connection));
                return Instant.MaxValue;
            }
            var info = _iface.GetTcpInfo(connection);
            if (info.State is TcpState.SynSent or TcpState.SynReceived) return Instant.MaxValue;
            bool progress = false;
            if (written < Length && info.WritableBytes > 0)
            {
                int n = _iface.WriteTcp(connection, data.AsSpan(written), now);
                written += n;
                progress |= n > 0;
            }
            if (written == Length && !shut)
            {
                _iface.ShutdownTcpWrite(connection, now);
                shut = true;
            }
            int read;
            while ((read = _iface.ReadTcp(connection, buffer, now)) > 0)
            {
                hash.AppendData(buffer, 0, read);
                echoed += read;
                progress = true;
            }
            if (shut && info.ReadCompleted && echoed == Length) Volatile.Write(ref finished, true);
            return progress ? now : Instant.MaxValue;
        }
        var clock = Stopwatch.StartNew();
        using (var loop = new PollLoop(_iface, Step))
        {
            while (!Volatile.Read(ref finished) && clock.Elapsed < TimeSpan.FromSeconds(180) && !loop.Failed) Thread.Sleep(20);
            loop.Stop();
            Assert.False(loop.Failed, loop.Failure?.ToString());
        }
        var elapsed = clock.Elapsed;
        string? line = peer.ReadLine(TimeSpan.FromSeconds(10));
        var c = _iface.TcpCounters;
        Output?.WriteLine($"{Length} bytes each way in {elapsed.TotalSeconds:F2} s ({Length * 8.0 / elapsed.TotalSeconds / 1e9:F2} Gbit/s each way); peer: {line}\n" +
            $"segments in {c.SegmentsReceived} out {c.SegmentsSent}, retransmitted {c.RetransmittedSegments}\n{_device.Counters}");
        Assert.True(finished, $"echoed {echoed} of {Length} bytes; wrote {written}");
        Assert.Equal(expected, Convert.ToHexStringLower(hash.GetHashAndReset()));
        Assert.Equal($"tcp {expected} {Length}", line);
    }

    [Fact]
    public void APeerKilledInTheMiddleOfATransferIsReportedWithinABoundedTime()
    {
        var peer = ShmPeerProcess.Start("echo", _device.Path);
        try
        {
            // A TCP echo runs, then the peer dies mid-stream without closing its side.
            byte[] data = new byte[256 * 1024];
            byte[] buffer = new byte[256 * 1024];
            TcpHandle connection = default;
            long echoed = 0;
            Instant Step(Instant now)
            {
                if (!connection.IsAssigned)
                {
                    Assert.True(_iface.TryConnectTcp(new IpEndpoint(PeerAddress, 5001), 0, now, out connection));
                    return Instant.MaxValue;
                }
                var info = _iface.GetTcpInfo(connection);
                if (info.State is TcpState.SynSent or TcpState.SynReceived) return Instant.MaxValue;
                bool progress = info.WritableBytes > 0 && _iface.WriteTcp(connection, data, now) > 0;
                int read;
                while ((read = _iface.ReadTcp(connection, buffer, now)) > 0)
                {
                    Volatile.Write(ref echoed, echoed + read);
                    progress = true;
                }
                return progress ? now : Instant.MaxValue;
            }
            using var loop = new PollLoop(_iface, Step);
            var clock = Stopwatch.StartNew();
            while (Volatile.Read(ref echoed) < 4 << 20 && clock.Elapsed < TimeSpan.FromSeconds(60) && !loop.Failed) Thread.Sleep(1);
            Assert.True(Volatile.Read(ref echoed) >= 4 << 20, $"the echo did not get going: {loop.Failure}");
            Assert.Equal(PipePeerState.Connected, _device.PeerState);
            int pid = peer.Process.Id;
            peer.Process.Kill();
            var killed = Stopwatch.StartNew();
            while (!loop.Failed && killed.Elapsed < TimeSpan.FromSeconds(10)) Thread.Sleep(1);
            var detected = killed.Elapsed;
            Output?.WriteLine($"peer {pid} killed after {Volatile.Read(ref echoed)} bytes echoed; side A reported it after {detected.TotalMilliseconds:F0} ms: {loop.Failure?.Message}");
            var failure = Assert.IsType<PipePeerExitedException>(loop.Failure);
            Assert.Equal(pid, failure.ProcessId);
            Assert.Contains($"process {pid}", failure.Message);
            Assert.Equal(PipePeerState.Exited, _device.PeerState);
            Assert.True(detected < TimeSpan.FromSeconds(2), $"detected after {detected}");
            Assert.Throws<PipePeerExitedException>(() => _device.WaitForReceive(TimeSpan.FromSeconds(5)));

            // The creator starts over at the same path: a new pipe for a new peer.
            _device.Dispose();
            using var again = SharedMemoryPipeDevice.Create(_device.Path);
            using var second = ShmPeerProcess.Start("echo", again.Path);
            Assert.Equal(PipePeerState.Connected, again.CheckPeer());
        }
        finally
        {
            peer.Dispose();
        }
    }
}
