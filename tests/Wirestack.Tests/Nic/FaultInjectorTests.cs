using System.Buffers.Binary;
using Wirestack.Testing;
using Wirestack.Diagnostics;
using Wirestack.Nic;
using Wirestack.Wire;
using static Wirestack.Tests.Nic.TestFrames;

namespace Wirestack.Tests.Nic;

public class FaultInjectorTests
{
    private const int Frames = 100_000;

    private delegate void FrameSink(ReadOnlySpan<byte> frame);

    /// <summary>A pipe with the injector on the receiving end (RX faults) or the sending end (TX faults).</summary>
    private sealed class Rig
    {
        public Rig(FrameDirections direction, FaultInjectorOptions options, PipeDeviceOptions? pipe = null)
        {
            Clock = new ManualTimeProvider();
            options = options with { Directions = direction, TimeProvider = Clock };
            var (a, b) = PipeDevice.CreatePair(pipe);
            if (direction == FrameDirections.Receive)
            {
                Injector = new FaultInjector(b, options);
                (Sender, Receiver) = (a, Injector);
            }
            else
            {
                Injector = new FaultInjector(a, options);
                (Sender, Receiver) = (Injector, b);
            }
            Faults = direction == FrameDirections.Receive ? Injector.ReceiveFaults : Injector.TransmitFaults;
        }

        public ManualTimeProvider Clock { get; }

        public FaultInjector Injector { get; }

        public INetworkDevice Sender { get; }

        public INetworkDevice Receiver { get; }

        public FaultCounters Faults { get; }

        /// <summary>Lets time and the injector move whatever is still held (delays, reorder holds) on to the receiver.</summary>
        public void Settle(FrameSink sink)
        {
            Clock.Advance(TimeSpan.FromSeconds(1));
            Sender.Flush();
            Injector.Receive(); // a TX injector moves due frames on when polled
            Drain(Receiver, sink);
        }
    }

    // A frame 60 to 459 bytes long whose bytes follow from its sequence number (at offset 14).
    private static int WriteFrame(Span<byte> slot, int sequence)
    {
        int length = 60 + sequence % 400;
        slot[..12].Fill(0x02);
        slot[12] = 0x88;
        slot[13] = 0xB5; // the IEEE's local experimental EtherType
        BinaryPrimitives.WriteInt32BigEndian(slot[14..], sequence);
        for (int i = 18; i < length; i++) slot[i] = (byte)(sequence + i);
        return length;
    }

    private static int SequenceOf(ReadOnlySpan<byte> frame) => BinaryPrimitives.ReadInt32BigEndian(frame[14..]);

    private static void Drain(INetworkDevice receiver, FrameSink sink)
    {
        int n;
        while ((n = receiver.Receive()) > 0)
        {
            for (int i = 0; i < n; i++) sink(receiver.GetReceived(i));
            receiver.ReleaseReceived(n);
        }
    }

    /// <summary>Sends <paramref name="count"/> numbered frames in bursts, draining the receiver after each, then settles.</summary>
    private static void Pump(Rig rig, int count, FrameSink sink)
    {
        int next = 0;
        while (next < count)
        {
            int burst = Math.Min(128, count - next);
            for (int i = 0; i < burst && rig.Sender.TryGetTransmitSlot(out var slot); i++)
                rig.Sender.CommitTransmit(WriteFrame(slot, next++));
            rig.Sender.Flush();
            Drain(rig.Receiver, sink);
        }
        rig.Settle(sink);
    }

    private static void AssertBinomial(long observed, long trials, double p, string what)
    {
        double mean = trials * p;
        double bound = 5 * Math.Sqrt(trials * p * (1 - p));
        Assert.True(Math.Abs(observed - mean) <= bound, $"{what}: {observed} of {trials}, expected {mean} ± {bound:F0} (5 standard deviations)");
    }

    // ---- rates ----

    [Theory]
    [InlineData(FrameDirections.Receive)]
    [InlineData(FrameDirections.Transmit)]
    public void DropsAtTheRateAsked(FrameDirections direction)
    {
        var rig = new Rig(direction, new FaultInjectorOptions { Seed = 1, DropProbability = 0.1 });
        int received = 0, previous = -1;
        Pump(rig, Frames, frame =>
        {
            int sequence = SequenceOf(frame);
            Assert.True(sequence > previous, "dropping must not reorder");
            previous = sequence;
            received++;
        });
        Assert.Equal(Frames, rig.Faults.Frames);
        AssertBinomial(rig.Faults.Dropped, Frames, 0.1, "dropped");
        Assert.Equal(Frames - rig.Faults.Dropped, received);
    }

