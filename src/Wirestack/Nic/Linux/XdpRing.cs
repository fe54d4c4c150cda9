using static Wirestack.Nic.Linux.XdpNative;

namespace Wirestack.Nic.Linux;

/// <summary>
/// One AF_XDP ring mapped from the kernel: a power-of-two array of entries (UMEM addresses for the
/// fill and completion rings, <see cref="XdpDesc"/> for RX and TX) between a producer and a consumer
/// index, each written by one side only. This side keeps a local copy of the index it owns and
/// publishes it with a release store; it reads the other side's index with an acquire load, so the
/// entries it reads were written before the index that covers them, as in the kernel's own
/// smp_load_acquire/smp_store_release pairs.
/// </summary>
/// <remarks>A mutable struct: keep it in a field and call it through that field, never a copy.</remarks>
internal unsafe struct XdpRing
{
    private uint* _producer;
    private uint* _consumer;
    private uint* _flags;
    private byte* _entries;
    private uint _mask;
    private uint _size;
    private int _entrySize;
    private uint _local;
    private void* _mapping;
    private nuint _mappingLength;

    /// <summary>Entries in the ring.</summary>
    public readonly uint Size => _size;

    /// <summary>
    /// Maps the ring of <paramref name="size"/> entries the kernel made for <paramref name="fd"/> at
    /// <paramref name="pageOffset"/>, laid out as <paramref name="offsets"/> says, with entries of
    /// <paramref name="entrySize"/> bytes; <paramref name="name"/> names it in errors.
    /// <paramref name="isProducer"/> is true for the rings this side fills (fill, TX), false for the ones it drains (RX, completion).
    /// </summary>
    public static XdpRing Map(int fd, in XdpRingOffset offsets, uint size, int entrySize, long pageOffset, bool isProducer, string name)
    {
        nuint length = (nuint)(offsets.Descriptors + (ulong)size * (ulong)entrySize);
        void* mapped = LinuxNative.Mmap(null, length, LinuxNative.PROT_READ | LinuxNative.PROT_WRITE, LinuxNative.MAP_SHARED | LinuxNative.MAP_POPULATE, fd, (nint)pageOffset);
        if (mapped == (void*)-1)
            throw new IOException($"Setting up AF_XDP failed: mmap of the {name} ring ({length} bytes) was refused with {LinuxNative.Describe(LinuxNative.LastError)}.");
        var ring = Over((byte*)mapped, offsets, size, entrySize, isProducer);
        ring._mapping = mapped;
        ring._mappingLength = length;
        return ring;
    }

    /// <summary>
    /// A ring over <paramref name="bytes"/> laid out as <paramref name="offsets"/> says (not owned:
    /// <see cref="Unmap"/> leaves it alone); what <see cref="Map"/> builds on, and what unit tests
    /// drive with ordinary memory playing the kernel's side.
    /// </summary>
    internal static XdpRing Over(byte* bytes, in XdpRingOffset offsets, uint size, int entrySize, bool isProducer)
    {
        var ring = new XdpRing
        {
            _producer = (uint*)(bytes + offsets.Producer),
            _consumer = (uint*)(bytes + offsets.Consumer),
            _flags = (uint*)(bytes + offsets.Flags),
            _entries = bytes + offsets.Descriptors,
            _mask = size - 1,
            _size = size,
            _entrySize = entrySize,
        };
        ring._local = isProducer ? Volatile.Read(ref *ring._producer) : Volatile.Read(ref *ring._consumer);
        return ring;
    }

    /// <summary>True when the kernel asks for a system call before it looks at this ring again (XDP_USE_NEED_WAKEUP).</summary>
    public readonly bool NeedsWakeup => (Volatile.Read(ref *_flags) & XDP_RING_NEED_WAKEUP) != 0;

    // Producer side (fill and TX rings).

    /// <summary>Entries this side may still write: the ring's size less what the kernel has not consumed yet.</summary>
    public readonly uint Free => _size - (_local - Volatile.Read(ref *_consumer));

    /// <summary>Entries written by this side that the kernel has not consumed yet (published or not).</summary>
    public readonly uint Outstanding => _local - Volatile.Read(ref *_consumer);

    /// <summary>Entries published with <see cref="Submit"/> and not yet consumed.</summary>
    public readonly uint Published => Volatile.Read(ref *_producer) - Volatile.Read(ref *_consumer);

    /// <summary>The next free address entry (fill ring); the caller has checked <see cref="Free"/>.</summary>
    public readonly ref ulong NextAddress => ref *(ulong*)(_entries + (_local & _mask) * (uint)_entrySize);

    /// <summary>The next free descriptor (TX ring); the caller has checked <see cref="Free"/>.</summary>
    public readonly ref XdpDesc NextDescriptor => ref *(XdpDesc*)(_entries + (_local & _mask) * (uint)_entrySize);

    /// <summary>Counts the entry just written as produced; the kernel sees it at the next <see cref="Submit"/>.</summary>
    public void Produce() => _local++;

    /// <summary>Publishes every produced entry to the kernel.</summary>
    public readonly void Submit() => Volatile.Write(ref *_producer, _local);

    // Consumer side (RX and completion rings).

    /// <summary>Entries the kernel has published that this side has not consumed.</summary>
    public readonly uint Available => Volatile.Read(ref *_producer) - _local;

    /// <summary>The address entry <paramref name="index"/> past the next unconsumed one (completion ring).</summary>
    public readonly ulong AddressAt(uint index) => *(ulong*)(_entries + ((_local + index) & _mask) * (uint)_entrySize);

    /// <summary>The descriptor <paramref name="index"/> past the next unconsumed one (RX ring).</summary>
    public readonly ref XdpDesc DescriptorAt(uint index) => ref *(XdpDesc*)(_entries + ((_local + index) & _mask) * (uint)_entrySize);

    /// <summary>Gives <paramref name="count"/> consumed entries back to the kernel.</summary>
    public void Consume(uint count)
    {
        _local += count;
        Volatile.Write(ref *_consumer, _local);
    }

    /// <summary>Unmaps the ring. Safe on a ring never mapped.</summary>
    public void Unmap()
    {
        if (_mapping != null) LinuxNative.Munmap(_mapping, _mappingLength);
        _mapping = null;
    }
}
