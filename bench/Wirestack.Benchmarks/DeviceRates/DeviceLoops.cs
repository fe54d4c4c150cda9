using System.Diagnostics;
using Wirestack.Nic;

namespace Wirestack.Benchmarks.DeviceRates;

/// <summary>
/// The per-frame loops, the same for every device: send a frame in batches, or receive and release
/// in batches, for a warm-up and then a measured window. They read the clock once per batch and
/// allocate nothing (the measured bytes prove it), so what they time is the device.
/// </summary>
internal static class DeviceLoops
{
    private static readonly TimeSpan IdleWait = TimeSpan.FromMilliseconds(5);

    /// <summary>
    /// Writes <paramref name="frame"/> into up to <paramref name="batch"/> transmit slots, flushes,
    /// and again, for <paramref name="warmup"/> and then <paramref name="measure"/>. The frames
    /// counted are those the device reports transmitted in the window.
    /// </summary>
    public static LoopResult Transmit(INetworkDevice device, byte[] frame, int batch, TimeSpan warmup, TimeSpan measure, CancellationToken token)
    {
        var counters = device.Counters;
        int length = frame.Length;
        long start = Stopwatch.GetTimestamp();
        long warmupEnd = start + Ticks(warmup);
        long measureEnd = warmupEnd + Ticks(measure);
        bool measuring = false;
        long windowStart = 0, framesBefore = 0, allocatedBefore = 0;
        var spin = default(SpinWait);
        while (true)
        {
            long now = Stopwatch.GetTimestamp();
            if (!measuring && now >= warmupEnd)
            {
                measuring = true;
                windowStart = now;
                framesBefore = counters.TransmittedFrames;
                allocatedBefore = GC.GetAllocatedBytesForCurrentThread();
            }
            if (now >= measureEnd) break;
            token.ThrowIfCancellationRequested();

            int written = 0;
            while (written < batch && device.TryGetTransmitSlot(out var slot))
            {
                frame.AsSpan().CopyTo(slot);
                device.CommitTransmit(length);
                written++;
            }
            device.Flush();
            // A full ring (the pipe's receiver is behind): back off briefly rather than hammer the
            // cache line the receiver writes when it frees slots.
            if (written == 0) spin.SpinOnce(sleep1Threshold: -1);
            else spin.Reset();
        }
        long end = Stopwatch.GetTimestamp();
        long allocated = GC.GetAllocatedBytesForCurrentThread() - allocatedBefore;
        long frames = counters.TransmittedFrames - framesBefore;
        return new LoopResult(frames, Stopwatch.GetElapsedTime(windowStart, end).TotalSeconds, allocated, 0, windowStart, end);
    }

    /// <summary>
    /// Receives, looks at each frame's length and EtherType (no payload copy), and releases, in
    /// batches of the device's receive batch size. The warm-up starts at the first frame of
    /// <paramref name="frameLength"/> bytes, so a sender that takes a moment to start costs nothing.
    /// </summary>
    /// <exception cref="TimeoutException">No such frame arrived within <paramref name="firstFrameTimeout"/>.</exception>
    public static LoopResult Receive(INetworkDevice device, int frameLength, TimeSpan warmup, TimeSpan measure, TimeSpan firstFrameTimeout, CancellationToken token)
    {
        long waitEnd = Stopwatch.GetTimestamp() + Ticks(firstFrameTimeout);
        long warmupEnd = long.MaxValue, measureEnd = long.MaxValue;
        bool started = false, measuring = false;
        long windowStart = 0, allocatedBefore = 0;
        long expected = 0, expectedBefore = 0, other = 0;
        while (true)
        {
            long now = Stopwatch.GetTimestamp();
            if (!measuring && now >= warmupEnd)
            {
                measuring = true;
                windowStart = now;
                expectedBefore = expected;
                allocatedBefore = GC.GetAllocatedBytesForCurrentThread();
            }
            if (now >= measureEnd) break;
            if (!started && now >= waitEnd)
                throw new TimeoutException($"no {frameLength}-byte frame arrived within {firstFrameTimeout.TotalSeconds:0.#} s (other frames: {other}); device counters: {device.Counters}");
            token.ThrowIfCancellationRequested();

            int count = device.Receive();
            if (count == 0)
            {
                device.WaitForReceive(IdleWait);
                continue;
            }
            for (int i = 0; i < count; i++)
            {
                var received = device.GetReceived(i);
                // IPv4 (0x0800) of the sender's frame length: the frames under test. Anything else
                // (a stray ARP or IPv6 frame) is counted apart so it cannot inflate the rate.
                if (received.Length == frameLength && received[12] == 0x08 && received[13] == 0x00) expected++;
                else other++;
            }
            device.ReleaseReceived(count);
            if (!started && expected > 0)
            {
                started = true;
                long first = Stopwatch.GetTimestamp();
                warmupEnd = first + Ticks(warmup);
                measureEnd = warmupEnd + Ticks(measure);
            }
        }
        long end = Stopwatch.GetTimestamp();
        long allocated = GC.GetAllocatedBytesForCurrentThread() - allocatedBefore;
        return new LoopResult(expected - expectedBefore, Stopwatch.GetElapsedTime(windowStart, end).TotalSeconds, allocated, other, windowStart, end);
    }

    /// <summary>Receives and releases until nothing has arrived for <paramref name="quiet"/> (at most 5 s); returns how many frames it threw away.</summary>
    public static long Drain(INetworkDevice device, TimeSpan quiet)
    {
        long drained = 0;
        long limit = Stopwatch.GetTimestamp() + Ticks(TimeSpan.FromSeconds(5));
        long quietSince = Stopwatch.GetTimestamp();
        while (Stopwatch.GetTimestamp() < limit)
        {
            int count = device.Receive();
            if (count > 0)
            {
                device.ReleaseReceived(count);
                drained += count;
                quietSince = Stopwatch.GetTimestamp();
                continue;
            }
            if (Stopwatch.GetElapsedTime(quietSince) >= quiet) break;
            device.WaitForReceive(IdleWait);
        }
        return drained;
    }

    private static long Ticks(TimeSpan span) => (long)(span.TotalSeconds * Stopwatch.Frequency);
}