    [Theory]
    [InlineData(FrameDirections.Receive)]
    [InlineData(FrameDirections.Transmit)]
    public void DuplicatesAtTheRateAskedRightBehindTheOriginal(FrameDirections direction)
    {
        var rig = new Rig(direction, new FaultInjectorOptions { Seed = 2, DuplicateProbability = 0.1 });
        var last = new byte[2048];
        int lastLength = -1, received = 0, copies = 0, expected = 0;
        Pump(rig, Frames, frame =>
        {
            received++;
            if (frame.SequenceEqual(last.AsSpan(0, Math.Max(lastLength, 0))))
            {
                copies++;
                return;
            }
            Assert.Equal(expected++, SequenceOf(frame));
            frame.CopyTo(last);
            lastLength = frame.Length;
        });
        Assert.Equal(Frames, expected);
        AssertBinomial(rig.Faults.Duplicated, Frames, 0.1, "duplicated");
        Assert.Equal(rig.Faults.Duplicated, copies);
        Assert.Equal(Frames + rig.Faults.Duplicated, received);
        Assert.Equal(0, rig.Faults.PoolExhaustedSkipped);
    }

    [Theory]
    [InlineData(FrameDirections.Receive)]
    [InlineData(FrameDirections.Transmit)]
    public void CorruptsOneBitBeyondTheEthernetHeaderAtTheRateAsked(FrameDirections direction)
    {
        var rig = new Rig(direction, new FaultInjectorOptions { Seed = 3, CorruptProbability = 0.1 });
        var expected = new byte[2048];
        int position = 0, corrupted = 0;
        Pump(rig, Frames, frame =>
        {
            // Nothing is dropped or reordered, so the n-th frame received is the n-th sent.
            int length = WriteFrame(expected, position++);
            Assert.Equal(length, frame.Length);
            int flipped = 0, at = -1;
            for (int i = 0; i < length; i++)
            {
                int bits = System.Numerics.BitOperations.PopCount((uint)(frame[i] ^ expected[i]));
                if (bits > 0) at = i;
                flipped += bits;
            }
            Assert.InRange(flipped, 0, 1);
            if (flipped == 1)
            {
                Assert.True(at >= 14, $"byte {at} is in the Ethernet header");
                corrupted++;
            }
        });
        Assert.Equal(Frames, position);
        AssertBinomial(rig.Faults.Corrupted, Frames, 0.1, "corrupted");
        Assert.Equal(rig.Faults.Corrupted, corrupted);
    }

    [Theory]
    [InlineData(FrameDirections.Receive)]
    [InlineData(FrameDirections.Transmit)]
    public void ReordersAtTheRateAskedAndLosesNothing(FrameDirections direction)
    {
        var rig = new Rig(direction, new FaultInjectorOptions { Seed = 4, ReorderProbability = 0.1, ReorderDistance = 1 });
        var seen = new bool[Frames];
        int highest = -1, late = 0;
        Pump(rig, Frames, frame =>
        {
            int sequence = SequenceOf(frame);
            Assert.False(seen[sequence], $"frame {sequence} arrived twice");
            seen[sequence] = true;
            if (sequence < highest) late++;
            else highest = sequence;
        });
        Assert.DoesNotContain(false, seen);
        AssertBinomial(rig.Faults.Reordered, Frames, 0.1, "reordered");
        // Every held frame arrives after a later one, except one held at the very end (its timeout lets it go).
        Assert.InRange(late, rig.Faults.Reordered - 3, rig.Faults.Reordered);
    }

    [Fact]
    public void AReorderedFrameLetsTheNextNFramesGoFirst()
    {
        var rig = new Rig(FrameDirections.Receive, new FaultInjectorOptions { ReorderProbability = 1, ReorderDistance = 3, PoolSize = 16 });
        // Every frame is held, so each goes once three frames have gone by... which never happens,
        // so they leave only when their timeout passes: all together, in order.
        for (int i = 0; i < 4; i++) Send(rig.Sender, [.. new byte[14], (byte)i]);
        rig.Sender.Flush();
        Assert.Equal(0, rig.Receiver.Receive());
        rig.Clock.Advance(TimeSpan.FromMilliseconds(10));
        Assert.Equal([0, 1, 2, 3], ReceiveAll(rig.Receiver).Select(f => (int)f[14]));
        Assert.Equal(4, rig.Faults.Reordered);

        // Only frame 0 held (a seed whose first draw is under the probability, the next three not): 1, 2, 3, then 0.
        var one = new Rig(FrameDirections.Receive, new FaultInjectorOptions { Seed = FindSeedHoldingOnlyTheFirst(0.2, 4), ReorderProbability = 0.2, ReorderDistance = 3 });
        for (int i = 0; i < 4; i++) Send(one.Sender, [.. new byte[14], (byte)i]);
        one.Sender.Flush();
        Assert.Equal([1, 2, 3, 0], ReceiveAll(one.Receiver).Select(f => (int)f[14]));
        Assert.Equal(1, one.Faults.Reordered);
    }

