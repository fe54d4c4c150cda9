using System.Diagnostics;
using Wirestack.Nic;
using Wirestack.Testing;
using L = Wirestack.Nic.SharedMemoryPipeLayout;

namespace Wirestack.Tests.Nic;

/// <summary>Two <see cref="SharedMemoryPipeDevice"/>s on one file within one process; the two-process tests are in the interop suite.</summary>
public sealed class SharedMemoryPipeDeviceTests : IDisposable
{
    private readonly string _path = Path.Combine(SharedMemoryPipeDevice.DefaultDirectory, $"wirestack-test-{Environment.ProcessId}-{Guid.NewGuid():N}");

    public void Dispose()
    {
        if (File.Exists(_path)) File.Delete(_path);
    }

    private (SharedMemoryPipeDevice A, SharedMemoryPipeDevice B) Pair(SharedMemoryPipeOptions? options = null)
    {
        var a = SharedMemoryPipeDevice.Create(_path, options);
        var b = SharedMemoryPipeDevice.Open(_path, options);
        return (a, b);
    }

    [Fact]
    public void FramesCrossBothWaysInOrder()
    {
        var (a, b) = Pair();
        using (a)
        using (b)
        {
            Assert.True(a.IsCreator);
            Assert.False(b.IsCreator);
            Assert.Equal(Environment.ProcessId, a.PeerProcessId);
            for (byte i = 0; i < 10; i++) TestFrames.Send(a, [i, i, i]);
            Assert.Equal(0, b.Receive()); // nothing is visible before the flush
            Assert.Equal(10, a.Flush());
            Assert.Equal(10, b.Receive());
            for (int i = 0; i < 10; i++) Assert.Equal(new byte[] { (byte)i, (byte)i, (byte)i }, b.GetReceived(i).ToArray());
            b.ReleaseReceived(4);
            Assert.Equal(6, b.Receive());
            Assert.Equal(4, b.GetReceived(0)[0]);
            b.ReleaseReceived(6);
            Assert.Equal(0, b.Receive());

            TestFrames.Send(b, [7, 8]);
            b.Flush();
            Assert.Equal(1, a.Receive());
            Assert.Equal(new byte[] { 7, 8 }, a.GetReceived(0).ToArray());
            a.ReleaseReceived(1);

            Assert.Equal(10, a.Counters.TransmittedFrames);
            Assert.Equal(30, b.Counters.ReceivedBytes);
            Assert.Equal(PipePeerState.Connected, a.CheckPeer());
            Assert.Equal(PipePeerState.Connected, b.CheckPeer());
        }
    }

    [Fact]
    public void FramesAreReadInTheSlotTheSenderWrote()
    {
        var (a, b) = Pair();
        using (a)
        using (b)
        {
            Assert.True(a.TryGetTransmitSlot(out var slot));
            slot[0] = 42;
            a.CommitTransmit(1);
            a.Flush();
            Assert.Equal(1, b.Receive());
            // The receiver's frame is the sender's slot: writing the slot again shows through (no copy between them).
            slot[0] = 43;
            Assert.Equal(43, b.GetReceived(0)[0]);
            Assert.Equal(a.Capabilities.MaxFrameLength, a.Capabilities.Mtu + DeviceCapabilities.FrameOverhead);
            Assert.True(slot.Length >= a.Capabilities.MaxFrameLength);
        }
    }

    [Fact]
    public void AFullRingRefusesSlotsUntilTheReceiverReleases()
    {
        var (a, b) = Pair(new SharedMemoryPipeOptions { RingSize = 8, ReceiveBatchSize = 4 });
        using (a)
        using (b)
        {
            for (int i = 0; i < 8; i++) TestFrames.Send(a, [(byte)i]);
            Assert.False(a.TryGetTransmitSlot(out _));
            a.Flush();
            Assert.False(a.TryGetTransmitSlot(out _));
            Assert.Equal(4, b.Receive());
            Assert.False(a.TryGetTransmitSlot(out _)); // lent, not yet released
            b.ReleaseReceived(2);
            TestFrames.Send(a, [8]);
            TestFrames.Send(a, [9]);
            Assert.False(a.TryGetTransmitSlot(out _));
            a.Flush();
            var frames = new List<byte>();
            b.ReleaseReceived(0);
            int n;
            while ((n = b.Receive()) > 0)
            {
                for (int i = 0; i < n; i++) frames.Add(b.GetReceived(i)[0]);
                b.ReleaseReceived(n);
            }
            Assert.Equal([2, 3, 4, 5, 6, 7, 8, 9], frames);
        }
    }

    [Fact]
    public void IndexesWrapAroundTheRingManyTimes()
    {
        var (a, b) = Pair(new SharedMemoryPipeOptions { RingSize = 4, ReceiveBatchSize = 4 });
        using (a)
        using (b)
        {
            for (int round = 0; round < 1000; round++)
            {
                int batch = round % 4 + 1;
                for (int i = 0; i < batch; i++) TestFrames.Send(a, [(byte)round, (byte)i, (byte)(round >> 8)]);
                Assert.Equal(batch, a.Flush());
                Assert.Equal(batch, b.Receive());
                for (int i = 0; i < batch; i++) Assert.Equal(new byte[] { (byte)round, (byte)i, (byte)(round >> 8) }, b.GetReceived(i).ToArray());
                b.ReleaseReceived(batch);
            }
            Assert.Equal(2500, b.Counters.ReceivedFrames);
        }
    }

