using System.Globalization;
using System.Security.Cryptography;
using Wirestack.Interop.Iface;
using Wirestack.Interop.Infrastructure;
using Wirestack.Nic;
using Wirestack.Sockets;
using Wirestack.Testing;
using Wirestack.Wire;
using static Wirestack.Interop.Iface.KernelLink;

namespace Wirestack.Interop.Sockets;

/// <summary>
/// A two-shard <see cref="ShardedNetwork"/> (software RSS over AF_PACKET on a veth) against the kernel in a namespace:
/// 100 kernel connections echoed through the shards, connections from the shards to a kernel server, and what
/// AF_XDP's per-queue sockets see on a two-queue veth.
/// </summary>
public class ShardedNetworkKernelTests
{
    private static CancellationToken Token => TestContext.Current.CancellationToken;

    private static ITestOutputHelper? Output => TestContext.Current.TestOutputHelper;

    private static void Configure(NetstackBuilder builder) =>
        builder.WithMacAddress(OurMac).AddAddress(new IpAddress(OurAddress), 24).WithIpv6(false).WithTcpSocketBuffer(64 * 1024);

    [Fact]
    public async Task AHundredKernelConnectionsAreEchoedEachOnTheShardItsFlowHashesTo()
    {
        string python = Prerequisites.RequireTool("python3", "python3");
        using var link = KernelLink.Create(LinkKind.PacketRing, "wss");
        await using var network = ShardedNetwork.Create(link.Device, 2, Configure, pinThreads: true, ownsDevice: false);
        using var listener = network.ListenTcpOnShards(new IpEndpoint(IpAddress.AnyIpv4, 7100), backlog: 128);
        const int connections = 100;
        var perShard = new int[2];
        int misplaced = 0;
        var server = Task.Run(async () =>
        {
            var echoes = new List<Task>();
            for (int i = 0; i < connections; i++)
            {
                var connection = await listener.AcceptAsync(Token);
                int shard = network.ShardOf(connection);
                var remote = connection.RemoteEndPoint;
                if (shard != network.Steering.ShardOf(remote.Address, remote.Port, new IpAddress(OurAddress), 7100)) Interlocked.Increment(ref misplaced);
                perShard[shard]++;
                echoes.Add(Task.Run(async () =>
                {
                    await using (connection)
                    {
                        var stream = connection.AsStream();
                        await stream.CopyToAsync(stream, 65536, Token);
                        connection.ShutdownWrite();
                    }
                }, Token));
            }
            await Task.WhenAll(echoes);
        }, Token);
        // 100 threads, each its own connection: 256 KiB out while it reads the echo, then both digests compared.
        string script = ParallelEchoClients.Script(OurAddress.ToString(), 7100, connections, 256 << 10, timeoutSeconds: 60);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var result = link.Namespace.Exec(TimeSpan.FromSeconds(180), python, "-c", script);
        var elapsed = clock.Elapsed;
        await server.WaitAsync(TimeSpan.FromSeconds(30), Token);
        var rss = network.SoftwareRss!;
        Output?.WriteLine($"{connections} connections x 256 KiB each way in {elapsed.TotalMilliseconds:F0} ms; accepted per shard {perShard[0]} / {perShard[1]}; " +
            $"pinned to CPUs {string.Join(",", network.PinnedCpus)}; frames steered {rss.Steered(0)} / {rss.Steered(1)}, to all {rss.Broadcast}, dropped {rss.Dropped(0)} / {rss.Dropped(1)}\n{result.StandardError}");
        for (int s = 0; s < 2; s++) Output?.WriteLine($"shard {s}: {network.Shards[s].Counters}");
        Assert.Equal($"{connections}", result.StandardOutput.Trim());
        Assert.Equal(0, misplaced);
        Assert.Equal(connections, perShard[0] + perShard[1]);
        Assert.True(perShard[0] > 20 && perShard[1] > 20, $"the hash should spread 100 flows over both shards, got {perShard[0]} / {perShard[1]}");
        for (int s = 0; s < 2; s++)
        {
            Assert.Equal(perShard[s], network.Shards[s].Interface.TcpCounters.ConnectionsAccepted);
            Assert.Null(network.Shards[s].Failure);
        }
    }

