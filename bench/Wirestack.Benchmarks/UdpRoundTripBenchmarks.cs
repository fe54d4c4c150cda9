using System.Net;
using BenchmarkDotNet.Attributes;
using Wirestack.Nic;
using Wirestack.Sockets;
using Wirestack.Wire;

namespace Wirestack.Benchmarks;

/// <summary>
/// One UDP round trip (send 64 bytes, an echo thread sends them back, receive) through <see cref="INetwork"/>:
/// the baseline is the kernel's loopback through <see cref="KernelNetwork"/>, measured in the same run; against it
/// two Wirestack stacks on their own threads joined by a pipe (<see cref="StackNetwork"/>), and the same two stacks
/// driven by hand on one thread (the stack's own cost without any thread hand-off).
/// </summary>
[MemoryDiagnoser]
public class UdpRoundTripBenchmarks
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);
    private readonly byte[] _payload = new byte[64];
    private readonly byte[] _buffer = new byte[2048];
    private readonly List<IDisposable> _cleanup = [];
    private readonly CancellationTokenSource _stop = new();
    private IUdpSocket _kernelClient = null!;
    private IpEndpoint _kernelServer;
    private IUdpSocket _stackClient = null!;
    private IpEndpoint _stackServer;
    private Netstack _manualA = null!;
    private Netstack _manualB = null!;
    private UdpSocket _manualClient = null!;
    private UdpSocket _manualServer = null!;
    private IpEndpoint _manualServerEndPoint;

    [GlobalSetup]
    public void Setup()
    {
        var kernel = new KernelNetwork();
        (_kernelClient, _kernelServer) = StartEcho(kernel, kernel, IpAddress.Parse("127.0.0.1"));
        var (first, second) = PipeDevice.CreatePair();
        var a = new StackNetwork(Stack(first, "02:00:00:00:00:0a", "10.0.0.1/24", manual: false));
        var b = new StackNetwork(Stack(second, "02:00:00:00:00:0b", "10.0.0.2/24", manual: false));
        _cleanup.Add(a);
        _cleanup.Add(b);
        (_stackClient, _stackServer) = StartEcho(b, a, IpAddress.Parse("10.0.0.2"));

        (first, second) = PipeDevice.CreatePair();
        _manualA = Stack(first, "02:00:00:00:00:0a", "10.0.0.1/24", manual: true);
        _manualB = Stack(second, "02:00:00:00:00:0b", "10.0.0.2/24", manual: true);
        _manualServer = _manualB.CreateUdpSocket();
        _manualServer.Bind(new IpEndpoint(IpAddress.AnyIpv4, 7));
        _manualClient = _manualA.CreateUdpSocket();
        _manualClient.Bind(new IpEndpoint(IpAddress.AnyIpv4, 0));
        _manualServerEndPoint = new IpEndpoint(IpAddress.Parse("10.0.0.2"), 7);
        for (int i = 0; i < 10; i++) ManualStacks();
        for (int i = 0; i < 10; i++)
        {
            KernelSockets();
            StackThreads();
        }
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _stop.Cancel();
        _kernelClient.Dispose();
        foreach (var item in _cleanup) item.Dispose();
        _manualA.Dispose();
        _manualB.Dispose();
    }

    [Benchmark(Baseline = true)]
    public int KernelSockets() => RoundTrip(_kernelClient, _kernelServer);

    [Benchmark]
    public int StackThreads() => RoundTrip(_stackClient, _stackServer);

    [Benchmark]
    public int ManualStacks()
    {
        var now = Instant.Now(TimeProvider.System);
        _manualClient.SendTo(_payload, _manualServerEndPoint);
        Pump(now);
        int length = _manualServer.ReceiveFrom(_buffer, out var from, Patience);
        _manualServer.SendTo(_buffer.AsSpan(0, length), from);
        Pump(now);
        return _manualClient.ReceiveFrom(_buffer, out _, Patience);
    }

    private void Pump(Instant now)
    {
        // Two rounds: enough for ARP at the start and for either direction afterwards.
        for (int i = 0; i < 2; i++)
        {
            _manualA.Poll(now);
            _manualB.Poll(now);
        }
    }

    private int RoundTrip(IUdpSocket client, IpEndpoint server)
    {
        client.SendTo(_payload, server, Patience);
        return client.ReceiveFrom(_buffer, out _, Patience);
    }

    private (IUdpSocket Client, IpEndpoint Server) StartEcho(INetwork serverNetwork, INetwork clientNetwork, IpAddress serverAddress)
    {
        var server = serverNetwork.CreateUdpSocket();
        server.Bind(new IpEndpoint(serverAddress, 0));
        _cleanup.Add(server);
        var thread = new Thread(() =>
        {
            byte[] buffer = new byte[2048];
            try
            {
                while (!_stop.IsCancellationRequested)
                {
                    int length = server.ReceiveFrom(buffer, out var from, Timeout.InfiniteTimeSpan);
                    server.SendTo(buffer.AsSpan(0, length), from, Patience);
                }
            }
            catch (WirestackException)
            {
                // Closed at cleanup.
            }
        }) { IsBackground = true, Name = $"{serverNetwork.Name} echo" };
        thread.Start();
        var client = clientNetwork.CreateUdpSocket();
        client.Bind(new IpEndpoint(serverAddress.IsIpv4 && IPAddress.IsLoopback(serverAddress.ToIPAddress()) ? serverAddress : IpAddress.AnyIpv4, 0));
        return (client, new IpEndpoint(serverAddress, server.LocalEndPoint.Port));
    }

    private static Netstack Stack(PipeDevice device, string mac, string address, bool manual) =>
        new NetstackBuilder().UseDevice(device).WithMacAddress(MacAddress.Parse(mac)).AddAddress(address)
            .WithIpv6(false).UseManualPolling(manual).ConfigureInterface(o => o with { AnnounceAddresses = false }).Build();
}