    // The reorder draw is the only draw per frame when it is the only fault; stream 1 is the receive direction's.
    private static int FindSeedHoldingOnlyTheFirst(double p, int frames)
    {
        for (int seed = 0; ; seed++)
        {
            var random = new FaultRandom(seed, 1);
            if (random.NextDouble() >= p) continue;
            bool rest = true;
            for (int i = 1; i < frames; i++) rest &= random.NextDouble() >= p;
            if (rest) return seed;
        }
    }

    // ---- reproducibility ----

    private static (List<byte[]> AtPeer, List<byte[]> AtInjector, string Counters) RunMixed(int seed)
    {
        var clock = new ManualTimeProvider();
        var (a, b) = PipeDevice.CreatePair();
        var injector = new FaultInjector(a, new FaultInjectorOptions
        {
            Seed = seed,
            DropProbability = 0.05,
            DuplicateProbability = 0.05,
            ReorderProbability = 0.05,
            CorruptProbability = 0.05,
            Delay = TimeSpan.FromMilliseconds(1),
            Jitter = TimeSpan.FromMilliseconds(2),
            TimeProvider = clock,
        });
        var atPeer = new List<byte[]>();
        var atInjector = new List<byte[]>();
        var buffer = new byte[2048];
        for (int round = 0; round < 200; round++)
        {
            for (int i = 0; i < 10; i++)
            {
                int sequence = round * 10 + i;
                Send(injector, buffer.AsSpan(0, WriteFrame(buffer, sequence)));
                Send(b, buffer.AsSpan(0, WriteFrame(buffer, 1_000_000 + sequence)));
            }
            injector.Flush();
            b.Flush();
            clock.Advance(TimeSpan.FromMilliseconds(0.5));
            atInjector.AddRange(ReceiveAll(injector));
            atPeer.AddRange(ReceiveAll(b));
        }
        clock.Advance(TimeSpan.FromSeconds(1));
        atInjector.AddRange(ReceiveAll(injector));
        atPeer.AddRange(ReceiveAll(b));
        return (atPeer, atInjector, $"rx {injector.ReceiveFaults}; tx {injector.TransmitFaults}");
    }

    [Fact]
    public void TheSameSeedGivesTheSameFaultsBothWays()
    {
        var first = RunMixed(42);
        var second = RunMixed(42);
        Assert.Equal(first.Counters, second.Counters);
        Assert.Equal(first.AtPeer, second.AtPeer);
        Assert.Equal(first.AtInjector, second.AtInjector);

        var other = RunMixed(43);
        Assert.NotEqual(first.Counters, other.Counters);
        Assert.NotEqual(first.AtPeer, other.AtPeer);
    }

    [Fact]
    public void EachDirectionDrawsFromItsOwnSequence()
    {
        // Transmit faults with receive traffic in between match transmit faults without it.
        static List<int> Sent(bool withReceiveTraffic)
        {
            var (a, b) = PipeDevice.CreatePair();
            var injector = new FaultInjector(a, new FaultInjectorOptions { Seed = 9, DropProbability = 0.3 });
            var buffer = new byte[2048];
            var arrived = new List<int>();
            for (int i = 0; i < 500; i++)
            {
                Send(injector, buffer.AsSpan(0, WriteFrame(buffer, i)));
                injector.Flush();
                if (withReceiveTraffic)
                {
                    Send(b, buffer.AsSpan(0, WriteFrame(buffer, i)));
                    b.Flush();
                    ReceiveAll(injector);
                }
                arrived.AddRange(ReceiveAll(b).Select(f => SequenceOf(f)));
            }
            return arrived;
        }
        Assert.Equal(Sent(false), Sent(true));
    }

    // ---- corruption ----

