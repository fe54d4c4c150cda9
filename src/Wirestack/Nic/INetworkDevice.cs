namespace Wirestack.Nic;

/// <summary>
/// A network device in the netmap shape: a receive ring and a transmit ring of fixed-size slots in
/// memory the device owns. Receive lends the caller a batch of frames to read in place and then
/// release; transmit lends a slot to write a frame into and then commit; <see cref="Flush"/>
/// publishes the committed frames to the other side, with one system call per batch where the
/// device allows it. Nothing allocates per frame.
/// </summary>
/// <remarks>
/// A device is driven by one thread at a time (the stack's poll loop). Only
/// <see cref="Interrupt"/> and <see cref="Counters"/> may be used from other threads.
/// </remarks>
public interface INetworkDevice : IDisposable
{
    /// <summary>What the device can carry and how its rings are sized.</summary>
    DeviceCapabilities Capabilities { get; }

    /// <summary>Frame and byte counters, and frames dropped by reason.</summary>
    DeviceCounters Counters { get; }

    /// <summary>
    /// Makes received frames available to read in place and returns how many are lent to the
    /// caller now: the frames not yet released plus new ones, up to
    /// <see cref="DeviceCapabilities.ReceiveBatchSize"/>. Returns 0 when nothing has arrived.
    /// </summary>
    int Receive();

    /// <summary>The lent frame at <paramref name="index"/> (0 is the oldest). Valid until released.</summary>
    ReadOnlySpan<byte> GetReceived(int index);

    /// <summary>
    /// The lent frame at <paramref name="index"/>, with what the device did for it (<see cref="FrameOffload"/>): a
    /// trusted checksum, or segments it coalesced. Devices without offloads report <see cref="FrameOffload.None"/>.
    /// </summary>
    ReadOnlySpan<byte> GetReceived(int index, out FrameOffload offload)
    {
        offload = FrameOffload.None;
        return GetReceived(index);
    }

    /// <summary>Gives the <paramref name="count"/> oldest lent frames' slots back to the device.</summary>
    void ReleaseReceived(int count);

    /// <summary>
    /// Lends the next free transmit slot, <see cref="DeviceCapabilities.MaxFrameLength"/> bytes long (or
    /// <see cref="DeviceCapabilities.MaxOffloadLength"/> plus the frame overhead on a device that segments),
    /// to write one frame into. Returns false when the transmit ring is full: flush, or try later.
    /// </summary>
    bool TryGetTransmitSlot(out Span<byte> slot);

    /// <summary>Commits the slot lent by the last <see cref="TryGetTransmitSlot"/> holding a frame of <paramref name="length"/> bytes.</summary>
    void CommitTransmit(int length);

    /// <summary>
    /// Commits the lent slot holding a frame of <paramref name="length"/> bytes for the device to segment as
    /// <paramref name="offload"/> says. Only a device with <see cref="DeviceCapabilities.MaxOffloadLength"/> above 0
    /// takes anything but <see cref="FrameOffload.None"/>.
    /// </summary>
    /// <exception cref="NotSupportedException">The device does not segment, and <paramref name="offload"/> asked it to.</exception>
    void CommitTransmit(int length, in FrameOffload offload)
    {
        if (offload.SegmentSize != 0)
            throw new NotSupportedException($"{GetType().Name} does not segment TCP on transmit (its Capabilities.MaxOffloadLength is 0); send MTU-sized frames.");
        CommitTransmit(length);
    }

    /// <summary>Publishes every committed frame to the other side; returns how many were published.</summary>
    int Flush();

    /// <summary>
    /// Blocks until frames may be ready to <see cref="Receive"/>, <paramref name="timeout"/> passes,
    /// or another thread calls <see cref="Interrupt"/>. Returns false on timeout. A true return is
    /// a hint, not a promise: <see cref="Receive"/> may still return 0.
    /// </summary>
    /// <remarks>
    /// May run at the same time as <see cref="Receive"/>, <see cref="ReleaseReceived"/> and the transmit calls on
    /// another thread (<see cref="SoftwareRss"/> watches a shared device from an idle stack thread while another stack
    /// uses it): whatever it reads of the device's own state, it must tolerate seeing half-changed.
    /// </remarks>
    bool WaitForReceive(TimeSpan timeout);

    /// <summary>Wakes a <see cref="WaitForReceive"/> in progress (or the next one). Safe from any thread.</summary>
    void Interrupt();
}
