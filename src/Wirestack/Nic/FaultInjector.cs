namespace Wirestack.Nic;

/// <summary>
/// A device that damages the traffic going through it, reproducibly: drops, duplicates, reorders,
/// corrupts, delays (fixed plus jitter), rate-limits and MTU-clamps frames in either direction or
/// both, as <see cref="FaultInjectorOptions"/> says. Random choices come from
/// <see cref="FaultInjectorOptions.Seed"/> (one sequence per direction), and time from
/// <see cref="FaultInjectorOptions.TimeProvider"/>, so the same seed, traffic and clock give the
/// same faults. Every fault is counted by kind in <see cref="ReceiveFaults"/> and <see cref="TransmitFaults"/>.
/// </summary>
/// <remarks>
/// <para>
/// Nothing allocates per frame. Each faulted direction owns a pool of
/// <see cref="FaultInjectorOptions.PoolSize"/> frame slots. On receive, a frame that needs no
/// copy is lent to the stack in place from the inner device; delayed, reordered, duplicated and
/// corrupted frames are copies in pool slots, and the stack sees one ordered list of both. On
/// transmit, the stack writes into a pool slot; the faults are decided at
/// <see cref="CommitTransmit(int)"/>, and frames that are due are copied into the inner device's slots
/// at <see cref="Flush"/>, and also at <see cref="Receive"/>, so delayed frames leave even when
/// the stack only polls. A received frame's faults, delay and rate are decided when
/// <see cref="Receive"/> first sees it; a transmitted frame's at commit.
/// </para>
/// <para>
/// When the pool is full: a received frame that must wait (for a delay, the rate limit, or frames
/// ahead of it still waiting) is dropped, as a full queue drops, and counted in
/// <see cref="FaultCounters.PoolExhaustedDropped"/>; a frame that could go at once goes on
/// unfaulted, without the duplicate, corruption or reordering that needed a copy, counted in
/// <see cref="FaultCounters.PoolExhaustedSkipped"/>. On transmit the frame already sits in a
/// pool slot, so a full pool instead refuses <see cref="TryGetTransmitSlot"/> (a full transmit
/// ring, to the stack) until waiting frames leave.
/// </para>
/// <para>
/// <see cref="DeviceWrapper.Counters"/> are the inner device's: they count the frames on the real
/// link, before receive faults and after transmit faults. <see cref="DeviceWrapper.Capabilities"/>
/// are the inner device's too; the MTU clamp is a fault the stack is not told about. Frames still
/// held when the injector is disposed are discarded.
/// </para>
/// </remarks>
public sealed class FaultInjector : DeviceWrapper
{
    private const ulong ReceiveStream = 1;
    private const ulong TransmitStream = 2;

    private readonly TimeProvider _time;
    private readonly FaultLane? _rx;
    private readonly FaultLane? _tx;
    private readonly int _batch;

    // Receive: the frames ready for the stack, in order; the first _lent are lent. An entry >= 0
    // is the sequence number of a frame the inner device still lends us, one < 0 is ~slot of a
    // copy in the pool.
    private readonly long[] _ready;
    private int _readyHead;
    private int _readyCount;
    private int _readyInner;
    private int _lent;
    private long _innerHead;
    private int _innerLent;
    private long _innerExamined;

    // Transmit: pool slots due and on their way into the inner device, in order.
    private readonly int[] _sendQueue;
    private int _sendHead;
    private int _sendCount;
    private int _txLent = -1;
    private int _txFlushed;

