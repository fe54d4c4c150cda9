using System.Diagnostics;
using System.Globalization;
using Wirestack.Benchmarks.DeviceRates;
using Wirestack.Iface;
using Wirestack.Tcp;
using Wirestack.Wire;

namespace Wirestack.Benchmarks.TapTcp;

/// <summary>
/// Wirestack's end of a transfer over a <see cref="TapTcpLink"/>, driven on the calling thread the way a poll loop
/// does it: serve the application, poll, then sleep in the device until a frame or a deadline (or spin, with
/// busy polling). Each direction reports the frames, segments and system calls it took.
/// </summary>
internal static class StackTapTransfer
{
    private const int Port = 5201;
    private static readonly TimeProvider Time = TimeProvider.System;

    /// <summary>The kernel sends for <paramref name="seconds"/>; Wirestack receives and times first byte to end of stream.</summary>
    public static TransferResult Receive(TapTcpLink link, double seconds, bool busyPoll)
    {
        var iface = link.Interface;
        var start = Instant.Now(Time);
        Check(iface.TryListenTcp(new IpEndpoint(TapTcpLink.OurAddress, Port), 4, out var listener), "TryListenTcp refused");
        var buffer = new byte[1 << 20];
        var sender = link.Namespace.Start(KernelPeer.Sender(TapTcpLink.OurAddress.ToString(), Port, seconds));
        var before = Snapshot.Take(link);
        TcpHandle connection = default;
        long received = 0, firstAt = 0, lastAt = 0;
        var limit = Stopwatch.StartNew();
        bool done = false;
        while (!done)
        {
            if (limit.Elapsed.TotalSeconds > seconds + 30)
            {
                Shell.Kill(sender);
                throw new TimeoutException($"the transfer had not ended after {seconds + 30} s; received {received} bytes; the sender said: {sender.StandardError.ReadToEnd()}; {iface.Counters}");
            }
            var now = Instant.Now(Time);
            bool progress = false;
            if (connection.IsAssigned || iface.TryAcceptTcp(listener, out connection))
            {
                int read;
                while ((read = iface.ReadTcp(connection, buffer, now)) > 0)
                {
                    if (firstAt == 0) firstAt = Stopwatch.GetTimestamp();
                    received += read;
                    progress = true;
                }
                if (progress) lastAt = Stopwatch.GetTimestamp();
                var info = iface.GetTcpInfo(connection);
                if (info.ReadCompleted)
                {
                    iface.CloseTcp(connection, now);
                    done = true;
                }
                else if (info.State == TcpState.Closed) throw new InvalidOperationException($"the connection closed early: {info.Error}");
            }
            var deadline = iface.Poll(now);
            if (progress || busyPoll) continue;
            // The poll may have brought data: read it before sleeping, or the window stays shut while we sleep.
            if (connection.IsAssigned && !done && iface.GetTcpInfo(connection).ReadableBytes > 0) continue;
            Sleep(link, deadline);
        }
        var after = Snapshot.Take(link);
        Settle(link, TimeSpan.FromMilliseconds(200));
        iface.CloseTcpListener(listener, Instant.Now(Time));
        var peer = Shell.Finish(sender, TimeSpan.FromSeconds(30));
        Check(peer.ExitCode == 0, $"the kernel sender failed: {peer.StandardError}");
        Check(peer.StandardOutput.Trim() == $"sent {received}", $"the kernel sent '{peer.StandardOutput.Trim()}' but Wirestack received {received}");
        double elapsed = Stopwatch.GetElapsedTime(firstAt, lastAt).TotalSeconds;
        return new TransferResult("Wirestack receives (kernel sends)", received, elapsed, after.Since(before, received));
    }

