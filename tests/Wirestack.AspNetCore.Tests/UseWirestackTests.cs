using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Wirestack.Nic;
using Wirestack.Sockets;
using Wirestack.Wire;

namespace Wirestack.AspNetCore.Tests;

/// <summary>The opt-in switch: configuration alone moves the same app between kernel sockets and Wirestack.</summary>
public class UseWirestackTests
{
    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Fact]
    public async Task WithoutAWirestackSectionTheAppRunsOnKernelSockets()
    {
        var builder = WebApplication.CreateBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseWirestack();
        builder.WebHost.ConfigureKestrel(options => options.Listen(IPAddress.Loopback, 0));
        await using var app = builder.Build();
        app.MapHttpDemo();
        Assert.DoesNotContain(app.Services.GetServices<IConnectionListenerFactory>(), f => f is WirestackConnectionListenerFactory);
        await app.StartAsync(Token);
        using var client = new HttpClient();
        Assert.Equal(HttpDemoEndpoints.Page, await client.GetStringAsync(app.Urls.Single(), Token));
        await app.StopAsync(Token);
    }

    [Fact]
    public void TheSectionSwitchesToWirestackAndBindsTheStacksSettings()
    {
        var builder = WebApplication.CreateBuilder();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Wirestack:Device"] = "Tap",
            ["Wirestack:DeviceName"] = "ws9",
            ["Wirestack:MacAddress"] = "02:00:00:00:09:02",
            ["Wirestack:Ipv4Addresses:0"] = "10.9.0.2/24",
            ["Wirestack:Ipv4Gateway"] = "10.9.0.1",
            ["Wirestack:Mtu"] = "9000",
            ["Wirestack:Backlog"] = "64",
        });
        builder.WebHost.UseWirestack();
        using var app = builder.Build();
        var factories = app.Services.GetServices<IConnectionListenerFactory>().ToList();
        // Registered last, so Kestrel asks it first; it takes IP endpoints only.
        var ours = Assert.IsType<WirestackConnectionListenerFactory>(factories[^1]);
        Assert.True(ours.CanBind(new IPEndPoint(IPAddress.Any, 80)));
        Assert.False(ours.CanBind(new System.Net.Sockets.UnixDomainSocketEndPoint("/tmp/x.sock")));
        var options = app.Services.GetRequiredService<IOptions<WirestackTransportOptions>>().Value;
        Assert.Equal(NetstackDeviceKind.Tap, options.Netstack.Device);
        Assert.Equal("ws9", options.Netstack.DeviceName);
        Assert.Equal(["10.9.0.2/24"], options.Netstack.Ipv4Addresses);
        Assert.Equal("10.9.0.1", options.Netstack.Ipv4Gateway);
        Assert.Equal(9000, options.Netstack.Mtu);
        Assert.Equal(64, options.Backlog);
        options.Validate();
    }

    [Fact]
    public void EnabledFalseKeepsKernelSockets()
    {
        var builder = WebApplication.CreateBuilder();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?> { ["Wirestack:Enabled"] = "false", ["Wirestack:Device"] = "Tap" });
        builder.WebHost.UseWirestack();
        using var app = builder.Build();
        Assert.DoesNotContain(app.Services.GetServices<IConnectionListenerFactory>(), f => f is WirestackConnectionListenerFactory);
    }

    [Fact]
    public async Task AnIncompleteSectionFailsStartupNamingTheSetting()
    {
        var builder = WebApplication.CreateBuilder();
        builder.Logging.ClearProviders();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?> { ["Wirestack:Device"] = "Tap", ["Wirestack:MacAddress"] = "02:00:00:00:09:02" });
        builder.WebHost.UseWirestack();
        builder.WebHost.ConfigureKestrel(options => options.Listen(IPAddress.Any, 8080));
        await using var app = builder.Build();
        var error = await Assert.ThrowsAnyAsync<Exception>(() => app.StartAsync(Token));
        Assert.Contains("DeviceName is required", Flatten(error));
    }

    [Fact]
    public async Task ListeningOnTheKernelsLoopbackSaysWhatToListenOnInstead()
    {
        var (device, peer) = PipeDevice.CreatePair();
        peer.Dispose();
        await using var stack = new NetstackBuilder().UseDevice(device).WithMacAddress(MacAddress.Parse("02:00:00:00:00:0a")).AddAddress("10.0.0.1/24").Build();
        var builder = WebApplication.CreateBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseWirestack(options => options.Stack = stack);
        builder.WebHost.ConfigureKestrel(options => options.Listen(IPAddress.Loopback, 8080));
        await using var app = builder.Build();
        var error = await Assert.ThrowsAnyAsync<Exception>(() => app.StartAsync(Token));
        string message = Flatten(error);
        Assert.Contains("127.0.0.1:8080", message);
        Assert.Contains("10.0.0.1/24", message);
        Assert.Contains("http://0.0.0.0:PORT", message);
    }

    [Fact]
    public void TheQueuesKeyBindsTheNumberOfStackThreads()
    {
        var builder = WebApplication.CreateBuilder();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Wirestack:Device"] = "PacketRing",
            ["Wirestack:DeviceName"] = "eth9",
            ["Wirestack:MacAddress"] = "02:00:00:00:09:02",
            ["Wirestack:Ipv4Addresses:0"] = "10.9.0.2/24",
            ["Wirestack:Queues"] = "4",
        });
        builder.WebHost.UseWirestack();
        using var app = builder.Build();
        var options = app.Services.GetRequiredService<IOptions<WirestackTransportOptions>>().Value;
        Assert.Equal(4, options.Queues);
        Assert.Equal("eth9", options.Netstack.DeviceName);
        options.Validate();
        Assert.Equal(1, new WirestackTransportOptions().Queues);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    [InlineData(65)]
    public void QueuesOutOfRangeSaysWhatIsAllowed(int queues)
    {
        var options = new WirestackTransportOptions { Queues = queues };
        options.Netstack.Device = NetstackDeviceKind.Tap;
        options.Netstack.DeviceName = "ws9";
        options.Netstack.MacAddress = "02:00:00:00:09:02";
        var error = Assert.Throws<WirestackException>(options.Validate);
        Assert.Equal(WirestackErrorCode.InvalidArgument, error.ErrorCode);
        Assert.Contains($"Wirestack:Queues) is {queues}", error.Message);
        Assert.Contains("between 1 and 64", error.Message);
    }

    [Fact]
    public async Task AWrongQueuesKeyFailsStartupNamingIt()
    {
        var builder = WebApplication.CreateBuilder();
        builder.Logging.ClearProviders();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Wirestack:Device"] = "Tap",
            ["Wirestack:DeviceName"] = "ws9",
            ["Wirestack:MacAddress"] = "02:00:00:00:09:02",
            ["Wirestack:Queues"] = "0",
        });
        builder.WebHost.UseWirestack();
        builder.WebHost.ConfigureKestrel(options => options.Listen(IPAddress.Any, 8080));
        await using var app = builder.Build();
        var error = await Assert.ThrowsAnyAsync<Exception>(() => app.StartAsync(Token));
        Assert.Contains("Wirestack:Queues) is 0", Flatten(error));
    }

    [Fact]
    public async Task AStackAndANetworkTogetherOrAKernelNetworkAreRefusedWithAReason()
    {
        var (device, peer) = PipeDevice.CreatePair();
        peer.Dispose();
        await using var stack = new NetstackBuilder().UseDevice(device).WithMacAddress(MacAddress.Parse("02:00:00:00:00:0a")).AddAddress("10.0.0.1/24").Build();
        await using var network = new StackNetwork(stack, ownsStack: false);
        var both = new WirestackTransportOptions { Stack = stack, Network = network };
        Assert.Contains("Stack and Network are both set", Assert.Throws<WirestackException>(both.Validate).Message);
        using var kernel = new KernelNetwork();
        var onKernel = new WirestackTransportOptions { Network = kernel };
        string message = Assert.Throws<WirestackException>(onKernel.Validate).Message;
        Assert.Contains("KernelNetwork", message);
        Assert.Contains("Wirestack:Enabled=false", message);
        new WirestackTransportOptions { Network = network }.Validate();
    }

    private static string Flatten(Exception error)
    {
        var text = new System.Text.StringBuilder();
        for (Exception? e = error; e is not null; e = e.InnerException) text.AppendLine(e.Message);
        return text.ToString();
    }
}
