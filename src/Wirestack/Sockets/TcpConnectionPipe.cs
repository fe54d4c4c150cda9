using System.IO.Pipelines;

namespace Wirestack.Sockets;

/// <summary>
/// An <see cref="IDuplexPipe"/> over a <see cref="TcpConnection"/>, from <see cref="TcpConnection.AsDuplexPipe"/>: a
/// <see cref="TcpConnectionPipeReader"/> over the receive ring and a <see cref="TcpConnectionPipeWriter"/> over the
/// send ring, with no buffer or task in between. The application completing its output shuts the connection down
/// for writing; once both directions are done (the input completed or read to the end of the stream, the output's
/// bytes all in the send ring) the connection is closed.
/// </summary>
internal sealed class TcpConnectionPipe : IDuplexPipe
{
    private readonly TcpConnection _connection;
    private readonly TaskCompletionSource _receiving = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _sending = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _inputDone;
    private int _directionsOpen = 2;

    public TcpConnectionPipe(TcpConnection connection)
    {
        _connection = connection;
        Input = new TcpConnectionPipeReader(connection, this);
        Output = new TcpConnectionPipeWriter(connection, this);
        connection.Core.WatchReceiveEnd(_receiving);
    }

    public PipeReader Input { get; }

    public PipeWriter Output { get; }

    /// <summary>
    /// Completes (never faults) once the input is completed, or nothing more can arrive: the end of the stream (all
    /// of it readable from <see cref="Input"/>), an error, or the connection closed here. A transport reports the
    /// connection closed when it does.
    /// </summary>
    internal Task Receiving => _receiving.Task;

    /// <summary>
    /// Completes (never faults) once the output is completed and everything written to it is in the connection's
    /// send ring with the FIN requested, or the connection failed or closed. A transport closes the connection after it.
    /// </summary>
    internal Task Sending => _sending.Task;

    internal void OnInputDone()
    {
        if (Interlocked.Exchange(ref _inputDone, 1) != 0) return;
        _receiving.TrySetResult();
        DirectionDone();
    }

    internal void OnOutputDone()
    {
        _sending.TrySetResult();
        DirectionDone();
    }

    private void DirectionDone()
    {
        if (Interlocked.Decrement(ref _directionsOpen) == 0) _connection.Close();
    }
}
