using Wirestack.Nic;

namespace Wirestack.Tests.Nic;

/// <summary>What <see cref="XdpDevice"/> checks before it asks the kernel for anything, and the UMEM chunk size it picks.</summary>
public class XdpDeviceOptionsTests
{
    [Fact]
    public void DefaultsAreValid()
    {
        var options = new XdpDeviceOptions();
        options.Validate();
        Assert.Null(options.Mtu);
        Assert.Equal(0, options.QueueId);
        Assert.Equal(2048, options.RingSize);
        Assert.Equal(64, options.ReceiveBatchSize);
        Assert.Equal(XdpAttachMode.Auto, options.AttachMode);
        Assert.Equal(XdpCopyMode.Auto, options.CopyMode);
        Assert.True(options.UseNeedWakeup);
        Assert.True(options.ReplaceStaleProgram);
        Assert.True(options.Promiscuous);
    }

    [Theory]
    [InlineData(67)]
    [InlineData(XdpDeviceOptions.MaxMtu + 1)]
    [InlineData(9000)]
    public void AnMtuOutOfRangeIsNamed(int mtu)
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => new XdpDeviceOptions { Mtu = mtu }.Validate());
        Assert.Contains("XdpDeviceOptions.Mtu must be between 68", error.Message, StringComparison.Ordinal);
        Assert.Contains("3822", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(68)]
    [InlineData(1500)]
    [InlineData(XdpDeviceOptions.MaxMtu)]
    public void MtusInRangeAreAccepted(int mtu) => new XdpDeviceOptions { Mtu = mtu }.Validate();

    [Theory]
    [InlineData(32)]
    [InlineData(1000)]
    [InlineData(32768)]
    public void ARingSizeThatIsNotAPowerOfTwoInRangeIsNamed(int ringSize)
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => new XdpDeviceOptions { RingSize = ringSize }.Validate());
        Assert.Contains("XdpDeviceOptions.RingSize must be a power of two between 64 and 16384", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(129)]
    public void ABatchOutsideTheRingIsNamed(int batch)
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => new XdpDeviceOptions { RingSize = 128, ReceiveBatchSize = batch }.Validate());
        Assert.Contains("ReceiveBatchSize must be between 1 and RingSize (128)", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ANegativeQueueIsNamed()
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => new XdpDeviceOptions { QueueId = -1 }.Validate());
        Assert.Contains("XdpDeviceOptions.QueueId must be 0 or more", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void UndefinedModesAreNamed()
    {
        Assert.Contains("AttachMode must be Auto, Native or Generic", Assert.Throws<ArgumentOutOfRangeException>(() => new XdpDeviceOptions { AttachMode = (XdpAttachMode)7 }.Validate()).Message, StringComparison.Ordinal);
        Assert.Contains("CopyMode must be Auto, ZeroCopy or Copy", Assert.Throws<ArgumentOutOfRangeException>(() => new XdpDeviceOptions { CopyMode = (XdpCopyMode)7 }.Validate()).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ZeroCopyWithAGenericProgramIsRefusedWithTheWayOut()
    {
        var error = Assert.Throws<ArgumentException>(() => new XdpDeviceOptions { AttachMode = XdpAttachMode.Generic, CopyMode = XdpCopyMode.ZeroCopy }.Validate());
        Assert.Contains("zero-copy needs the program attached in native mode", error.Message, StringComparison.Ordinal);
        new XdpDeviceOptions { AttachMode = XdpAttachMode.Native, CopyMode = XdpCopyMode.ZeroCopy }.Validate();
        new XdpDeviceOptions { AttachMode = XdpAttachMode.Generic, CopyMode = XdpCopyMode.Copy }.Validate();
    }

    [Theory]
    [InlineData(1518, 2048)]
    [InlineData(1792, 2048)]
    [InlineData(1793, 4096)]
    [InlineData(XdpDeviceOptions.MaxMtu + 18, 4096)]
    public void ChunksAre2048BytesUnlessAFrameAndTheXdpHeadroomNeedMore(int maxFrameLength, int chunk) =>
        Assert.Equal(chunk, XdpDeviceOptions.ChunkSizeFor(maxFrameLength));

    [Fact]
    public void BadNamesAreRefusedBeforeAnySystemCall()
    {
        Assert.Throws<ArgumentException>(() => XdpDevice.Open(""));
        Assert.Contains("longer than the 15 bytes", Assert.Throws<ArgumentException>(() => XdpDevice.Open("a-name-that-is-too-long")).Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentOutOfRangeException>(() => XdpDevice.Open("lo", new XdpDeviceOptions { RingSize = 3 }));
    }
}
