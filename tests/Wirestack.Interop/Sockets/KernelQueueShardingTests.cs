using System.Security.Cryptography;
using Wirestack.Interop.Iface;
using Wirestack.Interop.Infrastructure;
using Wirestack.Nic;
using Wirestack.Nic.Linux;
using Wirestack.Sockets;
using Wirestack.Testing;
using Wirestack.Wire;
using static Wirestack.Interop.Iface.KernelLink;

namespace Wirestack.Interop.Sockets;

/// <summary>
/// A two-shard <see cref="ShardedNetwork"/> over kernel queues (a multi-queue TAP device, AF_PACKET fanout on a veth),
/// steered by Wirestack's eBPF program, against the kernel in a namespace: ping, kernel clients spread over both
/// shards, connections from each shard that come back to it (also after an idle pause longer than the TAP driver's
/// flow table remembers), UDP flows counted on the shard the steering predicts, and fanout sockets that never receive
/// their siblings' frames.
/// </summary>
public class KernelQueueShardingTests
{
    private static CancellationToken Token => TestContext.Current.CancellationToken;

    private static ITestOutputHelper? Output => TestContext.Current.TestOutputHelper;

    private static IpAddress Ours => new(OurAddress);

    [Theory]
    [InlineData(LinkKind.Tap)]
    [InlineData(LinkKind.PacketRing)]
    public void PingFromTheNamespaceIsAnsweredByShardZero(LinkKind kind)
    {
        using var link = ShardedKernelLink.Create(kind, "wqp");
        var result = link.Namespace.Exec(TimeSpan.FromSeconds(30), "ping", "-c", "3", "-i", "0.2", "-W", "2", $"{OurAddress}");
        Output?.WriteLine(result.StandardOutput);
        result.EnsureSuccess("ping");
        var shards = link.Network.Shards;
        Assert.Equal(3, shards[0].Interface.Counters.EchoRequestsAnswered);
        Assert.Equal(0, shards[1].Interface.Counters.EchoRequestsAnswered);
        // The kernel's ARP request reached queue 0 and was passed on to shard 1, which learns from it but leaves the
        // answer to shard 0: the kernel gets one reply, not one per shard.
        Assert.True(shards[0].Interface.Counters.ArpRepliesSent >= 1, "shard 0 did not answer the kernel's ARP request");
        Assert.Equal(0, shards[1].Interface.Counters.ArpRepliesSent);
    }

    [Theory]
    [InlineData(LinkKind.Tap)]
    [InlineData(LinkKind.TapOffloads)]
    [InlineData(LinkKind.PacketRing)]
    [InlineData(LinkKind.PacketRingOffloads)]
    public async Task KernelClientsAreEchoedEachOnTheShardItsFlowHashesTo(LinkKind kind)
    {
        string python = Prerequisites.RequireTool("python3", "python3");
        using var link = ShardedKernelLink.Create(kind, "wqe");
        var network = link.Network;
        using var listener = network.ListenTcpOnShards(new IpEndpoint(IpAddress.AnyIpv4, 7100));
        const int connections = 32;
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
                // Both directions: the kernel's frames to us, and (symmetric) the flow as we name it.
                if (shard != network.Steering.ShardOf(remote.Address, remote.Port, Ours, 7100)
                    || shard != network.Steering.ShardOf(Ours, 7100, remote.Address, remote.Port)) Interlocked.Increment(ref misplaced);
                Interlocked.Increment(ref perShard[shard]);
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
        // Each thread its own connection (its own source port): 64 KiB out while it reads the echo, digests compared.
        string script = ParallelEchoClients.Script(OurAddress.ToString(), 7100, connections, 64 << 10, timeoutSeconds: 30);
        var result = link.Namespace.Exec(TimeSpan.FromSeconds(120), python, "-c", script);
        Output?.WriteLine($"{kind}: {connections} connections accepted per shard {perShard[0]} / {perShard[1]}, {result.StandardOutput.Trim()} echoed intact\n{result.StandardError}");
        for (int s = 0; s < 2; s++)
            Output?.WriteLine($"shard {s}: {network.Shards[s].Counters}\n  device {network.HardwareRss!.Queues[s].Counters}\n  tcp: accepted {network.Shards[s].Interface.TcpCounters.ConnectionsAccepted}, resets sent {network.Shards[s].Interface.TcpCounters.ResetsSent} received {network.Shards[s].Interface.TcpCounters.ResetsReceived}, retransmitted {network.Shards[s].Interface.TcpCounters.RetransmittedSegments}");
        await server.WaitAsync(TimeSpan.FromSeconds(30), Token);
        Assert.Equal($"{connections}", result.StandardOutput.Trim());
        Assert.Equal(0, misplaced);
        Assert.True(perShard[0] > 0 && perShard[1] > 0, $"both shards should accept some of {connections} flows, got {perShard[0]} / {perShard[1]}");
        for (int s = 0; s < 2; s++)
        {
            Assert.Equal(perShard[s], network.Shards[s].Interface.TcpCounters.ConnectionsAccepted);
            Assert.Null(network.Shards[s].Failure);
        }
    }

