using System.Net;
using System.Net.Sockets;
using Wirestack.Cli.Serve;
using Wirestack.Sockets;
using Wirestack.Tests.Sockets;
using Wirestack.Wire;

namespace Wirestack.Tests.Cli;

/// <summary>
/// The services of `wirestack serve`, written only against <see cref="INetwork"/>, with clients on the same kind of
/// network: many connections at once, peers that reset or half-close, and a stop that ends idle connections. The same
/// tests run on kernel sockets over loopback and on two Wirestack stacks joined by a pipe.
/// </summary>
public abstract class NetworkServicesTests : IAsyncLifetime
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);

    protected INetwork ServerNetwork { get; set; } = null!;

    protected INetwork ClientNetwork { get; set; } = null!;

    /// <summary>The address the services bind and the clients connect to.</summary>
    protected IpAddress ServerAddress { get; set; }

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    /// <summary>Whether <see cref="ITcpConnection.Abort"/> on this network sends a reset and nothing before it.</summary>
    protected virtual bool AbortSendsOnlyAReset => true;

    public abstract ValueTask InitializeAsync();

    /// <summary>A port free on the server's network for a service of <paramref name="transport"/>.</summary>
    protected abstract int FreePort(string transport);

    public async ValueTask DisposeAsync()
    {
        await ServerNetwork.DisposeAsync();
        if (!ReferenceEquals(ClientNetwork, ServerNetwork)) await ClientNetwork.DisposeAsync();
    }

    [Fact]
    public async Task Echo_returns_every_byte_to_many_concurrent_clients()
    {
        const int clients = 12, bytes = 48 * 1024;
        var service = await StartAsync(new EchoServer(FreePort("tcp")));
        try
        {
            var runs = new Task<bool>[clients];
            for (int i = 0; i < clients; i++) runs[i] = Task.Run(() => EchoRoundTripAsync(service.Port, bytes), Token);
            Assert.All(await Task.WhenAll(runs), Assert.True);
            await WaitUntil(() => service.Counters.ActiveConnections == 0, "every echo connection to close");
            Assert.Equal(clients, service.Counters.Connections);
            Assert.Equal(0, service.Counters.FailedConnections);
            Assert.Equal((long)clients * bytes, service.Counters.BytesReceived);
            Assert.Equal((long)clients * bytes, service.Counters.BytesSent);
        }
        finally
        {
            await service.StopAsync();
        }
    }

    [Fact]
    public async Task A_peer_that_resets_ends_only_its_own_connection()
    {
        var service = await StartAsync(new EchoServer(FreePort("tcp")));
        try
        {
            using (var rude = await ConnectAsync(service.Port))
            {
                await rude.GetStream().WriteAsync(new byte[1000], Token);
                await ReadExactlyAsync(rude.GetStream(), 1000);
                rude.Abort();
            }
            if (AbortSendsOnlyAReset) await WaitUntil(() => service.Counters.FailedConnections == 1, "the reset connection to be counted as failed");
            Assert.True(await EchoRoundTripAsync(service.Port, 10_000), "echo after a reset");
            await WaitUntil(() => service.Counters.ActiveConnections == 0, "every echo connection to close");
            Assert.Equal(2, service.Counters.Connections);
            Assert.Equal(AbortSendsOnlyAReset ? 1 : 0, service.Counters.FailedConnections);
        }
        finally
        {
            await service.StopAsync();
        }
    }

    [Fact]
    public async Task Chargen_sends_the_rfc_864_pattern_until_the_peer_closes()
    {
        var service = await StartAsync(new ChargenServer(FreePort("tcp")));
        try
        {
            using (var client = await ConnectAsync(service.Port))
            {
                var stream = client.GetStream();
                await stream.WriteAsync("ignored"u8.ToArray(), Token);
                byte[] received = await ReadExactlyAsync(stream, 3 * ChargenPattern.Cycle.Length + 10);
                Assert.Equal(ChargenPattern.Prefix(received.Length), received);
                // Our FIN ends it: chargen stops and closes; what it sent meanwhile still continues the pattern.
                client.ShutdownWrite();
                var rest = new MemoryStream();
                await stream.CopyToAsync(rest, Token).WaitAsync(Patience, Token);
                Assert.Equal(ChargenPattern.Prefix(received.Length + (int)rest.Length).AsSpan(received.Length).ToArray(), rest.ToArray());
            }
            await WaitUntil(() => service.Counters.ActiveConnections == 0, "chargen to close");
            Assert.Equal(7, service.Counters.BytesReceived);
            Assert.Equal(0, service.Counters.FailedConnections);
            Assert.True(service.Counters.BytesSent >= 3 * ChargenPattern.Cycle.Length);
        }
        finally
        {
            await service.StopAsync();
        }
    }

    [Fact]
    public async Task Discard_reads_everything_and_sends_nothing()
    {
        var service = await StartAsync(new DiscardServer(FreePort("tcp")));
        try
        {
            using (var client = await ConnectAsync(service.Port))
            {
                var stream = client.GetStream();
                for (int i = 0; i < 16; i++) await stream.WriteAsync(new byte[16 * 1024], Token);
                client.ShutdownWrite();
                Assert.Equal(0, await stream.ReadAsync(new byte[1], Token));
            }
            await WaitUntil(() => service.Counters.ActiveConnections == 0, "discard to close");
            Assert.Equal(256 * 1024, service.Counters.BytesReceived);
            Assert.Equal(0, service.Counters.BytesSent);
        }
        finally
        {
            await service.StopAsync();
        }
    }

    [Fact]
    public async Task Udp_echo_sends_each_datagram_back_to_its_sender()
    {
        var service = await StartAsync(new UdpEchoServer(FreePort("udp")));
        try
        {
            using var client = ClientNetwork.CreateUdpSocket();
            var server = new IpEndpoint(ServerAddress, (ushort)service.Port);
            byte[] reply = new byte[2048];
            for (int i = 1; i <= 3; i++)
            {
                byte[] datagram = new byte[100 * i];
                Random.Shared.NextBytes(datagram);
                await client.SendToAsync(datagram, server, Token);
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(Token);
                timeout.CancelAfter(Patience);
                var received = await client.ReceiveFromAsync(reply, timeout.Token);
                Assert.Equal(server, received.RemoteEndPoint);
                Assert.Equal(datagram, reply.AsSpan(0, received.ReceivedBytes).ToArray());
            }
            // The service counts a datagram once its send returns, which can be after the client already has it.
            var deadline = DateTime.UtcNow + Patience;
            while (service.Counters.DatagramsSent < 3 && DateTime.UtcNow < deadline) await Task.Delay(5, Token);
            Assert.Equal(3, service.Counters.DatagramsSent);
            Assert.Equal(600, service.Counters.BytesSent);
        }
        finally
        {
            await service.StopAsync();
        }
    }

    [Fact]
    public async Task Stop_closes_idle_connections_and_returns()
    {
        var service = await StartAsync(new EchoServer(FreePort("tcp")));
        using var idle = await ConnectAsync(service.Port);
        await WaitUntil(() => service.Counters.ActiveConnections == 1, "the connection to be accepted");

        await service.StopAsync().AsTask().WaitAsync(Patience, Token);

        Assert.Equal(0, service.Counters.ActiveConnections);
        Assert.Equal(0, service.Counters.FailedConnections);
        // The service closed it gracefully: the client reads the end of the stream.
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(Token);
        timeout.CancelAfter(Patience);
        Assert.Equal(0, await idle.GetStream().ReadAsync(new byte[1], timeout.Token));
        await service.StopAsync();
    }

    [Fact]
    public async Task A_port_in_use_fails_start_and_leaves_nothing_bound()
    {
        int port = FreePort("tcp");
        var first = await StartAsync(new EchoServer(port));
        try
        {
            var second = new DiscardServer(port);
            var e = await Assert.ThrowsAsync<WirestackException>(() => second.StartAsync(ServerNetwork, [ServerAddress], Token).AsTask());
            Assert.Equal(WirestackErrorCode.AddressInUse, e.ErrorCode);
            await second.StopAsync();
        }
        finally
        {
            await first.StopAsync();
        }
        // The first released the port when it stopped.
        var again = await StartAsync(new EchoServer(port));
        await again.StopAsync();
    }

    private async Task<INetworkService> StartAsync(INetworkService service)
    {
        await service.StartAsync(ServerNetwork, [ServerAddress], Token);
        return service;
    }

    private async Task<ITcpConnection> ConnectAsync(int port) =>
        await ClientNetwork.ConnectTcpAsync(new IpEndpoint(ServerAddress, (ushort)port), Patience, Token);

    private async Task<bool> EchoRoundTripAsync(int port, int bytes)
    {
        using var client = await ConnectAsync(port);
        var stream = client.GetStream();
        byte[] sent = new byte[bytes];
        Random.Shared.NextBytes(sent);
        // Write and read at once: echo sends back while we still send, and neither side's buffers hold it all.
        var writing = Task.Run(async () =>
        {
            await stream.WriteAsync(sent, Token);
            client.ShutdownWrite();
        }, Token);
        byte[] received = await ReadExactlyAsync(stream, bytes);
        await writing;
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(Token);
        timeout.CancelAfter(Patience);
        return await stream.ReadAsync(new byte[1], timeout.Token) == 0 && sent.AsSpan().SequenceEqual(received);
    }

    private static async Task<byte[]> ReadExactlyAsync(Stream stream, int length)
    {
        byte[] buffer = new byte[length];
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(Token);
        timeout.CancelAfter(Patience);
        await stream.ReadExactlyAsync(buffer, timeout.Token);
        return buffer;
    }

    private static async Task WaitUntil(Func<bool> condition, string what)
    {
        var deadline = DateTime.UtcNow + Patience;
        while (!condition())
        {
            if (DateTime.UtcNow > deadline) Assert.Fail($"timed out waiting for {what}");
            await Task.Delay(10, Token);
        }
    }
}

/// <summary>The services on kernel sockets over loopback.</summary>
public sealed class KernelNetworkServicesTests : NetworkServicesTests
{
    public override ValueTask InitializeAsync()
    {
        ServerNetwork = ClientNetwork = new KernelNetwork();
        ServerAddress = IpAddress.Parse("127.0.0.1");
        return ValueTask.CompletedTask;
    }

    // The kernel names a free port; the service binds it again at once.
    protected override int FreePort(string transport)
    {
        using var probe = transport == "udp"
            ? new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp)
            : new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        probe.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)probe.LocalEndPoint!).Port;
    }
}

/// <summary>The services on one Wirestack stack, the clients on another, joined by a pipe.</summary>
public sealed class StackNetworkServicesTests : NetworkServicesTests
{
    private static int _nextPort = 7000;

    public override ValueTask InitializeAsync()
    {
        var bed = NetstackTestBed.Create();
        ServerNetwork = new StackNetwork(bed.B);
        ClientNetwork = new StackNetwork(bed.A);
        ServerAddress = NetstackTestBed.AddressB;
        return ValueTask.CompletedTask;
    }

    // Each test has its own stacks: any port is free.
    protected override int FreePort(string transport) => Interlocked.Increment(ref _nextPort);
}