    /// <summary>Wirestack sends for <paramref name="seconds"/> to a kernel sink, which times first byte to end of stream.</summary>
    public static TransferResult Send(TapTcpLink link, double seconds, bool busyPoll)
    {
        var iface = link.Interface;
        var sink = link.Namespace.Start(KernelPeer.Sink(TapTcpLink.KernelAddress.ToString(), Port));
        Check(sink.StandardOutput.ReadLine() == "ready", "the kernel sink did not start");
        var data = new byte[1 << 20];
        var before = Snapshot.Take(link);
        Check(iface.TryConnectTcp(new IpEndpoint(TapTcpLink.KernelAddress, Port), 0, Instant.Now(Time), out var connection), "TryConnectTcp refused");
        long written = 0;
        long sendUntil = 0;
        string window = "";
        bool shut = false, done = false;
        var limit = Stopwatch.StartNew();
        while (!done)
        {
            if (limit.Elapsed.TotalSeconds > seconds + 30) throw new TimeoutException($"the transfer had not ended after {seconds + 30} s; wrote {written} bytes");
            var now = Instant.Now(Time);
            var info = iface.GetTcpInfo(connection);
            if (info.State == TcpState.Closed && !shut) throw new InvalidOperationException($"the connection closed early: {info.Error}");
            bool progress = false;
            if (info.State is not (TcpState.SynSent or TcpState.SynReceived) && !shut)
            {
                if (sendUntil == 0) sendUntil = Stopwatch.GetTimestamp() + (long)(seconds * Stopwatch.Frequency);
                if (Stopwatch.GetTimestamp() >= sendUntil)
                {
                    window = $"at the end: cwnd {info.CongestionWindow} B, peer window {info.SendWindow} B, in flight {info.BytesInFlight} B, srtt {info.SmoothedRtt.TotalMicroseconds:0} us; ";
                    iface.ShutdownTcpWrite(connection, now);
                    shut = true;
                }
                else if (info.WritableBytes > 0)
                {
                    int n = iface.WriteTcp(connection, data, now);
                    written += n;
                    progress = n > 0;
                }
            }
            if (shut && info.ReadCompleted)
            {
                iface.CloseTcp(connection, now);
                done = true;
            }
            var deadline = iface.Poll(now);
            if (progress || busyPoll) continue;
            // The poll may have brought ACKs that freed ring space: refill it before sleeping, or nothing is in flight.
            if (!shut && iface.GetTcpInfo(connection).WritableBytes > 0) continue;
            Sleep(link, deadline);
        }
        var after = Snapshot.Take(link);
        Settle(link, TimeSpan.FromMilliseconds(200));
        var peer = Shell.Finish(sink, TimeSpan.FromSeconds(30));
        var fields = peer.StandardOutput.Trim().Split(' ');
        Check(peer.ExitCode == 0 && fields.Length == 3 && fields[0] == "sink", $"the kernel sink failed: {peer.StandardOutput}{peer.StandardError}");
        long bytes = long.Parse(fields[1], CultureInfo.InvariantCulture);
        Check(bytes == written, $"the kernel sink counted {bytes} bytes but Wirestack wrote {written}");
        return new TransferResult("Wirestack sends (kernel receives)", bytes, double.Parse(fields[2], CultureInfo.InvariantCulture), window + after.Since(before, bytes));
    }

    private static void Sleep(TapTcpLink link, Instant deadline)
    {
        var after = Instant.Now(Time);
        deadline = Instant.Min(deadline, after + TimeSpan.FromMilliseconds(10));
        if (deadline > after) link.Device.WaitForReceive(deadline - after);
    }

    // Lets the close finish (FIN, last ACK) so the next run starts on a quiet link.
    private static void Settle(TapTcpLink link, TimeSpan time)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < time)
        {
            link.Interface.Poll(Instant.Now(Time));
            link.Device.WaitForReceive(TimeSpan.FromMilliseconds(5));
        }
    }

    private static void Check(bool condition, string message)
    {
        if (!condition) throw new InvalidOperationException(message);
    }

    // Counters before and after: what one transfer cost in frames (one system call each on TAP) and segments.
    private readonly record struct Snapshot(long FramesIn, long FramesOut, long BytesIn, long BytesOut, long SegmentsIn, long SegmentsOut, long Retransmitted, long Allocated, TimeSpan Cpu)
    {
        public static Snapshot Take(TapTcpLink link)
        {
            var d = link.Device.Counters;
            var t = link.Interface.TcpCounters;
            // The CPU time first: reading it allocates, and that should not count against the loop.
            var cpu = Process.GetCurrentProcess().TotalProcessorTime;
            return new Snapshot(d.ReceivedFrames, d.TransmittedFrames, d.ReceivedBytes, d.TransmittedBytes, t.SegmentsReceived, t.SegmentsSent, t.RetransmittedSegments,
                GC.GetAllocatedBytesForCurrentThread(), cpu);
        }

        public string Since(Snapshot before, long payload)
        {
            long framesIn = FramesIn - before.FramesIn, framesOut = FramesOut - before.FramesOut;
            long segmentsIn = SegmentsIn - before.SegmentsIn, segmentsOut = SegmentsOut - before.SegmentsOut;
            return string.Create(CultureInfo.InvariantCulture,
                $"frames in {framesIn} ({(BytesIn - before.BytesIn) / Math.Max(framesIn, 1)} B avg), out {framesOut} ({(BytesOut - before.BytesOut) / Math.Max(framesOut, 1)} B avg); " +
                $"segments in {segmentsIn}, out {segmentsOut}, retransmitted {Retransmitted - before.Retransmitted}; payload per segment {payload / Math.Max(Math.Max(segmentsIn, segmentsOut), 1)} B; " +
                $"allocated {Allocated - before.Allocated} B on the loop thread; process CPU {(Cpu - before.Cpu).TotalSeconds:0.00} s");
        }
    }
}
