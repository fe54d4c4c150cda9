using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Wirestack.Wire;

namespace Wirestack.Sockets;

/// <summary>
/// A single-producer, single-consumer queue of whole datagrams, each with its remote endpoint, in one byte array
/// allocated up front: the path a datagram takes between an application thread and the stack thread without a lock.
/// </summary>
/// <remarks>
/// Records are a 24-byte header (length, port, address) and the payload, padded to 8 bytes, laid out contiguously;
/// a record that would straddle the end leaves a skip marker and starts again at the front. The producer publishes
/// by advancing the tail, the consumer frees by advancing the head, each with a release store the other side reads
/// with an acquire load. Any record up to <see cref="MaxDatagramLength"/> always fits an empty ring.
/// </remarks>
internal sealed class SpscDatagramRing
{
    private const int HeaderLength = 24;
    private const int SkipMarker = -1;
    private readonly byte[] _buffer;
    private readonly int _capacity;
    private Positions _positions;
    // Producer only: where the record lent by TryBeginWrite starts (after any skip it needed).
    private long _reservedTail;

    /// <summary>Makes a ring of <paramref name="capacity"/> bytes (a multiple of 8, at least 64).</summary>
    public SpscDatagramRing(int capacity)
    {
        if (capacity < 64 || capacity % 8 != 0)
            throw new ArgumentOutOfRangeException(nameof(capacity), capacity, "A datagram ring holds at least 64 bytes, in a multiple of 8.");
        _capacity = capacity;
        _buffer = GC.AllocateUninitializedArray<byte>(capacity);
        MaxDatagramLength = capacity / 2 - HeaderLength;
    }

    /// <summary>The largest payload the ring takes: a record of half the ring always fits once the ring is empty.</summary>
    public int MaxDatagramLength { get; }

    /// <summary>True when no datagram is queued (exact on the consumer's side, a snapshot elsewhere).</summary>
    public bool IsEmpty => Volatile.Read(ref _positions.Head) == Volatile.Read(ref _positions.Tail);

    /// <summary>Producer: whether a payload of <paramref name="length"/> bytes would fit now.</summary>
    public bool CanWrite(int length)
    {
        if ((uint)length > (uint)MaxDatagramLength) return false;
        long tail = _positions.Tail;
        long free = _capacity - (tail - Volatile.Read(ref _positions.Head));
        int offset = (int)(tail % _capacity);
        int contiguous = _capacity - offset;
        int needed = RecordLength(length);
        return needed <= contiguous ? needed <= free : contiguous + needed <= free;
    }

    /// <summary>Producer: queues one datagram. False when it does not fit now (or ever: see <see cref="MaxDatagramLength"/>).</summary>
    public bool TryWrite(IpEndpoint remote, ReadOnlySpan<byte> payload)
    {
        if (!TryBeginWrite(payload.Length, out var slot)) return false;
        payload.CopyTo(slot);
        CommitWrite(remote, payload.Length);
        return true;
    }

    /// <summary>
    /// Producer: lends room for a payload of up to <paramref name="maxLength"/> bytes to write in place (so a datagram
    /// is copied into the ring once); <see cref="CommitWrite"/> publishes it. False when it does not fit now.
    /// </summary>
    public bool TryBeginWrite(int maxLength, out Span<byte> payload)
    {
        if (!CanWrite(maxLength))
        {
            payload = default;
            return false;
        }
        long tail = _positions.Tail;
        int offset = (int)(tail % _capacity);
        if (RecordLength(maxLength) > _capacity - offset)
        {
            // Straddles the end: mark the rest of the array as skipped and start at the front. The consumer cannot
            // see the marker before the commit moves the tail past it.
            Unsafe.WriteUnaligned(ref _buffer[offset], SkipMarker);
            _reservedTail = tail + _capacity - offset;
            offset = 0;
        }
        else
        {
            _reservedTail = tail;
        }
        payload = _buffer.AsSpan(offset + HeaderLength, maxLength);
        return true;
    }

    /// <summary>Producer: publishes the datagram written into the room lent by <see cref="TryBeginWrite"/>.</summary>
    public void CommitWrite(IpEndpoint remote, int length)
    {
        int offset = (int)(_reservedTail % _capacity);
        ref byte record = ref _buffer[offset];
        Unsafe.WriteUnaligned(ref record, length);
        Unsafe.WriteUnaligned(ref Unsafe.Add(ref record, 4), remote.Port);
        remote.Address.AsIpv6.WriteTo(_buffer.AsSpan(offset + 8, 16));
        Volatile.Write(ref _positions.Tail, _reservedTail + RecordLength(length));
    }

    /// <summary>Consumer: the oldest datagram, read in place; valid until <see cref="Advance"/>.</summary>
    public bool TryPeek(out IpEndpoint remote, out ReadOnlySpan<byte> payload)
    {
        long head = _positions.Head;
        long tail = Volatile.Read(ref _positions.Tail);
        if (head == tail)
        {
            remote = default;
            payload = default;
            return false;
        }
        int offset = (int)(head % _capacity);
        int length = Unsafe.ReadUnaligned<int>(ref _buffer[offset]);
        if (length == SkipMarker)
        {
            // The producer wrapped here; the record is at the front. Publishing the skip frees the tail end early.
            head += _capacity - offset;
            Volatile.Write(ref _positions.Head, head);
            offset = 0;
            length = Unsafe.ReadUnaligned<int>(ref _buffer[0]);
        }
        ushort port = Unsafe.ReadUnaligned<ushort>(ref _buffer[offset + 4]);
        remote = new IpEndpoint(new IpAddress(Ipv6Address.Read(_buffer.AsSpan(offset + 8, 16))), port);
        payload = _buffer.AsSpan(offset + HeaderLength, length);
        return true;
    }

    /// <summary>Consumer: frees the datagram last returned by <see cref="TryPeek"/>.</summary>
    public void Advance()
    {
        long head = _positions.Head;
        int offset = (int)(head % _capacity);
        int length = Unsafe.ReadUnaligned<int>(ref _buffer[offset]);
        Volatile.Write(ref _positions.Head, head + RecordLength(length));
    }

    /// <summary>
    /// Consumer: takes the oldest datagram, copying its payload into <paramref name="destination"/>. A shorter
    /// destination gets the first bytes and the rest is discarded, as <c>recvfrom</c> does.
    /// </summary>
    public bool TryRead(Span<byte> destination, out int length, out IpEndpoint remote)
    {
        if (!TryPeek(out remote, out var payload))
        {
            length = 0;
            return false;
        }
        length = Math.Min(payload.Length, destination.Length);
        payload[..length].CopyTo(destination);
        Advance();
        return true;
    }

    private static int RecordLength(int payloadLength) => (HeaderLength + payloadLength + 7) & ~7;

    // Head and tail on separate cache lines: each is written by one thread on every datagram.
    [StructLayout(LayoutKind.Explicit, Size = 192)]
    private struct Positions
    {
        [FieldOffset(64)] public long Tail;
        [FieldOffset(128)] public long Head;
    }
}
