using Wirestack.Nic;

namespace Wirestack.Tests.Support;

/// <summary>A device that hands the Interface one frame at a time with the offload a test says; transmitted frames are discarded.</summary>
internal sealed class OffloadReportingDevice : INetworkDevice
{
    private readonly byte[] _slot = new byte[65536];
    private byte[]? _frame;
    private FrameOffload _offload;

    public DeviceCapabilities Capabilities { get; } = new() { Mtu = 1500, ReceiveRingSize = 1, TransmitRingSize = 1, ReceiveBatchSize = 1, MaxOffloadLength = 65535 };
    public DeviceCounters Counters { get; } = new();

    public void Deliver(byte[] frame, FrameOffload offload) => (_frame, _offload) = (frame, offload);

    public int Receive() => _frame is null ? 0 : 1;
    public ReadOnlySpan<byte> GetReceived(int index) => _frame;
    public ReadOnlySpan<byte> GetReceived(int index, out FrameOffload offload)
    {
        offload = _offload;
        return _frame;
    }
    public void ReleaseReceived(int count) => _frame = count > 0 ? null : _frame;
    public bool TryGetTransmitSlot(out Span<byte> slot)
    {
        slot = _slot;
        return true;
    }
    public void CommitTransmit(int length) { }
    public void CommitTransmit(int length, in FrameOffload offload) { }
    public int Flush() => 0;
    public bool WaitForReceive(TimeSpan timeout) => false;
    public void Interrupt() { }
    public void Dispose() { }
}
