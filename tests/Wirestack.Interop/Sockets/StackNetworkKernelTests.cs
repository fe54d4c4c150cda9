using Wirestack.Interop.Iface;
using Wirestack.Sockets;
using Wirestack.Testing;
using Wirestack.Wire;
using static Wirestack.Interop.Iface.KernelLink;

namespace Wirestack.Interop.Sockets;

/// <summary>
/// The sockets runtime against the kernel: a <see cref="Netstack"/> on the device of a <see cref="KernelLink"/>
/// (TAP, or AF_PACKET on veth) at 10.240.0.2 and fd00:240::2, the kernel at 10.240.0.1 and fd00:240::1 in its
/// namespace with stock tools.
/// </summary>
public class StackNetworkKernelTests
{
    private const ushort EchoPort = 7000;
    private static readonly IpAddress KernelIpv6 = IpAddress.Parse("fd00:240::1");

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    // The link's own Interface is never polled: the Netstack drives the device (the link disposes it afterwards).
    private static Netstack StackOn(KernelLink link) =>
        new NetstackBuilder()
            .UseDevice(link.Device, ownsDevice: false)
            .WithMacAddress(OurMac)
            .AddAddress(new IpAddress(OurAddress), 24)
            .AddAddress("fd00:240::2/64")
            .Build();