    [Fact]
    public void CorruptOffsetZeroCanHitTheHeaderAndShortFramesAreSpared()
    {
        var rig = new Rig(FrameDirections.Receive, new FaultInjectorOptions { Seed = 5, CorruptProbability = 1, CorruptOffset = 0 });
        var expected = new byte[2048];
        int position = 0, inHeader = 0;
        Pump(rig, 2000, frame =>
        {
            WriteFrame(expected, position++);
            int at = frame.CommonPrefixLength(expected);
            Assert.True(at < frame.Length, "every frame is corrupted");
            if (at < 14) inHeader++;
        });
        Assert.InRange(inHeader, 1, 2000);

        var spared = new Rig(FrameDirections.Receive, new FaultInjectorOptions { CorruptProbability = 1 });
        var shortFrame = new byte[14];
        shortFrame.AsSpan().Fill(7);
        Send(spared.Sender, shortFrame);
        spared.Sender.Flush();
        Assert.Equal(shortFrame, Assert.Single(ReceiveAll(spared.Receiver)));
        Assert.Equal(0, spared.Faults.Corrupted);
    }

    [Fact]
    public void ACorruptedTcpSegmentFailsItsChecksum()
    {
        var rig = new Rig(FrameDirections.Receive, new FaultInjectorOptions { Seed = 6, CorruptProbability = 1, CorruptOffset = 14 + 20 });
        Send(rig.Sender, TcpSegment(TcpFlags.Ack, 1, 2, "some payload"u8));
        rig.Sender.Flush();
        var frame = Assert.Single(ReceiveAll(rig.Receiver));
        Assert.Equal(WireError.BadChecksum, FrameDissector.Dissect(frame, out var dissected));
        Assert.Equal(FrameLayer.Tcp, dissected.ErrorLayer);
    }

    // ---- time: delay, jitter, rate ----

    [Theory]
    [InlineData(FrameDirections.Receive)]
    [InlineData(FrameDirections.Transmit)]
    public void DelayHoldsFramesForExactlyThatLongOnTheClock(FrameDirections direction)
    {
        // A TX injector starts the delay at commit; an RX injector when Receive first sees the frame.
        var rig = new Rig(direction, new FaultInjectorOptions { Delay = TimeSpan.FromMilliseconds(10) });
        Send(rig.Sender, [.. new byte[14], 1]);
        rig.Sender.Flush();
        rig.Injector.Receive();
        rig.Clock.Advance(TimeSpan.FromMilliseconds(5));
        Send(rig.Sender, [.. new byte[14], 2]);
        rig.Sender.Flush();
        rig.Injector.Receive();
        rig.Clock.Advance(TimeSpan.FromTicks(TimeSpan.FromMilliseconds(5).Ticks - 1));
        rig.Injector.Receive(); // polls: a TX injector lets due frames go here
        Assert.Empty(ReceiveAll(rig.Receiver));
        rig.Clock.Advance(TimeSpan.FromTicks(1)); // 10 ms after the first
        rig.Injector.Receive();
        Assert.Equal([1], ReceiveAll(rig.Receiver).Select(f => (int)f[14]));
        rig.Clock.Advance(TimeSpan.FromMilliseconds(5));
        rig.Injector.Receive();
        Assert.Equal([2], ReceiveAll(rig.Receiver).Select(f => (int)f[14]));
        Assert.Equal(2, rig.Faults.Delayed);
    }

    [Theory]
    [InlineData(FrameDirections.Receive)]
    [InlineData(FrameDirections.Transmit)]
    public void JitterSpreadsTheDelayUniformly(FrameDirections direction)
    {
        var rig = new Rig(direction, new FaultInjectorOptions { Seed = 7, Delay = TimeSpan.FromMilliseconds(10), Jitter = TimeSpan.FromMilliseconds(5) });
        var step = TimeSpan.FromMilliseconds(0.1);
        var latencies = new List<double>();
        for (int i = 0; i < 500; i++)
        {
            Send(rig.Sender, [.. new byte[14], (byte)i]);
            rig.Sender.Flush();
            var waited = TimeSpan.Zero;
            while (true)
            {
                rig.Injector.Receive();
                if (ReceiveAll(rig.Receiver).Count == 1) break;
                Assert.True(waited < TimeSpan.FromMilliseconds(20), "the frame never arrived");
                rig.Clock.Advance(step);
                waited += step;
            }
            latencies.Add(waited.TotalMilliseconds);
            rig.Clock.Advance(TimeSpan.FromMilliseconds(100)); // spaced out, so no frame waits behind another
        }
        Assert.All(latencies, l => Assert.InRange(l, 10.0, 15.1));
        Assert.True(latencies.Min() < 10.5 && latencies.Max() > 14.5, "the jitter does not span its range");
        // Uniform on [10, 15] ms: mean 12.5, standard deviation of the mean 1.44/sqrt(500) = 0.065 ms; the 0.1 ms steps add up to 0.1.
        Assert.InRange(latencies.Average(), 12.5 - 0.4, 12.5 + 0.5);
    }

