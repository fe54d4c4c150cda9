using System.Net;
using System.Text;
using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.Options;
using Wirestack.Nic;
using Wirestack.Sockets;
using Wirestack.Wire;

namespace Wirestack.AspNetCore.Tests;

/// <summary>
/// The transport driven as Kestrel drives it on a <see cref="ShardedNetwork"/> the application gave: one bind
/// listens on every shard, accepts yield connections from all of them with the same counters, ConnectionClosed and
/// close as on one stack, and the errors name the network's addresses.
/// </summary>
public class ShardedTransportTests
{
    private static readonly IpAddress Server = IpAddress.Parse("10.0.0.1");

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Fact]
    public async Task OneBindAcceptsFromEveryShardWithCountersAndConnectionClosed()
    {
        await using var pair = ShardedPair.Create();
        Assert.Empty(pair.Factory.Stacks);
        var listener = await pair.Factory.BindAsync(new IPEndPoint(IPAddress.Any, 9000), Token);
        Assert.Same(pair.Network, pair.Factory.Network);
        Assert.Null(pair.Factory.Stack);
        Assert.Equal(pair.Network.Shards, pair.Factory.Stacks);
        const int Count = 16;
        var clients = new TcpConnection[Count];
        var contexts = new ConnectionContext[Count];
        var perShard = new int[2];
        for (int i = 0; i < Count; i++)
        {
            clients[i] = await pair.Client.ConnectAsync(new IpEndpoint(Server, 9000), TimeSpan.FromSeconds(10), Token);
            contexts[i] = (await listener.AcceptAsync(Token))!;
            var connection = ((WirestackConnectionContext)contexts[i]).Connection;
            int shard = pair.Network.ShardOf(connection);
            Assert.Equal(pair.Network.Steering.ShardOf(connection.RemoteEndPoint.Address, connection.RemoteEndPoint.Port, Server, 9000), shard);
            perShard[shard]++;
        }
        TestContext.Current.TestOutputHelper?.WriteLine($"per shard: {perShard[0]}, {perShard[1]}");
        Assert.All(perShard, n => Assert.True(n > 0, $"a shard took none of {Count} connections"));
        Assert.Equal(Count, pair.Factory.AcceptedConnections);
        Assert.Equal(Count, pair.Factory.OpenConnections);
        byte[] buffer = new byte[16];
        for (int i = 0; i < Count; i++)
        {
            await clients[i].WriteAsync(Encoding.ASCII.GetBytes("ping"), Token);
            var read = await contexts[i].Transport.Input.ReadAsync(Token);
            Assert.Equal("ping", Encoding.ASCII.GetString(read.Buffer));
            contexts[i].Transport.Input.AdvanceTo(read.Buffer.End);
            await contexts[i].Transport.Output.WriteAsync(Encoding.ASCII.GetBytes("pong"), Token);
            Assert.Equal("pong", Encoding.ASCII.GetString(buffer, 0, await clients[i].ReadAsync(buffer, Token)));
            // The peer's FIN fires ConnectionClosed; disposing closes gracefully and releases the connection.
            clients[i].ShutdownWrite();
            await WaitUntilAsync(() => contexts[i].ConnectionClosed.IsCancellationRequested, "ConnectionClosed");
            await contexts[i].DisposeAsync();
            Assert.Equal(0, await clients[i].ReadAsync(buffer, Token));
            clients[i].Dispose();
        }
        Assert.Equal(0, pair.Factory.OpenConnections);
        await WaitUntilAsync(() => pair.Network.Shards[0].TcpConnectionCount + pair.Network.Shards[1].TcpConnectionCount == 0,
            "the shards to release their connections");
        // Unbinding stops every shard's listener: accept ends, and a new connection is refused whichever shard it hashes to.
        await listener.UnbindAsync(Token);
        Assert.Null(await listener.AcceptAsync(Token));
        for (int i = 0; i < 8; i++)
        {
            var refused = await Assert.ThrowsAsync<WirestackException>(async () =>
                await pair.Client.ConnectAsync(new IpEndpoint(Server, 9000), TimeSpan.FromSeconds(10), Token));
            Assert.Equal(WirestackErrorCode.Refused, refused.ErrorCode);
        }
        await listener.DisposeAsync();
    }

    [Fact]
    public async Task ForeignAddressesAndPortsInUseAreReportedAsOnOneStack()
    {
        await using var pair = ShardedPair.Create();
        var error = await Assert.ThrowsAsync<WirestackException>(async () => await pair.Factory.BindAsync(new IPEndPoint(IPAddress.Loopback, 8080), Token));
        Assert.Equal(WirestackErrorCode.AddressNotAvailable, error.ErrorCode);
        Assert.Contains("127.0.0.1:8080", error.Message);
        Assert.Contains("10.0.0.1/24", error.Message);
        await using var first = await pair.Factory.BindAsync(new IPEndPoint(IPAddress.Any, 9003), Token);
        await Assert.ThrowsAsync<AddressInUseException>(async () => await pair.Factory.BindAsync(new IPEndPoint(IPAddress.Any, 9003), Token));
    }

    [Fact]
    public async Task AGivenNetworkOutlivesTheTransport()
    {
        await using var pair = ShardedPair.Create();
        var listener = await pair.Factory.BindAsync(new IPEndPoint(IPAddress.Any, 9004), Token);
        await listener.UnbindAsync(Token);
        await pair.Factory.DisposeAsync();
        // The application owns the network: still up, its port free again.
        using var again = pair.Network.ListenTcpOnShards(new IpEndpoint(IpAddress.AnyIpv4, 9004));
        var client = await pair.Client.ConnectAsync(new IpEndpoint(Server, 9004), TimeSpan.FromSeconds(10), Token);
        using var accepted = await again.AcceptAsync(Token);
        client.Dispose();
    }

    private static async Task WaitUntilAsync(Func<bool> condition, string what)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (!condition())
        {
            if (DateTime.UtcNow > deadline) Assert.Fail($"Gave up waiting for {what}.");
            await Task.Delay(10, Token);
        }
    }

    /// <summary>A two-shard network (10.0.0.1) given to a transport factory, and a client stack (10.0.0.2), on a pipe.</summary>
    private sealed class ShardedPair : IAsyncDisposable
    {
        private ShardedPair(ShardedNetwork network, Netstack client, WirestackConnectionListenerFactory factory)
        {
            Network = network;
            Client = client;
            Factory = factory;
        }

        public ShardedNetwork Network { get; }

        public Netstack Client { get; }

        public WirestackConnectionListenerFactory Factory { get; }

        public static ShardedPair Create()
        {
            var (a, b) = PipeDevice.CreatePair(new PipeDeviceOptions { RingSize = 4096 });
            var network = ShardedNetwork.Create(a, 2, builder => Configure(builder, "02:00:00:00:00:0a", "10.0.0.1/24"));
            var clientBuilder = new NetstackBuilder().UseDevice(b);
            Configure(clientBuilder, "02:00:00:00:00:0b", "10.0.0.2/24");
            var factory = new WirestackConnectionListenerFactory(Options.Create(new WirestackTransportOptions { Network = network }));
            return new ShardedPair(network, clientBuilder.Build(), factory);
        }

        public async ValueTask DisposeAsync()
        {
            await Factory.DisposeAsync();
            await Network.DisposeAsync();
            await Client.DisposeAsync();
        }

        private static void Configure(NetstackBuilder builder, string mac, string address) =>
            builder.WithMacAddress(MacAddress.Parse(mac)).AddAddress(address).WithIpv6(false).ConfigureInterface(o => o with { AnnounceAddresses = false });
    }
}
