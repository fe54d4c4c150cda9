using Wirestack.Wire;

namespace Wirestack.Ip;

/// <summary>
/// Puts IPv4 and IPv6 fragments back together (RFC 791, RFC 8200 section 4.5) in a fixed pool of buffers taken at
/// construction: a flood of bogus fragments can fill the pool but never grow memory. Pure and single-owner: time comes
/// in as a parameter, decisions (a completed datagram, an ICMP that may be sent) go back to the caller.
/// </summary>
/// <remarks>
/// <para>Each buffer keeps the fragments received as a sorted list of byte ranges in fixed arrays (at most
/// <see cref="FragmentReassemblerOptions.MaxFragmentsPerDatagram"/>). Ranges never overlap, because an overlap discards
/// the datagram, so the datagram is whole once the last fragment is in and the bytes received add up to its end.</para>
/// <para>Policies: an overlap discards the whole datagram, for IPv4 as well as IPv6 (RFC 5722): overlapping fragments
/// have no legitimate use and are how teardrop-style attacks and IDS evasion work. An exact duplicate (same offset and
/// length) is ignored and the first copy kept (RFC 8200 allows this rather than treating it as an overlap; its bytes
/// are not compared, so a forged duplicate cannot change the datagram). A datagram's time runs from its first-arriving
/// fragment and is not extended by later ones (RFC 8200, and what Linux does), so a trickle cannot hold a buffer forever.</para>
/// <para>Single-threaded: the poll loop owns it.</para>
/// </remarks>
public sealed class FragmentReassembler
{
    private const int MaxEnd = 65535;

    private readonly Slot[] _slots;
    private readonly int _maxFragments;
    private readonly int _maxDatagramSize;
    private readonly TimeSpan _ipv4Timeout;
    private readonly TimeSpan _ipv6Timeout;
    private readonly bool _evictOldest;
    private int _freeCount;
    private int _lentCount;

    /// <summary>Allocates every buffer the reassembler will ever use.</summary>
    /// <exception cref="ArgumentNullException"><paramref name="options"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A setting is out of range (the message names it).</exception>
    public FragmentReassembler(FragmentReassemblerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        Options = options;
        _maxFragments = options.MaxFragmentsPerDatagram;
        _maxDatagramSize = options.MaxDatagramSize;
        _ipv4Timeout = options.Ipv4Timeout;
        _ipv6Timeout = options.Ipv6Timeout;
        _evictOldest = options.PoolFullPolicy == FragmentPoolFullPolicy.EvictOldest;
        _slots = new Slot[options.BufferCount];
        for (int i = 0; i < _slots.Length; i++) _slots[i] = new Slot(i, options.MaxDatagramSize, options.MaxFragmentsPerDatagram);
        _freeCount = _slots.Length;
    }

    /// <summary>The settings the reassembler was built with.</summary>
    public FragmentReassemblerOptions Options { get; }

    /// <summary>What happened to IPv4 fragments.</summary>
    public FragmentCounters Ipv4Counters { get; } = new();

    /// <summary>What happened to IPv6 fragments.</summary>
    public FragmentCounters Ipv6Counters { get; } = new();

    /// <summary>Buffers in the pool.</summary>
    public int BufferCount => _slots.Length;

    /// <summary>Buffers neither under reassembly nor lent.</summary>
    public int FreeBufferCount => _freeCount;

    /// <summary>Buffers holding a completed datagram the caller has not released yet.</summary>
    public int LentCount => _lentCount;

    /// <summary>Buffers holding an incomplete datagram.</summary>
    public int AssemblingCount => _slots.Length - _freeCount - _lentCount;

    /// <summary>When <see cref="Expire"/> next has something to do; <see cref="Instant.MaxValue"/> when nothing is being reassembled.</summary>
    public Instant NextDeadline
    {
        get
        {
            var next = Instant.MaxValue;
            foreach (var slot in _slots)
            {
                if (slot.State == SlotState.Assembling && slot.Deadline < next) next = slot.Deadline;
            }
            return next;
        }
    }