    [Theory]
    [InlineData(FrameDirections.Receive)]
    [InlineData(FrameDirections.Transmit)]
    public void RateLimitDelaysFramesToTheRate(FrameDirections direction)
    {
        // 8 Mbit/s is a byte per microsecond: a 1000-byte frame every millisecond, after a 1000-byte burst.
        var rig = new Rig(direction, new FaultInjectorOptions { RateBitsPerSecond = 8_000_000, RateBurstBytes = 1000 });
        for (int i = 0; i < 5; i++) Send(rig.Sender, [.. new byte[14], (byte)i, .. new byte[985]]);
        rig.Sender.Flush();
        var arrivals = new List<(int Frame, double Milliseconds)>();
        for (int step = 0; step <= 50; step++)
        {
            rig.Injector.Receive();
            foreach (var frame in ReceiveAll(rig.Receiver)) arrivals.Add((frame[14], step * 0.1));
            rig.Clock.Advance(TimeSpan.FromMilliseconds(0.1));
        }
        Assert.Equal([(0, 0.0), (1, 1.0), (2, 2.0), (3, 3.0), (4, 4.0)], arrivals.Select(a => (a.Frame, Math.Round(a.Milliseconds, 1))));
        Assert.Equal(4, rig.Faults.RateDelayed);
    }

    [Fact]
    public void RateLimitHoldsTheRateOverALongRun()
    {
        // 2000 frames of 500 bytes at 40 Mbit/s, a frame every 100 us, with a one-frame burst.
        var rig = new Rig(FrameDirections.Transmit, new FaultInjectorOptions { RateBitsPerSecond = 40_000_000, RateBurstBytes = 500, PoolSize = 64 });
        var frame = new byte[500];
        int sent = 0, received = 0;
        var elapsed = TimeSpan.Zero;
        while (received < 2000)
        {
            while (sent < 2000 && rig.Sender.TryGetTransmitSlot(out var slot))
            {
                frame.CopyTo(slot);
                rig.Sender.CommitTransmit(frame.Length);
                sent++;
            }
            rig.Sender.Flush();
            received += ReceiveAll(rig.Receiver).Count;
            rig.Clock.Advance(TimeSpan.FromMicroseconds(50));
            elapsed += TimeSpan.FromMicroseconds(50);
        }
        // The first frame goes at once (the bucket starts full), so the last leaves at 1999 × 100 us = 199.9 ms
        // and is received in the 50 us step that starts there.
        Assert.InRange(elapsed.TotalMilliseconds, 199.9, 200.0);
        Assert.Equal(0, rig.Faults.PoolExhaustedSkipped);
    }

    [Theory]
    [InlineData(FrameDirections.Receive)]
    [InlineData(FrameDirections.Transmit)]
    public void RateLimitCanDropInstead(FrameDirections direction)
    {
        // The burst must hold the largest frame that can pass, here 1000 bytes by the MTU clamp.
        var rig = new Rig(direction, new FaultInjectorOptions { RateBitsPerSecond = 8_000_000, RateBurstBytes = 1000, MaxFrameLength = 1000, RateLimitAction = RateLimitAction.Drop });
        for (int i = 0; i < 5; i++) Send(rig.Sender, [.. new byte[14], (byte)i, .. new byte[985]]);
        rig.Sender.Flush();
        Assert.Equal([0], ReceiveAll(rig.Receiver).Select(f => (int)f[14]));
        Assert.Equal(4, rig.Faults.RateDropped);
        rig.Clock.Advance(TimeSpan.FromMilliseconds(1));
        Send(rig.Sender, [.. new byte[14], 5, .. new byte[985]]);
        Send(rig.Sender, [.. new byte[14], 6, .. new byte[985]]);
        rig.Sender.Flush();
        Assert.Equal([5], ReceiveAll(rig.Receiver).Select(f => (int)f[14]));
        Assert.Equal(5, rig.Faults.RateDropped);
    }

    [Fact]
    public void WaitForReceiveWakesWhenAHeldFrameIsDue()
    {
        var rig = new Rig(FrameDirections.Receive, new FaultInjectorOptions { Delay = TimeSpan.FromMilliseconds(20) });
        Assert.False(rig.Receiver.WaitForReceive(TimeSpan.FromMilliseconds(10)));
        Send(rig.Sender, [.. new byte[14], 1]);
        rig.Sender.Flush();
        Assert.Equal(0, rig.Receiver.Receive()); // now held in the pool
        var started = DateTime.UtcNow;
        Assert.True(rig.Receiver.WaitForReceive(TimeSpan.FromSeconds(30)));
        Assert.True(DateTime.UtcNow - started < TimeSpan.FromSeconds(10), "the wait ignored the held frame's due time");

        var tx = new Rig(FrameDirections.Transmit, new FaultInjectorOptions { Delay = TimeSpan.FromMilliseconds(20) });
        Send(tx.Sender, [.. new byte[14], 1]);
        tx.Sender.Flush();
        started = DateTime.UtcNow;
        Assert.True(tx.Injector.WaitForReceive(TimeSpan.FromSeconds(30)));
        Assert.True(DateTime.UtcNow - started < TimeSpan.FromSeconds(10), "the wait ignored the delayed transmit frame");
    }