    /// <summary>Injects the faults <paramref name="options"/> describes into the traffic of <paramref name="inner"/>.</summary>
    /// <param name="inner">The device whose traffic is faulted.</param>
    /// <param name="options">The faults, seed, pool size and clock.</param>
    /// <exception cref="ArgumentNullException"><paramref name="inner"/> or <paramref name="options"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException">An option is out of range; the message names it.</exception>
    public FaultInjector(INetworkDevice inner, FaultInjectorOptions options)
        : base(inner, (options ?? throw new ArgumentNullException(nameof(options))).LeaveInnerOpen)
    {
        options.Validate();
        var capabilities = inner.Capabilities;
        // Its pool slots are MTU-sized and it re-lends copies without the inner device's per-frame offload flags.
        if (capabilities.MaxOffloadLength > 0)
            throw new ArgumentException($"A fault injector cannot wrap a device with segmentation offload ({inner}: MaxOffloadLength {capabilities.MaxOffloadLength}); open the device without offloads (for a TAP device, TapDeviceOptions.Offloads = false).", nameof(inner));
        int slotSize = capabilities.MaxFrameLength;
        if ((long)options.PoolSize * slotSize > 1L << 30)
            throw new ArgumentOutOfRangeException(nameof(options), options.PoolSize, $"FaultInjectorOptions.PoolSize ({options.PoolSize}) times the inner device's MaxFrameLength ({slotSize}) is over 1 GiB; use fewer slots.");
        int largest = options.MaxFrameLength > 0 ? Math.Min(options.MaxFrameLength, slotSize) : slotSize;
        if (options.RateBitsPerSecond > 0 && options.RateLimitAction == RateLimitAction.Drop && options.RateBurstBytes != 0 && options.RateBurstBytes < largest)
            throw new ArgumentOutOfRangeException(nameof(options), options.RateBurstBytes, $"FaultInjectorOptions.RateBurstBytes ({options.RateBurstBytes}) is smaller than the largest frame that can pass ({largest} bytes), which the Drop rate limit would then always drop; make the burst at least that.");

        Options = options;
        _time = options.TimeProvider;
        long now = _time.GetTimestamp();
        _batch = capabilities.ReceiveBatchSize;
        if ((options.Directions & FrameDirections.Receive) != 0)
        {
            _rx = new FaultLane(options, ReceiveStream, slotSize, now);
            // Copies are at most the pool; frames lent in place at most one inner batch.
            _ready = new long[options.PoolSize + _batch];
        }
        else
        {
            _ready = [];
        }
        if ((options.Directions & FrameDirections.Transmit) != 0)
        {
            _tx = new FaultLane(options, TransmitStream, slotSize, now);
            _sendQueue = new int[options.PoolSize];
        }
        else
        {
            _sendQueue = [];
        }
        ReceiveFaults = _rx?.Counters ?? new FaultCounters();
        TransmitFaults = _tx?.Counters ?? new FaultCounters();
    }

    /// <summary>The options the injector was built with.</summary>
    public FaultInjectorOptions Options { get; }

    /// <summary>Faults injected into received frames (all zero when receive is not faulted).</summary>
    public FaultCounters ReceiveFaults { get; }

    /// <summary>Faults injected into transmitted frames (all zero when transmit is not faulted).</summary>
    public FaultCounters TransmitFaults { get; }

    // ---- receive ----

    /// <inheritdoc />
    public override int Receive()
    {
        if (_tx is not null) SendDue(publish: true);
        var rx = _rx;
        if (rx is null) return Inner.Receive();

        long now = _time.GetTimestamp();
        while (rx.TryTakeReleased(now, out int held)) Ready(~(long)held);
        while (rx.TryTakeDue(now, out int slot, out bool reorder))
        {
            if (reorder) rx.Hold(slot, now);
            else Deliver(rx, ~(long)slot, now);
        }
        // Examine new frames only while the stack has less than a batch ready: that bounds what
        // is decided ahead of the stack, and so the frames lent in place.
        while (_readyCount < _batch)
        {
            if (_innerExamined == _innerHead + _innerLent)
            {
                ReleaseInner();
                int lent = Inner.Receive();
                if (lent == _innerLent) break;
                _innerLent = lent;
            }
            Intake(rx, now);
        }
        ReleaseInner();
        _lent = Math.Min(_readyCount, _batch);
        return _lent;
    }

