using System.Security.Cryptography;
using Wirestack.Sockets;
using Wirestack.Testing;
using Wirestack.Wire;
using static Wirestack.Tests.Sockets.NetstackTestBed;

namespace Wirestack.Tests.Sockets;

/// <summary>TcpListener and TcpConnection between two Netstacks on a pipe.</summary>
[Collection(ProcessWideAllocationCollection.Name)]
public sealed class TcpSocketTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Fact]
    public async Task EchoesOneMebibyteAndReadsEndOfStream()
    {
        await using var bed = Create();
        using var listener = bed.B.ListenTcp(new IpEndpoint(AddressB, 7));
        var server = Task.Run(async () =>
        {
            using var connection = await listener.AcceptAsync(Token);
            byte[] buffer = new byte[8192];
            int read;
            while ((read = await connection.ReadAsync(buffer, Token)) > 0) await connection.WriteAsync(buffer.AsMemory(0, read), Token);
            connection.ShutdownWrite();
        }, Token);
        using var client = await bed.A.ConnectAsync(new IpEndpoint(AddressB, 7), Token);
        Assert.Equal(new IpEndpoint(AddressB, 7), client.RemoteEndPoint);
        Assert.Equal(AddressA, client.LocalEndPoint.Address);
        byte[] data = RandomNumberGenerator.GetBytes(1 << 20);
        var writer = Task.Run(async () =>
        {
            for (int offset = 0; offset < data.Length; offset += 10000)
                await client.WriteAsync(data.AsMemory(offset, Math.Min(10000, data.Length - offset)), Token);
            client.ShutdownWrite();
        }, Token);
        using var received = new MemoryStream();
        byte[] chunk = new byte[16384];
        int n;
        while ((n = await client.ReadAsync(chunk, Token)) > 0) received.Write(chunk, 0, n);
        await writer.WaitAsync(Patience, Token);
        await server.WaitAsync(Patience, Token);
        Assert.Equal(SHA256.HashData(data), SHA256.HashData(received.ToArray()));
        Assert.Equal(0, await client.ReadAsync(chunk, Token)); // stays at end of stream
    }

    [Fact]
    public async Task ConnectingToAClosedPortIsRefused()
    {
        await using var bed = Create();
        var error = await Assert.ThrowsAsync<WirestackException>(async () => await bed.A.ConnectAsync(new IpEndpoint(AddressB, 9), Token));
        Assert.Equal(WirestackErrorCode.Refused, error.ErrorCode);
        error = Assert.Throws<WirestackException>(() => bed.A.Connect(new IpEndpoint(AddressB, 9), Patience));
        Assert.Equal(WirestackErrorCode.Refused, error.ErrorCode);
        // The error reaches the caller as the stack thread frees the slot: give that thread its moment.
        var deadline = DateTime.UtcNow + Patience;
        while (bed.A.TcpConnectionCount != 0 && DateTime.UtcNow < deadline) await Task.Delay(5, Token);
        Assert.Equal(0, bed.A.TcpConnectionCount);
    }

    [Fact]
    public async Task ConnectingToASilentAddressTimesOut()
    {
        await using var bed = Create();
        var silent = new IpEndpoint(IpAddress.Parse("10.0.0.99"), 80);
        var error = await Assert.ThrowsAsync<WirestackException>(async () => await bed.A.ConnectAsync(silent, TimeSpan.FromMilliseconds(300), Token));
        Assert.Equal(WirestackErrorCode.TimedOut, error.ErrorCode);
        error = Assert.Throws<WirestackException>(() => bed.A.Connect(silent, TimeSpan.FromMilliseconds(300)));
        Assert.Equal(WirestackErrorCode.TimedOut, error.ErrorCode);
        using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(200));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await bed.A.ConnectAsync(silent, cancel.Token));
        await WaitUntil(() => bed.A.TcpConnectionCount == 0);
    }

    [Fact]
    public async Task SynchronousReadAndWriteWithTimeouts()
    {
        await using var bed = Create();
        using var listener = bed.B.ListenTcp(new IpEndpoint(IpAddress.AnyIpv4, 0), backlog: 4);
        Assert.NotEqual(0, listener.LocalEndPoint.Port);
        using var client = bed.A.Connect(new IpEndpoint(AddressB, listener.LocalEndPoint.Port), Patience);
        using var server = listener.Accept(Patience);
        Assert.Equal(client.LocalEndPoint, server.RemoteEndPoint);
        client.Write("ping"u8, Patience);
        byte[] buffer = new byte[16];
        int read = server.Read(buffer, Patience);
        Assert.Equal("ping"u8.ToArray(), buffer.AsSpan(0, read).ToArray());
        var error = Assert.Throws<WirestackException>(() => server.Read(buffer, TimeSpan.FromMilliseconds(100)));
        Assert.Equal(WirestackErrorCode.TimedOut, error.ErrorCode);
        error = Assert.Throws<WirestackException>(() => listener.Accept(TimeSpan.FromMilliseconds(100)));
        Assert.Equal(WirestackErrorCode.TimedOut, error.ErrorCode);
    }

    [Fact]
    public async Task AbortResetsThePeer()
    {
        await using var bed = Create();
        using var listener = bed.B.ListenTcp(new IpEndpoint(AddressB, 80));
        using var client = await bed.A.ConnectAsync(new IpEndpoint(AddressB, 80), Token);
        using var server = await listener.AcceptAsync(Token);
        var pending = server.ReadAsync(new byte[16], Token);
        client.Abort();
        var error = await Assert.ThrowsAsync<WirestackException>(async () => await pending);
        Assert.Equal(WirestackErrorCode.Reset, error.ErrorCode);
        error = await Assert.ThrowsAsync<WirestackException>(async () => await server.WriteAsync(new byte[1], Token));
        Assert.Equal(WirestackErrorCode.Reset, error.ErrorCode);
        // Code written against Stream sees the failure as the IOException it expects from a network stream.
        var io = await Assert.ThrowsAnyAsync<IOException>(async () => await server.AsStream().ReadExactlyAsync(new byte[1], Token));
        Assert.Equal(WirestackErrorCode.Reset, Assert.IsType<WirestackException>(io).ErrorCode);
        error = await Assert.ThrowsAsync<WirestackException>(async () => await client.ReadAsync(new byte[1], Token));
        Assert.Equal(WirestackErrorCode.Closed, error.ErrorCode);
    }

    [Fact]
    public async Task DataForAClosedConnectionResetsThePeer()
    {
        await using var bed = Create();
        using var listener = bed.B.ListenTcp(new IpEndpoint(AddressB, 80));
        var client = await bed.A.ConnectAsync(new IpEndpoint(AddressB, 80), Token);
        using var server = await listener.AcceptAsync(Token);
        client.Close();
        Assert.Equal(0, await server.ReadAsync(new byte[1], Token).AsTask().WaitAsync(Patience, Token));
        // The client closed (not a half-close): what the server sends now can never be read, so the client resets
        // instead of acknowledging it for ever, and the server's writes fail.
        var error = await Assert.ThrowsAsync<WirestackException>(async () =>
        {
            var deadline = DateTime.UtcNow + Patience;
            while (DateTime.UtcNow < deadline)
            {
                await server.WriteAsync(new byte[1000], Token);
                await Task.Delay(10, Token);
            }
        });
        Assert.Equal(WirestackErrorCode.Reset, error.ErrorCode);
        Assert.Equal(1, bed.A.Interface.TcpCounters.DataAfterCloseResets);
    }

    [Fact]
    public async Task DisposingFailsAPendingReadWithClosed()
    {
        await using var bed = Create();
        using var listener = bed.B.ListenTcp(new IpEndpoint(AddressB, 80));
        var client = await bed.A.ConnectAsync(new IpEndpoint(AddressB, 80), Token);
        using var server = await listener.AcceptAsync(Token);
        var pending = client.ReadAsync(new byte[16], Token);
        Assert.False(pending.IsCompleted);
        client.Dispose();
        var error = await Assert.ThrowsAsync<WirestackException>(async () => await pending);
        Assert.Equal(WirestackErrorCode.Closed, error.ErrorCode);
        // The close was graceful: the server reads the end of the stream.
        Assert.Equal(0, await server.ReadAsync(new byte[16], Token).AsTask().WaitAsync(Patience, Token));
    }

    [Fact]
    public async Task TheBacklogBoundsEveryConnectionNotYetAccepted()
    {
        // Quick retransmissions: the clients past the backlog come in as their data is retransmitted (half-open ones
        // still have six SYN-ACK retries, over 6 s, before the server gives up on them).
        await using var bed = Create(configure: b => b.ConfigureInterface(o => o with
        {
            Tcp = o.Tcp with { InitialRetransmissionTimeout = TimeSpan.FromMilliseconds(100), MinRetransmissionTimeout = TimeSpan.FromMilliseconds(50), MaxRetransmissionTimeout = TimeSpan.FromSeconds(2) },
        }));
        const int backlog = 4, clients = 10;
        using var listener = bed.B.ListenTcp(new IpEndpoint(AddressB, 80), backlog);
        var connects = new Task<TcpConnection>[clients];
        for (int i = 0; i < clients; i++)
        {
            int id = i;
            connects[i] = Task.Run(async () =>
            {
                var client = await bed.A.ConnectAsync(new IpEndpoint(AddressB, 80), Token);
                await client.WriteAsync(new[] { (byte)id }, Token);
                return client;
            }, Token);
        }
        // Clients past the backlog get SYN cookies and believe they are connected; the server keeps no more than the
        // backlog established (in the interface's queue and the listener's together) while nothing is accepted.
        var counters = bed.B.Interface.TcpCounters;
        // Accept as soon as the backlog is full (a half-open client must not wait out its SYN-ACK retries).
        var filled = DateTime.UtcNow + Patience;
        while (counters.ConnectionsAccepted < backlog && DateTime.UtcNow < filled) await Task.Delay(10, Token);
        var settle = DateTime.UtcNow + TimeSpan.FromMilliseconds(300);
        while (DateTime.UtcNow < settle)
        {
            Assert.True(counters.ConnectionsAccepted <= backlog, $"{counters.ConnectionsAccepted} connections wait on a backlog of {backlog}");
            await Task.Delay(10, Token);
        }
        Assert.Equal(backlog, counters.ConnectionsAccepted);
        // Accepting makes room: the others come in as their data is retransmitted, and none is reset or lost.
        var seen = new bool[clients];
        for (int i = 0; i < clients; i++)
        {
            using var server = await listener.AcceptAsync(Token).AsTask().WaitAsync(Patience, Token);
            byte[] one = new byte[1];
            Assert.Equal(1, await server.ReadAsync(one, Token).AsTask().WaitAsync(Patience, Token));
            Assert.False(seen[one[0]]);
            seen[one[0]] = true;
        }
        foreach (var connect in connects) (await connect).Dispose();
        Assert.Equal(0, bed.A.Interface.TcpCounters.ResetsReceived);
    }

    [Fact]
    public async Task CancellationEndsEveryWait()
    {
        await using var bed = Create(configure: b => b.WithTcpSocketBuffer(4096));
        using var listener = bed.B.ListenTcp(new IpEndpoint(AddressB, 80), backlog: 1);
        using (var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(100)))
            await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await listener.AcceptAsync(cancel.Token));
        using var client = await bed.A.ConnectAsync(new IpEndpoint(AddressB, 80), Token);
        using var server = await listener.AcceptAsync(Token);
        using (var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(100)))
            await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await server.ReadAsync(new byte[16], cancel.Token));
        // Nobody reads on the server: the rings and windows fill, and the write waits until cancelled.
        using (var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(500)))
            await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await client.WriteAsync(new byte[16 << 20], cancel.Token));
        // Nothing was lost to the cancelled read: the bytes written are there.
        byte[] buffer = new byte[100];
        Assert.Equal(100, await server.ReadAsync(buffer, Token));
    }

    [Fact]
    public async Task WriteSomeSaysExactlyWhatItQueued()
    {
        await using var bed = Create(configure: b => b.WithTcpSocketBuffer(4096));
        using var listener = bed.B.ListenTcp(new IpEndpoint(AddressB, 80), backlog: 1);
        using var client = await bed.A.ConnectAsync(new IpEndpoint(AddressB, 80), Token);
        using var server = await listener.AcceptAsync(Token);
        // Nobody reads on the server: each call queues what fits, until nothing does and the call waits.
        byte[] data = new byte[16 << 20];
        for (int i = 0; i < data.Length; i++) data[i] = (byte)(i * 7);
        long queued = 0;
        using (var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(500)))
        {
            await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
            {
                while (true)
                {
                    int written = await client.WriteSomeAsync(data.AsMemory((int)queued), cancel.Token);
                    Assert.InRange(written, 1, data.Length - (int)queued);
                    queued += written;
                }
            });
        }
        Assert.InRange(queued, 1, data.Length - 1);
        Assert.Equal(0, await client.WriteSomeAsync(ReadOnlyMemory<byte>.Empty, Token));
        // Everything counted arrives, in order, and nothing more: the cancelled call queued nothing.
        client.ShutdownWrite();
        byte[] received = new byte[data.Length];
        int total = 0, read;
        while ((read = await server.ReadAsync(received.AsMemory(total), Token)) > 0) total += read;
        Assert.Equal(queued, total);
        Assert.True(received.AsSpan(0, total).SequenceEqual(data.AsSpan(0, total)));
    }

    [Fact]
    public async Task ManyThreadsOnManyConnections()
    {
        await using var bed = Create();
        using var listener = bed.B.ListenTcp(new IpEndpoint(AddressB, 80), backlog: 64);
        var servers = Task.Run(async () =>
        {
            var echoes = new List<Task>();
            for (int i = 0; i < 32; i++)
            {
                var connection = await listener.AcceptAsync(Token);
                echoes.Add(Task.Run(() => Echo(connection), Token));
            }
            await Task.WhenAll(echoes);
        }, Token);
        var clients = new Task[32];
        for (int i = 0; i < clients.Length; i++)
        {
            int seed = i;
            // Each client blocks two threads of its own (a writer and a reader): on the thread pool, 64 blocking
            // work items on two cores would wait for the pool to grow, about one thread a second.
            clients[i] = Task.Factory.StartNew(() =>
            {
                using var connection = bed.A.Connect(new IpEndpoint(AddressB, 80), Patience);
                byte[] data = new byte[100_000];
                new Random(seed).NextBytes(data);
                var reader = Task.Factory.StartNew(() =>
                {
                    byte[] got = new byte[data.Length];
                    int total = 0;
                    while (total < got.Length) total += connection.Read(got.AsSpan(total), Patience);
                    Assert.Equal(data, got);
                }, Token, TaskCreationOptions.LongRunning, TaskScheduler.Default);
                connection.Write(data, Patience);
                connection.ShutdownWrite();
                Assert.True(reader.Wait(Patience), $"the echo of client {seed} did not come back within {Patience}");
            }, Token, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        }
        await Task.WhenAll(clients).WaitAsync(Patience * 2, Token);
        await servers.WaitAsync(Patience, Token);
    }

    [Fact]
    public async Task AForgottenConnectionIsReclaimed()
    {
        await using var bed = Create();
        using var listener = bed.B.ListenTcp(new IpEndpoint(AddressB, 80));
        await ConnectAndForget(bed.A);
        using var server = await listener.AcceptAsync(Token);
        Assert.Equal(1, bed.A.TcpConnectionCount);
        for (int i = 0; i < 20 && bed.A.TcpConnectionCount != 0; i++)
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
            await Task.Delay(50, Token);
        }
        Assert.Equal(0, bed.A.TcpConnectionCount);
        // Closed gracefully: the peer reads the end of the stream.
        Assert.Equal(0, await server.ReadAsync(new byte[4], Token).AsTask().WaitAsync(Patience, Token));
    }

    [Fact]
    public async Task SteadyStateReadsAndWritesAllocateNothing()
    {
        await using var bed = Create();
        using var listener = bed.B.ListenTcp(new IpEndpoint(AddressB, 80));
        using var client = await bed.A.ConnectAsync(new IpEndpoint(AddressB, 80), Token);
        using var server = await listener.AcceptAsync(Token);
        byte[] request = new byte[64];
        byte[] buffer = new byte[64];
        var none = CancellationToken.None;
        // Sums what each call allocates on the thread that makes it (the awaits resume on other threads, so the
        // process-wide counter would count the other tests running meanwhile): the pooled waits must cost nothing.
        async Task<long> RoundTrips(int count)
        {
            long allocated = 0;
            for (int i = 0; i < count; i++)
            {
                long before = GC.GetAllocatedBytesForCurrentThread();
                var write = client.WriteAsync(request, none);
                allocated += GC.GetAllocatedBytesForCurrentThread() - before;
                await write;
                int got = 0;
                while (got < 64)
                {
                    before = GC.GetAllocatedBytesForCurrentThread();
                    var read = server.ReadAsync(buffer.AsMemory(got), none);
                    allocated += GC.GetAllocatedBytesForCurrentThread() - before;
                    got += await read;
                }
                before = GC.GetAllocatedBytesForCurrentThread();
                var reply = server.WriteAsync(buffer, none);
                allocated += GC.GetAllocatedBytesForCurrentThread() - before;
                await reply;
                got = 0;
                while (got < 64)
                {
                    before = GC.GetAllocatedBytesForCurrentThread();
                    var read = client.ReadAsync(buffer.AsMemory(got), none);
                    allocated += GC.GetAllocatedBytesForCurrentThread() - before;
                    got += await read;
                }
            }
            return allocated;
        }
        await RoundTrips(200); // warm the pools
        long total = await RoundTrips(1000);
        Assert.Equal(0, total);
        long synchronous = AllocationMeter.Measure(() =>
        {
            var write = client.WriteAsync(request, none);
            Assert.True(write.IsCompletedSuccessfully);
            while (server.Core.Receive.Count < 64) Thread.SpinWait(20);
            var read = server.ReadAsync(buffer, none);
            if (read.Result != 64) throw new InvalidOperationException("short read");
        }, warmup: 10, iterations: 100);
        Assert.Equal(0, synchronous);
    }

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    private static async Task ConnectAndForget(Netstack stack)
    {
        var connection = await stack.ConnectAsync(new IpEndpoint(AddressB, 80), Token);
        GC.KeepAlive(connection);
    }

    private static async Task Echo(TcpConnection connection)
    {
        using (connection)
        {
            byte[] buffer = new byte[4096];
            int read;
            while ((read = await connection.ReadAsync(buffer, Token)) > 0) await connection.WriteAsync(buffer.AsMemory(0, read), Token);
            connection.ShutdownWrite();
        }
    }

    private static async Task WaitUntil(Func<bool> condition)
    {
        for (int i = 0; i < 200 && !condition(); i++) await Task.Delay(20, Token);
        Assert.True(condition());
    }
}

