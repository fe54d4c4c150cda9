namespace Wirestack.Nic;

/// <summary>
/// One direction of a <see cref="FaultInjector"/>: its random sequence, token bucket and counters,
/// the fault decision for each frame, and the memory that holds frames while they wait: a pool of
/// frame slots, a queue of slots waiting for their departure time (in departure order), and the
/// slots held back for reordering. Everything is sized at construction.
/// </summary>
internal sealed class FaultLane
{
    private readonly double _drop;
    private readonly double _duplicate;
    private readonly double _reorder;
    private readonly double _corrupt;
    private readonly int _corruptOffset;
    private readonly int _maxFrameLength;
    private readonly int _reorderDistance;
    private readonly long _delayTicks;
    private readonly long _jitterTicks;
    private readonly long _reorderTimeoutTicks;
    private FaultRandom _random;

    // Token bucket, in bit-ticks: a bit is worth TimestampFrequency units and each tick adds the
    // rate in bits per second, so refill and cost are whole numbers at any clock frequency.
    private readonly long _rate;
    private readonly bool _rateDrops;
    private readonly long _bucketCapacity;
    private readonly long _costPerByte;
    private long _tokens;
    private long _tokensAt;

    // No frame leaves before the one ahead of it: jitter and the shaper never reorder.
    private long _lastDue;

    private readonly byte[] _pool;
    private readonly int[] _lengths;
    private readonly int[] _free;
    private int _freeCount;

    private readonly int[] _waitSlot;
    private readonly long[] _waitDue;
    private readonly bool[] _waitReorder;
    private int _waitHead;
    private int _waitCount;

    private readonly int[] _holdSlot;
    private readonly int[] _holdLeft;
    private readonly long[] _holdDeadline;
    private int _holdCount;

    public FaultLane(FaultInjectorOptions options, ulong stream, int slotSize, long now)
    {
        long frequency = options.TimeProvider.TimestampFrequency;
        _drop = options.DropProbability;
        _duplicate = options.DuplicateProbability;
        _reorder = options.ReorderProbability;
        _corrupt = options.CorruptProbability;
        _corruptOffset = options.CorruptOffset;
        _maxFrameLength = options.MaxFrameLength;
        _reorderDistance = options.ReorderDistance;
        _delayTicks = ToTicks(options.Delay, frequency);
        _jitterTicks = ToTicks(options.Jitter, frequency);
        _reorderTimeoutTicks = Math.Max(1, ToTicks(options.ReorderTimeout, frequency));
        _random = new FaultRandom(options.Seed, stream);

        _rate = options.RateBitsPerSecond;
        _rateDrops = options.RateLimitAction == RateLimitAction.Drop;
        _costPerByte = 8 * frequency;
        _bucketCapacity = (options.RateBurstBytes == 0 ? slotSize : options.RateBurstBytes) * _costPerByte;
        _tokens = _bucketCapacity;
        _tokensAt = now;

        int size = options.PoolSize;
        SlotSize = slotSize;
        // Pinned: a wrapper around the injector reads lent transmit slots back by address.
        _pool = GC.AllocateArray<byte>(checked(size * slotSize), pinned: true);
        _lengths = new int[size];
        _free = new int[size];
        for (int i = 0; i < size; i++) _free[i] = size - 1 - i;
        _freeCount = size;
        _waitSlot = new int[size];
        _waitDue = new long[size];
        _waitReorder = new bool[size];
        _holdSlot = new int[size];
        _holdLeft = new int[size];
        _holdDeadline = new long[size];
    }

    public FaultCounters Counters { get; } = new();

    public int SlotSize { get; }

    public int WaitingCount => _waitCount;

    /// <summary>The earliest time something held here is due: the head of the queue or the oldest reorder hold.</summary>
    public long NextHoldDeadline => _holdCount == 0 ? long.MaxValue : _holdDeadline[0];

    public long NextWaitingDue => _waitCount == 0 ? long.MaxValue : _waitDue[_waitHead];

    // ---- the decision ----

    /// <summary>
    /// Decides the faults for one frame of <paramref name="length"/> bytes seen at
    /// <paramref name="now"/>. Returns false when it is dropped (and counts why); otherwise says
    /// when it is due and what else to do, for the caller to apply and then <see cref="Accept"/>.
    /// </summary>
    public bool Decide(int length, long now, out Decision decision)
    {
        decision = default;
        decision.CorruptAt = -1;
        Counters.FramesField++;
        if (_maxFrameLength > 0 && length > _maxFrameLength)
        {
            Counters.OversizedField++;
            return false;
        }
        if (_drop > 0 && _random.NextDouble() < _drop)
        {
            Counters.DroppedField++;
            return false;
        }

        long departure = now;
        if (_rate > 0)
        {
            Refill(now);
            long cost = length * _costPerByte;
            if (_tokens >= cost)
            {
                _tokens -= cost;
            }
            else if (_rateDrops)
            {
                Counters.RateDroppedField++;
                return false;
            }
            else
            {
                // Shaping: the frame leaves once the bucket has refilled enough; the debt it leaves
                // queues the frames after it behind it.
                departure = now + (cost - _tokens + _rate - 1) / _rate;
                _tokens -= cost;
                decision.RateDelayed = true;
            }
            decision.RateCost = cost;
        }

        if (_corrupt > 0 && _random.NextDouble() < _corrupt && length > _corruptOffset)
        {
            decision.CorruptAt = _corruptOffset + _random.NextInt(length - _corruptOffset);
            decision.CorruptMask = (byte)(1 << _random.NextInt(8));
        }

        long delay = _delayTicks;
        if (_jitterTicks > 0) delay += Math.Min(_jitterTicks, (long)(_random.NextDouble() * (_jitterTicks + 1)));
        decision.Delayed = delay > 0;
        decision.Due = Math.Max(departure + delay, _lastDue);
        decision.Reorder = _reorder > 0 && _random.NextDouble() < _reorder;
        decision.Duplicate = _duplicate > 0 && _random.NextDouble() < _duplicate;
        return true;
    }

