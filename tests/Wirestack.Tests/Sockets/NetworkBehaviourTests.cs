using System.Net;
using System.Security.Cryptography;
using System.Text;
using Wirestack.Nic;
using Wirestack.Sockets;
using Wirestack.Wire;

namespace Wirestack.Tests.Sockets;

/// <summary>
/// What an application may rely on from any <see cref="INetwork"/>: the same tests run against kernel sockets and
/// against Wirestack, so switching between them changes nothing the application sees.
/// </summary>
public abstract class NetworkBehaviourTests : IAsyncLifetime
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);

    /// <summary>The server's and the client's network (one network may serve both).</summary>
    protected INetwork ServerNetwork { get; set; } = null!;

    protected INetwork ClientNetwork { get; set; } = null!;

    /// <summary>The address the client reaches the server at.</summary>
    protected IpAddress ServerAddress { get; set; }

    /// <summary>Why multicast is skipped on this network, or null when it runs.</summary>
    protected virtual string? MulticastSkipReason => null;

    /// <summary>A group and the local address to send it from, for the multicast test.</summary>
    protected virtual IpAddress MulticastGroup => IpAddress.Parse("239.255.42.99");

    public abstract ValueTask InitializeAsync();

    public async ValueTask DisposeAsync()
    {
        await ServerNetwork.DisposeAsync();
        if (!ReferenceEquals(ClientNetwork, ServerNetwork)) await ClientNetwork.DisposeAsync();
    }

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Fact]
    public async Task UdpEcho()
    {
        using var server = ServerNetwork.CreateUdpSocket();
        server.Bind(new IpEndpoint(ServerAddress, 0));
        var serverEndPoint = new IpEndpoint(ServerAddress, server.LocalEndPoint.Port);
        Assert.NotEqual(0, serverEndPoint.Port);
        var echo = Task.Run(async () =>
        {
            byte[] buffer = new byte[2048];
            for (int i = 0; i < 3; i++)
            {
                var received = await server.ReceiveFromAsync(buffer, Token);
                await server.SendToAsync(buffer.AsMemory(0, received.ReceivedBytes), received.RemoteEndPoint, Token);
            }
        }, Token);
        using var client = ClientNetwork.CreateUdpSocket();
        byte[] reply = new byte[2048];
        for (int i = 0; i < 3; i++)
        {
            byte[] message = Encoding.ASCII.GetBytes($"echo {i} from {ClientNetwork.Name}");
            // Sync and async sends alike.
            if (i % 2 == 0) await client.SendToAsync(message, serverEndPoint, Token);
            else client.SendTo(message, serverEndPoint, Patience);
            int length = client.ReceiveFrom(reply, out var from, Patience);
            Assert.Equal(message, reply.AsSpan(0, length).ToArray());
            Assert.Equal(serverEndPoint, from);
        }
        await echo.WaitAsync(Patience, Token);
    }

    [Fact]
    public async Task SendingToAnUnboundPortSucceedsAndNothingComesBack()
    {
        using var probe = ServerNetwork.CreateUdpSocket();
        probe.Bind(new IpEndpoint(ServerAddress, 0));
        ushort unbound = probe.LocalEndPoint.Port;
        probe.Dispose(); // now nobody listens there
        using var client = ClientNetwork.CreateUdpSocket();
        Assert.Equal(5, await client.SendToAsync("hello"u8.ToArray(), new IpEndpoint(ServerAddress, unbound), Token));
        var error = Assert.Throws<WirestackException>(() => client.ReceiveFrom(new byte[16], out _, TimeSpan.FromMilliseconds(300)));
        Assert.Equal(WirestackErrorCode.TimedOut, error.ErrorCode);
    }

    [Fact]
    public void BindingAPortTwiceIsAddressInUse()
    {
        using var first = ServerNetwork.CreateUdpSocket();
        first.Bind(new IpEndpoint(ServerAddress, 0));
        using var second = ServerNetwork.CreateUdpSocket();
        var error = Assert.Throws<WirestackException>(() => second.Bind(new IpEndpoint(ServerAddress, first.LocalEndPoint.Port)));
        Assert.Equal(WirestackErrorCode.AddressInUse, error.ErrorCode);
    }

    [Fact]
    public void ReuseAddressLetsTwoSocketsShareAPort()
    {
        Assert.SkipWhen(MulticastSkipReason is not null, MulticastSkipReason ?? "");
        using var first = ServerNetwork.CreateUdpSocket();
        first.Bind(new IpEndpoint(IpAddress.AnyIpv4, 0), UdpSocketFlags.ReuseAddress);
        using var second = ServerNetwork.CreateUdpSocket();
        second.Bind(new IpEndpoint(IpAddress.AnyIpv4, first.LocalEndPoint.Port), UdpSocketFlags.ReuseAddress);
        Assert.Equal(first.LocalEndPoint.Port, second.LocalEndPoint.Port);
    }

    [Fact]
    public async Task ReceivingAfterCloseIsClosed()
    {
        var socket = ServerNetwork.CreateUdpSocket();
        socket.Bind(new IpEndpoint(ServerAddress, 0));
        socket.Dispose();
        var error = await Assert.ThrowsAsync<WirestackException>(async () => await socket.ReceiveFromAsync(new byte[16], Token));
        Assert.Equal(WirestackErrorCode.Closed, error.ErrorCode);
    }

    [Fact]
    public async Task MulticastReachesAMemberUntilItLeaves()
    {
        Assert.SkipWhen(MulticastSkipReason is not null, MulticastSkipReason ?? "");
        var group = MulticastGroup;
        using var member = ServerNetwork.CreateUdpSocket();
        member.Bind(new IpEndpoint(IpAddress.AnyIpv4, 0));
        member.JoinMulticastGroup(group);
        var groupEndPoint = new IpEndpoint(group, member.LocalEndPoint.Port);
        using var sender = ClientNetwork.CreateUdpSocket();
        await sender.SendToAsync("to the group"u8.ToArray(), groupEndPoint, Token);
        byte[] buffer = new byte[64];
        int length = member.ReceiveFrom(buffer, out _, Patience);
        Assert.Equal("to the group", Encoding.ASCII.GetString(buffer, 0, length));
        member.LeaveMulticastGroup(group);
        await sender.SendToAsync("after leaving"u8.ToArray(), groupEndPoint, Token);
        var error = Assert.Throws<WirestackException>(() => member.ReceiveFrom(buffer, out _, TimeSpan.FromMilliseconds(300)));
        Assert.Equal(WirestackErrorCode.TimedOut, error.ErrorCode);
    }

    [Fact]
    public async Task ASocketBoundToTheGroupAddressReceivesTheGroupOnly()
    {
        Assert.SkipWhen(MulticastSkipReason is not null, MulticastSkipReason ?? "");
        var group = MulticastGroup;
        using var member = ServerNetwork.CreateUdpSocket();
        member.Bind(new IpEndpoint(group, 0));
        member.JoinMulticastGroup(group);
        using var sender = ClientNetwork.CreateUdpSocket();
        // A unicast datagram to the same port does not reach a socket bound to the group.
        await sender.SendToAsync("to the host"u8.ToArray(), new IpEndpoint(ServerAddress, member.LocalEndPoint.Port), Token);
        await sender.SendToAsync("to the group"u8.ToArray(), new IpEndpoint(group, member.LocalEndPoint.Port), Token);
        byte[] buffer = new byte[64];
        int length = member.ReceiveFrom(buffer, out _, Patience);
        Assert.Equal("to the group", Encoding.ASCII.GetString(buffer, 0, length));
        var error = Assert.Throws<WirestackException>(() => member.ReceiveFrom(buffer, out _, TimeSpan.FromMilliseconds(300)));
        Assert.Equal(WirestackErrorCode.TimedOut, error.ErrorCode);
    }

    /// <summary>An endpoint whose SYNs go unanswered, and what keeps it silent (disposed after the test).</summary>
    protected abstract Task<(IpEndpoint EndPoint, IDisposable Keeper)> SilentEndPointAsync();

    [Fact]
    public async Task TcpEchoesOneMebibyte()
    {
        using var listener = ServerNetwork.ListenTcp(new IpEndpoint(ServerAddress, 0));
        var server = Task.Run(async () =>
        {
            using var connection = await listener.AcceptAsync(Token);
            var stream = connection.GetStream();
            await stream.CopyToAsync(stream, Token); // echo until the client's FIN
            connection.ShutdownWrite();
        }, Token);
        using var client = await ClientNetwork.ConnectTcpAsync(new IpEndpoint(ServerAddress, listener.LocalEndPoint.Port), Patience, Token);
        Assert.Equal(ServerAddress, client.RemoteEndPoint.Address);
        byte[] data = RandomNumberGenerator.GetBytes(1 << 20);
        var stream = client.GetStream();
        var writer = Task.Run(async () =>
        {
            await stream.WriteAsync(data, Token);
            client.ShutdownWrite();
        }, Token);
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        byte[] buffer = new byte[32768];
        int read;
        long total = 0;
        while ((read = await stream.ReadAsync(buffer, Token)) > 0)
        {
            hash.AppendData(buffer, 0, read);
            total += read;
        }
        await writer.WaitAsync(Patience, Token);
        await server.WaitAsync(Patience, Token);
        Assert.Equal(data.Length, total);
        Assert.Equal(SHA256.HashData(data), hash.GetHashAndReset());
    }

    [Fact]
    public async Task TcpHalfCloseLetsTheServerReplyAfterEndOfStream()
    {
        using var listener = ServerNetwork.ListenTcp(new IpEndpoint(ServerAddress, 0));
        var server = Task.Run(async () =>
        {
            using var connection = await listener.AcceptAsync(Token);
            var reader = new StreamReader(connection.GetStream(), Encoding.ASCII);
            string request = await reader.ReadToEndAsync(Token); // returns at the client's FIN
            await connection.GetStream().WriteAsync(Encoding.ASCII.GetBytes($"got {request.Length} bytes: {request}"), Token);
        }, Token);
        using var client = await ClientNetwork.ConnectTcpAsync(new IpEndpoint(ServerAddress, listener.LocalEndPoint.Port), Patience, Token);
        await client.GetStream().WriteAsync("question"u8.ToArray(), Token);
        client.ShutdownWrite();
        string reply = await new StreamReader(client.GetStream(), Encoding.ASCII).ReadToEndAsync(Token);
        Assert.Equal("got 8 bytes: question", reply);
        await server.WaitAsync(Patience, Token);
    }

    [Fact]
    public async Task TcpConnectToAClosedPortIsRefused()
    {
        ushort port;
        using (var probe = ServerNetwork.ListenTcp(new IpEndpoint(ServerAddress, 0))) port = probe.LocalEndPoint.Port;
        await Task.Delay(50, Token); // the listener closes on the stack thread
        var error = await Assert.ThrowsAsync<WirestackException>(async () => await ClientNetwork.ConnectTcpAsync(new IpEndpoint(ServerAddress, port), Patience, Token));
        Assert.Equal(WirestackErrorCode.Refused, error.ErrorCode);
    }

    [Fact]
    public async Task TcpConnectToASilentAddressTimesOut()
    {
        var (silent, keeper) = await SilentEndPointAsync();
        using (keeper)
        {
            var error = await Assert.ThrowsAsync<WirestackException>(async () => await ClientNetwork.ConnectTcpAsync(silent, TimeSpan.FromMilliseconds(500), Token));
            Assert.Equal(WirestackErrorCode.TimedOut, error.ErrorCode);
        }
    }

    [Fact]
    public async Task TwentyConcurrentTcpConnections()
    {
        using var listener = ServerNetwork.ListenTcp(new IpEndpoint(ServerAddress, 0), backlog: 32);
        var server = Task.Run(async () =>
        {
            var echoes = new Task[20];
            for (int i = 0; i < echoes.Length; i++)
            {
                var connection = await listener.AcceptAsync(Token);
                echoes[i] = Task.Run(async () =>
                {
                    using (connection)
                    {
                        await connection.GetStream().CopyToAsync(connection.GetStream(), Token);
                        connection.ShutdownWrite();
                    }
                }, Token);
            }
            await Task.WhenAll(echoes);
        }, Token);
        var clients = new Task[20];
        for (int i = 0; i < clients.Length; i++)
        {
            int seed = i;
            clients[i] = Task.Run(async () =>
            {
                using var connection = await ClientNetwork.ConnectTcpAsync(new IpEndpoint(ServerAddress, listener.LocalEndPoint.Port), Patience, Token);
                byte[] data = new byte[64 * 1024];
                new Random(seed).NextBytes(data);
                var stream = connection.GetStream();
                var write = Task.Run(async () =>
                {
                    await stream.WriteAsync(data, Token);
                    connection.ShutdownWrite();
                }, Token);
                using var received = new MemoryStream();
                await stream.CopyToAsync(received, Token);
                await write;
                Assert.Equal(data, received.ToArray());
            }, Token);
        }
        await Task.WhenAll(clients).WaitAsync(Patience * 3, Token);
        await server.WaitAsync(Patience, Token);
    }
}

