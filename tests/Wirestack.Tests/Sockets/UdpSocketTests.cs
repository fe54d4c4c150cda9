using System.Text;
using Wirestack.Sockets;
using Wirestack.Testing;
using Wirestack.Wire;
using static Wirestack.Tests.Sockets.NetstackTestBed;

namespace Wirestack.Tests.Sockets;

public class UdpSocketTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Fact]
    public async Task DatagramsAreEchoedBetweenTwoStacks()
    {
        await using var bed = Create();
        using var server = bed.B.CreateUdpSocket();
        server.Bind(new IpEndpoint(IpAddress.AnyIpv4, 7));
        using var client = bed.A.CreateUdpSocket();
        var serverTask = Task.Run(async () =>
        {
            byte[] buffer = new byte[2048];
            for (int i = 0; i < 3; i++)
            {
                var received = await server.ReceiveFromAsync(buffer, Token);
                await server.SendToAsync(buffer.AsMemory(0, received.ReceivedBytes), received.RemoteEndPoint, Token);
            }
        }, Token);
        byte[] reply = new byte[2048];
        foreach (var text in new[] { "hello", "wirestack", new string('x', 1400) })
        {
            await client.SendToAsync(Encoding.ASCII.GetBytes(text), new IpEndpoint(AddressB, 7), Token);
            var result = await client.ReceiveFromAsync(reply, Token).AsTask().WaitAsync(Patience, Token);
            Assert.Equal(text, Encoding.ASCII.GetString(reply, 0, result.ReceivedBytes));
            Assert.Equal(new IpEndpoint(AddressB, 7), result.RemoteEndPoint);
        }
        Assert.True(client.IsBound);
        Assert.True(client.LocalEndPoint.Port >= 49152, "an unbound socket sends from an ephemeral port");
        await serverTask.WaitAsync(Patience, Token);
    }

    [Fact]
    public async Task DatagramsAreEchoedOverIpv6WithTheBlockingCalls()
    {
        await using var bed = Create();
        using var server = bed.B.CreateUdpSocket();
        server.Bind(new IpEndpoint(IpAddress.AnyIpv6, 5000));
        using var client = bed.A.CreateUdpSocket();
        client.Bind(new IpEndpoint(Ipv6A, 0));
        Exception? echoFailure = null;
        var echo = new Thread(() =>
        {
            try
            {
                byte[] buffer = new byte[9000];
                for (int i = 0; i < 2; i++)
                {
                    int length = server.ReceiveFrom(buffer, out var from, Patience);
                    server.SendTo(buffer.AsSpan(0, length), from, Patience);
                }
            }
            catch (Exception e)
            {
                echoFailure = e;
            }
        });
        echo.Start();
        byte[] reply = new byte[9000];
        client.SendTo("ping"u8, new IpEndpoint(Ipv6B, 5000), Patience);
        Assert.Equal(4, client.ReceiveFrom(reply, out _, Patience));
        byte[] data = new byte[4000]; // fragmented on the 1500-byte pipe
        Random.Shared.NextBytes(data);
        client.SendTo(data, new IpEndpoint(Ipv6B, 5000), Patience);
        int got;
        IpEndpoint source;
        try
        {
            got = client.ReceiveFrom(reply, out source, Patience);
        }
        finally
        {
            echo.Join();
            TestContext.Current.TestOutputHelper?.WriteLine($"A: {bed.A.Counters}\nB: {bed.B.Counters}");
        }
        Assert.Null(echoFailure);
        Assert.Equal(data, reply.AsSpan(0, got).ToArray());
        Assert.Equal(new IpEndpoint(Ipv6B, 5000), source);
    }

    [Fact]
    public async Task ManyAppThreadsEachEchoThroughTheirOwnSockets()
    {
        const int Threads = 8;
        const int Rounds = 50;
        await using var bed = Create();
        using var server = bed.B.CreateUdpSocket();
        server.Bind(new IpEndpoint(IpAddress.AnyIpv4, 9));
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(Token);
        var serverTask = Task.Run(async () =>
        {
            byte[] buffer = new byte[64];
            while (!stop.IsCancellationRequested)
            {
                var received = await server.ReceiveFromAsync(buffer, stop.Token);
                await server.SendToAsync(buffer.AsMemory(0, received.ReceivedBytes), received.RemoteEndPoint, stop.Token);
            }
        }, Token);
        var clients = new Task[Threads];
        for (int t = 0; t < Threads; t++)
        {
            int id = t;
            clients[t] = Task.Run(() =>
            {
                using var socket = bed.A.CreateUdpSocket();
                socket.Bind(new IpEndpoint(IpAddress.AnyIpv4, 0));
                byte[] message = new byte[8];
                byte[] reply = new byte[64];
                for (int i = 0; i < Rounds; i++)
                {
                    BitConverter.TryWriteBytes(message, id);
                    BitConverter.TryWriteBytes(message.AsSpan(4), i);
                    socket.SendTo(message, new IpEndpoint(AddressB, 9), Patience);
                    // UDP may lose a datagram (a full ring): resend after a while, skip stale replies.
                    while (true)
                    {
                        int length;
                        try
                        {
                            length = socket.ReceiveFrom(reply, out _, TimeSpan.FromSeconds(1));
                        }
                        catch (WirestackException e) when (e.ErrorCode == WirestackErrorCode.TimedOut)
                        {
                            socket.SendTo(message, new IpEndpoint(AddressB, 9), Patience);
                            continue;
                        }
                        if (length == 8 && BitConverter.ToInt32(reply, 4) == i) break;
                    }
                }
            }, Token);
        }
        await Task.WhenAll(clients).WaitAsync(TimeSpan.FromSeconds(60), Token);
        stop.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => serverTask);
        Assert.True(bed.B.Counters.UdpDatagramsReceived >= Threads * Rounds);
    }

    [Fact]
    public async Task CancellingAWaitingReceiveLeavesTheSocketUsable()
    {
        await using var bed = Create();
        using var server = bed.B.CreateUdpSocket();
        server.Bind(new IpEndpoint(IpAddress.AnyIpv4, 7));
        byte[] buffer = new byte[64];
        for (int i = 0; i < 3; i++)
        {
            using var cts = new CancellationTokenSource();
            var pending = server.ReceiveFromAsync(buffer, cts.Token);
            Assert.False(pending.IsCompleted);
            cts.Cancel();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await pending);
        }
        // Already cancelled: fails at once without waiting.
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await server.ReceiveFromAsync(buffer, new CancellationToken(true)));
        // The socket still receives, and the signal is free for the next waiter.
        using var client = bed.A.CreateUdpSocket();
        var next = server.ReceiveFromAsync(buffer, Token);
        await client.SendToAsync(new byte[] { 1, 2, 3 }, new IpEndpoint(AddressB, 7), Token);
        var result = await next.AsTask().WaitAsync(Patience, Token);
        Assert.Equal(3, result.ReceivedBytes);
    }

    [Fact]
    public async Task ClosingTheSocketOrDisposingTheStackFailsAWaitingReceiveWithClosed()
    {
        await using var bed = Create();
        var socket = bed.B.CreateUdpSocket();
        socket.Bind(new IpEndpoint(IpAddress.AnyIpv4, 7));
        var pending = socket.ReceiveFromAsync(new byte[64], Token);
        socket.Close();
        var error = await Assert.ThrowsAsync<WirestackException>(async () => await pending.AsTask().WaitAsync(Patience, Token));
        Assert.Equal(WirestackErrorCode.Closed, error.ErrorCode);

        var other = bed.B.CreateUdpSocket();
        // The port is free again once the close has reached the stack thread.
        other.Bind(new IpEndpoint(IpAddress.AnyIpv4, 7));
        var blocked = Task.Run(() => other.ReceiveFrom(new byte[64], out _, TimeSpan.FromSeconds(30)), Token);
        var pendingAsync = other.SendToAsync(new byte[1], new IpEndpoint(AddressA, 1), Token); // completes: queued
        await pendingAsync;
        await bed.B.DisposeAsync();
        error = await Assert.ThrowsAsync<WirestackException>(() => blocked.WaitAsync(Patience, Token));
        Assert.Equal(WirestackErrorCode.Closed, error.ErrorCode);
        Assert.True(other.IsClosed);
        error = Assert.Throws<WirestackException>(() => bed.B.CreateUdpSocket());
        Assert.Equal(WirestackErrorCode.Closed, error.ErrorCode);
    }

    [Fact]
    public async Task BindErrorsSayWhy()
    {
        await using var bed = Create(configure: b => b.WithUdpCapacity(2));
        using var first = bed.A.CreateUdpSocket();
        first.Bind(new IpEndpoint(IpAddress.AnyIpv4, 53));
        using var second = bed.A.CreateUdpSocket();
        var error = Assert.Throws<WirestackException>(() => second.Bind(new IpEndpoint(IpAddress.AnyIpv4, 53)));
        Assert.Equal(WirestackErrorCode.AddressInUse, error.ErrorCode);
        Assert.Contains("53", error.Message);
        error = Assert.Throws<WirestackException>(() => second.Bind(new IpEndpoint(IpAddress.Parse("10.9.9.9"), 54)));
        Assert.Equal(WirestackErrorCode.AddressNotAvailable, error.ErrorCode);
        second.Bind(new IpEndpoint(AddressA, 54)); // a failed bind leaves the socket free to bind again
        error = Assert.Throws<WirestackException>(() => second.Bind(new IpEndpoint(AddressA, 55)));
        Assert.Equal(WirestackErrorCode.InvalidState, error.ErrorCode);
        using var third = bed.A.CreateUdpSocket();
        error = Assert.Throws<WirestackException>(() => third.Bind(new IpEndpoint(IpAddress.AnyIpv4, 0)));
        Assert.Equal(WirestackErrorCode.NoBufferSpace, error.ErrorCode);
        Assert.Contains("UdpSocketCapacity", error.Message);
        error = Assert.Throws<WirestackException>(() => third.ReceiveFrom(new byte[1], out _, TimeSpan.FromSeconds(1)));
        Assert.Equal(WirestackErrorCode.InvalidState, error.ErrorCode);
        error = Assert.Throws<WirestackException>(() => first.SendTo(new byte[70000], new IpEndpoint(AddressB, 1)));
        Assert.Equal(WirestackErrorCode.MessageTooLong, error.ErrorCode);
        error = Assert.Throws<WirestackException>(() => first.SendTo(new byte[1], new IpEndpoint(AddressB, 0)));
        Assert.Equal(WirestackErrorCode.InvalidArgument, error.ErrorCode);
        error = Assert.Throws<WirestackException>(() => first.JoinMulticastGroup(IpAddress.Parse("10.0.0.7")));
        Assert.Equal(WirestackErrorCode.InvalidArgument, error.ErrorCode);
        error = Assert.Throws<WirestackException>(() => first.LeaveMulticastGroup(IpAddress.Parse("239.1.2.3")));
        Assert.Equal(WirestackErrorCode.InvalidArgument, error.ErrorCode);
        error = Assert.Throws<WirestackException>(() => third.JoinMulticastGroup(IpAddress.Parse("239.1.2.3")));
        Assert.Equal(WirestackErrorCode.InvalidState, error.ErrorCode);
        using var fourth = bed.B.CreateUdpSocket();
        fourth.Bind(new IpEndpoint(IpAddress.AnyIpv4, 0), UdpSocketFlags.AllowBroadcast);
        error = Assert.Throws<WirestackException>(() => fourth.Bind(new IpEndpoint(IpAddress.AnyIpv4, 0), (UdpSocketFlags)8));
        Assert.Equal(WirestackErrorCode.InvalidArgument, error.ErrorCode);
    }

    [Fact]
    public async Task ABlockingReceiveTimesOut()
    {
        await using var bed = Create();
        using var socket = bed.A.CreateUdpSocket();
        socket.Bind(new IpEndpoint(IpAddress.AnyIpv4, 0));
        var error = Assert.Throws<WirestackException>(() => socket.ReceiveFrom(new byte[16], out _, TimeSpan.FromMilliseconds(50)));
        Assert.Equal(WirestackErrorCode.TimedOut, error.ErrorCode);
        // The signal was taken back: another wait works.
        error = Assert.Throws<WirestackException>(() => socket.ReceiveFrom(new byte[16], out _, TimeSpan.FromMilliseconds(10)));
        Assert.Equal(WirestackErrorCode.TimedOut, error.ErrorCode);
    }

    [Fact]
    public async Task ADatagramToAnUnboundPortIsCountedByTheReceiver()
    {
        await using var bed = Create();
        using var socket = bed.A.CreateUdpSocket();
        socket.SendTo(new byte[] { 1 }, new IpEndpoint(AddressB, 4444), Patience);
        var deadline = DateTime.UtcNow + Patience;
        while (bed.B.Counters.Dropped(Wirestack.Iface.InterfaceDropReason.NoSocket) == 0 && DateTime.UtcNow < deadline) await Task.Delay(10, Token);
        Assert.Equal(1, bed.B.Counters.Dropped(Wirestack.Iface.InterfaceDropReason.NoSocket));
    }

    [Fact]
    public async Task PingMeasuresTheRoundTripOnBothFamilies()
    {
        await using var bed = Create();
        var v4 = await bed.A.PingAsync(AddressB, Patience, 56, Token);
        Assert.Equal(AddressB, v4.Address);
        Assert.Equal(56, v4.PayloadLength);
        Assert.True(v4.RoundTripTime >= TimeSpan.Zero);
        var v6 = await bed.A.PingAsync(Ipv6B, Patience, 1000, Token);
        Assert.Equal(Ipv6B, v6.Address);
        Assert.Equal(1000, v6.PayloadLength);
        var error = await Assert.ThrowsAsync<WirestackException>(async () => await bed.A.PingAsync(IpAddress.Parse("10.0.0.77"), TimeSpan.FromMilliseconds(300), 8, Token));
        Assert.Equal(WirestackErrorCode.TimedOut, error.ErrorCode);
        error = await Assert.ThrowsAsync<WirestackException>(async () => await bed.A.PingAsync(IpAddress.Parse("192.168.50.1"), Patience, 8, Token));
        Assert.Equal(WirestackErrorCode.Unreachable, error.ErrorCode);
    }

    // Start-up chatter between the two stacks (IPv6 router solicitations, MLD reports repeated within a second) is over
    // by then; each of its frames makes the stack poll on for NetstackOptions.PollBeforeSleep.
    private static readonly TimeSpan ChatterEnds = TimeSpan.FromMilliseconds(1500);

    [Fact]
    public async Task AnIdleStackSleepsInsteadOfSpinning()
    {
        await using var bed = Create();
        using var socket = bed.A.CreateUdpSocket();
        socket.Bind(new IpEndpoint(IpAddress.AnyIpv4, 0));
        var pending = socket.ReceiveFromAsync(new byte[16], Token); // a waiting app does not keep the stack awake either
        await Task.Delay(ChatterEnds, Token);
        long before = bed.A.Iterations;
        await Task.Delay(500, Token);
        long woken = bed.A.Iterations - before;
        // Only its own timers wake it (a few per second at most); a spinning loop would count in the thousands.
        Assert.True(woken < 20, $"the idle stack ran its loop {woken} times in 500 ms");
        Assert.False(pending.IsCompleted);
    }

    [Fact]
    public async Task AfterTrafficTheStackPollsOnForPollBeforeSleepThenSleeps()
    {
        // A long window, so that it is plain to see however loaded the machine is. The stack thread's sleeps are what
        // tell polling from sleeping (a polling loop that yields its core may look only a few hundred times a second on
        // a busy machine, and background traffic such as a neighbour's ARP probe starts a window of its own).
        var window = TimeSpan.FromSeconds(1);
        await using var bed = Create(configure: b => b.UsePollBeforeSleep(window));
        using var socket = bed.A.CreateUdpSocket();
        socket.Bind(new IpEndpoint(IpAddress.AnyIpv4, 0));
        await Task.Delay(ChatterEnds, Token);

        // B answers with a port unreachable, which A receives: traffic either way starts the window.
        await socket.SendToAsync(new byte[8], new IpEndpoint(AddressB, 9), Token);
        await Task.Delay(50, Token);
        long sleeps = bed.A.Sleeps;
        long iterations = bed.A.Iterations;
        await Task.Delay(300, Token);
        Assert.Equal(sleeps, bed.A.Sleeps);
        Assert.True(bed.A.Iterations > iterations, "the stack neither slept nor polled in the window after traffic");

        await Task.Delay(window + TimeSpan.FromMilliseconds(500), Token);
        Assert.True(bed.A.Sleeps > sleeps, $"the stack did not sleep within {window + TimeSpan.FromMilliseconds(850)} of the traffic");
    }

    [Fact]
    public async Task ABusyPollingStackAnswersPings()
    {
        await using var bed = Create(configure: b => b.UseBusyPolling());
        var reply = await bed.A.PingAsync(AddressB, Patience, 56, Token);
        Assert.Equal(AddressB, reply.Address);
    }
}
