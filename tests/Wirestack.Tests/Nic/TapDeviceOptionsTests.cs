using Wirestack.Nic;

namespace Wirestack.Tests.Nic;

/// <summary>
/// TAP options are checked before the device touches the kernel, with messages that name the
/// option; the kernel's refusals become messages that say what to do. None of this needs root.
/// </summary>
public class TapDeviceOptionsTests
{
    private const int ENOENT = 2;
    private const int EPERM = 1;
    private const int EACCES = 13;
    private const int EBUSY = 16;
    private const int EINVAL = 22;

    [Fact]
    public void DefaultsAndLimitsAreValid()
    {
        new TapDeviceOptions().Validate();
        new TapDeviceOptions { Name = "wst-abcdefghijk", Mtu = 68, ReceiveBatchSize = 1, TransmitRingSize = 1 }.Validate();
        new TapDeviceOptions { Name = "tap%d", Mtu = TapDeviceOptions.MaxMtu, ReceiveBatchSize = 4096, TransmitRingSize = 4096 }.Validate();
        new TapDeviceOptions { Name = "" }.Validate();
    }

    [Fact]
    public void ANameLongerThan15BytesIsRefused()
    {
        var error = Assert.Throws<ArgumentException>(() => new TapDeviceOptions { Name = "wst-abcdefghijkl" }.Validate());
        Assert.Equal("Name", error.ParamName);
        Assert.Contains("'wst-abcdefghijkl' is 16 bytes long; Linux interface names are at most 15 bytes", error.Message, StringComparison.Ordinal);

        // Bytes, not characters: the kernel counts UTF-8 bytes.
        error = Assert.Throws<ArgumentException>(() => new TapDeviceOptions { Name = "tapééééééé" }.Validate());
        Assert.Contains("is 17 bytes long", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("tap/0", "'/'")]
    [InlineData("tap:0", "':'")]
    [InlineData("tap 0", "' '")]
    [InlineData("tap\t0", "'\t'")]
    public void ANameWithACharacterLinuxRefusesIsRefused(string name, string shown)
    {
        var error = Assert.Throws<ArgumentException>(() => new TapDeviceOptions { Name = name }.Validate());
        Assert.Equal("Name", error.ParamName);
        Assert.Contains($"contains {shown}; Linux interface names cannot contain", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(".")]
    [InlineData("..")]
    public void DotNamesAreRefused(string name)
    {
        var error = Assert.Throws<ArgumentException>(() => new TapDeviceOptions { Name = name }.Validate());
        Assert.Contains($"TapDeviceOptions.Name cannot be '{name}'", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(67)]
    [InlineData(65522)]
    [InlineData(0)]
    public void AnMtuOutOfRangeIsRefused(int mtu)
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => new TapDeviceOptions { Mtu = mtu }.Validate());
        Assert.Equal("Mtu", error.ParamName);
        Assert.Contains("TapDeviceOptions.Mtu must be between 68 (the IPv4 minimum) and 65521", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0, 256, "ReceiveBatchSize")]
    [InlineData(4097, 256, "ReceiveBatchSize")]
    [InlineData(64, 0, "TransmitRingSize")]
    [InlineData(64, 4097, "TransmitRingSize")]
    public void RingSizesOutOfRangeAreRefused(int batch, int ring, string option)
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => new TapDeviceOptions { ReceiveBatchSize = batch, TransmitRingSize = ring }.Validate());
        Assert.Equal(option, error.ParamName);
        Assert.Contains($"TapDeviceOptions.{option} must be between 1 and 4096", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void TheDeviceChecksItsOptionsBeforeOpeningAnything()
    {
        // Works without root or /dev/net/tun: validation comes first.
        var error = Assert.Throws<ArgumentException>(() => new TapDevice(new TapDeviceOptions { Name = "a-name-far-too-long" }));
        Assert.Equal("Name", error.ParamName);
        Assert.Throws<ArgumentOutOfRangeException>(() => new TapDevice(new TapDeviceOptions { Mtu = 70000 }));
    }

    [Fact]
    public void AMissingCloneDeviceSaysHowToGetIt()
    {
        var error = Assert.IsType<IOException>(TapDevice.OpenFailure(ENOENT));
        Assert.Contains("opening /dev/net/tun failed", error.Message, StringComparison.Ordinal);
        Assert.Contains("(errno 2)", error.Message, StringComparison.Ordinal);
        Assert.Contains("modprobe tun", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(EACCES)]
    [InlineData(EPERM)]
    public void PermissionDeniedSaysToRunAsRootOrWithCapNetAdmin(int errno)
    {
        var open = Assert.IsType<UnauthorizedAccessException>(TapDevice.OpenFailure(errno));
        Assert.Contains("run as root or grant CAP_NET_ADMIN", open.Message, StringComparison.Ordinal);

        var attach = Assert.IsType<UnauthorizedAccessException>(TapDevice.AttachFailure("wst0", errno, nameExists: false));
        Assert.Contains("creating or attaching to TAP device 'wst0' failed", attach.Message, StringComparison.Ordinal);
        Assert.Contains("run as root or with CAP_NET_ADMIN", attach.Message, StringComparison.Ordinal);

        var configure = Assert.IsType<UnauthorizedAccessException>(TapDevice.ConfigureFailure("setting MTU 9000 (SIOCSIFMTU)", "wst0", errno));
        Assert.Contains("TAP device 'wst0': setting MTU 9000 (SIOCSIFMTU) failed", configure.Message, StringComparison.Ordinal);
        Assert.Contains("CAP_NET_ADMIN", configure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ANameInUseSaysByWhat()
    {
        var other = Assert.IsType<IOException>(TapDevice.AttachFailure("eth0", EINVAL, nameExists: true));
        Assert.Contains("a network device named 'eth0' exists and is not a single-queue TAP device", other.Message, StringComparison.Ordinal);
        Assert.Contains("ip link delete eth0", other.Message, StringComparison.Ordinal);

        var busy = Assert.IsType<IOException>(TapDevice.AttachFailure("wst0", EBUSY, nameExists: true));
        Assert.Contains("'wst0' is already open elsewhere", busy.Message, StringComparison.Ordinal);

        var rejected = Assert.IsType<IOException>(TapDevice.AttachFailure("w%d%d", EINVAL, nameExists: false));
        Assert.Contains("the kernel rejected the name 'w%d%d'", rejected.Message, StringComparison.Ordinal);
    }
}
