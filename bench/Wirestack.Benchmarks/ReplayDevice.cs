using Wirestack.Nic;

namespace Wirestack.Benchmarks;

/// <summary>
/// A device whose receive ring always holds a full batch of the same frame, lent in place, so a benchmark measures
/// the stack's receive dispatch and nothing of a device. Transmitted frames are accepted and forgotten.
/// </summary>
internal sealed class ReplayDevice : INetworkDevice
{
    private readonly byte[] _frame;
    private readonly byte[] _transmitSlot;
    private readonly int _batch;

    public ReplayDevice(byte[] frame, int batch, int mtu = 1500)
    {
        _frame = frame;
        _batch = batch;
        _transmitSlot = GC.AllocateArray<byte>(mtu + DeviceCapabilities.FrameOverhead, pinned: true);
        Capabilities = new DeviceCapabilities { Mtu = mtu, ReceiveRingSize = batch, TransmitRingSize = batch, ReceiveBatchSize = batch };
    }

    public DeviceCapabilities Capabilities { get; }

    public DeviceCounters Counters { get; } = new();

    /// <summary>Frames the stack sent (answers it should not have to give in these benchmarks).</summary>
    public long Transmitted { get; private set; }

    public int Receive() => _batch;

    public ReadOnlySpan<byte> GetReceived(int index) => _frame;

    public void ReleaseReceived(int count)
    {
    }

    public bool TryGetTransmitSlot(out Span<byte> slot)
    {
        slot = _transmitSlot;
        return true;
    }

    public void CommitTransmit(int length) => Transmitted++;

    public int Flush() => 0;

    public bool WaitForReceive(TimeSpan timeout) => true;

    public void Interrupt()
    {
    }

    public void Dispose()
    {
    }
}