    /// <summary>The frame was dropped after all (no pool slot): give back the tokens it took.</summary>
    public void Refund(in Decision decision) => _tokens += decision.RateCost;

    /// <summary>The frame goes on as decided (with whatever the caller had to skip cleared): record it.</summary>
    public void Accept(in Decision decision)
    {
        if (decision.Due > _lastDue) _lastDue = decision.Due;
        if (decision.Delayed) Counters.DelayedField++;
        if (decision.RateDelayed) Counters.RateDelayedField++;
        if (decision.Reorder) Counters.ReorderedField++;
    }

    public void Corrupt(int slot, in Decision decision)
    {
        Slot(slot)[decision.CorruptAt] ^= decision.CorruptMask;
        Counters.CorruptedField++;
    }

    private void Refill(long now)
    {
        long elapsed = now - _tokensAt;
        _tokensAt = now;
        if (elapsed <= 0) return;
        // The bucket may be in debt (shaping), so the room to fill can exceed its capacity.
        long room = _bucketCapacity - _tokens;
        if (elapsed > room / _rate) _tokens = _bucketCapacity;
        else _tokens += elapsed * _rate;
    }

    // ---- the pool ----

    public bool TryRent(out int slot)
    {
        if (_freeCount == 0)
        {
            slot = -1;
            return false;
        }
        slot = _free[--_freeCount];
        return true;
    }

    public void Return(int slot) => _free[_freeCount++] = slot;

    public Span<byte> Slot(int slot) => _pool.AsSpan(slot * SlotSize, SlotSize);

    public ReadOnlySpan<byte> Frame(int slot) => _pool.AsSpan(slot * SlotSize, _lengths[slot]);

    public void Store(int slot, ReadOnlySpan<byte> frame)
    {
        frame.CopyTo(Slot(slot));
        _lengths[slot] = frame.Length;
    }

    public void SetLength(int slot, int length) => _lengths[slot] = length;

    // ---- frames waiting for their departure time, in departure order ----

    public void Wait(int slot, long due, bool reorder)
    {
        int at = _waitHead + _waitCount;
        if (at >= _waitSlot.Length) at -= _waitSlot.Length;
        _waitSlot[at] = slot;
        _waitDue[at] = due;
        _waitReorder[at] = reorder;
        _waitCount++;
    }

    /// <summary>Takes the head of the queue when it is due at <paramref name="now"/>.</summary>
    public bool TryTakeDue(long now, out int slot, out bool reorder)
    {
        if (_waitCount == 0 || _waitDue[_waitHead] > now)
        {
            slot = -1;
            reorder = false;
            return false;
        }
        slot = _waitSlot[_waitHead];
        reorder = _waitReorder[_waitHead];
        if (++_waitHead == _waitSlot.Length) _waitHead = 0;
        _waitCount--;
        return true;
    }

    // ---- frames held back for reordering ----

    public void Hold(int slot, long now)
    {
        _holdSlot[_holdCount] = slot;
        _holdLeft[_holdCount] = _reorderDistance;
        _holdDeadline[_holdCount] = now + _reorderTimeoutTicks;
        _holdCount++;
    }

    /// <summary>Another frame has gone by every held one.</summary>
    public void CountDown()
    {
        for (int i = 0; i < _holdCount; i++) _holdLeft[i]--;
    }

    /// <summary>Takes the oldest held frame whose count has run out or whose timeout has passed.</summary>
    public bool TryTakeReleased(long now, out int slot)
    {
        for (int i = 0; i < _holdCount; i++)
        {
            if (_holdLeft[i] > 0 && _holdDeadline[i] > now) continue;
            slot = _holdSlot[i];
            int after = _holdCount - i - 1;
            Array.Copy(_holdSlot, i + 1, _holdSlot, i, after);
            Array.Copy(_holdLeft, i + 1, _holdLeft, i, after);
            Array.Copy(_holdDeadline, i + 1, _holdDeadline, i, after);
            _holdCount--;
            return true;
        }
        slot = -1;
        return false;
    }

    private static long ToTicks(TimeSpan span, long frequency) => (long)((Int128)span.Ticks * frequency / TimeSpan.TicksPerSecond);

    /// <summary>What happens to one frame.</summary>
    internal struct Decision
    {
        /// <summary>When it may leave (a clock timestamp); later than now means it waits in the pool.</summary>
        public long Due;

        /// <summary>The byte to flip a bit of, or -1.</summary>
        public int CorruptAt;

        public byte CorruptMask;

        public bool Reorder;

        public bool Duplicate;

        public bool Delayed;

        public bool RateDelayed;

        /// <summary>Tokens the frame took from the bucket, to give back if it is dropped after all.</summary>
        public long RateCost;
    }
}
