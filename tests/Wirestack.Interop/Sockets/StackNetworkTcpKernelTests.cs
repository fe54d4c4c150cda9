using System.Security.Cryptography;
using Wirestack.Interop.Iface;
using Wirestack.Sockets;
using Wirestack.Testing;
using Wirestack.Wire;
using static Wirestack.Interop.Iface.KernelLink;

namespace Wirestack.Interop.Sockets;

/// <summary>
/// TCP in the sockets runtime against the kernel: a <see cref="Netstack"/> at 10.240.0.2 on the link's device, the
/// kernel at 10.240.0.1 in its namespace with python3 and socat.
/// </summary>
public class StackNetworkTcpKernelTests
{
    private static CancellationToken Token => TestContext.Current.CancellationToken;

    private static Netstack StackOn(KernelLink link) =>
        new NetstackBuilder()
            .UseDevice(link.Device, ownsDevice: false)
            .WithMacAddress(OurMac)
            .AddAddress(new IpAddress(OurAddress), 24)
            .Build();

    [Theory]
    [InlineData(LinkKind.Tap)]
    [InlineData(LinkKind.TapOffloads)]
    [InlineData(LinkKind.PacketRing)]
    [InlineData(LinkKind.PacketRingOffloads)]
    public async Task AKernelClientGetsSixteenMebibytesEchoedByAStackNetworkServer(LinkKind kind)
    {
        string python = Prerequisites.RequireTool("python3", "python3");
        using var link = KernelLink.Create(kind, "wst");
        await using INetwork network = new StackNetwork(StackOn(link));
        using var listener = network.ListenTcp(new IpEndpoint(IpAddress.AnyIpv4, 7001));
        var server = Task.Run(async () =>
        {
            using var connection = await listener.AcceptAsync(Token);
            var stream = connection.GetStream();
            await stream.CopyToAsync(stream, 65536, Token);
            connection.ShutdownWrite();
        }, Token);
        // The client sends 16 MiB while it reads the echo, then checks both digests.
        string script = $$"""
            import socket, hashlib, os, threading
            data = os.urandom(16 << 20)
            s = socket.create_connection(("{{OurAddress}}", 7001), timeout=60)
            def send():
                s.sendall(data)
                s.shutdown(socket.SHUT_WR)
            t = threading.Thread(target=send)
            t.start()
            h = hashlib.sha256()
            n = 0
            while True:
                b = s.recv(1 << 16)
                if not b:
                    break
                h.update(b)
                n += len(b)
            t.join()
            print(n, h.hexdigest() == hashlib.sha256(data).hexdigest())
            """;
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var result = link.Namespace.Exec(TimeSpan.FromSeconds(120), python, "-c", script);
        var elapsed = clock.Elapsed;
        await server.WaitAsync(TimeSpan.FromSeconds(30), Token);
        var stack = ((StackNetwork)network).Stack;
        TestContext.Current.TestOutputHelper?.WriteLine($"16 MiB each way in {elapsed.TotalMilliseconds:F0} ms\n{result.StandardError}\n{stack.Counters}");
        Assert.Equal($"{16 << 20} True", result.StandardOutput.Trim());
        Assert.Null(stack.Failure);
    }

    [Theory]
    [InlineData(LinkKind.Tap)]
    [InlineData(LinkKind.TapOffloads)]
    [InlineData(LinkKind.PacketRing)]
    [InlineData(LinkKind.PacketRingOffloads)]
    public async Task AStackNetworkClientTalksToAKernelSocatServer(LinkKind kind)
    {
        string socat = Prerequisites.RequireTool("socat", "socat");
        using var link = KernelLink.Create(kind, "wsc");
        await using var stack = StackOn(link);
        // socat answers every connection by echoing through cat.
        link.Namespace.Start(socat, "TCP4-LISTEN:7002,reuseaddr,fork", "EXEC:cat");
        var remote = new IpEndpoint(new IpAddress(KernelAddress), 7002);
        TcpConnection? connection = null;
        for (int attempt = 0; connection is null; attempt++)
        {
            try
            {
                connection = await stack.ConnectAsync(remote, TimeSpan.FromSeconds(5), Token);
            }
            catch (WirestackException e) when (e.ErrorCode == WirestackErrorCode.Refused && attempt < 50)
            {
                await Task.Delay(100, Token); // socat is still starting
            }
        }
        using (connection)
        {
            byte[] data = RandomNumberGenerator.GetBytes(4 << 20);
            var stream = connection.AsStream();
            var writer = Task.Run(async () =>
            {
                await stream.WriteAsync(data, Token);
                connection.ShutdownWrite();
            }, Token);
            using var received = new MemoryStream();
            await stream.CopyToAsync(received, Token);
            await writer;
            Assert.Equal(SHA256.HashData(data), SHA256.HashData(received.ToArray()));
        }
        var refused = await Assert.ThrowsAsync<WirestackException>(async () => await stack.ConnectAsync(new IpEndpoint(new IpAddress(KernelAddress), 7003), Token));
        Assert.Equal(WirestackErrorCode.Refused, refused.ErrorCode);
        TestContext.Current.TestOutputHelper?.WriteLine($"{stack.Counters}");
        Assert.Null(stack.Failure);
    }
}
