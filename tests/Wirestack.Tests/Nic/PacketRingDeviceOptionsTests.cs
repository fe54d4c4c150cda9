using System.Runtime.CompilerServices;
using Wirestack.Nic;
using Wirestack.Nic.Linux;

namespace Wirestack.Tests.Nic;

/// <summary>What <see cref="PacketRingDevice"/> checks before it asks the kernel for anything, and the ring shapes it asks for.</summary>
public class PacketRingDeviceOptionsTests
{
    [Fact]
    public void DefaultsAreValid()
    {
        var options = new PacketRingDeviceOptions();
        options.Validate();
        Assert.Null(options.Mtu);
        Assert.Equal(1024, options.RingSize);
        Assert.Equal(64, options.ReceiveBatchSize);
        Assert.True(options.Promiscuous);
        Assert.Null(options.BypassQueueingDiscipline);
    }

    [Theory]
    [InlineData(67)]
    [InlineData(65536)]
    [InlineData(0)]
    public void AnMtuOutOfRangeIsNamed(int mtu)
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => new PacketRingDeviceOptions { Mtu = mtu }.Validate());
        Assert.Contains("PacketRingDeviceOptions.Mtu", error.Message, StringComparison.Ordinal);
        Assert.Contains("null to use the interface's MTU", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(4)]
    [InlineData(1000)]
    [InlineData(131072)]
    public void ARingSizeThatIsNotAPowerOfTwoInRangeIsNamed(int ringSize)
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => new PacketRingDeviceOptions { RingSize = ringSize }.Validate());
        Assert.Contains("PacketRingDeviceOptions.RingSize must be a power of two between 8 and 65536", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(2048)]
    public void ABatchLargerThanTheRingIsNamed(int batch)
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => new PacketRingDeviceOptions { ReceiveBatchSize = batch }.Validate());
        Assert.Contains("ReceiveBatchSize must be between 1 and RingSize (1024)", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void OpenChecksTheNameAndOptionsBeforeTheKernel()
    {
        Assert.Throws<ArgumentException>(() => PacketRingDevice.Open(" "));
        Assert.Contains("15 bytes", Assert.Throws<ArgumentException>(() => PacketRingDevice.Open("a-name-far-too-long")).Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentOutOfRangeException>(() => PacketRingDevice.Open("lo", new PacketRingDeviceOptions { RingSize = 3 }));
    }

    [Fact]
    public void AMissingInterfaceSaysToCreateItOrCheckTheName()
    {
        var error = Assert.Throws<IOException>(() => PacketRingDevice.Open("wsnosuch0"));
        Assert.StartsWith("no interface 'wsnosuch0': create it or check the name", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void TheKernelStructLayoutsHaveTheirUapiSizes()
    {
        Assert.Equal(32, Unsafe.SizeOf<PacketNative.Tpacket2Header>());
        Assert.Equal(20, Unsafe.SizeOf<PacketNative.SockaddrLl>());
        Assert.Equal(16, Unsafe.SizeOf<PacketNative.TpacketReq>());
        Assert.Equal(8, Unsafe.SizeOf<PacketNative.TpacketStats>());
        Assert.Equal(16, Unsafe.SizeOf<PacketNative.PacketMreq>());
        Assert.Equal(40, Unsafe.SizeOf<PacketNative.IfReqMtu>());
        Assert.Equal(52, PacketNative.Tpacket2HeaderLength);
        Assert.Equal(32, PacketNative.TransmitDataOffset);
        Assert.Equal(66, PacketNative.ReceiveMacOffset);
    }

    [Theory]
    [InlineData(1500, 1024, 4096)]
    [InlineData(1500, 8, 4096)]
    [InlineData(9000, 4096, 4096)]
    [InlineData(65535, 64, 4096)]
    [InlineData(68, 65536, 4096)]
    [InlineData(1500, 1024, 65536)]
    [InlineData(1280, 256, 16384)]
    public void RingGeometrySatisfiesTheKernelAndHoldsAWholeTaggedFrame(int mtu, int frames, int page)
    {
        var g = PacketRingGeometry.For(mtu, frames, page);
        Assert.Equal(frames, g.FrameCount);
        Assert.Equal(0, g.BlockSize % page);
        Assert.Equal(0, g.FrameSize % 16);
        Assert.Equal(g.FramesPerBlock, g.BlockSize / g.FrameSize); // the kernel derives it this way
        Assert.Equal(0, g.BlockSize % g.FrameSize); // so frames sit at a fixed stride across blocks
        Assert.Equal(frames, g.FramesPerBlock * g.BlockCount);
        // A received frame starts 66 bytes in and must fit whole, VLAN tag included.
        Assert.True(g.FrameSize - PacketNative.ReceiveMacOffset >= mtu + 18, $"frame {g.FrameSize} is too small for MTU {mtu}");
        // And the stretching wastes little: at most a page per block beyond the minimum.
        Assert.True((long)(g.FrameSize - PacketRingGeometry.MinimumFrameSize(mtu)) * g.FramesPerBlock < page);
    }

    [Fact]
    public void TheDefaultRingWastesAlmostNothing()
    {
        var g = PacketRingGeometry.For(1500, 1024, 4096);
        Assert.Equal(1584, PacketRingGeometry.MinimumFrameSize(1500));
        Assert.Equal(1600, g.FrameSize);
        Assert.Equal(64, g.FramesPerBlock);
        Assert.Equal(102400, g.BlockSize);
    }

    [Theory]
    [InlineData(256, 4096)]
    [InlineData(8, 16384)]
    [InlineData(1024, 65536)]
    public void OffloadRingHoldsTheLargestSegmentEachWay(int frames, int page)
    {
        var g = PacketRingGeometry.ForOffloads(frames, page);
        Assert.Equal(65536, g.FrameSize);
        Assert.Equal(0, g.BlockSize % page);
        Assert.Equal(g.FramesPerBlock, g.BlockSize / g.FrameSize);
        Assert.Equal(frames, g.FramesPerBlock * g.BlockCount);
        // Received: the MAC header 76 bytes in (66, plus the 10-byte virtio_net_hdr before it); sent: 32 + 10 bytes in.
        Assert.Equal(65460, PacketRingGeometry.MaxOffloadFrameLength);
        Assert.True(PacketNative.ReceiveMacOffset + VirtioNetHeader.Length + PacketRingGeometry.MaxOffloadFrameLength <= g.FrameSize);
        Assert.True(PacketNative.TransmitDataOffset + VirtioNetHeader.Length + PacketRingGeometry.MaxOffloadFrameLength <= g.FrameSize);
        // The kernel's own TCP segments stay below gso_max_size (64 KiB) less its header room: 45 full 1448-byte
        // segments with their 52 bytes of IP and TCP headers and the Ethernet header must fit.
        Assert.True(14 + 52 + 45 * 1448 <= PacketRingGeometry.MaxOffloadFrameLength);
    }

    [Fact]
    public void OffloadsAreOffByDefault() => Assert.False(new PacketRingDeviceOptions().Offloads);
}
