using Wirestack.Cli.Serve.Iperf3;
using Wirestack.Sockets;
using Wirestack.Wire;

namespace Wirestack.Tests.Cli.Iperf3;

public sealed class Iperf3TcpStreamTests
{
    [Fact]
    public async Task Counts_every_byte_read_until_the_client_closes()
    {
        var connection = new ScriptedConnection(reads: 1000, readLength: 1000);
        var stream = new Iperf3TcpStream(1, false, connection);
        await stream.RunAsync(new Iperf3Parameters { BlockSize = 4096 }, TestContext.Current.CancellationToken);
        Assert.Equal(1_000_000, stream.Bytes);
        Assert.Null(stream.Failure);
    }

    [Fact]
    public async Task A_reset_ends_the_stream_with_the_reason_instead_of_throwing()
    {
        var connection = new ScriptedConnection(reads: 10, readLength: 100, failAtEnd: true);
        var stream = new Iperf3TcpStream(1, false, connection);
        await stream.RunAsync(new Iperf3Parameters { BlockSize = 4096 }, TestContext.Current.CancellationToken);
        Assert.Equal(1000, stream.Bytes);
        Assert.Equal("reset by the test", stream.Failure);
    }

    // Reads and writes that complete at once run the loop on this thread, so the thread's allocation counter sees
    // everything the loop allocates: a per-read or per-write allocation would grow with the count.
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Reading_or_writing_allocates_nothing_per_block(bool sender)
    {
        long Allocated(int blocks)
        {
            var connection = new ScriptedConnection(reads: blocks, readLength: 1024, writes: blocks);
            var stream = new Iperf3TcpStream(1, sender, connection);
            var parameters = new Iperf3Parameters { BlockSize = 1024 };
            long before = GC.GetAllocatedBytesForCurrentThread();
            stream.RunAsync(parameters, CancellationToken.None).GetAwaiter().GetResult();
            long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
            Assert.Equal((long)blocks * 1024, stream.Bytes);
            return allocated;
        }
        // Warm up with the long run too: the JIT's later tiers (and on-stack replacement of the loop) come in during the
        // first long run and may allocate once on this thread, which is not a per-block cost.
        Allocated(100);
        Allocated(100_000);
        long few = Allocated(100), many = Allocated(100_000);
        // One byte per block would be ~100 KB more; a few KiB is what a one-off costs.
        Assert.True(many - few < 4096, $"100 blocks allocated {few} B, 100000 blocks {many} B");
    }

    /// <summary>A connection whose stream completes every read and write at once, then ends (or resets).</summary>
    private sealed class ScriptedConnection(int reads, int readLength, int writes = 0, bool failAtEnd = false) : ITcpConnection
    {
        private readonly ScriptedStream _stream = new(reads, readLength, writes, failAtEnd);

        public IpEndpoint LocalEndPoint => default;

        public IpEndpoint RemoteEndPoint => default;

        public Stream GetStream() => _stream;

        public void ShutdownWrite()
        {
        }

        public void Abort()
        {
        }

        public void Dispose()
        {
        }
    }

    private sealed class ScriptedStream(int reads, int readLength, int writes, bool failAtEnd) : Stream
    {
        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            if (reads-- > 0) return new ValueTask<int>(Math.Min(readLength, buffer.Length));
            if (failAtEnd) throw new IOException("reset by the test");
            return new ValueTask<int>(0);
        }

        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            if (writes-- > 0) return ValueTask.CompletedTask;
            throw new IOException("closed by the test");
        }

        public override void Flush()
        {
        }

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
