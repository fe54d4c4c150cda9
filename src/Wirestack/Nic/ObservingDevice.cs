namespace Wirestack.Nic;

/// <summary>
/// A wrapper that shows every frame going through it to <see cref="Observe"/> exactly once, both
/// ways: a received frame when <see cref="Receive"/> first lends it, a transmitted frame when
/// <see cref="CommitTransmit(int)"/> commits it (read back from the inner device's slot, so the stack
/// still writes straight into device memory). The base of the pcap recorder and the tracer.
/// </summary>
public abstract class ObservingDevice : DeviceWrapper
{
    private readonly bool _observeReceive;
    private readonly bool _observeTransmit;
    private int _observed;
    private LentSlot _slot;

    /// <summary>Observes the frames of <paramref name="inner"/> that travel in <paramref name="directions"/>.</summary>
    /// <param name="inner">The device to observe.</param>
    /// <param name="directions">Which directions to observe.</param>
    /// <param name="leaveInnerOpen">Whether disposing this wrapper leaves <paramref name="inner"/> open.</param>
    protected ObservingDevice(INetworkDevice inner, FrameDirections directions, bool leaveInnerOpen)
        : base(inner, leaveInnerOpen)
    {
        _observeReceive = (directions & FrameDirections.Receive) != 0;
        _observeTransmit = (directions & FrameDirections.Transmit) != 0;
    }

    /// <summary>Called once per frame, on the thread that drives the device; the span is valid only during the call.</summary>
    /// <param name="frame">The whole frame.</param>
    /// <param name="direction"><see cref="FrameDirections.Receive"/> or <see cref="FrameDirections.Transmit"/>.</param>
    protected abstract void Observe(ReadOnlySpan<byte> frame, FrameDirections direction);

    /// <inheritdoc />
    public override int Receive()
    {
        int lent = Inner.Receive();
        // Frames still lent from an earlier call were observed then; only the new ones are shown.
        if (_observeReceive)
            for (int i = _observed; i < lent; i++) Observe(Inner.GetReceived(i), FrameDirections.Receive);
        _observed = lent;
        return lent;
    }

    /// <inheritdoc />
    public override void ReleaseReceived(int count)
    {
        Inner.ReleaseReceived(count);
        _observed = Math.Max(0, _observed - count);
    }

    /// <inheritdoc />
    public override bool TryGetTransmitSlot(out Span<byte> slot)
    {
        if (!Inner.TryGetTransmitSlot(out slot)) return false;
        if (_observeTransmit) _slot.Lend(slot);
        return true;
    }

    /// <inheritdoc />
    public override void CommitTransmit(int length) => CommitTransmit(length, FrameOffload.None);

    /// <inheritdoc />
    /// <remarks>A frame the inner device segments is observed as the stack wrote it: one large segment, as a capture on a TSO interface shows it.</remarks>
    public override void CommitTransmit(int length, in FrameOffload offload)
    {
        // The inner device checks the call first, so misuse gets its message and nothing is observed.
        if (offload.SegmentSize == 0) Inner.CommitTransmit(length);
        else Inner.CommitTransmit(length, offload);
        if (!_slot.IsLent) return;
        var frame = _slot.Read(Math.Min(length, _slot.Length));
        _slot.Clear();
        Observe(frame, FrameDirections.Transmit);
    }
}
