using Wirestack.Sockets;
using Wirestack.Testing;
using Wirestack.Tests.Nic;
using Wirestack.Wire;
using static Wirestack.Tests.Sockets.NetstackTestBed;

namespace Wirestack.Tests.Sockets;

/// <summary>Two stacks driven by hand on a manual clock: deterministic runs and allocation measurements.</summary>
public class ManualNetstackTests
{
    private static (NetstackTestBed Bed, ManualTimeProvider Clock) CreateManual()
    {
        var clock = new ManualTimeProvider();
        return (Create(manual: true, b => b.WithTimeProvider(clock)), clock);
    }

    [Fact]
    public async Task PingReportsTheSimulatedRoundTrip()
    {
        var (bed, clock) = CreateManual();
        await using var _ = bed;
        var ping = bed.A.PingAsync(AddressB, TimeSpan.FromSeconds(1), 32, TestContext.Current.CancellationToken);
        clock.Advance(TimeSpan.FromMilliseconds(3));
        bed.Pump(Instant.Now(clock));
        var reply = await ping;
        Assert.Equal(TimeSpan.FromMilliseconds(3), reply.RoundTripTime);
        Assert.Equal(AddressB, reply.Address);

        var v6 = bed.A.PingAsync(Ipv6B, TimeSpan.FromSeconds(1), 0, TestContext.Current.CancellationToken);
        clock.Advance(TimeSpan.FromMilliseconds(7));
        bed.Pump(Instant.Now(clock));
        Assert.Equal(TimeSpan.FromMilliseconds(7), (await v6).RoundTripTime);
    }

    [Fact]
    public async Task PingTimesOutOnTheStackClock()
    {
        var (bed, clock) = CreateManual();
        await using var _ = bed;
        var ping = bed.A.PingAsync(IpAddress.Parse("10.0.0.99"), TimeSpan.FromSeconds(2), 8, TestContext.Current.CancellationToken);
        clock.Advance(TimeSpan.FromSeconds(1));
        var next = bed.A.Poll();
        Assert.False(ping.IsCompleted);
        Assert.True(next <= Instant.Now(clock) + TimeSpan.FromSeconds(1), "the ping's deadline is among the stack's deadlines");
        clock.Advance(TimeSpan.FromSeconds(1));
        bed.A.Poll();
        var error = await Assert.ThrowsAsync<WirestackException>(async () => await ping);
        Assert.Equal(WirestackErrorCode.TimedOut, error.ErrorCode);
    }

