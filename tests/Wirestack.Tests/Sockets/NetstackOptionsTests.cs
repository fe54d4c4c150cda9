using Microsoft.Extensions.Configuration;
using Wirestack.Nic;
using Wirestack.Sockets;
using Wirestack.Wire;

namespace Wirestack.Tests.Sockets;

public class NetstackOptionsTests
{
    private static NetstackOptions Valid() => new()
    {
        MacAddress = "02:00:00:00:00:01",
        Ipv4Addresses = ["10.0.0.2/24"],
    };

    public static TheoryData<string, Action<NetstackOptions>, string> BadSettings => new()
    {
        { "no MAC", o => o.MacAddress = null, "NetstackOptions.MacAddress is required" },
        { "multicast MAC", o => o.MacAddress = "01:00:5e:00:00:01", "NetstackOptions.MacAddress '01:00:5e:00:00:01'" },
        { "garbled MAC", o => o.MacAddress = "02:00", "NetstackOptions.MacAddress '02:00'" },
        { "no prefix", o => o.Ipv4Addresses = ["10.0.0.2"], "NetstackOptions.Ipv4Addresses[0] '10.0.0.2'" },
        { "prefix too long", o => o.Ipv4Addresses = ["10.0.0.2/24", "10.0.1.2/33"], "NetstackOptions.Ipv4Addresses[1] '10.0.1.2/33'" },
        { "bad v6", o => o.Ipv6Addresses = ["fd00::zz/64"], "NetstackOptions.Ipv6Addresses[0] 'fd00::zz/64'" },
        { "bad gateway", o => o.Ipv4Gateway = "10.0.0.300", "NetstackOptions.Ipv4Gateway '10.0.0.300'" },
        { "off-link gateway", o => o.Ipv4Gateway = "192.168.1.1", "DefaultGateway 192.168.1.1" },
        { "bad route", o => o.Routes = ["10.1.0.0/16 10.0.0.1"], "NetstackOptions.Routes[0] '10.1.0.0/16 10.0.0.1'" },
        { "bad route gateway", o => o.Routes = ["10.1.0.0/16 via nowhere"], "the gateway 'nowhere'" },
        { "zero sockets", o => o.UdpSocketCapacity = 0, "NetstackOptions.UdpSocketCapacity is 0" },
        { "tiny ring", o => o.SocketReceiveBufferLength = 100, "NetstackOptions.SocketReceiveBufferLength is 100" },
        { "odd ring", o => o.SocketSendBufferLength = 65537, "NetstackOptions.SocketSendBufferLength is 65537" },
        { "tap without name", o => o.Device = NetstackDeviceKind.Tap, "NetstackOptions.DeviceName is required when Device is Tap" },
        { "long name", o => o.DeviceName = "a-very-long-device-name", "longer than 15" },
        { "small MTU", o => o.Mtu = 20, "NetstackOptions.Mtu is 20" },
        { "busy and manual", o => { o.BusyPolling = true; o.ManualPolling = true; }, "BusyPolling and ManualPolling" },
        { "no timeout", o => o.ControlTimeout = TimeSpan.Zero, "NetstackOptions.ControlTimeout" },
        { "negative poll", o => o.PollBeforeSleep = TimeSpan.FromMicroseconds(-1), "NetstackOptions.PollBeforeSleep is -" },
        { "endless poll", o => o.PollBeforeSleep = TimeSpan.FromSeconds(2), "NetstackOptions.PollBeforeSleep is 00:00:02" },
        { "no family", o => { o.Ipv4Addresses = []; o.EnableIpv6 = false; }, "configures no family" },
    };

    [Theory]
    [MemberData(nameof(BadSettings))]
    public void ValidationNamesTheBadSetting(string _, Action<NetstackOptions> spoil, string expected)
    {
        var options = Valid();
        spoil(options);
        var error = Assert.Throws<WirestackException>(options.Validate);
        Assert.Equal(WirestackErrorCode.InvalidArgument, error.ErrorCode);
        Assert.Contains(expected, error.Message);
    }

    [Fact]
    public void ValidOptionsPass() => Valid().Validate();

    [Fact]
    public void OptionsBindFromConfiguration()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Wirestack:Device"] = "Tap",
            ["Wirestack:DeviceName"] = "ws0",
            ["Wirestack:Mtu"] = "9000",
            ["Wirestack:MacAddress"] = "02:00:00:00:00:07",
            ["Wirestack:Ipv4Addresses:0"] = "10.1.0.2/24",
            ["Wirestack:Ipv4Gateway"] = "10.1.0.1",
            ["Wirestack:Ipv6Addresses:0"] = "fd00:1::2/64",
            ["Wirestack:Routes:0"] = "192.168.7.0/24 via 10.1.0.254",
            ["Wirestack:UdpSocketCapacity"] = "64",
            ["Wirestack:BusyPolling"] = "true",
            ["Wirestack:PacketRingOffloads"] = "true",
            ["Wirestack:ControlTimeout"] = "00:00:03",
        }).Build();
        var options = new NetstackOptions();
        configuration.GetSection("Wirestack").Bind(options);
        options.Validate();
        Assert.Equal(NetstackDeviceKind.Tap, options.Device);
        Assert.Equal("ws0", options.DeviceName);
        Assert.Equal(9000, options.Mtu);
        Assert.Equal(["10.1.0.2/24"], options.Ipv4Addresses);
        Assert.Equal(["fd00:1::2/64"], options.Ipv6Addresses);
        Assert.Equal("10.1.0.1", options.Ipv4Gateway);
        Assert.Equal(["192.168.7.0/24 via 10.1.0.254"], options.Routes);
        Assert.Equal(64, options.UdpSocketCapacity);
        Assert.True(options.BusyPolling);
        Assert.True(options.PacketRingOffloads);
        Assert.Equal(TimeSpan.FromSeconds(3), options.ControlTimeout);
    }

    [Fact]
    public async Task TheBuilderAppliesRoutesAndGateways()
    {
        var (device, _) = PipeDevice.CreatePair();
        await using var stack = new NetstackBuilder()
            .UseDevice(device)
            .WithMacAddress(MacAddress.Parse("02:00:00:00:00:01"))
            .AddAddress(IpAddress.Parse("10.0.0.2"), 24)
            .WithGateway(IpAddress.Parse("10.0.0.1"))
            .AddRoute(IpAddress.Parse("172.16.0.0"), 12, IpAddress.Parse("10.0.0.254"))
            .AddAddress("fd00::2/64")
            .UseManualPolling()
            .Build();
        Assert.Equal(3, stack.Interface.Ipv4Routes.Count);
        Assert.Single(stack.Interface.Ipv6Addresses.ToArray(), a => a.ToString() == "fd00::2/64");
    }

    [Fact]
    public void BuildingWithoutADeviceSaysHowToGiveOne()
    {
        var error = Assert.Throws<WirestackException>(() => new NetstackBuilder(Valid()).Build());
        Assert.Contains("UseDevice", error.Message);
    }
}