    // ---- MTU clamp ----

    [Theory]
    [InlineData(FrameDirections.Receive)]
    [InlineData(FrameDirections.Transmit)]
    public void MtuClampDropsLongerFrames(FrameDirections direction)
    {
        var rig = new Rig(direction, new FaultInjectorOptions { MaxFrameLength = 600 });
        Send(rig.Sender, new byte[599]);
        Send(rig.Sender, new byte[600]);
        Send(rig.Sender, new byte[601]);
        Send(rig.Sender, new byte[1514]);
        rig.Sender.Flush();
        Assert.Equal([599, 600], ReceiveAll(rig.Receiver).Select(f => f.Length));
        Assert.Equal(2, rig.Faults.Oversized);
    }

    // ---- the pool ----

    [Fact]
    public void AFullPoolDropsReceivedFramesThatMustWait()
    {
        var rig = new Rig(FrameDirections.Receive, new FaultInjectorOptions { Delay = TimeSpan.FromMilliseconds(1), PoolSize = 4 });
        for (int i = 0; i < 10; i++) Send(rig.Sender, [.. new byte[14], (byte)i]);
        rig.Sender.Flush();
        Assert.Equal(0, rig.Receiver.Receive());
        Assert.Equal(6, rig.Faults.PoolExhaustedDropped);
        rig.Clock.Advance(TimeSpan.FromMilliseconds(1));
        Assert.Equal([0, 1, 2, 3], ReceiveAll(rig.Receiver).Select(f => (int)f[14]));
        Assert.Equal(4, rig.Faults.Delayed);
    }

    [Fact]
    public void AFullPoolLetsFramesThatCanGoNowPassUnfaulted()
    {
        var rig = new Rig(FrameDirections.Receive, new FaultInjectorOptions { DuplicateProbability = 1, PoolSize = 2 });
        for (int i = 0; i < 4; i++) Send(rig.Sender, [.. new byte[14], (byte)i]);
        rig.Sender.Flush();
        // The stack holds what it is lent, so the two copies keep both slots.
        int n = rig.Receiver.Receive();
        var lent = new List<int>();
        for (int i = 0; i < n; i++) lent.Add(rig.Receiver.GetReceived(i)[14]);
        Assert.Equal([0, 0, 1, 1, 2, 3], lent);
        Assert.Equal(2, rig.Faults.Duplicated);
        Assert.Equal(2, rig.Faults.PoolExhaustedSkipped);
        rig.Receiver.ReleaseReceived(n);
        Send(rig.Sender, [.. new byte[14], 4]);
        rig.Sender.Flush();
        Assert.Equal([4, 4], ReceiveAll(rig.Receiver).Select(f => (int)f[14]));
    }

    [Fact]
    public void AFullPoolRefusesTransmitSlotsUntilFramesLeave()
    {
        var rig = new Rig(FrameDirections.Transmit, new FaultInjectorOptions { Delay = TimeSpan.FromMilliseconds(1), PoolSize = 4 });
        for (int i = 0; i < 4; i++) Send(rig.Sender, [.. new byte[14], (byte)i]);
        Assert.False(rig.Sender.TryGetTransmitSlot(out _));
        rig.Sender.Flush();
        Assert.False(rig.Sender.TryGetTransmitSlot(out _)); // flushed, but not due
        rig.Clock.Advance(TimeSpan.FromMilliseconds(1));
        Assert.True(rig.Sender.TryGetTransmitSlot(out _)); // the due frames left, freeing their slots
        rig.Sender.CommitTransmit(20);
        Assert.Equal([0, 1, 2, 3], ReceiveAll(rig.Receiver).Select(f => (int)f[14]));
    }

    [Fact]
    public void TransmitFramesWaitForTheStacksFlush()
    {
        var rig = new Rig(FrameDirections.Transmit, new FaultInjectorOptions());
        Send(rig.Sender, [.. new byte[14], 1]);
        rig.Injector.Receive(); // polling does not send what the stack has not flushed
        Assert.Empty(ReceiveAll(rig.Receiver));
        Assert.Equal(1, rig.Sender.Flush());
        Assert.Single(ReceiveAll(rig.Receiver));
    }