    /// <inheritdoc />
    public override ReadOnlySpan<byte> GetReceived(int index)
    {
        if (_rx is null) return Inner.GetReceived(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual((uint)index, (uint)_lent, nameof(index));
        long entry = _ready[Wrap(_readyHead + index, _ready.Length)];
        return entry >= 0 ? Inner.GetReceived((int)(entry - _innerHead)) : _rx.Frame((int)~entry);
    }

    /// <inheritdoc />
    /// <remarks>The injector wraps only devices without offloads, so there is never anything to report.</remarks>
    public override ReadOnlySpan<byte> GetReceived(int index, out FrameOffload offload)
    {
        offload = FrameOffload.None;
        return GetReceived(index);
    }

    /// <inheritdoc />
    public override void ReleaseReceived(int count)
    {
        if (_rx is null)
        {
            Inner.ReleaseReceived(count);
            return;
        }
        ArgumentOutOfRangeException.ThrowIfGreaterThan((uint)count, (uint)_lent, nameof(count));
        for (int i = 0; i < count; i++)
        {
            long entry = _ready[_readyHead];
            if (entry < 0) _rx.Return((int)~entry);
            else _readyInner--;
            _readyHead = Wrap(_readyHead + 1, _ready.Length);
        }
        _readyCount -= count;
        _lent -= count;
        ReleaseInner();
    }

    private void Intake(FaultLane rx, long now)
    {
        long sequence = _innerExamined++;
        var frame = Inner.GetReceived((int)(sequence - _innerHead));
        if (!rx.Decide(frame.Length, now, out var decision)) return;

        bool mustWait = decision.Due > now;
        int slot = -1;
        if (mustWait || decision.CorruptAt >= 0 || decision.Reorder)
        {
            if (rx.TryRent(out slot))
            {
                rx.Store(slot, frame);
            }
            else if (mustWait)
            {
                rx.Refund(decision);
                rx.Counters.PoolExhaustedDroppedField++;
                return;
            }
            else
            {
                // It can go now, in place: only the faults that needed a copy are lost.
                rx.Counters.PoolExhaustedSkippedField++;
                decision.CorruptAt = -1;
                decision.Reorder = false;
                decision.Duplicate = false;
            }
        }
        int copy = -1;
        if (decision.Duplicate)
        {
            if (rx.TryRent(out copy))
            {
                rx.Store(copy, frame);
                rx.Counters.DuplicatedField++;
            }
            else
            {
                rx.Counters.PoolExhaustedSkippedField++;
            }
        }
        if (decision.CorruptAt >= 0) rx.Corrupt(slot, decision);
        rx.Accept(decision);

        if (mustWait)
        {
            rx.Wait(slot, decision.Due, decision.Reorder);
            if (copy >= 0) rx.Wait(copy, decision.Due, reorder: false);
            return;
        }
        if (slot < 0) Deliver(rx, sequence, now);
        else if (decision.Reorder) rx.Hold(slot, now);
        else Deliver(rx, ~(long)slot, now);
        if (copy >= 0) Deliver(rx, ~(long)copy, now);
    }

    /// <summary>Makes a frame ready for the stack; it counts toward the frames reordered ones wait behind.</summary>
    private void Deliver(FaultLane rx, long entry, long now)
    {
        Ready(entry);
        rx.CountDown();
        while (rx.TryTakeReleased(now, out int held)) Ready(~(long)held);
    }

    private void Ready(long entry)
    {
        _ready[Wrap(_readyHead + _readyCount, _ready.Length)] = entry;
        _readyCount++;
        if (entry >= 0) _readyInner++;
    }

    /// <summary>Gives the inner device back its oldest frames that the stack no longer sees: those before the first one still ready in place.</summary>
    private void ReleaseInner()
    {
        long upTo = _innerExamined;
        if (_readyInner > 0)
        {
            for (int i = 0; i < _readyCount; i++)
            {
                long entry = _ready[Wrap(_readyHead + i, _ready.Length)];
                if (entry >= 0)
                {
                    upTo = entry;
                    break;
                }
            }
        }
        int count = (int)(upTo - _innerHead);
        if (count == 0) return;
        Inner.ReleaseReceived(count);
        _innerHead += count;
        _innerLent -= count;
    }

    // ---- transmit ----

    /// <inheritdoc />
    public override bool TryGetTransmitSlot(out Span<byte> slot)
    {
        var tx = _tx;
        if (tx is null) return Inner.TryGetTransmitSlot(out slot);
        ObjectDisposedException.ThrowIf(IsDisposed, this);
        if (_txLent >= 0)
            throw new InvalidOperationException("A transmit slot is already lent; commit it with CommitTransmit before asking for another.");
        if (!tx.TryRent(out int rented))
        {
            // Frames the stack has flushed may be due by now: moving them on frees their slots.
            SendDue(publish: true);
            if (!tx.TryRent(out rented))
            {
                slot = default;
                return false;
            }
        }
        _txLent = rented;
        slot = tx.Slot(rented);
        return true;
    }

    /// <inheritdoc />
    /// <exception cref="NotSupportedException"><paramref name="offload"/> asks for segmentation, which the injector never offers.</exception>
    public override void CommitTransmit(int length, in FrameOffload offload)
    {
        if (offload.SegmentSize != 0)
            throw new NotSupportedException("A fault injector does not segment TCP on transmit (its Capabilities.MaxOffloadLength is 0); send MTU-sized frames.");
        CommitTransmit(length);
    }

    /// <inheritdoc />
    public override void CommitTransmit(int length)
    {
        var tx = _tx;
        if (tx is null)
        {
            Inner.CommitTransmit(length);
            return;
        }
        if (_txLent < 0)
            throw new InvalidOperationException("No transmit slot is lent; call TryGetTransmitSlot first.");
        if ((uint)length > (uint)tx.SlotSize)
            throw new ArgumentOutOfRangeException(nameof(length), length, $"A frame must be 0 to {tx.SlotSize} bytes (the slot size).");
        int slot = _txLent;
        _txLent = -1;
        tx.SetLength(slot, length);
        if (!tx.Decide(length, _time.GetTimestamp(), out var decision))
        {
            tx.Return(slot);
            return;
        }
        int copy = -1;
        if (decision.Duplicate)
        {
            if (tx.TryRent(out copy))
            {
                tx.Store(copy, tx.Frame(slot));
                tx.Counters.DuplicatedField++;
            }
            else
            {
                tx.Counters.PoolExhaustedSkippedField++;
            }
        }
        if (decision.CorruptAt >= 0) tx.Corrupt(slot, decision);
        tx.Accept(decision);
        // Every frame waits here, due or not, until the stack flushes it.
        tx.Wait(slot, decision.Due, decision.Reorder);
        if (copy >= 0) tx.Wait(copy, decision.Due, reorder: false);
    }

    /// <summary>
    /// Releases the committed frames: those due now go into the inner device's slots and the inner
    /// device publishes them; delayed ones follow at a later <see cref="Flush"/> or
    /// <see cref="Receive"/>. Returns how many frames the inner device published.
    /// </summary>
    /// <returns>The inner device's count: delayed frames leave later and duplicates add to it.</returns>
    public override int Flush()
    {
        if (_tx is null) return Inner.Flush();
        _txFlushed = _tx.WaitingCount;
        SendDue(publish: false);
        return Inner.Flush();
    }

    /// <summary>Moves due, flushed transmit frames into the inner device; publishes them there when asked to.</summary>
    private int SendDue(bool publish)
    {
        var tx = _tx!;
        long now = _time.GetTimestamp();
        while (tx.TryTakeReleased(now, out int held)) Send(held);
        while (_txFlushed > 0 && tx.TryTakeDue(now, out int slot, out bool reorder))
        {
            _txFlushed--;
            if (reorder)
            {
                tx.Hold(slot, now);
                continue;
            }
            Send(slot);
            tx.CountDown();
            while (tx.TryTakeReleased(now, out int released)) Send(released);
        }

        int sent = 0;
        while (_sendCount > 0 && Inner.TryGetTransmitSlot(out var target))
        {
            int slot = _sendQueue[_sendHead];
            var frame = tx.Frame(slot);
            frame.CopyTo(target);
            Inner.CommitTransmit(frame.Length);
            tx.Return(slot);
            _sendHead = Wrap(_sendHead + 1, _sendQueue.Length);
            _sendCount--;
            sent++;
        }
        if (publish && sent > 0) Inner.Flush();
        return sent;
    }

    private void Send(int slot)
    {
        _sendQueue[Wrap(_sendHead + _sendCount, _sendQueue.Length)] = slot;
        _sendCount++;
    }

    // ---- waiting ----

    /// <summary>
    /// Waits for the inner device, but no longer than until a held frame (either way) is due, so
    /// the poll loop comes back in time to let it go: a true return then means "call Receive".
    /// </summary>
    /// <returns>True when frames may be ready, or a held frame is due; false on timeout.</returns>
    public override bool WaitForReceive(TimeSpan timeout)
    {
        if (_rx is null && _tx is null) return Inner.WaitForReceive(timeout);
        if (_rx is not null && (_readyCount > _lent || _innerExamined < _innerHead + _innerLent)) return true;
        long next = long.MaxValue;
        if (_rx is not null) next = Math.Min(_rx.NextWaitingDue, _rx.NextHoldDeadline);
        if (_tx is not null)
        {
            if (_txFlushed > 0) next = Math.Min(next, _tx.NextWaitingDue);
            next = Math.Min(next, _tx.NextHoldDeadline);
        }
        if (next == long.MaxValue) return Inner.WaitForReceive(timeout);
        long now = _time.GetTimestamp();
        if (next <= now) return true;
        var untilDue = _time.GetElapsedTime(now, next);
        if (untilDue >= timeout) return Inner.WaitForReceive(timeout);
        Inner.WaitForReceive(untilDue);
        return true;
    }

    private static int Wrap(int index, int length) => index >= length ? index - length : index;
}
