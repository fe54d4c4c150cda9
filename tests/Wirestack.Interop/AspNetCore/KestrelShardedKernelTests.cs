using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Wirestack.AspNetCore;
using Wirestack.Interop.Iface;
using Wirestack.Interop.Infrastructure;
using Wirestack.Sockets;
using Wirestack.Testing;
using static Wirestack.Interop.Iface.KernelLink;

namespace Wirestack.Interop.AspNetCore;

/// <summary>
/// Kestrel on two stack threads by configuration alone (<c>Wirestack:Queues=2</c>): the transport opens the TAP or
/// AF_PACKET device named in the <c>"Wirestack"</c> section as two kernel queues (multi-queue TAP with its offloads, an
/// AF_PACKET fanout group) and builds a <see cref="ShardedNetwork"/> over them, with
/// the kernel's <c>wrk</c> as the client in its namespace.
/// </summary>
public class KestrelShardedKernelTests
{
    private const int Port = 8080;

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData(LinkKind.Tap)]
    [InlineData(LinkKind.PacketRing)]
    public async Task QueuesTwoServesWrkOnBothShardsAndTheTransportClosesTheNetworkItBuilt(LinkKind kind)
    {
        Prerequisites.RequireRoot();
        string wrk = Prerequisites.RequireTool("wrk", "wrk");
        using var ns = NetworkNamespace.Create();
        using var veth = kind == LinkKind.PacketRing ? VethPair.Create(ns, KernelCidr) : null;
        string device = veth?.HostEnd ?? IpRoute2.UniqueInterfaceName("wsq");
        if (veth is not null) ProcessRunner.Run("sysctl", "-qw", $"net.ipv6.conf.{veth.HostEnd}.disable_ipv6=1");
        var problems = new ConcurrentQueue<string>();
        var builder = WebApplication.CreateBuilder();
        builder.Logging.ClearProviders();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Wirestack:Device"] = kind == LinkKind.Tap ? "Tap" : "PacketRing",
            ["Wirestack:DeviceName"] = device,
            ["Wirestack:MacAddress"] = OurMac.ToString(),
            ["Wirestack:Ipv4Addresses:0"] = $"{OurAddress}/24",
            ["Wirestack:EnableIpv6"] = "false",
            ["Wirestack:Queues"] = "2",
        });
        builder.WebHost.UseWirestack();
        builder.WebHost.ConfigureKestrel(options => options.Listen(OurAddress.ToIPAddress(), Port));
        var app = builder.Build();
        app.MapHttpDemo();
        ShardedNetwork network;
        try
        {
            await app.StartAsync(Token);
            var factory = app.Services.GetRequiredService<WirestackConnectionListenerFactory>();
            network = Assert.IsType<ShardedNetwork>(factory.Network);
            Assert.Equal(2, factory.Stacks.Count);
            // The transport made the TAP device when Kestrel bound; hand its kernel end to the client's namespace.
            if (kind == LinkKind.Tap) NamespaceInterface.MoveInto(ns, device, KernelCidr);
            var run = ns.Exec(TimeSpan.FromSeconds(30), wrk, "-t1", "-c16", "-d2s", "--latency", $"http://{OurAddress}:{Port}/bytes/1000");
            TestContext.Current.TestOutputHelper?.WriteLine(run.StandardOutput + run.StandardError);
            Assert.True(run.ExitCode == 0, run.StandardError);
            var result = WrkResult.Parse(run.StandardOutput);
            Assert.True(result.Requests > 100, $"only {result.Requests} requests in 2 s");
            Assert.Equal(0, result.Non2xx);
            Assert.Equal("", result.SocketErrors);
            long first = network.Shards[0].Interface.TcpCounters.ConnectionsAccepted, second = network.Shards[1].Interface.TcpCounters.ConnectionsAccepted;
            TestContext.Current.TestOutputHelper?.WriteLine($"connections accepted per shard: {first}, {second}");
            Assert.True(first > 0 && second > 0, $"wrk's 16 connections did not reach both shards: {first}, {second}");
            Assert.Equal(first + second, factory.AcceptedConnections);
            Assert.All(network.Shards, shard => Assert.Null(shard.Failure));
            await app.StopAsync(Token);
        }
        finally
        {
            await app.DisposeAsync();
        }
        // Built from options, so the transport's to close.
        Assert.True(network.IsDisposed, "the transport left the network it built running");
    }
}