    [Theory]
    [InlineData(LinkKind.Tap)]
    [InlineData(LinkKind.PacketRing)]
    public async Task KernelSocatAndNcClientsGetTheirDatagramsEchoedByAStackNetworkServer(LinkKind kind)
    {
        string socat = Prerequisites.RequireTool("socat", "socat");
        string nc = Prerequisites.RequireTool("nc", "netcat-openbsd");
        using var link = KernelLink.Create(kind, "wss");
        await using INetwork network = new StackNetwork(StackOn(link));
        using var server = network.CreateUdpSocket();
        server.Bind(new IpEndpoint(IpAddress.AnyIpv4, EchoPort));
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(Token);
        int echoed = 0;
        var echo = Task.Run(async () =>
        {
            byte[] buffer = new byte[65536];
            while (true)
            {
                var received = await server.ReceiveFromAsync(buffer, stop.Token);
                await server.SendToAsync(buffer.AsMemory(0, received.ReceivedBytes), received.RemoteEndPoint, stop.Token);
                Interlocked.Increment(ref echoed);
            }
        }, Token);
        try
        {
            for (int i = 0; i < 3; i++)
            {
                var result = link.Namespace.Exec(TimeSpan.FromSeconds(30), "sh", "-c",
                    $"printf 'hello socat {i}' | {socat} -t 2 - UDP4:{OurAddress}:{EchoPort}");
                Assert.Equal($"hello socat {i}", result.StandardOutput.TrimEnd());
            }
            var ncResult = link.Namespace.Exec(TimeSpan.FromSeconds(30), "sh", "-c",
                $"printf 'hello nc' | {nc} -u -w 2 {OurAddress} {EchoPort}");
            Assert.Equal("hello nc", ncResult.StandardOutput.TrimEnd());
            // Large enough that the kernel fragments it on the way in and the stack on the way out.
            var big = link.Namespace.Exec(TimeSpan.FromSeconds(30), "sh", "-c",
                $"head -c 6000 /dev/zero | tr '\\0' 'w' | {socat} -t 2 - UDP4:{OurAddress}:{EchoPort},sndbuf=65536 | wc -c");
            Assert.Equal("6000", big.StandardOutput.Trim());
        }
        finally
        {
            stop.Cancel();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => echo);
            var stack = ((StackNetwork)network).Stack;
            TestContext.Current.TestOutputHelper?.WriteLine($"{stack.Counters}\n{link.Device.Counters}");
            Assert.Null(stack.Failure);
        }
        Assert.Equal(5, echoed);
    }

    [Fact]
    public async Task AKernelSocatClientGetsItsIpv6DatagramsEchoed()
    {
        string socat = Prerequisites.RequireTool("socat", "socat");
        using var link = KernelLink.Create(LinkKind.Tap, "ws6");
        EnableKernelIpv6(link);
        await using var stack = StackOn(link);
        using var server = stack.CreateUdpSocket();
        server.Bind(new IpEndpoint(IpAddress.AnyIpv6, EchoPort));
        var echo = Task.Run(() =>
        {
            byte[] buffer = new byte[65536];
            for (int i = 0; i < 2; i++)
            {
                int length = server.ReceiveFrom(buffer, out var from, TimeSpan.FromSeconds(30));
                server.SendTo(buffer.AsSpan(0, length), from, TimeSpan.FromSeconds(5));
            }
        }, Token);
        var small = link.Namespace.Exec(TimeSpan.FromSeconds(30), "sh", "-c", $"printf 'hello v6' | {socat} -t 2 - UDP6:[fd00:240::2]:{EchoPort}");
        Assert.Equal("hello v6", small.StandardOutput.TrimEnd());
        var big = link.Namespace.Exec(TimeSpan.FromSeconds(30), "sh", "-c",
            $"head -c 5000 /dev/zero | tr '\\0' 'v' | {socat} -t 2 - UDP6:[fd00:240::2]:{EchoPort},sndbuf=65536 | wc -c");
        Assert.Equal("5000", big.StandardOutput.Trim());
        await echo.WaitAsync(TimeSpan.FromSeconds(30), Token);
        TestContext.Current.TestOutputHelper?.WriteLine(stack.Counters.ToString());
    }

    [Theory]
    [InlineData(LinkKind.Tap)]
    [InlineData(LinkKind.PacketRing)]
    public async Task PingAsyncReachesTheKernelOnBothFamilies(LinkKind kind)
    {
        using var link = KernelLink.Create(kind, "wsp");
        EnableKernelIpv6(link);
        await using var stack = StackOn(link);
        var rtts = new List<TimeSpan>();
        for (int i = 0; i < 5; i++)
        {
            var reply = await stack.PingAsync(new IpAddress(KernelAddress), TimeSpan.FromSeconds(5), 56, Token);
            Assert.Equal(new IpAddress(KernelAddress), reply.Address);
            rtts.Add(reply.RoundTripTime);
        }
        var v6 = await stack.PingAsync(KernelIpv6, TimeSpan.FromSeconds(5), 1200, Token);
        Assert.Equal(KernelIpv6, v6.Address);
        Assert.Equal(1200, v6.PayloadLength);
        TestContext.Current.TestOutputHelper?.WriteLine($"IPv4 RTTs: {string.Join(", ", rtts.Select(r => $"{r.TotalMicroseconds:F0} µs"))}; IPv6 {v6.RoundTripTime.TotalMicroseconds:F0} µs\n{stack.Counters}");
        var error = await Assert.ThrowsAsync<WirestackException>(async () => await stack.PingAsync(IpAddress.Parse("10.240.0.77"), TimeSpan.FromMilliseconds(500), 8, Token));
        Assert.Equal(WirestackErrorCode.TimedOut, error.ErrorCode);
    }

    // The kernel's side comes up with IPv6 off (a quiet link); turn it on with fd00:240::1, without duplicate address detection.
    private static void EnableKernelIpv6(KernelLink link)
    {
        var ns = link.Namespace;
        ns.Exec("sysctl", "-qw", $"net.ipv6.conf.{link.KernelInterfaceName}.accept_dad=0");
        ns.Exec("sysctl", "-qw", $"net.ipv6.conf.{link.KernelInterfaceName}.disable_ipv6=0").EnsureSuccess("enabling IPv6 on the kernel's side");
        ns.Exec("ip", "-6", "addr", "add", "fd00:240::1/64", "dev", link.KernelInterfaceName, "nodad").EnsureSuccess("adding the kernel's IPv6 address");
    }
}
