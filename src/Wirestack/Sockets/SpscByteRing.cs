using System.Runtime.InteropServices;

namespace Wirestack.Sockets;

/// <summary>
/// A single-producer, single-consumer byte stream ring with doorbells, allocated once: the send or receive buffer of
/// a stream connection between an application thread and the stack thread. Writes and reads take no lock.
/// </summary>
/// <remarks>
/// A side that finds the ring empty (reader) or full (writer) arms its doorbell and looks once more before it
/// sleeps; the other side rings an armed doorbell after it moves its index. The arm and the index each go through a
/// full fence, so one of the two sides always sees the other and no wake-up is lost.
/// </remarks>
internal sealed class SpscByteRing
{
    private readonly byte[] _buffer;
    private readonly int _mask;
    private Positions _positions;
    private int _readerArmed;
    private int _writerArmed;

    /// <summary>Makes a ring of <paramref name="capacity"/> bytes (a power of two).</summary>
    /// <param name="capacity">The ring size.</param>
    /// <param name="dataDoorbell">Rung when bytes arrive for an armed reader.</param>
    /// <param name="spaceDoorbell">Rung when room appears for an armed writer.</param>
    public SpscByteRing(int capacity, IDoorbell? dataDoorbell, IDoorbell? spaceDoorbell)
    {
        if (capacity < 2 || (capacity & (capacity - 1)) != 0)
            throw new ArgumentOutOfRangeException(nameof(capacity), capacity, "A byte ring's capacity must be a power of two.");
        _buffer = GC.AllocateUninitializedArray<byte>(capacity);
        _mask = capacity - 1;
        DataDoorbell = dataDoorbell;
        SpaceDoorbell = spaceDoorbell;
    }

    /// <summary>Rung when bytes arrive and the reader armed it.</summary>
    public IDoorbell? DataDoorbell { get; set; }

    /// <summary>Rung when room appears and the writer armed it.</summary>
    public IDoorbell? SpaceDoorbell { get; set; }

    /// <summary>The ring size in bytes.</summary>
    public int Capacity => _mask + 1;

    /// <summary>Bytes queued (exact on either side for its own purpose, a snapshot elsewhere).</summary>
    public int Count => (int)(Volatile.Read(ref _positions.Tail) - Volatile.Read(ref _positions.Head));

    /// <summary>Producer: copies as much of <paramref name="data"/> as fits and returns how much that was.</summary>
    public int Write(ReadOnlySpan<byte> data)
    {
        long tail = _positions.Tail;
        int free = Capacity - (int)(tail - Volatile.Read(ref _positions.Head));
        int count = Math.Min(free, data.Length);
        if (count == 0) return 0;
        int offset = (int)(tail & _mask);
        int first = Math.Min(count, Capacity - offset);
        data[..first].CopyTo(_buffer.AsSpan(offset));
        data[first..count].CopyTo(_buffer);
        Volatile.Write(ref _positions.Tail, tail + count);
        Interlocked.MemoryBarrier();
        if (Volatile.Read(ref _readerArmed) != 0 && Interlocked.Exchange(ref _readerArmed, 0) != 0) DataDoorbell?.Ring();
        return count;
    }

    /// <summary>Consumer: copies up to <paramref name="destination"/>'s length of queued bytes and returns how many.</summary>
    public int Read(Span<byte> destination)
    {
        long head = _positions.Head;
        int available = (int)(Volatile.Read(ref _positions.Tail) - head);
        int count = Math.Min(available, destination.Length);
        if (count == 0) return 0;
        int offset = (int)(head & _mask);
        int first = Math.Min(count, Capacity - offset);
        _buffer.AsSpan(offset, first).CopyTo(destination);
        _buffer.AsSpan(0, count - first).CopyTo(destination[first..]);
        Volatile.Write(ref _positions.Head, head + count);
        Interlocked.MemoryBarrier();
        if (Volatile.Read(ref _writerArmed) != 0 && Interlocked.Exchange(ref _writerArmed, 0) != 0) SpaceDoorbell?.Ring();
        return count;
    }

