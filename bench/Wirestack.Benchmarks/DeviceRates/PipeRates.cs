using Wirestack.Nic;
using Wirestack.Wire;

namespace Wirestack.Benchmarks.DeviceRates;

/// <summary>
/// The pipe rows: a sender thread and a receiver thread on the two ends of a <see cref="PipeDevice"/>
/// pair, so the frames cross threads (and cores) the way they do between an application and the stack.
/// </summary>
internal static class PipeRates
{
    private static readonly MacAddress SenderMac = MacAddress.Parse("02:00:0a:e6:00:01");
    private static readonly MacAddress ReceiverMac = MacAddress.Parse("02:00:0a:e6:00:02");

    // The sender keeps going a little past the receiver's window, so the window never sees an idle tail.
    private static readonly TimeSpan SenderOverrun = TimeSpan.FromSeconds(0.25);

    public static List<RateRow> Measure(RunContext context)
    {
        var rows = new List<RateRow>();
        foreach (int frameBytes in RunContext.FrameSizes) rows.Add(MeasureOne(context, frameBytes));
        return rows;
    }

    private static RateRow MeasureOne(RunContext context, int frameBytes)
    {
        var options = context.Options;
        var token = context.Token;
        var (sender, receiver) = PipeDevice.CreatePair(new PipeDeviceOptions { RingSize = 1024, ReceiveBatchSize = options.Batch });
        using (sender)
        using (receiver)
        {
            byte[] frame = FrameTemplate.Udp(frameBytes, SenderMac, ReceiverMac, new Ipv4Address(10, 230, 0, 1), new Ipv4Address(10, 230, 0, 2));
            LoopResult sent = default, received = default;
            Exception? failure = null;
            var transmit = new Thread(() =>
            {
                try
                {
                    sent = DeviceLoops.Transmit(sender, frame, options.Batch, options.Warmup, options.Measure + SenderOverrun, token);
                }
                catch (Exception e)
                {
                    Interlocked.CompareExchange(ref failure, e, null);
                }
            })
            { Name = "pipe sender", IsBackground = true };
            var receive = new Thread(() =>
            {
                try
                {
                    received = DeviceLoops.Receive(receiver, frameBytes, options.Warmup, options.Measure, TimeSpan.FromSeconds(5), token);
                }
                catch (Exception e)
                {
                    Interlocked.CompareExchange(ref failure, e, null);
                }
            })
            { Name = "pipe receiver", IsBackground = true };
            receive.Start();
            transmit.Start();
            receive.Join();
            transmit.Join();
            if (failure is OperationCanceledException) throw new OperationCanceledException("interrupted", failure);
            if (failure is not null) throw new InvalidOperationException($"the pipe {frameBytes}-byte run failed: {failure.Message}", failure);

            // Each thread's bytes over its own frames: the sender's window is a little longer.
            double allocated = PerFrame(sent.AllocatedBytes, sent.Frames) + PerFrame(received.AllocatedBytes, received.Frames);
            context.Notes.Add($"pipe {frameBytes} B: sender {sent.FramesPerSecond:N0} frames/s ({sent.AllocatedBytes} B allocated), receiver {received.FramesPerSecond:N0} frames/s ({received.AllocatedBytes} B allocated); receive drops {receiver.Counters.ReceiveDropped}, other frames {received.OtherFrames}");
            var row = new RateRow(RateLink.Pipe, RateDirection.InProcess, frameBytes)
            {
                WirestackFramesPerSecond = received.FramesPerSecond,
                AllocatedBytesPerFrame = allocated,
            };
            RateTable.ReportProgress(row);
            return row;
        }
    }

    private static double PerFrame(long bytes, long frames) => frames > 0 ? (double)bytes / frames : bytes;
}