    /// <summary>Takes one fragment: stores its data, or drops it (or its whole datagram) with a counted reason.</summary>
    /// <param name="fragment">The fragment; its payload is copied, so the caller's buffer is free again on return.</param>
    /// <param name="now">The time, which starts a new datagram's timer.</param>
    /// <param name="datagram">With <see cref="FragmentOutcome.Complete"/>, the whole datagram, lent until released.</param>
    /// <returns>What was done.</returns>
    public FragmentOutcome Accept(in Fragment fragment, Instant now, out ReassembledDatagram datagram)
    {
        datagram = default;
        int offset = fragment.Offset;
        bool more = fragment.MoreFragments;
        if (offset == 0 && !more) return FragmentOutcome.NotFragmented;

        var counters = fragment.Key.IsIpv6 ? Ipv6Counters : Ipv4Counters;
        counters.FragmentsReceivedField++;
        var payload = fragment.Payload;
        int length = payload.Length;
        int end = offset + length;

        // Checks on the fragment alone come first: they need no buffer, so bad fragments never take one.
        if (length == 0 || (more && (length & 7) != 0))
        {
            counters.BadFragmentsField++;
            return FragmentOutcome.BadLength;
        }
        if (end > MaxEnd)
        {
            counters.BadFragmentsField++;
            return FragmentOutcome.TooLong;
        }
        if (end > _maxDatagramSize)
        {
            counters.TooLargeField++;
            return FragmentOutcome.TooLarge;
        }

        var slot = Find(fragment.Key) ?? Start(fragment.Key, now);
        if (slot is null)
        {
            counters.PoolFullField++;
            return FragmentOutcome.PoolFull;
        }

        // Against what is known of the datagram's end: one end only, and nothing past it.
        bool inconsistent = more
            ? slot.Total >= 0 && end > slot.Total
            : (slot.Total >= 0 && slot.Total != end) || end < slot.HighestEnd;
        if (inconsistent)
        {
            Free(slot);
            counters.BadFragmentsField++;
            return FragmentOutcome.Inconsistent;
        }

        int index = slot.IndexOf(offset);
        if (index < slot.Count && slot.Starts[index] == offset && slot.Ends[index] == end)
        {
            counters.DuplicatesField++;
            return FragmentOutcome.Duplicate;
        }
        if ((index < slot.Count && slot.Starts[index] < end) || (index > 0 && slot.Ends[index - 1] > offset))
        {
            Free(slot);
            counters.OverlapsField++;
            return FragmentOutcome.Overlap;
        }
        if (slot.Count == _maxFragments)
        {
            Free(slot);
            counters.TooManyFragmentsField++;
            return FragmentOutcome.TooManyFragments;
        }

        slot.Insert(index, offset, end);
        payload.CopyTo(slot.Buffer.AsSpan(offset));
        slot.Received += length;
        if (end > slot.HighestEnd) slot.HighestEnd = end;
        if (!more) slot.Total = end;
        if (offset == 0)
        {
            slot.HasFirst = true;
            slot.UpperLayer = fragment.UpperLayerProtocol;
            var packet = fragment.Packet;
            slot.PrefixLength = Math.Min(packet.Length, ExpiredDatagram.MaxQuoteLength);
            packet[..slot.PrefixLength].CopyTo(slot.Prefix);
        }

        if (slot.Received != slot.Total) return FragmentOutcome.Incomplete;

        slot.State = SlotState.Lent;
        _lentCount++;
        counters.ReassembledField++;
        datagram = Lend(slot);
        return FragmentOutcome.Complete;
    }

    /// <summary>Reads a lent datagram again (for a caller that kept only its handle).</summary>
    /// <returns>False when the handle is stale (its datagram was released).</returns>
    public bool TryGetDatagram(ReassemblyHandle handle, out ReassembledDatagram datagram)
    {
        datagram = default;
        var slot = LentSlot(handle);
        if (slot is null) return false;
        datagram = Lend(slot);
        return true;
    }

    /// <summary>Gives a completed datagram's buffer back to the pool; the datagram's spans must not be read afterwards.</summary>
    /// <exception cref="InvalidOperationException">The handle is stale: its datagram was released already.</exception>
    public void Release(ReassemblyHandle handle)
    {
        var slot = LentSlot(handle)
            ?? throw new InvalidOperationException("This reassembled datagram was released already (or the handle is from another reassembler).");
        _lentCount--;
        Free(slot);
    }

