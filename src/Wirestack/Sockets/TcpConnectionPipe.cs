using System.IO.Pipelines;

namespace Wirestack.Sockets;

/// <summary>
/// An <see cref="IDuplexPipe"/> over a <see cref="TcpConnection"/>, from <see cref="TcpConnection.AsDuplexPipe"/>. Two
/// pumps: one reads from the connection straight into the input pipe's memory (no intermediate buffer), the other
/// writes the output pipe's segments into the connection. The application completing its output shuts the
/// connection down for writing; once both directions are done the connection is closed.
/// </summary>
internal sealed class TcpConnectionPipe : IDuplexPipe
{
    private readonly TcpConnection _connection;
    private readonly Pipe _input;
    private readonly Pipe _output;
    private int _pumpsRunning = 2;

    /// <param name="connection">The connection.</param>
    /// <param name="inlineReaders">
    /// Run the readers' continuations inline instead of on the thread pool: the application's read continues on the
    /// thread that just filled the input (itself a pool thread), and the send pump on the thread that flushed the
    /// output. One thread-pool hop less each way, for a server (Kestrel) that never blocks in those continuations.
    /// </param>
    public TcpConnectionPipe(TcpConnection connection, bool inlineReaders = false)
    {
        _connection = connection;
        // The connection's rings already pace the producer; the pipes' thresholds only bound what sits in between.
        var reader = inlineReaders ? PipeScheduler.Inline : PipeScheduler.ThreadPool;
        var options = new PipeOptions(readerScheduler: reader, pauseWriterThreshold: 256 * 1024, resumeWriterThreshold: 128 * 1024,
            minimumSegmentSize: 16 * 1024, useSynchronizationContext: false);
        _input = new Pipe(options);
        _output = new Pipe(options);
        Receiving = ReceiveAsync();
        Sending = SendAsync();
    }

    public PipeReader Input => _input.Reader;

    public PipeWriter Output => _output.Writer;

    /// <summary>
    /// The receive pump: completes (never faults) once the input pipe is completed, at the end of the stream, or on an
    /// error. A transport reports the connection closed when it does.
    /// </summary>
    internal Task Receiving { get; }

    /// <summary>
    /// The send pump: completes (never faults) once everything written to the output pipe before it was completed is in
    /// the connection's send ring and the FIN is requested, or on an error. A transport closes the connection after it.
    /// </summary>
    internal Task Sending { get; }

    private async Task ReceiveAsync()
    {
        var writer = _input.Writer;
        Exception? error = null;
        try
        {
            while (true)
            {
                var memory = writer.GetMemory();
                int read = await _connection.ReadAsync(memory).ConfigureAwait(false);
                if (read == 0) break;
                writer.Advance(read);
                var flushed = await writer.FlushAsync().ConfigureAwait(false);
                if (flushed.IsCompleted || flushed.IsCanceled) break;
            }
        }
        catch (Exception e)
        {
            error = e;
        }
        await writer.CompleteAsync(error).ConfigureAwait(false);
        PumpDone();
    }

    private async Task SendAsync()
    {
        var reader = _output.Reader;
        Exception? error = null;
        try
        {
            while (true)
            {
                var result = await reader.ReadAsync().ConfigureAwait(false);
                var buffer = result.Buffer;
                foreach (var segment in buffer) await _connection.WriteAsync(segment).ConfigureAwait(false);
                reader.AdvanceTo(buffer.End);
                if (result.IsCompleted || result.IsCanceled) break;
            }
            if (!_connection.IsClosed) _connection.ShutdownWrite();
        }
        catch (Exception e)
        {
            error = e;
        }
        await reader.CompleteAsync(error).ConfigureAwait(false);
        PumpDone();
    }

    private void PumpDone()
    {
        if (Interlocked.Decrement(ref _pumpsRunning) == 0) _connection.Close();
    }
}
