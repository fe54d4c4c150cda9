using System.Buffers;
using System.IO.Pipelines;
using System.Security.Cryptography;
using Wirestack.Sockets;
using Wirestack.Testing;
using Wirestack.Wire;
using static Wirestack.Tests.Sockets.NetstackTestBed;

namespace Wirestack.Tests.Sockets;

/// <summary>
/// The copy-free <see cref="TcpConnection.AsDuplexPipe"/>: its reader over the receive ring and its writer over the
/// send ring, between two Netstacks on a pipe with small (4 KiB) rings so wrap-around and backpressure come quickly.
/// </summary>
[Collection(ProcessWideAllocationCollection.Name)]
public sealed class TcpConnectionPipeTests
{
    private const int RingLength = 4096;
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Fact]
    public async Task BytesThatWrapTheRingComeAsTwoSegmentsInOrder()
    {
        await using var pair = await PipePair.OpenAsync();
        byte[] first = RandomNumberGenerator.GetBytes(3000), second = RandomNumberGenerator.GetBytes(3000);
        await pair.Client.WriteAsync(first, Token);
        var input = pair.ServerPipe.Input;
        var result = await ReadAtLeastAsync(input, 3000);
        Assert.True(result.Buffer.IsSingleSegment);
        Assert.Equal(first, result.Buffer.ToArray());
        input.AdvanceTo(result.Buffer.End);
        // The ring's head is now 3000 bytes in: the next 3000 run 1096 to the end and 1904 from the start.
        await pair.Client.WriteAsync(second, Token);
        result = await ReadAtLeastAsync(input, 3000);
        Assert.False(result.Buffer.IsSingleSegment);
        Assert.Equal(RingLength - 3000, result.Buffer.First.Length);
        Assert.Equal(second, result.Buffer.ToArray());
        // Consume across the wrap: what is left starts in the second segment.
        input.AdvanceTo(result.Buffer.GetPosition(2000));
        result = await input.ReadAsync(Token);
        Assert.Equal(second.AsSpan(2000).ToArray(), result.Buffer.ToArray());
        input.AdvanceTo(result.Buffer.End);
    }

    [Fact]
    public async Task APartialAdvanceKeepsTheRestAndWaitsForMoreOnlyWhenAllWasExamined()
    {
        await using var pair = await PipePair.OpenAsync();
        byte[] data = RandomNumberGenerator.GetBytes(110);
        await pair.Client.WriteAsync(data.AsMemory(0, 100), Token);
        var input = pair.ServerPipe.Input;
        var result = await ReadAtLeastAsync(input, 100);
        input.AdvanceTo(result.Buffer.GetPosition(40), result.Buffer.End);
        // Everything was examined: no new bytes, no read.
        var waiting = input.ReadAsync(Token);
        await Task.Delay(200, Token);
        Assert.False(waiting.IsCompleted);
        await pair.Client.WriteAsync(data.AsMemory(100), Token);
        result = await waiting.AsTask().WaitAsync(Patience, Token);
        Assert.Equal(data.AsSpan(40).ToArray(), result.Buffer.ToArray());
        // Only part examined: the next read returns at once with the unconsumed rest.
        input.AdvanceTo(result.Buffer.GetPosition(10), result.Buffer.GetPosition(20));
        Assert.True(input.TryRead(out var again));
        Assert.Equal(data.AsSpan(50).ToArray(), again.Buffer.ToArray());
        Assert.Throws<ArgumentOutOfRangeException>(() => input.AdvanceTo(again.Buffer.GetPosition(20), again.Buffer.GetPosition(10)));
        input.AdvanceTo(again.Buffer.End);
        Assert.Throws<InvalidOperationException>(() => input.AdvanceTo(again.Buffer.End)); // one advance per read
    }

    [Fact]
    public async Task ALargeSizeHintGoesThroughAPooledOverflowAndTheFlushWaitsForRoom()
    {
        await using var pair = await PipePair.OpenAsync();
        const int Length = 8 << 20;
        byte[] data = RandomNumberGenerator.GetBytes(Length);
        var output = pair.ClientPipe.Output;
        var memory = output.GetMemory(Length);
        Assert.True(memory.Length >= Length); // bigger than the ring: not the ring's memory
        data.CopyTo(memory);
        output.Advance(Length);
        Assert.Equal(Length, output.UnflushedBytes);
        var flush = output.FlushAsync(Token);
        // The server reads nothing yet: the send ring, the connection and the server's receive ring fill up.
        await Task.Delay(300, Token);
        Assert.False(flush.IsCompleted);
        var received = new byte[Length];
        var reading = ReadExactlyAsync(pair.ServerPipe.Input, received);
        var flushed = await flush.AsTask().WaitAsync(Patience, Token);
        Assert.False(flushed.IsCanceled || flushed.IsCompleted);
        Assert.Equal(0, output.UnflushedBytes);
        await reading.WaitAsync(Patience, Token);
        Assert.Equal(SHA256.HashData(data), SHA256.HashData(received));
    }

    [Fact]
    public async Task SmallWritesFillTheRingInPlaceAcrossTheWrap()
    {
        await using var pair = await PipePair.OpenAsync();
        byte[] data = RandomNumberGenerator.GetBytes(1 << 20);
        var output = pair.ClientPipe.Output;
        var writing = Task.Run(async () =>
        {
            // 1000-byte pieces against a 4096-byte ring: every one lands in ring memory, some right before the wrap.
            for (int offset = 0; offset < data.Length; offset += 1000)
            {
                int length = Math.Min(1000, data.Length - offset);
                var span = output.GetSpan(length);
                data.AsSpan(offset, length).CopyTo(span);
                output.Advance(length);
                if (offset % 3000 == 0) await output.FlushAsync(Token);
            }
            await output.FlushAsync(Token);
            await output.CompleteAsync();
        }, Token);
        using var received = new MemoryStream();
        await pair.ServerPipe.Input.CopyToAsync(received, Token); // until the FIN the completion sends
        await writing.WaitAsync(Patience, Token);
        Assert.Equal(SHA256.HashData(data), SHA256.HashData(received.ToArray()));
    }

    [Fact]
    public async Task CancellationEndsWaitsWithoutLosingBytes()
    {
        await using var pair = await PipePair.OpenAsync();
        var input = pair.ServerPipe.Input;
        using (var cts = new CancellationTokenSource())
        {
            var read = input.ReadAsync(cts.Token);
            Assert.False(read.IsCompleted);
            cts.Cancel();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await read);
        }
        // CancelPendingRead: the waiting read returns IsCanceled, and the bytes are still there afterwards.
        var pending = input.ReadAsync(Token);
        input.CancelPendingRead();
        var canceled = await pending.AsTask().WaitAsync(Patience, Token);
        Assert.True(canceled.IsCanceled);
        input.AdvanceTo(canceled.Buffer.Start);
        await pair.Client.WriteAsync("hello"u8.ToArray(), Token);
        var result = await ReadAtLeastAsync(input, 5);
        Assert.Equal("hello"u8.ToArray(), result.Buffer.ToArray());
        input.AdvanceTo(result.Buffer.End);

        // A flush waiting for room: cancelling it keeps the unsent bytes for the next flush.
        var output = pair.ClientPipe.Output;
        byte[] data = RandomNumberGenerator.GetBytes(4 << 20);
        await output.WriteAsync(data.AsMemory(0, 1), Token);
        data.AsSpan(1).CopyTo(output.GetSpan(data.Length - 1));
        output.Advance(data.Length - 1);
        using (var cts = new CancellationTokenSource())
        {
            var flush = output.FlushAsync(cts.Token);
            await Task.Delay(100, Token);
            Assert.False(flush.IsCompleted);
            cts.Cancel();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await flush);
        }
        var again = output.FlushAsync(Token);
        Assert.False(again.IsCompleted);
        output.CancelPendingFlush();
        Assert.True((await again.AsTask().WaitAsync(Patience, Token)).IsCanceled);
        Assert.True(output.UnflushedBytes > 0);
        var received = new byte[data.Length];
        var reading = ReadExactlyAsync(input, received);
        await output.FlushAsync(Token).AsTask().WaitAsync(Patience, Token);
        await reading.WaitAsync(Patience, Token);
        Assert.Equal(SHA256.HashData(data), SHA256.HashData(received));
    }

    [Fact]
    public async Task CompletingTheOutputSendsTheFinAndBothDirectionsCloseTheConnection()
    {
        await using var pair = await PipePair.OpenAsync();
        var client = pair.ClientPipe;
        // Written but not flushed: completing publishes it before the FIN.
        "last words"u8.CopyTo(client.Output.GetSpan(10));
        client.Output.Advance(10);
        client.Output.Complete();
        Assert.Throws<InvalidOperationException>(() => client.Output.GetMemory());
        await pair.ClientPipe.Sending.WaitAsync(Patience, Token);
        var input = pair.ServerPipe.Input;
        var result = await ReadAtLeastAsync(input, 10);
        while (!result.IsCompleted)
        {
            input.AdvanceTo(result.Buffer.Start, result.Buffer.End);
            result = await input.ReadAsync(Token);
        }
        Assert.Equal("last words"u8.ToArray(), result.Buffer.ToArray());
        // The server's receive direction reported its end (Kestrel's ConnectionClosed) with the bytes still readable.
        await pair.ServerPipe.Receiving.WaitAsync(Patience, Token);
        input.AdvanceTo(result.Buffer.End);
        Assert.True((await input.ReadAsync(Token)).IsCompleted); // and stays at the end
        input.Complete();
        Assert.Throws<InvalidOperationException>(() => input.TryRead(out _));
        Assert.False(pair.Server.IsClosed); // its output is still open
        await pair.ServerPipe.Output.WriteAsync("bye"u8.ToArray(), Token);
        pair.ServerPipe.Output.Complete();
        await pair.ServerPipe.Sending.WaitAsync(Patience, Token);
        Assert.True(pair.Server.IsClosed);
        // The client reads the reply and the end; completing its input closes it too.
        var reply = await ReadAtLeastAsync(client.Input, 3);
        Assert.Equal("bye"u8.ToArray(), reply.Buffer.ToArray());
        client.Input.AdvanceTo(reply.Buffer.End);
        var end = await ReadAtLeastAsync(client.Input, int.MaxValue);
        Assert.True(end.IsCompleted && end.Buffer.IsEmpty);
        client.Input.AdvanceTo(end.Buffer.End);
        client.Input.Complete();
        Assert.True(pair.Client.IsClosed);
    }

    [Fact]
    public async Task CompletingWhileAFlushWaitsSendsEverythingThenTheFin()
    {
        await using var pair = await PipePair.OpenAsync();
        byte[] data = RandomNumberGenerator.GetBytes(4 << 20);
        var output = pair.ClientPipe.Output;
        output.Write(data);
        var flush = output.FlushAsync(Token); // as Kestrel leaves its last flush to a slow reader
        Assert.False(flush.IsCompleted);
        output.Complete();
        await Task.Delay(100, Token);
        Assert.False(pair.ClientPipe.Sending.IsCompleted); // the bytes are not all in the send ring yet
        using var received = new MemoryStream();
        await pair.ServerPipe.Input.CopyToAsync(received, Token); // up to the FIN
        await flush.AsTask().WaitAsync(Patience, Token);
        await pair.ClientPipe.Sending.WaitAsync(Patience, Token);
        Assert.Equal(SHA256.HashData(data), SHA256.HashData(received.ToArray()));
    }

    [Fact]
    public async Task AResetFailsReadsAndFlushesWithTheWirestackException()
    {
        await using var pair = await PipePair.OpenAsync();
        var read = pair.ServerPipe.Input.ReadAsync(Token);
        pair.Client.Abort();
        var error = await Assert.ThrowsAsync<WirestackException>(async () => await read.AsTask().WaitAsync(Patience, Token));
        Assert.Equal(WirestackErrorCode.Reset, error.ErrorCode);
        Assert.IsAssignableFrom<IOException>(error);
        await pair.ServerPipe.Receiving.WaitAsync(Patience, Token);
        var output = pair.ServerPipe.Output;
        output.GetSpan(1)[0] = 1;
        output.Advance(1);
        Assert.Equal(WirestackErrorCode.Reset, Assert.Throws<WirestackException>(() => output.FlushAsync(Token)).ErrorCode);
        // Closed here: the pipe says so instead of waiting.
        pair.Server.Close();
        Assert.Equal(WirestackErrorCode.Closed, Assert.Throws<WirestackException>(() => pair.ServerPipe.Input.TryRead(out _)).ErrorCode);
    }

    [Fact]
    public async Task SteadyStateReadsAndFlushesAllocateNothing()
    {
        await using var pair = await PipePair.OpenAsync();
        byte[] message = new byte[64];
        var none = CancellationToken.None;
        // Request and reply, so each side's ACK rides on data (a one-way trickle would wait on delayed ACKs). Counts
        // what each call allocates on the thread that makes it; the awaits themselves resume on pool threads.
        async Task<long> Send(PipeWriter output)
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            message.CopyTo(output.GetSpan(64));
            output.Advance(64);
            var flush = output.FlushAsync(none);
            long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
            await flush;
            return allocated;
        }
        async Task<long> Receive(PipeReader input)
        {
            long allocated = 0;
            while (true)
            {
                long before = GC.GetAllocatedBytesForCurrentThread();
                var read = input.ReadAsync(none);
                allocated += GC.GetAllocatedBytesForCurrentThread() - before;
                var result = await read;
                before = GC.GetAllocatedBytesForCurrentThread();
                bool enough = result.Buffer.Length >= 64;
                input.AdvanceTo(enough ? result.Buffer.GetPosition(64) : result.Buffer.Start, result.Buffer.End);
                allocated += GC.GetAllocatedBytesForCurrentThread() - before;
                if (enough) return allocated;
            }
        }
        async Task<long> RoundTrips(int count)
        {
            long allocated = 0;
            for (int i = 0; i < count; i++)
            {
                allocated += await Send(pair.ClientPipe.Output);
                allocated += await Receive(pair.ServerPipe.Input);
                allocated += await Send(pair.ServerPipe.Output);
                allocated += await Receive(pair.ClientPipe.Input);
            }
            return allocated;
        }
        await RoundTrips(200); // warm the pools
        Assert.Equal(0, await RoundTrips(1000));
        var clientOutput = pair.ClientPipe.Output;
        var serverInput = pair.ServerPipe.Input;
        long synchronous = AllocationMeter.Measure(() =>
        {
            message.CopyTo(clientOutput.GetSpan(64));
            clientOutput.Advance(64);
            if (!clientOutput.FlushAsync(none).IsCompletedSuccessfully) throw new InvalidOperationException("the flush waited");
            while (pair.Server.Core.Receive.Count < 64) Thread.SpinWait(20);
            if (!serverInput.TryRead(out var result)) throw new InvalidOperationException("nothing to read");
            serverInput.AdvanceTo(result.Buffer.GetPosition(64));
        }, warmup: 10, iterations: 100);
        Assert.Equal(0, synchronous);
    }

    private static async Task<ReadResult> ReadAtLeastAsync(PipeReader input, int length)
    {
        while (true)
        {
            var result = await input.ReadAsync(Token).AsTask().WaitAsync(Patience, Token);
            if (result.Buffer.Length >= length || result.IsCompleted) return result;
            input.AdvanceTo(result.Buffer.Start, result.Buffer.End);
        }
    }

    private static async Task ReadExactlyAsync(PipeReader input, byte[] destination)
    {
        int got = 0;
        while (got < destination.Length)
        {
            var result = await input.ReadAsync(Token);
            var buffer = result.Buffer.Slice(0, Math.Min(result.Buffer.Length, destination.Length - got));
            buffer.CopyTo(destination.AsSpan(got));
            got += (int)buffer.Length;
            input.AdvanceTo(buffer.End);
            if (result.IsCompleted && got < destination.Length) throw new EndOfStreamException($"{got} of {destination.Length} bytes");
        }
    }

    /// <summary>A connected client and server with their pipes, on two Netstacks with 4 KiB rings.</summary>
    private sealed class PipePair : IAsyncDisposable
    {
        private readonly NetstackTestBed _bed;
        private readonly TcpListener _listener;

        private PipePair(NetstackTestBed bed, TcpListener listener, TcpConnection client, TcpConnection server)
        {
            _bed = bed;
            _listener = listener;
            Client = client;
            Server = server;
            ClientPipe = client.CreateDuplexPipe();
            ServerPipe = server.CreateDuplexPipe();
        }

        public TcpConnection Client { get; }

        public TcpConnection Server { get; }

        public TcpConnectionPipe ClientPipe { get; }

        public TcpConnectionPipe ServerPipe { get; }

        public static async Task<PipePair> OpenAsync()
        {
            var bed = Create(configure: b => b.WithTcpSocketBuffer(RingLength));
            try
            {
                var listener = bed.B.ListenTcp(new IpEndpoint(AddressB, 80));
                var client = await bed.A.ConnectAsync(new IpEndpoint(AddressB, 80), Token);
                var server = await listener.AcceptAsync(Token);
                return new PipePair(bed, listener, client, server);
            }
            catch
            {
                await bed.DisposeAsync();
                throw;
            }
        }

        public async ValueTask DisposeAsync()
        {
            Client.Dispose();
            Server.Dispose();
            _listener.Dispose();
            await _bed.DisposeAsync();
        }
    }
}