    [Fact]
    public void ReceiveLendsAtMostOneBatch()
    {
        var (a, b) = Pair(new SharedMemoryPipeOptions { ReceiveBatchSize = 8 });
        using (a)
        using (b)
        {
            for (int i = 0; i < 20; i++) TestFrames.Send(a, [(byte)i]);
            Assert.Equal(20, a.Flush());
            Assert.Equal(0, a.Flush());
            Assert.Equal(8, b.Receive());
            Assert.Equal(8, b.Receive());
            b.ReleaseReceived(8);
            Assert.Equal(8, b.Receive());
            Assert.Equal(8, b.GetReceived(0)[0]);
        }
    }

    [Fact]
    public void OpeningWithAnotherGeometryNamesTheMismatch()
    {
        using var a = SharedMemoryPipeDevice.Create(_path, new SharedMemoryPipeOptions { RingSize = 64, Mtu = 9000 });
        var ring = Assert.Throws<InvalidDataException>(() => SharedMemoryPipeDevice.Open(_path, new SharedMemoryPipeOptions { RingSize = 128, Mtu = 9000 }));
        Assert.Contains("RingSize 64", ring.Message);
        Assert.Contains("ask for 128", ring.Message);
        var mtu = Assert.Throws<InvalidDataException>(() => SharedMemoryPipeDevice.Open(_path, new SharedMemoryPipeOptions { RingSize = 64 }));
        Assert.Contains("Mtu 9000", mtu.Message);
        using var b = SharedMemoryPipeDevice.Open(_path);
        Assert.Equal(9000, b.Capabilities.Mtu);
        Assert.Equal(64, b.Capabilities.ReceiveRingSize);
    }

    [Fact]
    public void OpeningSomethingElseFailsClearly()
    {
        Assert.Throws<FileNotFoundException>(() => SharedMemoryPipeDevice.Open(_path));
        File.WriteAllBytes(_path, new byte[4096]);
        Assert.Contains("magic", Assert.Throws<InvalidDataException>(() => SharedMemoryPipeDevice.Open(_path)).Message);
        using (var a = SharedMemoryPipeDevice.Create(_path, new SharedMemoryPipeOptions { DeleteOnDispose = false }))
        {
            Patch(L.VersionOffset, 99);
            Assert.Contains("version 99", Assert.Throws<InvalidDataException>(() => SharedMemoryPipeDevice.Open(_path)).Message);
        }
        File.WriteAllBytes(_path, "not a pipe, but long enough to hold a header..."u8.ToArray().Concat(new byte[2000]).ToArray());
        Assert.Contains("not a Wirestack shared-memory pipe", Assert.Throws<IOException>(() => SharedMemoryPipeDevice.Create(_path)).Message);
    }

    [Fact]
    public void APipeJoinsExactlyTwoDevices()
    {
        var (a, b) = Pair();
        using (a)
        using (b)
        {
            Assert.Contains("already taken", Assert.Throws<IOException>(() => SharedMemoryPipeDevice.Open(_path)).Message);
            Assert.Contains("in use", Assert.Throws<IOException>(() => SharedMemoryPipeDevice.Create(_path)).Message);
        }
    }

    [Fact]
    public void AFileFromADeadCreatorIsRecreated()
    {
        int dead = DeadProcessId();
        using (var stale = SharedMemoryPipeDevice.Create(_path, new SharedMemoryPipeOptions { DeleteOnDispose = false }))
        {
            Patch(L.SideOffset(0) + L.SidePidOffset, dead);
            Assert.Contains($"process {dead}", Assert.Throws<IOException>(() => SharedMemoryPipeDevice.Open(_path)).Message);
            using var fresh = SharedMemoryPipeDevice.Create(_path);
            using var b = SharedMemoryPipeDevice.Open(_path);
            TestFrames.Send(fresh, [1]);
            fresh.Flush();
            Assert.Equal(1, b.Receive());
        }
    }

    [Fact]
    public void APeerProcessThatExitedIsReportedNotWaitedOn()
    {
        var (a, b) = Pair();
        using (a)
        using (b)
        {
            int dead = DeadProcessId();
            Patch(L.SideOffset(1) + L.SidePidOffset, dead);
            Assert.Equal(PipePeerState.Exited, a.CheckPeer());
            var e = Assert.Throws<PipePeerExitedException>(() => a.Receive());
            Assert.Equal(dead, e.ProcessId);
            Assert.Contains($"process {dead}", e.Message);
            Assert.Throws<PipePeerExitedException>(() => a.WaitForReceive(TimeSpan.FromSeconds(10)));
            TestFrames.Send(a, [1]);
            Assert.Throws<PipePeerExitedException>(() => a.Flush());
        }
    }