/// <summary>The behaviour suite on the kernel's sockets over loopback.</summary>
public sealed class KernelNetworkBehaviourTests : NetworkBehaviourTests
{
    public override ValueTask InitializeAsync()
    {
        ServerNetwork = ClientNetwork = new KernelNetwork(IPAddress.Loopback);
        ServerAddress = IpAddress.Parse("127.0.0.1");
        return ValueTask.CompletedTask;
    }

    // Linux drops SYNs to a listener whose accept queue is full: fill a backlog-0 queue until a connect times out.
    protected override async Task<(IpEndpoint EndPoint, IDisposable Keeper)> SilentEndPointAsync()
    {
        var listener = ServerNetwork.ListenTcp(new IpEndpoint(ServerAddress, 0), backlog: 0);
        var keeper = new CompositeDisposable(listener);
        var endPoint = new IpEndpoint(ServerAddress, listener.LocalEndPoint.Port);
        for (int i = 0; i < 8; i++)
        {
            try
            {
                keeper.Add(await ClientNetwork.ConnectTcpAsync(endPoint, TimeSpan.FromMilliseconds(300), TestContext.Current.CancellationToken));
            }
            catch (WirestackException e) when (e.ErrorCode == WirestackErrorCode.TimedOut)
            {
                return (endPoint, keeper);
            }
        }
        keeper.Dispose();
        throw new InvalidOperationException("The kernel kept accepting connections to a full backlog; no silent endpoint.");
    }

