using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using Wirestack.Nic;
using Wirestack.Sockets;
using Wirestack.Wire;

namespace Wirestack.Benchmarks;

/// <summary>
/// TCP through the <see cref="Stream"/> of an <see cref="ITcpConnection"/>, the same code on two networks: the
/// baseline is the kernel's loopback through <see cref="KernelNetwork"/>, measured in the same run; against it two
/// Wirestack stacks on their own threads joined by a pipe (<see cref="StackNetwork"/>). Bulk: 1 MiB written in
/// 64 KiB writes to a sink that acknowledges the whole mebibyte with one byte (goodput, not buffering). Round trip:
/// 64 bytes to an echo and back. One more bulk row writes through <see cref="TcpConnection.AsDuplexPipe"/> (straight
/// into the send ring, a 64 KiB size hint through its overflow buffer) instead of the Stream.
/// </summary>
[MemoryDiagnoser]
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory)]
[CategoriesColumn]
public class TcpStreamBenchmarks
{
    private const int BulkLength = 1 << 20;
    private const int ChunkLength = 64 * 1024;
    private readonly byte[] _chunk = new byte[ChunkLength];
    private readonly byte[] _small = new byte[64];
    private readonly byte[] _reply = new byte[64];
    private readonly List<IDisposable> _cleanup = [];
    private Stream _kernelBulk = null!;
    private Stream _kernelEcho = null!;
    private Stream _stackBulk = null!;
    private Stream _stackEcho = null!;
    private System.IO.Pipelines.IDuplexPipe _stackPipe = null!;

    [GlobalSetup]
    public void Setup()
    {
        var kernel = new KernelNetwork();
        _cleanup.Add(kernel);
        (_kernelBulk, _kernelEcho) = Connect(kernel, kernel, IpAddress.Parse("127.0.0.1"));
        var (first, second) = PipeDevice.CreatePair();
        var a = new StackNetwork(Stack(first, "02:00:00:00:00:0a", "10.0.0.1/24"));
        var b = new StackNetwork(Stack(second, "02:00:00:00:00:0b", "10.0.0.2/24"));
        _cleanup.Add(a);
        _cleanup.Add(b);
        (_stackBulk, _stackEcho) = Connect(b, a, IpAddress.Parse("10.0.0.2"));
        var pipeListener = b.Stack.ListenTcp(new IpEndpoint(IpAddress.Parse("10.0.0.2"), 0));
        _cleanup.Add(pipeListener);
        var pipeClient = a.Stack.Connect(new IpEndpoint(IpAddress.Parse("10.0.0.2"), pipeListener.LocalEndPoint.Port), TimeSpan.FromSeconds(10));
        var pipeServer = pipeListener.Accept(TimeSpan.FromSeconds(10));
        _cleanup.Add(pipeClient);
        _cleanup.Add(pipeServer);
        Background(() => Sink(pipeServer.AsStream()));
        _stackPipe = pipeClient.AsDuplexPipe();
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        for (int i = _cleanup.Count - 1; i >= 0; i--) _cleanup[i].Dispose();
    }

    [Benchmark(Baseline = true), BenchmarkCategory("Bulk 1 MiB")]
    public int KernelBulk() => Bulk(_kernelBulk);

    [Benchmark, BenchmarkCategory("Bulk 1 MiB")]
    public int StackBulk() => Bulk(_stackBulk);

    [Benchmark, BenchmarkCategory("Bulk 1 MiB")]
    public async Task<int> StackPipeBulk()
    {
        var output = _stackPipe.Output;
        for (int sent = 0; sent < BulkLength; sent += ChunkLength)
        {
            _chunk.CopyTo(output.GetMemory(ChunkLength));
            output.Advance(ChunkLength);
            await output.FlushAsync().ConfigureAwait(false);
        }
        var input = _stackPipe.Input;
        var result = await input.ReadAsync().ConfigureAwait(false);
        input.AdvanceTo(result.Buffer.GetPosition(1));
        return 1;
    }

    [Benchmark(Baseline = true), BenchmarkCategory("Round trip 64 B")]
    public int KernelRoundTrip() => RoundTrip(_kernelEcho);

    [Benchmark, BenchmarkCategory("Round trip 64 B")]
    public int StackRoundTrip() => RoundTrip(_stackEcho);

    private int Bulk(Stream stream)
    {
        for (int sent = 0; sent < BulkLength; sent += ChunkLength) stream.Write(_chunk);
        return stream.Read(_reply.AsSpan(0, 1));
    }

    private int RoundTrip(Stream stream)
    {
        stream.Write(_small);
        int got = 0;
        while (got < _small.Length) got += stream.Read(_reply.AsSpan(got));
        return got;
    }

    private (Stream Bulk, Stream Echo) Connect(INetwork server, INetwork client, IpAddress serverAddress)
    {
        var listener = server.ListenTcp(new IpEndpoint(serverAddress, 0));
        _cleanup.Add(listener);
        var remote = new IpEndpoint(serverAddress, listener.LocalEndPoint.Port);
        var bulk = client.ConnectTcpAsync(remote, TimeSpan.FromSeconds(10)).AsTask().GetAwaiter().GetResult();
        var bulkServer = listener.AcceptAsync().AsTask().GetAwaiter().GetResult();
        var echo = client.ConnectTcpAsync(remote, TimeSpan.FromSeconds(10)).AsTask().GetAwaiter().GetResult();
        var echoServer = listener.AcceptAsync().AsTask().GetAwaiter().GetResult();
        _cleanup.Add(bulk);
        _cleanup.Add(echo);
        _cleanup.Add(bulkServer);
        _cleanup.Add(echoServer);
        Background(() => Sink(bulkServer.GetStream()));
        Background(() => Echo(echoServer.GetStream()));
        return (bulk.GetStream(), echo.GetStream());
    }

    // Reads everything and acknowledges each mebibyte with one byte.
    private static void Sink(Stream stream)
    {
        byte[] buffer = new byte[ChunkLength];
        long pending = 0;
        int read;
        while ((read = stream.Read(buffer)) > 0)
        {
            pending += read;
            while (pending >= BulkLength)
            {
                pending -= BulkLength;
                stream.Write(buffer.AsSpan(0, 1));
            }
        }
    }

    private static void Echo(Stream stream)
    {
        byte[] buffer = new byte[2048];
        int read;
        while ((read = stream.Read(buffer)) > 0) stream.Write(buffer.AsSpan(0, read));
    }

    private static void Background(Action action)
    {
        var thread = new Thread(() =>
        {
            try
            {
                action();
            }
            catch (Exception e) when (e is WirestackException or IOException or ObjectDisposedException)
            {
                // The benchmark is over and the connections are closing.
            }
        }) { IsBackground = true };
        thread.Start();
    }

    private static Netstack Stack(PipeDevice device, string mac, string address) =>
        new NetstackBuilder().UseDevice(device).WithMacAddress(MacAddress.Parse(mac)).AddAddress(address).Build();
}