    /// <summary>Producer: the free bytes up to the end of the buffer, to fill in place and then <see cref="CommitWrite"/>.</summary>
    public Span<byte> GetWriteSpan()
    {
        long tail = _positions.Tail;
        int free = Capacity - (int)(tail - Volatile.Read(ref _positions.Head));
        int offset = (int)(tail & _mask);
        return _buffer.AsSpan(offset, Math.Min(free, Capacity - offset));
    }

    /// <summary>
    /// Producer: the free bytes that follow <paramref name="skip"/> bytes already filled in but not yet committed, up
    /// to the end of the buffer (or from its start once the filled bytes reach the end). A pipe writer fills several
    /// of these before one <see cref="CommitWrite"/> publishes them all.
    /// </summary>
    public Memory<byte> GetWriteMemory(int skip)
    {
        long tail = _positions.Tail + skip;
        int free = Capacity - (int)(tail - Volatile.Read(ref _positions.Head));
        int offset = (int)(tail & _mask);
        return _buffer.AsMemory(offset, Math.Min(free, Capacity - offset));
    }

    /// <summary>Producer: publishes <paramref name="count"/> bytes filled in through <see cref="GetWriteSpan"/>.</summary>
    public void CommitWrite(int count)
    {
        if (count == 0) return;
        Volatile.Write(ref _positions.Tail, _positions.Tail + count);
        Interlocked.MemoryBarrier();
        if (Volatile.Read(ref _readerArmed) != 0 && Interlocked.Exchange(ref _readerArmed, 0) != 0) DataDoorbell?.Ring();
    }

    /// <summary>Consumer: the queued bytes up to the end of the buffer, to use in place and then <see cref="Consume"/>.</summary>
    public ReadOnlySpan<byte> GetReadSpan()
    {
        long head = _positions.Head;
        int available = (int)(Volatile.Read(ref _positions.Tail) - head);
        int offset = (int)(head & _mask);
        return _buffer.AsSpan(offset, Math.Min(available, Capacity - offset));
    }

    /// <summary>
    /// Consumer: every queued byte in place, as the part up to the end of the buffer and the part that wrapped to its
    /// start (empty unless the bytes wrap); release them with <see cref="Consume"/>.
    /// </summary>
    public ReadOnlyMemory<byte> PeekAll(out ReadOnlyMemory<byte> wrapped)
    {
        long head = _positions.Head;
        int available = (int)(Volatile.Read(ref _positions.Tail) - head);
        int offset = (int)(head & _mask);
        int first = Math.Min(available, Capacity - offset);
        wrapped = _buffer.AsMemory(0, available - first);
        return _buffer.AsMemory(offset, first);
    }

    /// <summary>Consumer: releases <paramref name="count"/> bytes seen through <see cref="GetReadSpan"/>.</summary>
    public void Consume(int count)
    {
        if (count == 0) return;
        Volatile.Write(ref _positions.Head, _positions.Head + count);
        Interlocked.MemoryBarrier();
        if (Volatile.Read(ref _writerArmed) != 0 && Interlocked.Exchange(ref _writerArmed, 0) != 0) SpaceDoorbell?.Ring();
    }

    /// <summary>Consumer: discards everything queued (a connection that failed).</summary>
    public void Clear() => Consume(Count);

    /// <summary>
    /// Consumer: asks for <see cref="DataDoorbell"/> on the next write. Returns false (disarmed again) when bytes are
    /// already there, so the reader reads instead of sleeping.
    /// </summary>
    public bool ArmReader()
    {
        Interlocked.Exchange(ref _readerArmed, 1);
        if (Count == 0) return true;
        Interlocked.Exchange(ref _readerArmed, 0);
        return false;
    }

    /// <summary>
    /// Producer: asks for <see cref="SpaceDoorbell"/> once at least one byte is free. Returns false (disarmed again)
    /// when there is room already.
    /// </summary>
    public bool ArmWriter()
    {
        Interlocked.Exchange(ref _writerArmed, 1);
        if (Count < Capacity)
        {
            Interlocked.Exchange(ref _writerArmed, 0);
            return false;
        }
        return true;
    }

    [StructLayout(LayoutKind.Explicit, Size = 192)]
    private struct Positions
    {
        [FieldOffset(64)] public long Tail;
        [FieldOffset(128)] public long Head;
    }
}