    [Fact]
    public void TransmitFramesWaitInThePoolWhileTheInnerRingIsFull()
    {
        var rig = new Rig(FrameDirections.Transmit, new FaultInjectorOptions { PoolSize = 16 }, new PipeDeviceOptions { RingSize = 4, ReceiveBatchSize = 4 });
        for (int i = 0; i < 10; i++) Send(rig.Sender, [.. new byte[14], (byte)i]);
        Assert.Equal(4, rig.Sender.Flush());
        var arrived = new List<int>();
        for (int round = 0; round < 5; round++)
        {
            arrived.AddRange(ReceiveAll(rig.Receiver).Select(f => (int)f[14]));
            rig.Sender.Flush();
        }
        Assert.Equal(Enumerable.Range(0, 10), arrived);
    }

    [Fact]
    public void ReceivedFramesThatNeedNoCopyAreLentInPlace()
    {
        var (a, b) = PipeDevice.CreatePair();
        // A seed that drops the middle of three frames; the two kept are the inner device's own memory.
        var injector = new FaultInjector(b, new FaultInjectorOptions { DropProbability = 0.5, Seed = FindSeedDroppingOnlyTheMiddleOfThree() });
        for (byte i = 0; i < 3; i++) Send(a, [.. new byte[14], i]);
        a.Flush();
        Assert.Equal(2, injector.Receive());
        Assert.True(injector.GetReceived(0) == b.GetReceived(0));
        Assert.True(injector.GetReceived(1) == b.GetReceived(2));
        Assert.Equal(2, injector.GetReceived(1)[14]);
        injector.ReleaseReceived(2);
        Assert.Equal(0, b.Receive()); // all three went back to the inner device
    }

    private static int FindSeedDroppingOnlyTheMiddleOfThree()
    {
        for (int seed = 0; ; seed++)
        {
            var random = new FaultRandom(seed, 1); // the receive direction's stream
            if (random.NextDouble() >= 0.5 && random.NextDouble() < 0.5 && random.NextDouble() >= 0.5) return seed;
        }
    }

    // ---- directions, misuse, options ----

    [Fact]
    public void TheUnfaultedDirectionPassesUntouched()
    {
        var (a, b) = PipeDevice.CreatePair();
        var injector = new FaultInjector(a, new FaultInjectorOptions { Directions = FrameDirections.Receive, DropProbability = 1 });
        Send(injector, [1, 2, 3]);
        injector.Flush();
        Assert.Equal(new byte[] { 1, 2, 3 }, Assert.Single(ReceiveAll(b)));
        Send(b, [4, 5, 6]);
        b.Flush();
        Assert.Empty(ReceiveAll(injector));
        Assert.Equal(1, injector.ReceiveFaults.Dropped);
        Assert.Equal(0, injector.TransmitFaults.Frames);
    }