    [Fact]
    public async Task ConnectionsFromTheShardsToAKernelServerComeBackToTheirShard()
    {
        string python = Prerequisites.RequireTool("python3", "python3");
        using var link = KernelLink.Create(LinkKind.PacketRing, "wsk");
        await using var network = ShardedNetwork.Create(link.Device, 2, Configure, ownsDevice: false);
        // A kernel echo server that says when it listens.
        string server = """
            import socket, threading
            l = socket.socket(); l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            l.bind(("0.0.0.0", 7200)); l.listen(128); print("ready", flush=True)
            def echo(c):
                while True:
                    b = c.recv(65536)
                    if not b: break
                    c.sendall(b)
                c.close()
            while True:
                c, _ = l.accept(); threading.Thread(target=echo, args=(c,), daemon=True).start()
            """;
        var process = link.Namespace.Start(python, "-c", server);
        Assert.Equal("ready", await process.StandardOutput.ReadLineAsync(Token));
        var remote = new IpEndpoint(new IpAddress(KernelAddress), 7200);
        var perShard = new int[2];
        var exchanges = new List<Task<bool>>();
        for (int i = 0; i < 40; i++)
        {
            var connection = (TcpConnection)await network.ConnectTcpAsync(remote, TimeSpan.FromSeconds(10), Token);
            int shard = network.ShardOf(connection);
            perShard[shard]++;
            Assert.Equal(shard, network.Steering.ShardOf(remote.Address, remote.Port, new IpAddress(OurAddress), connection.LocalEndPoint.Port));
            exchanges.Add(Exchange(connection, 128 * 1024));
        }
        Assert.All(await Task.WhenAll(exchanges).WaitAsync(TimeSpan.FromSeconds(60), Token), Assert.True);
        Assert.Equal([20, 20], perShard);
        for (int s = 0; s < 2; s++)
        {
            Output?.WriteLine($"shard {s}: {network.Shards[s].Counters}");
            Assert.Equal(20, network.Shards[s].Interface.TcpCounters.ConnectionsOpened);
        }
    }

    [Theory]
    [InlineData(XdpAttachMode.Generic)]
    [InlineData(XdpAttachMode.Native)]
    public void AfXdpOnATwoQueueVethSeesWhereTheKernelPutsEachFlow(XdpAttachMode mode)
    {
        Prerequisites.RequireRoot();
        string python = Prerequisites.RequireTool("python3", "python3");
        using var link = QuietVethLink.Create("10.241.0.1/24", queues: 2);
        var options = new XdpDeviceOptions { AttachMode = mode };
        using var queue0 = XdpDevice.Open(link.HostEnd, options with { QueueId = 0 });
        using var queue1 = XdpDevice.Open(link.HostEnd, options with { QueueId = 1 });
        // Nobody answers ARP for us here: a static entry lets the kernel send.
        link.Namespace.Exec("ip", "neigh", "replace", "10.241.0.2", "lladdr", "02:00:0a:f1:00:02", "dev", link.PeerEnd, "nud", "permanent").EnsureSuccess("ip neigh");
        const int flows = 64;
        string sender = $$"""
            import socket
            for port in range(40000, 40000 + {{flows}}):
                s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
                s.bind(("10.241.0.1", port))
                for _ in range(4): s.sendto(b"x" * 32, ("10.241.0.2", 9000))
                s.close()
            """;
        link.Namespace.Exec(python, "-c", sender).EnsureSuccess("send");
        var perQueue = new int[2];
        var flowQueues = new Dictionary<int, HashSet<int>>();
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(5);
        while (perQueue[0] + perQueue[1] < flows * 4 && DateTime.UtcNow < deadline)
        {
            foreach (var (device, index) in new[] { (queue0, 0), (queue1, 1) })
            {
                int lent = device.Receive();
                for (int i = 0; i < lent; i++)
                {
                    var frame = device.GetReceived(i);
                    if (frame.Length < 42 || frame[23] != 17) continue; // UDP only
                    int port = (frame[34] << 8) | frame[35];
                    perQueue[index]++;
                    if (!flowQueues.TryGetValue(port, out var queues)) flowQueues[port] = queues = [];
                    queues.Add(index);
                }
                device.ReleaseReceived(lent);
            }
        }
        int split = flowQueues.Values.Count(q => q.Count > 1);
        Output?.WriteLine($"veth {link.HostEnd} with 2 queues, XDP {mode}: queue 0 got {perQueue[0]}, queue 1 got {perQueue[1]} of {flows * 4} datagrams " +
            $"({flowQueues.Values.Count(q => q.Contains(1))} of {flowQueues.Count} flows on queue 1, {split} flows split across queues)");
        // Every datagram arrives, on one of the two queues, and a flow never changes queue.
        Assert.Equal(flows * 4, perQueue[0] + perQueue[1]);
        Assert.Equal(0, split);
    }

    private static async Task<bool> Exchange(TcpConnection connection, int length)
    {
        await using (connection)
        {
            byte[] data = RandomNumberGenerator.GetBytes(length);
            var stream = connection.AsStream();
            var writer = Task.Run(async () =>
            {
                await stream.WriteAsync(data, Token);
                connection.ShutdownWrite();
            }, Token);
            using var received = new MemoryStream();
            await stream.CopyToAsync(received, Token);
            await writer;
            return SHA256.HashData(data).AsSpan().SequenceEqual(SHA256.HashData(received.ToArray()));
        }
    }
}
