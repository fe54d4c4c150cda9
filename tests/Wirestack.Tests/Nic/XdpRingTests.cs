using System.Runtime.InteropServices;
using Wirestack.Nic.Linux;
using static Wirestack.Nic.Linux.XdpNative;

namespace Wirestack.Tests.Nic;

/// <summary>
/// <see cref="XdpRing"/> over ordinary memory, the test playing the kernel's side: what each side
/// sees of the other's index, wrap-around past 2^32, and the need-wakeup flag.
/// </summary>
public sealed unsafe class XdpRingTests : IDisposable
{
    private const uint Size = 8;
    private static readonly XdpRingOffset Layout = new() { Producer = 0, Consumer = 64, Flags = 128, Descriptors = 192 };
    private readonly byte* _memory = (byte*)NativeMemory.AlignedAlloc(4096, 64);

    public XdpRingTests() => new Span<byte>(_memory, 4096).Clear();

    private ref uint Producer => ref *(uint*)_memory;

    private ref uint Consumer => ref *(uint*)(_memory + 64);

    private ref uint Flags => ref *(uint*)(_memory + 128);

    private ulong* Addresses => (ulong*)(_memory + 192);

    private XdpDesc* Descriptors => (XdpDesc*)(_memory + 192);

    public void Dispose() => NativeMemory.AlignedFree(_memory);

    [Fact]
    public void AProducerPublishesOnlyOnSubmitAndSeesRoomAsTheKernelConsumes()
    {
        var ring = XdpRing.Over(_memory, Layout, Size, sizeof(ulong), isProducer: true);
        Assert.Equal(Size, ring.Free);
        for (ulong i = 0; i < Size; i++)
        {
            ring.NextAddress = 100 + i;
            ring.Produce();
        }
        Assert.Equal(0u, ring.Free);
        Assert.Equal(Size, ring.Outstanding);
        Assert.Equal(0u, Producer); // nothing published yet
        Assert.Equal(0u, ring.Published);

        ring.Submit();
        Assert.Equal(Size, Producer);
        Assert.Equal(Size, ring.Published);
        for (int i = 0; i < (int)Size; i++) Assert.Equal(100UL + (ulong)i, Addresses[i]);

        Consumer = 3; // the kernel took three
        Assert.Equal(3u, ring.Free);
        Assert.Equal(5u, ring.Published);
        ring.NextAddress = 200;
        ring.Produce();
        Assert.Equal(200UL, Addresses[0]); // wrapped onto the first slot
    }

    [Fact]
    public void AConsumerSeesWhatTheKernelPublishedAndGivesItBack()
    {
        var ring = XdpRing.Over(_memory, Layout, Size, sizeof(XdpDesc), isProducer: false);
        Assert.Equal(0u, ring.Available);
        Descriptors[0] = new XdpDesc { Address = 4096 + 256, Length = 60 };
        Descriptors[1] = new XdpDesc { Address = 8192 + 256, Length = 1514 };
        Producer = 2;
        Assert.Equal(2u, ring.Available);
        Assert.Equal(60u, ring.DescriptorAt(0).Length);
        Assert.Equal(8192UL + 256, ring.DescriptorAt(1).Address);

        ring.Consume(1);
        Assert.Equal(1u, Consumer);
        Assert.Equal(1u, ring.Available);
        Assert.Equal(1514u, ring.DescriptorAt(0).Length); // index 0 is now the next unconsumed one
    }

    [Fact]
    public void IndicesWrapPast32Bits()
    {
        // The kernel's indices are free-running u32s; a ring opened late finds them anywhere.
        Producer = uint.MaxValue - 1;
        Consumer = uint.MaxValue - 1;
        var producer = XdpRing.Over(_memory, Layout, Size, sizeof(ulong), isProducer: true);
        for (int i = 0; i < 4; i++)
        {
            producer.NextAddress = (ulong)i;
            producer.Produce();
        }
        producer.Submit();
        Assert.Equal(2u, Producer); // wrapped
        Assert.Equal(4u, producer.Published);
        Assert.Equal(Size - 4, producer.Free);

        var consumer = XdpRing.Over(_memory, Layout, Size, sizeof(ulong), isProducer: false);
        Assert.Equal(4u, consumer.Available);
        for (uint i = 0; i < 4; i++) Assert.Equal((ulong)i, consumer.AddressAt(i));
        consumer.Consume(4);
        Assert.Equal(2u, Consumer);
        Assert.Equal(0u, consumer.Available);
    }

    [Fact]
    public void NeedsWakeupFollowsTheKernelsFlag()
    {
        var ring = XdpRing.Over(_memory, Layout, Size, sizeof(XdpDesc), isProducer: true);
        Assert.False(ring.NeedsWakeup);
        Flags = XDP_RING_NEED_WAKEUP;
        Assert.True(ring.NeedsWakeup);
        Flags = 0;
        Assert.False(ring.NeedsWakeup);
    }

    [Fact]
    public void UnmapLeavesMemoryItDidNotMapAlone()
    {
        var ring = XdpRing.Over(_memory, Layout, Size, sizeof(ulong), isProducer: true);
        ring.Unmap();
        ring.Unmap();
        Producer = 5; // still ours to write
        Assert.Equal(5u, Producer);
    }
}