    [Fact]
    public void MisuseGetsMessagesThatSayWhatToDo()
    {
        var (a, _) = PipeDevice.CreatePair();
        var injector = new FaultInjector(a, new FaultInjectorOptions());
        Assert.Contains("TryGetTransmitSlot first", Assert.Throws<InvalidOperationException>(() => injector.CommitTransmit(1)).Message, StringComparison.Ordinal);
        injector.TryGetTransmitSlot(out _);
        Assert.Contains("already lent", Assert.Throws<InvalidOperationException>(() => injector.TryGetTransmitSlot(out _)).Message, StringComparison.Ordinal);
        Assert.Contains("slot size", Assert.Throws<ArgumentOutOfRangeException>(() => injector.CommitTransmit(100_000)).Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentOutOfRangeException>(() => injector.GetReceived(0));
        Assert.Throws<ArgumentOutOfRangeException>(() => injector.ReleaseReceived(1));
        injector.Dispose();
        Assert.Throws<ObjectDisposedException>(() => injector.TryGetTransmitSlot(out _));
    }

    public static TheoryData<string, FaultInjectorOptions> BadOptions() => new()
    {
        { "DropProbability", new FaultInjectorOptions { DropProbability = 1.5 } },
        { "DropProbability", new FaultInjectorOptions { DropProbability = double.NaN } },
        { "DuplicateProbability", new FaultInjectorOptions { DuplicateProbability = -0.1 } },
        { "ReorderProbability", new FaultInjectorOptions { ReorderProbability = 2 } },
        { "CorruptProbability", new FaultInjectorOptions { CorruptProbability = double.PositiveInfinity } },
        { "ReorderDistance", new FaultInjectorOptions { ReorderDistance = 0 } },
        { "ReorderTimeout", new FaultInjectorOptions { ReorderTimeout = TimeSpan.Zero } },
        { "CorruptOffset", new FaultInjectorOptions { CorruptOffset = -1 } },
        { "Delay", new FaultInjectorOptions { Delay = TimeSpan.FromMilliseconds(-1) } },
        { "Jitter", new FaultInjectorOptions { Jitter = TimeSpan.FromDays(2) } },
        { "RateBitsPerSecond", new FaultInjectorOptions { RateBitsPerSecond = -1 } },
        { "RateBurstBytes", new FaultInjectorOptions { RateBurstBytes = -1 } },
        { "RateBurstBytes", new FaultInjectorOptions { RateBitsPerSecond = 1_000_000, RateBurstBytes = 100, RateLimitAction = RateLimitAction.Drop } },
        { "RateLimitAction", new FaultInjectorOptions { RateLimitAction = (RateLimitAction)7 } },
        { "MaxFrameLength", new FaultInjectorOptions { MaxFrameLength = -1 } },
        { "PoolSize", new FaultInjectorOptions { PoolSize = 0 } },
        { "PoolSize", new FaultInjectorOptions { PoolSize = 65537 } },
        { "Directions", new FaultInjectorOptions { Directions = (FrameDirections)8 } },
    };

    [Theory]
    [MemberData(nameof(BadOptions))]
    public void BadOptionsAreRejectedNamingTheSetting(string setting, FaultInjectorOptions options)
    {
        var (a, _) = PipeDevice.CreatePair();
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => new FaultInjector(a, options));
        Assert.Contains("FaultInjectorOptions." + setting, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void APoolOverOneGibibyteIsRejected()
    {
        var (a, _) = PipeDevice.CreatePair(new PipeDeviceOptions { Mtu = 65535, RingSize = 2, ReceiveBatchSize = 1 });
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => new FaultInjector(a, new FaultInjectorOptions { PoolSize = 65536 }));
        Assert.Contains("FaultInjectorOptions.PoolSize (65536) times the inner device's MaxFrameLength (65553) is over 1 GiB", error.Message, StringComparison.Ordinal);
    }

    // ---- composition and allocation ----

    [Fact]
    public void WrappersStackAroundTheInjector()
    {
        var (a, b) = PipeDevice.CreatePair();
        var lines = new List<string>();
        using var device = new FrameTracer(new FaultInjector(a, new FaultInjectorOptions { Directions = FrameDirections.Transmit, DuplicateProbability = 1 }), lines.Add);
        Send(device, ArpRequest());
        device.Flush();
        Assert.Equal(2, ReceiveAll(b).Count);
        Assert.Contains("ARP who-has 10.0.0.2 tell 10.0.0.1", Assert.Single(lines), StringComparison.Ordinal); // traced as the stack sent it
    }

    [Theory]
    [InlineData(FrameDirections.Receive)]
    [InlineData(FrameDirections.Transmit)]
    public void SteadyStateFaultingAllocatesNothing(FrameDirections direction)
    {
        var rig = new Rig(direction, new FaultInjectorOptions
        {
            Seed = 8,
            DropProbability = 0.05,
            DuplicateProbability = 0.05,
            ReorderProbability = 0.05,
            CorruptProbability = 0.05,
            Delay = TimeSpan.FromMilliseconds(1),
            Jitter = TimeSpan.FromMilliseconds(1),
            RateBitsPerSecond = 1_000_000_000,
            MaxFrameLength = 1400,
        });
        var buffer = new byte[1514];
        int sequence = 0;
        long received = 0;
        void Round()
        {
            for (int i = 0; i < 32 && rig.Sender.TryGetTransmitSlot(out var slot); i++)
                rig.Sender.CommitTransmit(WriteFrame(slot, sequence++));
            rig.Sender.Flush();
            rig.Clock.Advance(TimeSpan.FromMilliseconds(0.5));
            rig.Injector.Receive();
            int n;
            while ((n = rig.Receiver.Receive()) > 0)
            {
                for (int i = 0; i < n; i++) received += rig.Receiver.GetReceived(i).Length;
                rig.Receiver.ReleaseReceived(n);
            }
        }
        for (int i = 0; i < 200; i++) Round();
        Assert.Equal(0, AllocationMeter.Measure(Round, iterations: 2000));
        Assert.True(received > 0);
        Assert.True(rig.Faults.Dropped > 0 && rig.Faults.Duplicated > 0 && rig.Faults.Reordered > 0 && rig.Faults.Corrupted > 0 && rig.Faults.Delayed > 0);
    }
}
