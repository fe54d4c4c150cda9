using Wirestack.Testing;
using Wirestack.Nic;
using static Wirestack.Tests.Nic.TestFrames;

namespace Wirestack.Tests.Nic;

public class DeviceWrapperTests
{
    // The smallest wrapper: intercepts nothing, so it must behave exactly like what it wraps.
    private sealed class PassThrough(INetworkDevice inner, bool leaveInnerOpen = false) : DeviceWrapper(inner, leaveInnerOpen);

    private static (PassThrough A, PassThrough B, PipeDevice InnerA, PipeDevice InnerB) WrappedPair(PipeDeviceOptions? options = null)
    {
        var (a, b) = PipeDevice.CreatePair(options);
        return (new PassThrough(a), new PassThrough(b), a, b);
    }

    [Fact]
    public void CapabilitiesAndCountersAreTheInnerDevices()
    {
        var (a, _, innerA, _) = WrappedPair();
        Assert.Same(innerA.Capabilities, a.Capabilities);
        Assert.Same(innerA.Counters, a.Counters);
    }

    [Fact]
    public void FramesCrossInOrderInBatchesAndInPlace()
    {
        var (a, b, _, innerB) = WrappedPair(new PipeDeviceOptions { ReceiveBatchSize = 8 });
        for (byte i = 0; i < 20; i++) Send(a, [i, i, i]);
        Assert.Equal(0, b.Receive());
        Assert.Equal(20, a.Flush());
        Assert.Equal(8, b.Receive());
        Assert.Equal(8, b.Receive());
        Assert.Equal(new byte[] { 3, 3, 3 }, b.GetReceived(3).ToArray());
        // Same memory as the inner device lends: the wrapper adds no copy.
        Assert.True(b.GetReceived(0) == innerB.GetReceived(0));
        b.ReleaseReceived(5);
        Assert.Equal(8, b.Receive());
        Assert.Equal(5, b.GetReceived(0)[0]);
        Assert.Equal(20, a.Counters.TransmittedFrames);
    }

    [Fact]
    public void AFullRingRefusesSlotsJustLikeThePipe()
    {
        var (a, b, _, _) = WrappedPair(new PipeDeviceOptions { RingSize = 4, ReceiveBatchSize = 4 });
        for (int i = 0; i < 4; i++) Send(a, [(byte)i]);
        Assert.False(a.TryGetTransmitSlot(out _));
        a.Flush();
        Assert.Equal(4, b.Receive());
        b.ReleaseReceived(1);
        Assert.True(a.TryGetTransmitSlot(out _));
    }

    [Fact]
    public void MisuseGetsTheInnerDevicesMessages()
    {
        var (a, _, _, _) = WrappedPair();
        Assert.Contains("TryGetTransmitSlot first", Assert.Throws<InvalidOperationException>(() => a.CommitTransmit(1)).Message, StringComparison.Ordinal);
        a.TryGetTransmitSlot(out _);
        Assert.Contains("already lent", Assert.Throws<InvalidOperationException>(() => a.TryGetTransmitSlot(out _)).Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentOutOfRangeException>(() => a.GetReceived(0));
        Assert.Throws<ArgumentOutOfRangeException>(() => a.ReleaseReceived(1));
    }

    [Fact]
    public void WaitAndInterruptAreForwarded()
    {
        var (a, b, _, _) = WrappedPair();
        Assert.False(b.WaitForReceive(TimeSpan.FromMilliseconds(10)));
        Send(a, [1]);
        a.Flush();
        Assert.True(b.WaitForReceive(TimeSpan.FromSeconds(10)));
        b.ReleaseReceived(b.Receive());

        var interrupter = new Thread(() =>
        {
            Thread.Sleep(50);
            b.Interrupt();
        });
        interrupter.Start();
        var started = DateTime.UtcNow;
        b.WaitForReceive(TimeSpan.FromSeconds(10));
        Assert.True(DateTime.UtcNow - started < TimeSpan.FromSeconds(5), "Interrupt did not reach the inner device");
        interrupter.Join();
    }

    [Fact]
    public void DisposeDisposesTheInnerDeviceUnlessToldToLeaveItOpen()
    {
        var (a, b) = PipeDevice.CreatePair();
        var wrapper = new PassThrough(b);
        wrapper.Dispose();
        wrapper.Dispose(); // twice is harmless
        Send(a, [1]);
        a.Flush();
        Assert.Equal(1, a.Counters.TransmitDropped); // b is closed

        var (c, d) = PipeDevice.CreatePair();
        new PassThrough(d, leaveInnerOpen: true).Dispose();
        Send(c, [1]);
        c.Flush();
        Assert.Equal(0, c.Counters.TransmitDropped);
        Assert.Equal(1, d.Receive());
    }

    [Fact]
    public void SteadyStateThroughAWrapperAllocatesNothing()
    {
        var (a, b, _, _) = WrappedPair();
        var payload = new byte[1514];
        void Round()
        {
            for (int i = 0; i < 32; i++) Send(a, payload);
            a.Flush();
            int n = b.Receive();
            for (int i = 0; i < n; i++) _ = b.GetReceived(i).Length;
            b.ReleaseReceived(n);
        }
        for (int i = 0; i < 100; i++) Round();
        Assert.Equal(0, AllocationMeter.Measure(Round));
    }
}