    [Fact]
    public async Task ACancelledPingIsForgotten()
    {
        var (bed, clock) = CreateManual();
        await using var _ = bed;
        using var cts = new CancellationTokenSource();
        var ping = bed.A.PingAsync(IpAddress.Parse("10.0.0.99"), TimeSpan.FromSeconds(30), 8, cts.Token);
        Assert.Equal(1, bed.A.PendingPings);
        cts.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await ping);
        clock.Advance(TimeSpan.FromMilliseconds(1));
        bed.A.Poll();
        Assert.Equal(0, bed.A.PendingPings);
    }

    [Fact]
    public async Task SteadyStateSendAndReceiveAllocateNothing()
    {
        var (bed, clock) = CreateManual();
        await using var _ = bed;
        using var server = bed.B.CreateUdpSocket();
        server.Bind(new IpEndpoint(IpAddress.AnyIpv4, 7));
        using var client = bed.A.CreateUdpSocket();
        client.Bind(new IpEndpoint(IpAddress.AnyIpv4, 0));
        var serverEndPoint = new IpEndpoint(AddressB, 7);
        var now = Instant.Now(clock);
        byte[] data = new byte[200];
        byte[] buffer = new byte[2048];
        ReadOnlyMemory<byte> payload = data;
        Memory<byte> memory = buffer;
        void RoundTrip()
        {
            client.SendToAsync(payload, serverEndPoint).GetAwaiter().GetResult();
            bed.Pump(now, 2);
            var received = server.ReceiveFromAsync(memory).GetAwaiter().GetResult();
            server.SendToAsync(memory[..received.ReceivedBytes], received.RemoteEndPoint).GetAwaiter().GetResult();
            bed.Pump(now, 2);
            var back = client.ReceiveFromAsync(memory).GetAwaiter().GetResult();
            if (back.ReceivedBytes != data.Length) throw new InvalidOperationException($"echo lost: {back}");
        }
        long allocated = AllocationMeter.Measure(RoundTrip, warmup: 200, iterations: 2000);
        Assert.Equal(0, allocated);
        Assert.True(bed.B.Counters.UdpDatagramsReceived >= 2200);
    }

    [Fact]
    public async Task AWaitingReceiveAllocatesNothing()
    {
        var (bed, clock) = CreateManual();
        await using var _ = bed;
        using var server = bed.B.CreateUdpSocket();
        server.Bind(new IpEndpoint(IpAddress.AnyIpv4, 7));
        using var client = bed.A.CreateUdpSocket();
        client.Bind(new IpEndpoint(IpAddress.AnyIpv4, 0));
        var serverEndPoint = new IpEndpoint(AddressB, 7);
        var now = Instant.Now(clock);
        byte[] data = new byte[64];
        byte[] buffer = new byte[2048];
        ReadOnlyMemory<byte> payload = data;
        Memory<byte> memory = buffer;
        using var done = new ManualResetEventSlim();
        Action signal = done.Set;
        void PendingRoundTrip()
        {
            // The receive waits first (empty ring), then the datagram arrives and the stack rings its signal.
            var pending = server.ReceiveFromAsync(memory);
            if (pending.IsCompleted) throw new InvalidOperationException("expected a waiting receive");
            pending.GetAwaiter().UnsafeOnCompleted(signal);
            client.SendToAsync(payload, serverEndPoint).GetAwaiter().GetResult();
            bed.Pump(now, 2);
            if (!done.Wait(TimeSpan.FromSeconds(10))) throw new TimeoutException("the waiting receive was not completed");
            done.Reset();
            if (pending.GetAwaiter().GetResult().ReceivedBytes != data.Length) throw new InvalidOperationException("wrong length");
        }
        long allocated = AllocationMeter.Measure(PendingRoundTrip, warmup: 200, iterations: 1000);
        Assert.Equal(0, allocated);
    }

    [Fact]
    public async Task CancellingASendThatWaitsForRingSpaceSendsNothingAndLeavesTheSocketUsable()
    {
        var clock = new ManualTimeProvider();
        await using var bed = Create(manual: true, b => b.WithTimeProvider(clock).WithUdpCapacity(4, sendBufferLength: 4096));
        using var server = bed.B.CreateUdpSocket();
        server.Bind(new IpEndpoint(IpAddress.AnyIpv4, 7));
        using var client = bed.A.CreateUdpSocket();
        client.Bind(new IpEndpoint(IpAddress.AnyIpv4, 0));
        var to = new IpEndpoint(AddressB, 7);
        byte[] data = new byte[1000];
        byte[] buffer = new byte[2000];
        // Resolve the neighbour first, so no datagram waits in the ARP queue.
        await client.SendToAsync(data, to, TestContext.Current.CancellationToken);
        bed.Pump(Instant.Now(clock));
        Assert.True(server.ReceiveFromAsync(buffer, TestContext.Current.CancellationToken).IsCompleted);
        // Nobody polls now: the 4 KiB ring holds four 1000-byte datagrams (1024 with their headers); the fifth waits.
        for (int i = 0; i < 4; i++) Assert.True(client.SendToAsync(data, to, TestContext.Current.CancellationToken).IsCompleted);
        using (var cts = new CancellationTokenSource())
        {
            var pending = client.SendToAsync(data, to, cts.Token);
            Assert.False(pending.IsCompleted);
            cts.Cancel();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await pending);
        }
        // Another send waits, and the stack draining the ring lets it through.
        var next = client.SendToAsync(data, to, TestContext.Current.CancellationToken);
        Assert.False(next.IsCompleted);
        bed.Pump(Instant.Now(clock));
        Assert.Equal(1000, await next.AsTask().WaitAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken));
        bed.Pump(Instant.Now(clock));
        int received = 0;
        while (received < 6 && server.ReceiveFromAsync(buffer, TestContext.Current.CancellationToken) is { IsCompleted: true }) received++;
        Assert.Equal(5, received); // four queued first and the one after the cancelled send; the cancelled one never went
    }
}