    [Theory]
    [InlineData(LinkKind.Tap)]
    [InlineData(LinkKind.PacketRing)]
    public async Task ConnectionsFromEachShardComeBackToItAlsoAfterAnIdlePause(LinkKind kind)
    {
        string python = Prerequisites.RequireTool("python3", "python3");
        using var link = ShardedKernelLink.Create(kind, "wqc");
        var network = link.Network;
        string server = """
            import socket, threading
            l = socket.socket(); l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            l.bind(("0.0.0.0", 7200)); l.listen(64); print("ready", flush=True)
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
        var connections = new List<TcpConnection>();
        try
        {
            var perShard = new int[2];
            for (int i = 0; i < 8; i++)
            {
                var connection = (TcpConnection)await network.ConnectTcpAsync(remote, TimeSpan.FromSeconds(10), Token);
                connections.Add(connection);
                int shard = network.ShardOf(connection);
                perShard[shard]++;
                Assert.Equal(shard, network.Steering.ShardOf(remote.Address, remote.Port, Ours, connection.LocalEndPoint.Port));
            }
            Assert.Equal([4, 4], perShard);
            foreach (var connection in connections) await RoundTrip(connection, 32 * 1024);
            // Longer than the TAP driver's own flow table keeps an idle flow (3 s): our program has no memory to lose.
            await Task.Delay(TimeSpan.FromSeconds(4.5), Token);
            foreach (var connection in connections) await RoundTrip(connection, 32 * 1024);
            for (int s = 0; s < 2; s++)
            {
                Output?.WriteLine($"{kind} shard {s}: {network.Shards[s].Counters}");
                Assert.Equal(4, network.Shards[s].Interface.TcpCounters.ConnectionsOpened);
                Assert.Null(network.Shards[s].Failure);
            }
        }
        finally
        {
            foreach (var connection in connections) await connection.DisposeAsync();
        }
    }

    [Theory]
    [InlineData(LinkKind.Tap)]
    [InlineData(LinkKind.PacketRing)]
    public async Task UdpFlowsAreCountedOnTheShardTheSteeringPredictsAndEchoed(LinkKind kind)
    {
        string python = Prerequisites.RequireTool("python3", "python3");
        using var link = ShardedKernelLink.Create(kind, "wqu");
        var network = link.Network;
        using var socket = network.CreateUdpSocket();
        socket.Bind(new IpEndpoint(IpAddress.AnyIpv4, 7300));
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(Token);
        var echo = Task.Run(async () =>
        {
            byte[] buffer = new byte[2048];
            while (!stop.IsCancellationRequested)
            {
                var received = await socket.ReceiveFromAsync(buffer, stop.Token);
                await socket.SendToAsync(buffer.AsMemory(0, received.ReceivedBytes), received.RemoteEndPoint, stop.Token);
            }
        }, Token);
        const int flows = 64, firstPort = 41000;
        string script = $$"""
            import socket
            ok = 0
            for port in range({{firstPort}}, {{firstPort + flows}}):
                s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
                s.bind(("{{KernelAddress}}", port)); s.settimeout(3)
                data = b"flow %d" % port
                s.sendto(data, ("{{OurAddress}}", 7300))
                try:
                    if s.recvfrom(2048)[0] == data: ok += 1
                except socket.timeout:
                    pass
                s.close()
            print(ok)
            """;
        var result = link.Namespace.Exec(TimeSpan.FromSeconds(120), python, "-c", script);
        await stop.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => echo.WaitAsync(TimeSpan.FromSeconds(10), Token));
        var predicted = new int[2];
        for (int port = firstPort; port < firstPort + flows; port++)
            predicted[network.Steering.ShardOf(new IpAddress(KernelAddress), (ushort)port, Ours, 7300)]++;
        var counted = new[] { network.Shards[0].Interface.Counters.UdpDatagramsReceived, network.Shards[1].Interface.Counters.UdpDatagramsReceived };
        Output?.WriteLine($"{kind}: {flows} UDP flows, predicted per shard {predicted[0]} / {predicted[1]}, counted {counted[0]} / {counted[1]}\n{result.StandardError}");
        Assert.Equal($"{flows}", result.StandardOutput.Trim());
        Assert.Equal(predicted[0], counted[0]);
        Assert.Equal(predicted[1], counted[1]);
        Assert.True(predicted[0] > 0 && predicted[1] > 0);
    }

    [Fact]
    public void FanoutSocketsNeverReceiveTheFramesTheirSiblingsSend()
    {
        Prerequisites.RequireRoot();
        using var link = QuietVethLink.Create("10.241.1.1/24");
        using var program = FlowSteeringProgram.Load();
        var devices = PacketRingDevice.OpenFanout(link.HostEnd, null, 2, program.Fd);
        try
        {
            Assert.NotEqual(0, devices[0].FanoutGroupId());
            Assert.Equal(devices[0].FanoutGroupId(), devices[1].FanoutGroupId());
            long peerBefore = PeerReceived(link);
            // Broadcast frames of an experimental ethertype from our MAC, 50 from each socket.
            var frame = new byte[60];
            MacAddress.Broadcast.WriteTo(frame);
            OurMac.WriteTo(frame.AsSpan(6));
            frame[12] = 0x88;
            frame[13] = 0xB5;
            foreach (var device in devices)
            {
                for (int i = 0; i < 50; i++)
                {
                    Assert.True(device.TryGetTransmitSlot(out var slot));
                    frame.CopyTo(slot);
                    device.CommitTransmit(frame.Length);
                }
                device.Flush();
            }
            Thread.Sleep(300);
            int ours = 0, total = 0;
            foreach (var device in devices)
            {
                for (int lent; (lent = device.Receive()) > 0;)
                {
                    for (int i = 0; i < lent; i++)
                    {
                        total++;
                        if (device.GetReceived(i).Slice(6, 6).SequenceEqual(frame.AsSpan(6, 6))) ours++;
                    }
                    device.ReleaseReceived(lent);
                }
            }
            long peerReceived = PeerReceived(link) - peerBefore;
            Output?.WriteLine($"the peer received {peerReceived} frames; the two sockets received {total}, {ours} of them ours");
            Assert.True(peerReceived >= 100, $"the peer should have received the 100 frames, got {peerReceived}");
            Assert.Equal(0, ours);
        }
        finally
        {
            foreach (var device in devices) device.Dispose();
        }
    }

    [Fact]
    public void ATapWithOneQueuePerShardIsRemovedWithTheNetwork()
    {
        Prerequisites.RequireRoot();
        string name = IpRoute2.UniqueInterfaceName("wqd");
        var network = ShardedNetwork.OpenTap(new TapDeviceOptions { Name = name }, 3, ShardedKernelLink.Configure);
        try
        {
            Assert.Equal(name, network.InterfaceName);
            Assert.Equal(FlowHashFunction.SymmetricFold, network.Steering.HashFunction);
            Assert.Equal(3, network.Steering.ShardCount);
            // The kernel shows one transmit queue per attached descriptor.
            string queues = ProcessRunner.Run("ls", $"/sys/class/net/{name}/queues").EnsureSuccess("ls queues").StandardOutput;
            Output?.WriteLine(queues);
            Assert.Contains("tx-2", queues, StringComparison.Ordinal);
            Assert.DoesNotContain("tx-3", queues, StringComparison.Ordinal);
        }
        finally
        {
            network.Dispose();
        }
        Assert.False(Directory.Exists($"/sys/class/net/{name}"), $"{name} should be gone with its last queue");
    }

    [Fact]
    public void ANameTakenBySingleQueueTapIsRefusedAndLeftAlone()
    {
        Prerequisites.RequireRoot();
        string name = IpRoute2.UniqueInterfaceName("wqn");
        using var single = new TapDevice(new TapDeviceOptions { Name = name });
        var e = Assert.Throws<IOException>(() => ShardedNetwork.OpenTap(new TapDeviceOptions { Name = name }, 2, ShardedKernelLink.Configure));
        Output?.WriteLine(e.Message);
        Assert.Contains("not a multi-queue TAP device", e.Message, StringComparison.Ordinal);
        Assert.True(Directory.Exists($"/sys/class/net/{name}"));
        Assert.True(single.TryGetTransmitSlot(out _)); // still usable
    }

    [Fact]
    public void FanoutSocketsCanBeOpenedAgainOnceDisposed()
    {
        Prerequisites.RequireRoot();
        using var link = QuietVethLink.Create("10.241.2.1/24");
        int firstGroup;
        using (var network = ShardedNetwork.OpenPacketRing(link.HostEnd, null, 2, ShardedKernelLink.Configure))
        {
            firstGroup = ((PacketRingDevice)network.HardwareRss!.Queues[0].Inner).FanoutGroupId();
            Assert.NotEqual(0, firstGroup);
            Assert.Equal(link.HostEnd, network.InterfaceName);
        }
        using var again = ShardedNetwork.OpenPacketRing(link.HostEnd, null, 2, ShardedKernelLink.Configure);
        Assert.NotEqual(0, ((PacketRingDevice)again.HardwareRss!.Queues[1].Inner).FanoutGroupId());
        var missing = Assert.Throws<IOException>(() => ShardedNetwork.OpenPacketRing("wsnosuch0", null, 2, ShardedKernelLink.Configure));
        Assert.Contains("no interface 'wsnosuch0'", missing.Message, StringComparison.Ordinal);
    }

    private static long PeerReceived(QuietVethLink link) =>
        long.Parse(link.Namespace.Exec("cat", $"/sys/class/net/{link.PeerEnd}/statistics/rx_packets").EnsureSuccess("cat rx_packets").StandardOutput.Trim(), System.Globalization.CultureInfo.InvariantCulture);

    private static async Task RoundTrip(TcpConnection connection, int length)
    {
        byte[] data = RandomNumberGenerator.GetBytes(length);
        var stream = connection.AsStream();
        var writer = stream.WriteAsync(data, Token).AsTask();
        byte[] received = new byte[length];
        await stream.ReadExactlyAsync(received, Token).AsTask().WaitAsync(TimeSpan.FromSeconds(20), Token);
        await writer;
        Assert.True(data.AsSpan().SequenceEqual(received), "the echo differs from what was sent");
    }
}
