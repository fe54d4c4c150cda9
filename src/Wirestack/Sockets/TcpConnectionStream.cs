namespace Wirestack.Sockets;

/// <summary>
/// A <see cref="Stream"/> over a <see cref="TcpConnection"/>, from <see cref="TcpConnection.AsStream"/>: not seekable,
/// reads return 0 at the end of the stream, <see cref="Flush"/> has nothing to do (the stack sends what is written
/// as soon as the windows allow), and disposing closes the connection.
/// </summary>
internal sealed class TcpConnectionStream(TcpConnection connection) : Stream
{
    private int _readTimeout = Timeout.Infinite;
    private int _writeTimeout = Timeout.Infinite;

    public override bool CanRead => !connection.IsClosed;

    public override bool CanWrite => !connection.IsClosed;

    public override bool CanSeek => false;

    // The synchronous Read and Write honour these; the asynchronous ones take a CancellationToken instead.
    public override bool CanTimeout => true;

    public override int ReadTimeout
    {
        get => _readTimeout;
        set => _readTimeout = ValidateTimeout(value);
    }

    public override int WriteTimeout
    {
        get => _writeTimeout;
        set => _writeTimeout = ValidateTimeout(value);
    }

    public override long Length => throw new NotSupportedException("A TCP stream has no length.");

    public override long Position
    {
        get => throw new NotSupportedException("A TCP stream has no position.");
        set => throw new NotSupportedException("A TCP stream cannot seek.");
    }

    public override int Read(byte[] buffer, int offset, int count)
    {
        ValidateBufferArguments(buffer, offset, count);
        return Read(buffer.AsSpan(offset, count));
    }

    public override int Read(Span<byte> buffer) => connection.Read(buffer, TimeSpan.FromMilliseconds(_readTimeout));

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
        connection.ReadAsync(buffer, cancellationToken);

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
    {
        ValidateBufferArguments(buffer, offset, count);
        return connection.ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();
    }

    public override void Write(byte[] buffer, int offset, int count)
    {
        ValidateBufferArguments(buffer, offset, count);
        Write(buffer.AsSpan(offset, count));
    }

    public override void Write(ReadOnlySpan<byte> buffer) => connection.Write(buffer, TimeSpan.FromMilliseconds(_writeTimeout));

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default) =>
        connection.WriteAsync(buffer, cancellationToken);

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
    {
        ValidateBufferArguments(buffer, offset, count);
        return connection.WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();
    }

    public override void Flush()
    {
    }

    public override Task FlushAsync(CancellationToken cancellationToken) =>
        cancellationToken.IsCancellationRequested ? Task.FromCanceled(cancellationToken) : Task.CompletedTask;

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException("A TCP stream cannot seek.");

    public override void SetLength(long value) => throw new NotSupportedException("A TCP stream has no length.");

    protected override void Dispose(bool disposing)
    {
        if (disposing) connection.Close();
        base.Dispose(disposing);
    }

    private static int ValidateTimeout(int value)
    {
        if (value <= 0 && value != Timeout.Infinite)
            throw new ArgumentOutOfRangeException(nameof(value), value, "A timeout is a positive number of milliseconds, or Timeout.Infinite.");
        return value;
    }
}