    [Fact]
    public void AClosedPeerIsReportedAndFramesToItAreDropped()
    {
        var (a, b) = Pair();
        using (a)
        {
            Assert.Equal(PipePeerState.Connected, a.CheckPeer());
            b.Dispose();
            Assert.Equal(PipePeerState.Closed, a.CheckPeer());
            TestFrames.Send(a, [1]);
            Assert.Equal(1, a.Flush());
            Assert.Equal(1, a.Counters.TransmitDropped);
            Assert.Equal(0, a.Counters.TransmittedFrames);
        }
        Assert.False(File.Exists(_path)); // the creator deletes the file on dispose
    }

    [Fact]
    public void AStillHeartbeatMakesThePeerUnresponsive()
    {
        using var a = SharedMemoryPipeDevice.Create(_path, new SharedMemoryPipeOptions { PeerCheckInterval = TimeSpan.FromMilliseconds(1), HeartbeatTimeout = TimeSpan.FromMilliseconds(1) });
        Assert.Equal(PipePeerState.Waiting, a.CheckPeer());
        using var b = SharedMemoryPipeDevice.Open(_path);
        a.CheckPeer();
        // b never polls: its heartbeat stands still.
        var clock = Stopwatch.StartNew();
        while (a.CheckPeer() != PipePeerState.Unresponsive && clock.Elapsed < TimeSpan.FromSeconds(10)) Thread.Sleep(5);
        Assert.Equal(PipePeerState.Unresponsive, a.PeerState);
        b.Receive();
        Assert.Equal(PipePeerState.Connected, a.CheckPeer());
    }

    [Fact]
    public void AMalformedLengthFromThePeerIsCountedNotTrusted()
    {
        var (a, b) = Pair();
        using (a)
        using (b)
        {
            TestFrames.Send(a, [1, 2, 3]);
            a.Flush();
            var layout = new L(1024, 1500);
            Patch(layout.RingLengthsOffset(0), 1 << 20);
            Assert.Equal(1, b.Receive());
            Assert.Equal(0, b.GetReceived(0).Length);
            Assert.Equal(1, b.Counters.ReceiveErrors);
        }
    }

    [Fact]
    public void WaitReturnsOnAFlushFromAnotherThreadOnInterruptAndOnTimeout()
    {
        var (a, b) = Pair();
        using (a)
        using (b)
        {
            Assert.False(b.WaitForReceive(TimeSpan.FromMilliseconds(20)));
            var sender = new Thread(() =>
            {
                Thread.Sleep(50);
                TestFrames.Send(a, [1]);
                a.Flush();
            });
            sender.Start();
            Assert.True(b.WaitForReceive(TimeSpan.FromSeconds(30)));
            sender.Join();
            Assert.Equal(1, b.Receive());
            b.ReleaseReceived(1);

            var interrupter = new Thread(() =>
            {
                Thread.Sleep(50);
                b.Interrupt();
            });
            interrupter.Start();
            Assert.True(b.WaitForReceive(TimeSpan.FromSeconds(30)));
            interrupter.Join();
            b.Interrupt(); // an interrupt before the wait cuts the next one short
            Assert.True(b.WaitForReceive(TimeSpan.FromSeconds(30)));
        }
    }

    [Fact]
    public void AFullSenderWaitingForSpaceIsWokenByTheRelease()
    {
        var (a, b) = Pair(new SharedMemoryPipeOptions { RingSize = 4, ReceiveBatchSize = 4 });
        using (a)
        using (b)
        {
            for (int i = 0; i < 4; i++) TestFrames.Send(a, [1]);
            a.Flush();
            Assert.False(a.TryGetTransmitSlot(out _));
            var receiver = new Thread(() =>
            {
                Thread.Sleep(50);
                b.ReleaseReceived(b.Receive());
            });
            receiver.Start();
            Assert.True(a.WaitForReceive(TimeSpan.FromSeconds(30)));
            receiver.Join();
            Assert.True(a.TryGetTransmitSlot(out _));
            a.CommitTransmit(0);
        }
    }

    [Fact]
    public void SendingAndReceivingAllocatesNothingPerFrame()
    {
        var (a, b) = Pair();
        using (a)
        using (b)
        {
            void Round()
            {
                for (int i = 0; i < 4; i++)
                {
                    a.TryGetTransmitSlot(out var slot);
                    slot[0] = (byte)i;
                    a.CommitTransmit(64);
                }
                a.Flush();
                int n = b.Receive();
                for (int i = 0; i < n; i++) _ = b.GetReceived(i)[0];
                b.ReleaseReceived(n);
            }
            Assert.Equal(0, AllocationMeter.Measure(Round));
        }
    }

    private void Patch(long offset, int value)
    {
        using var stream = new FileStream(_path, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite | FileShare.Delete);
        stream.Position = offset;
        stream.Write(BitConverter.GetBytes(value));
    }

    private static int DeadProcessId()
    {
        using var process = Process.Start(new ProcessStartInfo("true") { UseShellExecute = false })!;
        process.WaitForExit();
        return process.Id;
    }
}
