using Wirestack.Sockets;
using Wirestack.Testing;
using Wirestack.Tests.Nic;
using Wirestack.Wire;
using static Wirestack.Tests.Sockets.NetstackTestBed;

namespace Wirestack.Tests.Sockets;

/// <summary>
/// <see cref="TcpConnection.NoDelay"/> between two manual stacks on a manual clock, against a receiver that delays
/// every ACK (no quick ACKs): with Nagle's rule a second short write waits for the ACK of the first, without it both go.
/// </summary>
public sealed class TcpConnectionNoDelayTests
{
    private static readonly TimeSpan DelayedAck = TimeSpan.FromMilliseconds(40);

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task ASecondShortWriteWaitsForTheDelayedAckOnlyWithNagle(bool noDelay)
    {
        var clock = new ManualTimeProvider();
        await using var bed = DelayedAckBed(clock);
        var (listener, client, server) = await ConnectAsync(bed, clock);
        using var _ = listener;
        Assert.False(client.NoDelay); // TcpOptions.Nagle is on by default
        client.NoDelay = noDelay;
        Assert.Equal(noDelay, client.NoDelay);
        var buffer = new byte[64];

        await client.WriteAsync("first"u8.ToArray(), Token);
        bed.Pump(Instant.Now(clock));
        Assert.Equal("first", Text(buffer, server.Read(buffer, TimeSpan.Zero)));
        // "first" is in flight and its ACK delayed: Nagle holds the second short write, TCP_NODELAY sends it.
        await client.WriteAsync("second"u8.ToArray(), Token);
        bed.Pump(Instant.Now(clock));
        if (noDelay)
        {
            Assert.Equal("second", Text(buffer, server.Read(buffer, TimeSpan.Zero)));
        }
        else
        {
            var held = Assert.Throws<WirestackException>(() => server.Read(buffer, TimeSpan.Zero));
            Assert.Equal(WirestackErrorCode.TimedOut, held.ErrorCode);
            clock.Advance(DelayedAck);
            bed.Pump(Instant.Now(clock));
            Assert.Equal("second", Text(buffer, server.Read(buffer, TimeSpan.Zero)));
        }
    }

    [Fact]
    public async Task TurningNoDelayOnSendsTheSegmentNagleHeld()
    {
        var clock = new ManualTimeProvider();
        await using var bed = DelayedAckBed(clock);
        var (listener, client, server) = await ConnectAsync(bed, clock);
        using var _ = listener;
        var buffer = new byte[64];
        await client.WriteAsync("first"u8.ToArray(), Token);
        bed.Pump(Instant.Now(clock));
        Assert.Equal(5, server.Read(buffer, TimeSpan.Zero));
        await client.WriteAsync("second"u8.ToArray(), Token);
        bed.Pump(Instant.Now(clock));
        Assert.Throws<WirestackException>(() => server.Read(buffer, TimeSpan.Zero));
        // The clock stands still: only the setting can let the held bytes go.
        client.NoDelay = true;
        bed.Pump(Instant.Now(clock));
        Assert.Equal("second", Text(buffer, server.Read(buffer, TimeSpan.Zero)));
    }

    // Two manually polled stacks whose ACKs wait the full delay (no quick ACKs), on a clock the test moves.
    private static NetstackTestBed DelayedAckBed(ManualTimeProvider clock) =>
        Create(manual: true, b => b.WithTimeProvider(clock).ConfigureInterface(o => o with
        {
            AnnounceAddresses = false,
            Tcp = o.Tcp with { QuickAckSegments = 0, DelayedAckTimeout = DelayedAck },
        }));

    private static async Task<(TcpListener Listener, TcpConnection Client, TcpConnection Server)> ConnectAsync(NetstackTestBed bed, ManualTimeProvider clock)
    {
        var listener = bed.B.ListenTcp(new IpEndpoint(AddressB, 80));
        var connecting = bed.A.ConnectAsync(new IpEndpoint(AddressB, 80), Token);
        for (int i = 0; i < 10 && !connecting.IsCompleted; i++)
        {
            bed.Pump(Instant.Now(clock));
            await Task.Delay(1, Token); // the connect completes on the thread pool
        }
        var client = await connecting.AsTask().WaitAsync(TimeSpan.FromSeconds(10), Token);
        var server = await listener.AcceptAsync(Token).AsTask().WaitAsync(TimeSpan.FromSeconds(10), Token);
        return (listener, client, server);
    }

    private static string Text(byte[] buffer, int length) => System.Text.Encoding.ASCII.GetString(buffer, 0, length);
}