    private sealed class CompositeDisposable(IDisposable first) : IDisposable
    {
        private readonly List<IDisposable> _items = [first];

        public void Add(IDisposable item) => _items.Add(item);

        public void Dispose()
        {
            foreach (var item in _items) item.Dispose();
        }
    }
}

/// <summary>The behaviour suite on two Wirestack stacks joined by a pipe.</summary>
public sealed class StackNetworkBehaviourTests : NetworkBehaviourTests
{
    public override ValueTask InitializeAsync()
    {
        var (first, second) = PipeDevice.CreatePair();
        ServerNetwork = new StackNetwork(Stack(second, "02:00:00:00:00:0b", "10.0.0.2/24"));
        ClientNetwork = new StackNetwork(Stack(first, "02:00:00:00:00:0a", "10.0.0.1/24"));
        ServerAddress = IpAddress.Parse("10.0.0.2");
        return ValueTask.CompletedTask;
    }

    // No host answers ARP for this address on the pipe: the SYN never leaves.
    protected override Task<(IpEndpoint EndPoint, IDisposable Keeper)> SilentEndPointAsync() =>
        Task.FromResult((new IpEndpoint(IpAddress.Parse("10.0.0.99"), 80), (IDisposable)new MemoryStream()));

    private static Netstack Stack(PipeDevice device, string mac, string address) =>
        new NetstackBuilder().UseDevice(device).WithMacAddress(MacAddress.Parse(mac)).AddAddress(address).Build();
}