    /// <summary>
    /// Frees every incomplete datagram whose time is up (deadline at or before <paramref name="now"/>) and writes into
    /// <paramref name="expired"/> those whose first fragment had arrived, for an ICMP time-exceeded the caller may send.
    /// </summary>
    /// <returns>
    /// How many entries of <paramref name="expired"/> were written. A datagram that needs reporting but finds
    /// <paramref name="expired"/> full stays until the next call (<see cref="NextDeadline"/> is then still due).
    /// </returns>
    public int Expire(Instant now, Span<ExpiredDatagram> expired)
    {
        int written = 0;
        foreach (var slot in _slots)
        {
            if (slot.State != SlotState.Assembling || slot.Deadline > now) continue;
            if (slot.HasFirst)
            {
                if (written == expired.Length) continue;
                expired[written++].Set(slot.Key, slot.Prefix.AsSpan(0, slot.PrefixLength));
            }
            (slot.Key.IsIpv6 ? Ipv6Counters : Ipv4Counters).TimeoutsField++;
            Free(slot);
        }
        return written;
    }

    private Slot? Find(in FragmentKey key)
    {
        foreach (var slot in _slots)
        {
            if (slot.State == SlotState.Assembling && slot.Key == key) return slot;
        }
        return null;
    }

    private Slot? Start(in FragmentKey key, Instant now)
    {
        Slot? chosen = null;
        if (_freeCount > 0)
        {
            foreach (var slot in _slots)
            {
                if (slot.State == SlotState.Free)
                {
                    chosen = slot;
                    break;
                }
            }
        }
        else if (_evictOldest)
        {
            foreach (var slot in _slots)
            {
                if (slot.State == SlotState.Assembling && (chosen is null || slot.Started < chosen.Started)) chosen = slot;
            }
            if (chosen is null) return null; // every buffer is lent to the caller: nothing may be taken back
            (chosen.Key.IsIpv6 ? Ipv6Counters : Ipv4Counters).EvictedField++;
            Free(chosen);
        }
        if (chosen is null) return null;

        _freeCount--;
        chosen.State = SlotState.Assembling;
        chosen.Key = key;
        chosen.Started = now;
        chosen.Deadline = now + (key.IsIpv6 ? _ipv6Timeout : _ipv4Timeout);
        chosen.Count = 0;
        chosen.Received = 0;
        chosen.Total = -1;
        chosen.HighestEnd = 0;
        chosen.HasFirst = false;
        chosen.PrefixLength = 0;
        chosen.UpperLayer = default;
        return chosen;
    }

    private void Free(Slot slot)
    {
        slot.State = SlotState.Free;
        slot.Generation++; // stales any handle to the old datagram
        _freeCount++;
    }

    private Slot? LentSlot(ReassemblyHandle handle)
    {
        if ((uint)handle.Slot >= (uint)_slots.Length) return null;
        var slot = _slots[handle.Slot];
        return slot.State == SlotState.Lent && slot.Generation == handle.Generation ? slot : null;
    }

    private ReassembledDatagram Lend(Slot slot) =>
        new(new ReassemblyHandle(slot.Number, slot.Generation), slot.Key, slot.UpperLayer,
            slot.Buffer.AsSpan(0, slot.Total), slot.Prefix.AsSpan(0, slot.PrefixLength));

    private enum SlotState : byte
    {
        Free,
        Assembling,
        Lent,
    }

    /// <summary>One reassembly buffer and its bookkeeping, all allocated once.</summary>
    private sealed class Slot(int number, int size, int maxFragments)
    {
        public readonly int Number = number;
        public readonly byte[] Buffer = GC.AllocateUninitializedArray<byte>(size);
        public readonly int[] Starts = new int[maxFragments];
        public readonly int[] Ends = new int[maxFragments];
        public readonly byte[] Prefix = new byte[ExpiredDatagram.MaxQuoteLength];
        public SlotState State;
        public int Generation;
        public FragmentKey Key;
        public Instant Started;
        public Instant Deadline;
        public int Count;
        public int Received;
        public int Total;
        public int HighestEnd;
        public bool HasFirst;
        public int PrefixLength;
        public IpProtocol UpperLayer;

        /// <summary>The index of the first stored range starting at or after <paramref name="offset"/>.</summary>
        public int IndexOf(int offset)
        {
            int low = 0, high = Count;
            while (low < high)
            {
                int middle = (low + high) >>> 1;
                if (Starts[middle] < offset) low = middle + 1;
                else high = middle;
            }
            return low;
        }

        public void Insert(int index, int start, int end)
        {
            int tail = Count - index;
            if (tail > 0)
            {
                Array.Copy(Starts, index, Starts, index + 1, tail);
                Array.Copy(Ends, index, Ends, index + 1, tail);
            }
            Starts[index] = start;
            Ends[index] = end;
            Count++;
        }
    }
}
