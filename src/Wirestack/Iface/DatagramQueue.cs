using System.Buffers.Binary;
using Wirestack.Wire;

namespace Wirestack.Iface;

/// <summary>
/// A bounded first-in first-out queue of outgoing datagrams with their destinations, kept in one byte ring allocated
/// at construction. Each record is a <see cref="RecordHeaderLength"/>-byte header (payload length, destination port,
/// destination address in its 16-byte form, arrival sequence) followed by the payload, wrapping at the end of the
/// ring, so many small datagrams or a few large ones cost the same memory and nothing allocates per datagram.
/// </summary>
/// <remarks>
/// The arrival sequence is a number the owner hands in (the interface's global send counter), so that queues of
/// different sockets can be merged in arrival order (FIFO egress).
/// </remarks>
internal sealed class DatagramQueue
{
    internal const int RecordHeaderLength = 28;
    private readonly byte[] _ring;
    private int _head;
    private int _used;
    // The head record's header, decoded once when it becomes the head: the scheduler reads it on every decision.
    private int _headLength;
    private ushort _headPort;
    private IpAddress _headDestination;
    private long _headSequence;

    internal DatagramQueue(int capacity)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(capacity);
        _ring = new byte[capacity];
    }

    /// <summary>The ring's size in bytes.</summary>
    internal int Capacity => _ring.Length;

    /// <summary>Datagrams queued.</summary>
    internal int Count { get; private set; }

    /// <summary>Bytes taken in the ring, headers included.</summary>
    internal int UsedBytes => _used;

    /// <summary>The oldest datagram's payload length; 0 when empty.</summary>
    internal int HeadLength => _headLength;

    /// <summary>The oldest datagram's destination port.</summary>
    internal ushort HeadPort => _headPort;

    /// <summary>The oldest datagram's destination address.</summary>
    internal IpAddress HeadDestination => _headDestination;

    /// <summary>The oldest datagram's arrival sequence.</summary>
    internal long HeadSequence => _headSequence;

    /// <summary>Whether a payload of <paramref name="length"/> bytes fits now.</summary>
    internal bool CanEnqueue(int length) => RecordHeaderLength + length <= _ring.Length - _used;

    /// <summary>Appends a datagram; false (nothing changed) when the ring lacks room for its record.</summary>
    internal bool TryEnqueue(IpAddress destination, ushort port, long sequence, ReadOnlySpan<byte> payload)
    {
        if (payload.Length > ushort.MaxValue || !CanEnqueue(payload.Length)) return false;
        Span<byte> header = stackalloc byte[RecordHeaderLength];
        BinaryPrimitives.WriteUInt16BigEndian(header, (ushort)payload.Length);
        BinaryPrimitives.WriteUInt16BigEndian(header[2..], port);
        destination.AsIpv6.WriteTo(header[4..]);
        BinaryPrimitives.WriteInt64LittleEndian(header[20..], sequence);
        int tail = Wrap(_head + _used);
        tail = Write(tail, header);
        Write(tail, payload);
        _used += RecordHeaderLength + payload.Length;
        if (Count++ == 0) SetHead(destination, port, sequence, payload.Length);
        return true;
    }

    /// <summary>Copies the oldest datagram's payload into <paramref name="destination"/> (at least <see cref="HeadLength"/> bytes) and returns its length.</summary>
    internal int PeekPayload(Span<byte> destination)
    {
        if (Count == 0) return 0;
        Read(Wrap(_head + RecordHeaderLength), destination[.._headLength]);
        return _headLength;
    }

    /// <summary>Removes the oldest datagram; false when empty.</summary>
    internal bool Dequeue()
    {
        if (Count == 0) return false;
        int record = RecordHeaderLength + _headLength;
        _head = Wrap(_head + record);
        _used -= record;
        if (--Count == 0)
        {
            // Restarting at 0 keeps an idle queue's records contiguous (no split copies) most of the time.
            _head = 0;
            SetHead(default, 0, 0, 0);
            return true;
        }
        Span<byte> header = stackalloc byte[RecordHeaderLength];
        Read(_head, header);
        SetHead(new IpAddress(Ipv6Address.Read(header[4..])), BinaryPrimitives.ReadUInt16BigEndian(header[2..]),
            BinaryPrimitives.ReadInt64LittleEndian(header[20..]), BinaryPrimitives.ReadUInt16BigEndian(header));
        return true;
    }

    /// <summary>Empties the queue and returns how many datagrams it held.</summary>
    internal int Clear()
    {
        int discarded = Count;
        _head = 0;
        _used = 0;
        Count = 0;
        SetHead(default, 0, 0, 0);
        return discarded;
    }

    private void SetHead(IpAddress destination, ushort port, long sequence, int length)
    {
        _headDestination = destination;
        _headPort = port;
        _headSequence = sequence;
        _headLength = length;
    }

    private int Wrap(int position) => position >= _ring.Length ? position - _ring.Length : position;

    private int Write(int position, ReadOnlySpan<byte> data)
    {
        int first = Math.Min(data.Length, _ring.Length - position);
        data[..first].CopyTo(_ring.AsSpan(position));
        data[first..].CopyTo(_ring);
        return Wrap(position + data.Length);
    }

    private void Read(int position, Span<byte> data)
    {
        int first = Math.Min(data.Length, _ring.Length - position);
        _ring.AsSpan(position, first).CopyTo(data);
        _ring.AsSpan(0, data.Length - first).CopyTo(data[first..]);
    }
}
