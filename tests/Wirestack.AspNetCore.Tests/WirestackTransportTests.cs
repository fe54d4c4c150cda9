using System.Buffers;
using System.Net;
using System.Text;
using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.Options;
using Wirestack.Nic;
using Wirestack.Sockets;
using Wirestack.Wire;

namespace Wirestack.AspNetCore.Tests;

/// <summary>
/// The transport driven as Kestrel drives it, without Kestrel: bind, accept, the connection context's pipe, its
/// end-point features and ConnectionClosed, dispose and abort, unbind.
/// </summary>
public class WirestackTransportTests
{
    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Fact]
    public async Task AcceptedConnectionsCarryThePipeTheEndPointsAndConnectionClosed()
    {
        await using var pair = await StackPair.CreateAsync();
        var listener = await pair.Factory.BindAsync(new IPEndPoint(IPAddress.Any, 9000), Token);
        Assert.Equal(new IPEndPoint(IPAddress.Any, 9000), listener.EndPoint);
        var client = await pair.Client.ConnectAsync(new IpEndpoint(IpAddress.Parse("10.0.0.1"), 9000), TimeSpan.FromSeconds(10), Token);
        await using var context = (await listener.AcceptAsync(Token))!;
        var endPoints = context.Features.Get<Microsoft.AspNetCore.Connections.Features.IConnectionEndPointFeature>()!;
        Assert.Equal(client.LocalEndPoint.ToIPEndPoint(), endPoints.RemoteEndPoint);
        Assert.Equal(new IPEndPoint(IPAddress.Parse("10.0.0.1"), 9000), context.LocalEndPoint);
        Assert.Same(context.Transport, context.Features.Get<Microsoft.AspNetCore.Connections.Features.IConnectionTransportFeature>()!.Transport);
        // Bytes both ways through the pipe.
        await client.WriteAsync(Encoding.ASCII.GetBytes("ping"), Token);
        var read = await context.Transport.Input.ReadAsync(Token);
        Assert.Equal("ping", Encoding.ASCII.GetString(read.Buffer));
        context.Transport.Input.AdvanceTo(read.Buffer.End);
        await context.Transport.Output.WriteAsync(Encoding.ASCII.GetBytes("pong"), Token);
        byte[] buffer = new byte[16];
        Assert.Equal("pong", Encoding.ASCII.GetString(buffer, 0, await client.ReadAsync(buffer, Token)));
        // The peer's FIN ends the input and fires ConnectionClosed.
        Assert.False(context.ConnectionClosed.IsCancellationRequested);
        client.ShutdownWrite();
        read = await context.Transport.Input.ReadAsync(Token);
        Assert.True(read.IsCompleted);
        await WaitUntilAsync(() => context.ConnectionClosed.IsCancellationRequested, "ConnectionClosed");
        // Dispose closes gracefully: the client reads the end of the stream.
        await context.DisposeAsync();
        Assert.Equal(0, await client.ReadAsync(buffer, Token));
        Assert.Equal(0, pair.Factory.OpenConnections);
        await WaitUntilAsync(() => pair.Server.TcpConnectionCount == 0, "the server stack to release the connection");
        client.Dispose();
        await listener.UnbindAsync(Token);
        Assert.Null(await listener.AcceptAsync(Token));
        await listener.DisposeAsync();
    }

    [Theory]
    [InlineData(null)]
    [InlineData(false)]
    public async Task AcceptedConnectionsTurnNagleOffUnlessTheOptionsSayNot(bool? noDelay)
    {
        // Kestrel's socket transport sets TCP_NODELAY on every connection by default; so does this one.
        await using var pair = await StackPair.CreateAsync(o =>
        {
            if (noDelay is bool set) o.NoDelay = set;
        });
        var listener = await pair.Factory.BindAsync(new IPEndPoint(IPAddress.Any, 9002), Token);
        using var client = await pair.Client.ConnectAsync(new IpEndpoint(IpAddress.Parse("10.0.0.1"), 9002), TimeSpan.FromSeconds(10), Token);
        await using var context = (WirestackConnectionContext)(await listener.AcceptAsync(Token))!;
        Assert.Equal(noDelay ?? true, context.Connection.NoDelay);
        await listener.DisposeAsync();
    }

    [Fact]
    public async Task AFlushThatFindsTheConnectionFailedFiresConnectionClosedBeforeItThrows()
    {
        // Kestrel reports an exception from the application's write as an application error unless it already knows
        // the connection is gone (ConnectionClosed). The receive side learns of a reset on the thread pool, maybe
        // after the write: the write must tell first. A writer failing as a reset one does, on a connection whose
        // receive side is still open, shows the order without a race.
        await using var pair = await StackPair.CreateAsync();
        var listener = await pair.Factory.BindAsync(new IPEndPoint(IPAddress.Any, 9003), Token);
        using var client = await pair.Client.ConnectAsync(new IpEndpoint(IpAddress.Parse("10.0.0.1"), 9003), TimeSpan.FromSeconds(10), Token);
        await using var context = (WirestackConnectionContext)(await listener.AcceptAsync(Token))!;
        var writer = new WirestackTransportPipeWriter(new ResetPipeWriter(), context);
        Assert.False(context.ConnectionClosed.IsCancellationRequested);
        bool closedWhenThrown = false;
        try
        {
            await writer.FlushAsync(Token);
        }
        catch (ConnectionAbortedException e)
        {
            closedWhenThrown = context.ConnectionClosed.IsCancellationRequested;
            Assert.IsType<WirestackException>(e.InnerException);
        }
        Assert.True(closedWhenThrown, "the flush threw before ConnectionClosed fired");
        await listener.DisposeAsync();
    }

    [Fact]
    public async Task AFlushUnderKestrelsOutputLockFailsAfterConnectionClosedFiresElsewhereWithoutWaitingForIt()
    {
        // Kestrel flushes under its output lock, and its ConnectionClosed callback takes that lock to abort the output.
        // When the peer's reset fires ConnectionClosed on the thread pool just as the application's flush finds the
        // connection failed, the flush must not wait for those callbacks on its own thread: it holds the lock they
        // need, both hung, and Kestrel held the connection until it stopped (a flaky ShardedKestrelTests run). It
        // returns, and fails once they have run.
        await using var pair = await StackPair.CreateAsync();
        var listener = await pair.Factory.BindAsync(new IPEndPoint(IPAddress.Any, 9004), Token);
        var client = await pair.Client.ConnectAsync(new IpEndpoint(IpAddress.Parse("10.0.0.1"), 9004), TimeSpan.FromSeconds(10), Token);
        await using var context = (WirestackConnectionContext)(await listener.AcceptAsync(Token))!;
        var writer = new WirestackTransportPipeWriter(new ResetPipeWriter(), context);
        object outputLock = new();
        using var callbackWaits = new ManualResetEventSlim();
        using var lockHeld = new ManualResetEventSlim();
        int callbackTookLock = 0;
        context.ConnectionClosed.Register(() =>
        {
            callbackWaits.Set();
            // Bounded, so that a flush that waits here ends the test instead of hanging it.
            if (!Monitor.TryEnter(outputLock, TimeSpan.FromSeconds(10))) return;
            Volatile.Write(ref callbackTookLock, 1);
            Monitor.Exit(outputLock);
        });
        ValueTask<System.IO.Pipelines.FlushResult> flush = default;
        Exception? thrown = null;
        var kestrel = new Thread(() =>
        {
            lock (outputLock)
            {
                lockHeld.Set();
                // The reset's ConnectionClosed is firing on the thread pool, its callback waiting for this lock.
                if (!callbackWaits.Wait(TimeSpan.FromSeconds(10))) return;
                try
                {
                    flush = writer.FlushAsync();
                }
                catch (Exception e)
                {
                    thrown = e;
                }
            }
        });
        kestrel.Start();
        lockHeld.Wait(Token);
        client.Abort();
        Assert.True(kestrel.Join(TimeSpan.FromSeconds(5)), "the flush waited for ConnectionClosed's callbacks under the lock they need");
        Assert.True(callbackWaits.IsSet, "the reset did not fire ConnectionClosed");
        Assert.Null(thrown);
        var error = await Assert.ThrowsAsync<ConnectionAbortedException>(async () => await flush);
        Assert.IsType<WirestackException>(error.InnerException);
        Assert.Equal(1, Volatile.Read(ref callbackTookLock));
        await listener.DisposeAsync();
    }

    [Fact]
    public async Task AbortResetsThePeerAndFailsTheInputWithTheReason()
    {
        await using var pair = await StackPair.CreateAsync();
        var listener = await pair.Factory.BindAsync(new IPEndPoint(IPAddress.Any, 9001), Token);
        var client = await pair.Client.ConnectAsync(new IpEndpoint(IpAddress.Parse("10.0.0.1"), 9001), TimeSpan.FromSeconds(10), Token);
        var context = (await listener.AcceptAsync(Token))!;
        var reason = new ConnectionAbortedException("the test aborted it");
        context.Abort(reason);
        var reset = await Assert.ThrowsAsync<WirestackException>(async () => await client.ReadAsync(new byte[16], Token));
        Assert.Equal(WirestackErrorCode.Reset, reset.ErrorCode);
        Assert.Same(reason, await Assert.ThrowsAsync<ConnectionAbortedException>(async () => await context.Transport.Input.ReadAsync(Token)));
        await context.DisposeAsync();
        Assert.Equal(0, pair.Factory.OpenConnections);
        await WaitUntilAsync(() => pair.Server.TcpConnectionCount == 0, "the server stack to release the connection");
        client.Dispose();
        await listener.DisposeAsync();
    }

    [Fact]
    public async Task DisposeResetsAPeerThatStopsReadingAfterTheCloseTimeout()
    {
        await using var pair = await StackPair.CreateAsync(options => options.CloseTimeout = TimeSpan.FromSeconds(1));
        var listener = await pair.Factory.BindAsync(new IPEndPoint(IPAddress.Any, 9002), Token);
        var client = await pair.Client.ConnectAsync(new IpEndpoint(IpAddress.Parse("10.0.0.1"), 9002), TimeSpan.FromSeconds(10), Token);
        var context = (await listener.AcceptAsync(Token))!;
        // 4 MiB into the output without waiting for the flush, as Kestrel leaves a response to a client that stopped
        // reading; far more than the two stacks can hold between them.
        context.Transport.Output.Write(new byte[4 << 20]);
        _ = context.Transport.Output.FlushAsync(Token);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        await context.DisposeAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(10), Token);
        Assert.InRange(clock.Elapsed, TimeSpan.FromSeconds(0.9), TimeSpan.FromSeconds(8));
        Assert.Equal(0, pair.Factory.OpenConnections);
        await WaitUntilAsync(() => pair.Server.TcpConnectionCount == 0, "the server stack to release the connection");
        // The client gets what fitted, then the reset.
        var reset = await Assert.ThrowsAsync<WirestackException>(async () => await HttpOverWirestackTests.ReadToEndAsync(client));
        Assert.Equal(WirestackErrorCode.Reset, reset.ErrorCode);
        client.Dispose();
        await listener.DisposeAsync();
    }

    [Fact]
    public async Task BindingAnAddressInUseSaysSoAsKestrelExpects()
    {
        await using var pair = await StackPair.CreateAsync();
        await using var first = await pair.Factory.BindAsync(new IPEndPoint(IPAddress.Any, 9003), Token);
        await Assert.ThrowsAsync<AddressInUseException>(async () => await pair.Factory.BindAsync(new IPEndPoint(IPAddress.Any, 9003), Token));
        await Assert.ThrowsAsync<NotSupportedException>(async () => await pair.Factory.BindAsync(new System.Net.Sockets.UnixDomainSocketEndPoint("/tmp/x"), Token));
    }

    private static async Task WaitUntilAsync(Func<bool> condition, string what)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (!condition())
        {
            if (DateTime.UtcNow > deadline) Assert.Fail($"Gave up waiting for {what}.");
            await Task.Delay(10, Token);
        }
    }

    /// <summary>A server stack (10.0.0.1) under a transport factory, and a client stack (10.0.0.2), on a pipe.</summary>
    // A writer over a connection the peer reset: every flush throws as the Wirestack pipe writer does then.
    private sealed class ResetPipeWriter : System.IO.Pipelines.PipeWriter
    {
        public override void Advance(int bytes)
        {
        }

        public override void CancelPendingFlush()
        {
        }

        public override void Complete(Exception? exception = null)
        {
        }

        public override ValueTask<System.IO.Pipelines.FlushResult> FlushAsync(CancellationToken cancellationToken = default) =>
            throw new WirestackException(WirestackErrorCode.Reset, "10.0.0.2:1 reset the connection.");

        public override Memory<byte> GetMemory(int sizeHint = 0) => new byte[Math.Max(sizeHint, 16)];

        public override Span<byte> GetSpan(int sizeHint = 0) => GetMemory(sizeHint).Span;
    }

    private sealed class StackPair : IAsyncDisposable
    {
        private StackPair(Netstack server, Netstack client, WirestackConnectionListenerFactory factory)
        {
            Server = server;
            Client = client;
            Factory = factory;
        }

        public Netstack Server { get; }

        public Netstack Client { get; }

        public WirestackConnectionListenerFactory Factory { get; }

        public static Task<StackPair> CreateAsync(Action<WirestackTransportOptions>? configure = null)
        {
            var (a, b) = PipeDevice.CreatePair();
            var server = Build(a, "02:00:00:00:00:0a", "10.0.0.1/24");
            var client = Build(b, "02:00:00:00:00:0b", "10.0.0.2/24");
            var options = new WirestackTransportOptions { Stack = server };
            configure?.Invoke(options);
            return Task.FromResult(new StackPair(server, client, new WirestackConnectionListenerFactory(Options.Create(options))));
        }

        public async ValueTask DisposeAsync()
        {
            await Factory.DisposeAsync();
            await Server.DisposeAsync();
            await Client.DisposeAsync();
        }

        private static Netstack Build(PipeDevice device, string mac, string address) =>
            new NetstackBuilder().UseDevice(device).WithMacAddress(MacAddress.Parse(mac)).AddAddress(address).WithIpv6(false)
                .ConfigureInterface(o => o with { AnnounceAddresses = false }).Build();
    }
}
