using Wirestack.Nic;
using Wirestack.Testing;

namespace Wirestack.Tests.Nic;

public class PipeDeviceTests
{
    private static void Send(INetworkDevice device, ReadOnlySpan<byte> frame)
    {
        Assert.True(device.TryGetTransmitSlot(out var slot));
        frame.CopyTo(slot);
        device.CommitTransmit(frame.Length);
    }

    [Fact]
    public void FramesCrossTheCableInOrderAndInPlace()
    {
        var (a, b) = PipeDevice.CreatePair();
        for (byte i = 0; i < 10; i++) Send(a, [i, i, i]);
        Assert.Equal(0, b.Receive()); // nothing is visible before the flush
        Assert.Equal(10, a.Flush());
        Assert.Equal(10, b.Receive());
        for (int i = 0; i < 10; i++) Assert.Equal(new byte[] { (byte)i, (byte)i, (byte)i }, b.GetReceived(i).ToArray());
        b.ReleaseReceived(4);
        Assert.Equal(6, b.Receive());
        Assert.Equal(4, b.GetReceived(0)[0]);
        b.ReleaseReceived(6);
        Assert.Equal(0, b.Receive());
        Assert.Equal(10, a.Counters.TransmittedFrames);
        Assert.Equal(30, b.Counters.ReceivedBytes);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void TheReceiverVouchesForChecksumsOnlyWhenAsked(bool trust)
    {
        var (a, b) = PipeDevice.CreatePair(new PipeDeviceOptions { TrustTransportChecksums = trust });
        Send(a, [1, 2, 3]);
        a.Flush();
        Assert.Equal(1, b.Receive());
        var frame = b.GetReceived(0, out var offload);
        Assert.Equal(new byte[] { 1, 2, 3 }, frame.ToArray());
        Assert.Equal(trust, offload.TransportChecksumTrusted);
        Assert.Equal(0, offload.SegmentSize);
        Assert.Equal(trust ? ChecksumOffload.Tcp | ChecksumOffload.Udp : ChecksumOffload.None, b.Capabilities.ReceiveChecksums);
        Assert.Equal(ChecksumOffload.None, b.Capabilities.TransmitChecksums);
    }

    [Fact]
    public void BothDirectionsAreIndependent()
    {
        var (a, b) = PipeDevice.CreatePair();
        Send(a, [1]);
        Send(b, [2]);
        a.Flush();
        b.Flush();
        Assert.Equal(1, a.Receive());
        Assert.Equal(2, a.GetReceived(0)[0]);
        Assert.Equal(1, b.Receive());
        Assert.Equal(1, b.GetReceived(0)[0]);
    }

    [Fact]
    public void ReceiveLendsAtMostOneBatch()
    {
        var (a, b) = PipeDevice.CreatePair(new PipeDeviceOptions { ReceiveBatchSize = 8 });
        for (int i = 0; i < 20; i++) Send(a, [(byte)i]);
        a.Flush();
        Assert.Equal(8, b.Receive());
        Assert.Equal(8, b.Receive()); // still lent, nothing more until released
        b.ReleaseReceived(8);
        Assert.Equal(8, b.Receive());
        Assert.Equal(8, b.GetReceived(0)[0]);
    }

    [Fact]
    public void AFullRingRefusesSlotsUntilTheReceiverReleases()
    {
        var (a, b) = PipeDevice.CreatePair(new PipeDeviceOptions { RingSize = 4, ReceiveBatchSize = 4 });
        for (int i = 0; i < 4; i++) Send(a, [(byte)i]);
        Assert.False(a.TryGetTransmitSlot(out _));
        a.Flush();
        Assert.False(a.TryGetTransmitSlot(out _));
        Assert.Equal(4, b.Receive());
        Assert.False(a.TryGetTransmitSlot(out _)); // lent frames still occupy their slots
        b.ReleaseReceived(1);
        Assert.True(a.TryGetTransmitSlot(out _));
    }

    [Fact]
    public void LoopbackReceivesWhatItSends()
    {
        using var loop = PipeDevice.CreateLoopback(new PipeDeviceOptions { RingSize = 8, ReceiveBatchSize = 8 });
        Send(loop, "hello"u8);
        loop.Flush();
        Assert.Equal(1, loop.Receive());
        Assert.Equal("hello"u8.ToArray(), loop.GetReceived(0).ToArray());
    }

    [Fact]
    public void LatencyAndRateFollowTheClock()
    {
        var clock = new ManualTimeProvider();
        var (a, b) = PipeDevice.CreatePair(new PipeDeviceOptions
        {
            Latency = TimeSpan.FromMilliseconds(10),
            BitsPerSecond = 8_000_000, // 1 byte per microsecond
            TimeProvider = clock,
        });
        Send(a, new byte[1000]); // 1 ms on the wire
        Send(a, new byte[1000]); // leaves after the first: 2 ms
        a.Flush();
        clock.Advance(TimeSpan.FromMilliseconds(10.5));
        Assert.Equal(0, b.Receive());
        clock.Advance(TimeSpan.FromMilliseconds(0.6)); // 11.1 ms
        Assert.Equal(1, b.Receive());
        clock.Advance(TimeSpan.FromMilliseconds(1)); // 12.1 ms
        Assert.Equal(2, b.Receive());
    }

    [Fact]
    public void WaitWakesOnFlushFromAnotherThreadAndOnInterrupt()
    {
        var (a, b) = PipeDevice.CreatePair();
        Assert.False(b.WaitForReceive(TimeSpan.FromMilliseconds(20)));
        var sender = new Thread(() =>
        {
            Thread.Sleep(50);
            Send(a, [42]);
            a.Flush();
        });
        sender.Start();
        Assert.True(b.WaitForReceive(TimeSpan.FromSeconds(10)));
        Assert.Equal(1, b.Receive());
        sender.Join();
        b.ReleaseReceived(1);

        var interrupter = new Thread(() =>
        {
            Thread.Sleep(50);
            b.Interrupt();
        });
        interrupter.Start();
        var started = DateTime.UtcNow;
        b.WaitForReceive(TimeSpan.FromSeconds(10));
        Assert.True(DateTime.UtcNow - started < TimeSpan.FromSeconds(5), "Interrupt did not wake the wait");
        interrupter.Join();
    }

    [Fact]
    public void InterruptBeforeTheWaitIsNotLost()
    {
        // A runtime posts a command and interrupts while its stack thread is still polling: the next wait must
        // return at once, or the command sits until the next deadline.
        var (_, b) = PipeDevice.CreatePair();
        b.Interrupt();
        var started = DateTime.UtcNow;
        Assert.True(b.WaitForReceive(TimeSpan.FromSeconds(30)));
        Assert.True(DateTime.UtcNow - started < TimeSpan.FromSeconds(10), "an interrupt made before the wait was lost");
        // Consumed: the following wait sleeps until its timeout again.
        Assert.False(b.WaitForReceive(TimeSpan.FromMilliseconds(20)));
    }

    [Fact]
    public void ASubMillisecondWaitSleepsRatherThanReturningAtOnce()
    {
        // A poll loop waits for its next deadline; a wait that returned early would make it spin until then.
        var (_, b) = PipeDevice.CreatePair();
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        Assert.False(b.WaitForReceive(TimeSpan.FromMicroseconds(400)));
        Assert.True(System.Diagnostics.Stopwatch.GetElapsedTime(started) >= TimeSpan.FromMicroseconds(400), "the wait returned before its timeout");
    }

    [Fact]
    public void FramesToADisposedPeerAreCountedAsDropped()
    {
        var (a, b) = PipeDevice.CreatePair();
        b.Dispose();
        Send(a, [1, 2]);
        a.Flush();
        Assert.Equal(1, a.Counters.TransmitDropped);
    }

    [Fact]
    public void MisuseGetsMessagesThatSayWhatToDo()
    {
        var (a, _) = PipeDevice.CreatePair();
        Assert.Contains("TryGetTransmitSlot first", Assert.Throws<InvalidOperationException>(() => a.CommitTransmit(1)).Message, StringComparison.Ordinal);
        a.TryGetTransmitSlot(out _);
        Assert.Contains("already lent", Assert.Throws<InvalidOperationException>(() => a.TryGetTransmitSlot(out _)).Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentOutOfRangeException>(() => a.CommitTransmit(100_000));
        Assert.Contains("power of two", Assert.Throws<ArgumentOutOfRangeException>(() => PipeDevice.CreatePair(new PipeDeviceOptions { RingSize = 1000 })).Message, StringComparison.Ordinal);
        Assert.Contains("Mtu", Assert.Throws<ArgumentOutOfRangeException>(() => PipeDevice.CreatePair(new PipeDeviceOptions { Mtu = 10 })).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void SteadyStateTransferAllocatesNothing()
    {
        var (a, b) = PipeDevice.CreatePair();
        var payload = new byte[1514];
        void Round()
        {
            for (int i = 0; i < 32; i++) Send(a, payload);
            a.Flush();
            int n = b.Receive();
            for (int i = 0; i < n; i++) _ = b.GetReceived(i).Length;
            b.ReleaseReceived(n);
        }
        Assert.Equal(0, AllocationMeter.Measure(Round));
    }
}
