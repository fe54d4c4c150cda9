using System.Diagnostics;
using Wirestack.Nic;
using Wirestack.Wire;

namespace Wirestack.Benchmarks.DeviceRates;

/// <summary>
/// The two measurements of a device whose other side is the kernel in a namespace (TAP, AF_PACKET):
/// Wirestack sends and the kernel's interface counts; the kernel's UDP sender sends and Wirestack counts.
/// </summary>
internal static class KernelLinkRows
{
    private static readonly TimeSpan FirstFrameTimeout = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Sends <paramref name="frame"/> through <paramref name="device"/> in batches; the frames are
    /// addressed to the kernel's MAC but to an IP it neither owns nor forwards, so it receives each
    /// (counted in <paramref name="kernelInterface"/>'s rx_packets) and drops it at routing, cheaply
    /// and without answering. Checks that rx_packets grew by what the device says it sent, less the
    /// drops <paramref name="linkDrops"/> reads.
    /// </summary>
    public static RateRow WirestackToKernel(RunContext context, RateLink link, INetworkDevice device, BenchNamespace ns, string kernelInterface, byte[] frame, Func<long> linkDrops)
    {
        var options = context.Options;
        long arrivedBefore = ns.Statistic(kernelInterface, "rx_packets");
        long dropsBefore = linkDrops();
        long sentBefore = device.Counters.TransmittedFrames;
        long refusedBefore = device.Counters.TransmitDropped;

        var result = DeviceLoops.Transmit(device, frame, options.Batch, options.Warmup, options.Measure, context.Token);
        // Frames a full kernel queue held back go out with later flushes.
        for (int i = 0; i < 20; i++)
        {
            device.Flush();
            Thread.Sleep(1);
        }

        long sent = device.Counters.TransmittedFrames - sentBefore;
        long refused = device.Counters.TransmitDropped - refusedBefore;
        long arrived = 0, dropped = 0;
        for (var wait = Stopwatch.StartNew(); wait.Elapsed < TimeSpan.FromSeconds(3); Thread.Sleep(50))
        {
            arrived = ns.Statistic(kernelInterface, "rx_packets") - arrivedBefore;
            dropped = linkDrops() - dropsBefore;
            if (arrived + dropped >= sent) break;
        }
        string check = arrived == sent
            ? "equal"
            : $"DIFFERENT by {arrived - sent:+#,0;-#,0} ({dropped:N0} counted as dropped on the link{(arrived + dropped == sent ? ", which accounts for all of it" : "")})";
        context.Notes.Add($"{RateTable.LinkName(link)} Wirestack -> kernel {frame.Length} B: the device sent {sent:N0} frames (run incl. warm-up; {refused:N0} refused), {kernelInterface} rx_packets +{arrived:N0}: {check}");
        return new RateRow(link, RateDirection.WirestackToKernel, frame.Length)
        {
            WirestackFramesPerSecond = result.FramesPerSecond,
            AllocatedBytesPerFrame = PerFrame(result),
        };
    }

    /// <summary>
    /// Runs the kernel's UDP sender in <paramref name="ns"/> to <paramref name="target"/>, an address
    /// behind the device (a permanent neighbour entry points it at Wirestack's MAC), and receives
    /// and releases in batches. The kernel figure is the sender's own rate in the same run.
    /// <paramref name="kernelInterface"/>'s tx_dropped counts what the kernel dropped on the way.
    /// </summary>
    public static RateRow KernelToWirestack(RunContext context, RateLink link, INetworkDevice device, BenchNamespace ns, string kernelInterface, Ipv4Address target, int frameBytes)
    {
        var options = context.Options;
        var blaster = context.Blaster ?? throw new InvalidOperationException("no kernel sender was built");
        DeviceLoops.Drain(device, TimeSpan.FromMilliseconds(50));
        long kernelDroppedBefore = ns.Statistic(kernelInterface, "tx_dropped");
        long deviceDroppedBefore = device.Counters.ReceiveDropped;
        long deviceReceivedBefore = device.Counters.ReceivedFrames;

        var sender = blaster.Start(ns, target.ToString(), frameBytes - FrameTemplate.HeaderBytes, context.SenderDuration, options.Batch);
        LoopResult result;
        try
        {
            result = DeviceLoops.Receive(device, frameBytes, options.Warmup, options.Measure, FirstFrameTimeout, context.Token);
        }
        catch (TimeoutException e)
        {
            Shell.Kill(sender);
            var said = Shell.Finish(sender, TimeSpan.FromSeconds(5));
            throw new TimeoutException($"{e.Message}; udp-blast said: {said.StandardOutput.Trim()} {said.StandardError.Trim()}", e);
        }
        catch
        {
            Shell.Kill(sender);
            throw;
        }
        // Keep reading (uncounted) while the sender finishes its tail, so the frames sent after the
        // window are received rather than dropped, and the drop counts below mean what they say.
        for (var limit = Stopwatch.StartNew(); !sender.HasExited && !context.Token.IsCancellationRequested && limit.Elapsed < context.SenderDuration + TimeSpan.FromSeconds(10);)
        {
            int count = device.Receive();
            if (count > 0) device.ReleaseReceived(count);
            else device.WaitForReceive(TimeSpan.FromMilliseconds(5));
        }
        var blast = UdpBlaster.Finish(sender, TimeSpan.FromSeconds(10), context.Token);
        DeviceLoops.Drain(device, TimeSpan.FromMilliseconds(50));
        long receivedInRun = device.Counters.ReceivedFrames - deviceReceivedBefore;
        long kernelDropped = ns.Statistic(kernelInterface, "tx_dropped") - kernelDroppedBefore;
        long deviceDropped = device.Counters.ReceiveDropped - deviceDroppedBefore;

        // The sender's rate over the receiver's own window; its whole-run average if the samples miss it.
        double? inWindow = blast.PacketsPerSecondBetween(result.WindowStart, result.WindowEnd);
        double kernelRate = inWindow ?? blast.PacketsPerSecond;
        context.Notes.Add($"{RateTable.LinkName(link)} kernel -> Wirestack {frameBytes} B: udp-blast sent {blast.Packets:N0} datagrams in {blast.Seconds:F2} s ({blast.Errors:N0} failed sends), {kernelRate:N0}/s {(inWindow is null ? "over its whole run (its samples did not cover the window)" : "in Wirestack's window")}; the device received {receivedInRun:N0} of them over the whole run, {result.Frames:N0} in the {result.Seconds:F2} s window; dropped: {kernelDropped:N0} by the kernel ({kernelInterface} tx_dropped), {deviceDropped:N0} by the device (ring full); {result.OtherFrames:N0} other frames");
        return new RateRow(link, RateDirection.KernelToWirestack, frameBytes)
        {
            WirestackFramesPerSecond = result.FramesPerSecond,
            KernelFramesPerSecond = kernelRate,
            AllocatedBytesPerFrame = PerFrame(result),
        };
    }

    private static double PerFrame(LoopResult result) => result.Frames > 0 ? (double)result.AllocatedBytes / result.Frames : result.AllocatedBytes;
}