/// <summary>The Stream and IDuplexPipe adapters of a TcpConnection.</summary>
public sealed class TcpAdapterTests
{
    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Fact]
    public async Task TheStreamIsHonestAboutWhatItCanDo()
    {
        await using var bed = Create();
        using var listener = bed.B.ListenTcp(new IpEndpoint(AddressB, 80));
        using var client = await bed.A.ConnectAsync(new IpEndpoint(AddressB, 80), Token);
        using var server = await listener.AcceptAsync(Token);
        var stream = client.AsStream();
        Assert.Same(stream, client.AsStream());
        Assert.True(stream.CanRead);
        Assert.True(stream.CanWrite);
        Assert.False(stream.CanSeek);
        Assert.True(stream.CanTimeout);
        Assert.Equal(Timeout.Infinite, stream.ReadTimeout);
        Assert.Throws<NotSupportedException>(() => stream.Length);
        Assert.Throws<NotSupportedException>(() => stream.Seek(0, SeekOrigin.Begin));
        Assert.Throws<ArgumentOutOfRangeException>(() => stream.ReadTimeout = 0);
        stream.ReadTimeout = 100;
        var error = Assert.Throws<WirestackException>(() => stream.ReadExactly(new byte[1]));
        Assert.Equal(WirestackErrorCode.TimedOut, error.ErrorCode);
        stream.Write("abc"u8);
        stream.Flush();
        await stream.FlushAsync(Token);
        var serverStream = server.AsStream();
        byte[] buffer = new byte[3];
        await serverStream.ReadExactlyAsync(buffer, Token);
        Assert.Equal("abc"u8.ToArray(), buffer);
        stream.Dispose();
        Assert.True(client.IsClosed);
        Assert.False(stream.CanRead);
        Assert.Equal(0, await serverStream.ReadAsync(buffer, Token)); // closed gracefully
    }

    [Fact]
    public async Task TheDuplexPipeEchoesAndCompletes()
    {
        await using var bed = Create();
        using var listener = bed.B.ListenTcp(new IpEndpoint(AddressB, 80));
        var server = Task.Run(async () =>
        {
            var pipe = (await listener.AcceptAsync(Token)).AsDuplexPipe();
            await pipe.Input.CopyToAsync(pipe.Output, Token); // until the client's FIN
            await pipe.Input.CompleteAsync();
            await pipe.Output.CompleteAsync();
        }, Token);
        var client = await bed.A.ConnectAsync(new IpEndpoint(AddressB, 80), Token);
        var duplex = client.AsDuplexPipe();
        byte[] data = RandomNumberGenerator.GetBytes(300_000);
        var writer = Task.Run(async () =>
        {
            for (int offset = 0; offset < data.Length; offset += 7000)
            {
                var piece = data.AsMemory(offset, Math.Min(7000, data.Length - offset));
                piece.CopyTo(duplex.Output.GetMemory(piece.Length));
                duplex.Output.Advance(piece.Length);
                await duplex.Output.FlushAsync(Token);
            }
            await duplex.Output.CompleteAsync(); // shuts the connection down for writing
        }, Token);
        using var received = new MemoryStream();
        await duplex.Input.CopyToAsync(received, Token);
        await duplex.Input.CompleteAsync();
        await writer;
        await server.WaitAsync(TimeSpan.FromSeconds(20), Token);
        Assert.Equal(SHA256.HashData(data), SHA256.HashData(received.ToArray()));
        for (int i = 0; i < 100 && !client.IsClosed; i++) await Task.Delay(10, Token);
        Assert.True(client.IsClosed); // both directions done: the connection closed itself
    }
}
