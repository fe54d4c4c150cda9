using System.Diagnostics;
using System.IO.Pipelines;
using System.Runtime.CompilerServices;
using Wirestack.Wire;

namespace Wirestack.Sockets;

/// <summary>
/// A TCP connection on a <see cref="Netstack"/>, from <see cref="Netstack.ConnectAsync(IpEndpoint, CancellationToken)"/>
/// or <see cref="TcpListener.AcceptAsync"/>. Reads and writes work synchronously (with a timeout) and asynchronously
/// (with a <see cref="CancellationToken"/>); failures are <see cref="WirestackException"/>s that say why.
/// </summary>
/// <remarks>
/// <para>
/// Bytes cross between the application and the stack thread through a single-producer, single-consumer ring per
/// direction, without a lock on the stack's side: a write returns once its bytes are in the send ring, a read copies
/// out of the receive ring. A side that finds its ring empty or full waits on a reusable signal, so steady-state
/// <see cref="ReadAsync"/> and <see cref="WriteAsync"/> allocate nothing.
/// </para>
/// <para>
/// One read and one write may wait at a time (a second waiting read or write throws <see cref="InvalidOperationException"/>).
/// A connection the application forgets to dispose is closed (gracefully) once it is collected.
/// </para>
/// </remarks>
public sealed class TcpConnection : ITcpConnection, IAsyncDisposable
{
    private readonly Lock _receiveLock = new();
    private readonly Lock _sendLock = new();
    private TcpConnectionStream? _stream;
    private TcpConnectionPipe? _pipe;

    internal TcpConnection(TcpConnectionCore core) => Core = core;

    /// <summary>Closes a connection the application lost without disposing it: the stack must not keep it for ever.</summary>
    ~TcpConnection()
    {
        try
        {
            Core.RequestClose(abort: false);
        }
        catch (Exception e) when (e is ObjectDisposedException or WirestackException)
        {
            // The stack went first and took the connection with it; a finalizer must not throw.
        }
    }

    /// <summary>Our address and port.</summary>
    public IpEndpoint LocalEndPoint => Core.LocalEndPoint;

    /// <summary>The peer's address and port.</summary>
    public IpEndpoint RemoteEndPoint => Core.RemoteEndPoint;

    /// <summary>Whether the application closed or aborted the connection.</summary>
    public bool IsClosed => Core.Released;

    internal TcpConnectionCore Core { get; }

    /// <summary>
    /// Whether short writes go out at once instead of waiting, under Nagle's rule, for the data in flight to be
    /// acknowledged (TCP_NODELAY, as <see cref="System.Net.Sockets.Socket.NoDelay"/>). Request-response protocols want
    /// it on: a peer that delays its ACKs (40 ms on Linux) otherwise holds the tail of a response that far. Starts as
    /// false unless <see cref="Tcp.TcpOptions.Nagle"/> is off; a change applies to the bytes written after it.
    /// </summary>
    public bool NoDelay
    {
        get => Core.NoDelay;
        set
        {
            if (Core.NoDelay == value) return;
            Core.NoDelay = value;
            if (!Core.Released) Core.Stack.EnqueueReady(Core);
        }
    }

    /// <summary>Reads what has arrived into <paramref name="buffer"/>, waiting until something has; 0 at the end of the stream.</summary>
    /// <param name="buffer">Where the bytes go.</param>
    /// <param name="cancellationToken">Ends the wait with <see cref="OperationCanceledException"/>; no byte is lost.</param>
    /// <returns>The bytes read, at least 1 unless <paramref name="buffer"/> is empty or the peer finished sending.</returns>
    /// <exception cref="WirestackException">
    /// <see cref="WirestackErrorCode.Reset"/> (the peer reset the connection), <see cref="WirestackErrorCode.TimedOut"/>
    /// (the peer stopped answering), <see cref="WirestackErrorCode.Closed"/> (closed here, also while the read waited).
    /// </exception>
    public ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (cancellationToken.IsCancellationRequested) return ValueTask.FromCanceled<int>(cancellationToken);
        if (TryRead(buffer.Span, out int read)) return new ValueTask<int>(read);
        return ReadWhenReadyAsync(buffer, cancellationToken);
    }

    /// <summary>Reads, blocking up to <paramref name="timeout"/>; 0 at the end of the stream.</summary>
    /// <param name="buffer">Where the bytes go.</param>
    /// <param name="timeout">How long to wait; <see cref="Timeout.InfiniteTimeSpan"/> to wait for ever.</param>
    /// <exception cref="WirestackException">As <see cref="ReadAsync"/>, and <see cref="WirestackErrorCode.TimedOut"/> when nothing arrived in time.</exception>
    public int Read(Span<byte> buffer, TimeSpan timeout)
    {
        long started = Stopwatch.GetTimestamp();
        var signal = Core.ReceiveData;
        while (true)
        {
            if (TryRead(buffer, out int read)) return read;
            if (!signal.TryArmBlocking()) throw SecondWaiter("read");
            if (ReadReady())
            {
                if (!signal.TryDisarm()) signal.WaitBlocking(Timeout.InfiniteTimeSpan);
                continue;
            }
            if (!signal.WaitBlocking(Remaining(started, timeout)))
                throw new WirestackException(WirestackErrorCode.TimedOut, $"Nothing arrived from {RemoteEndPoint} within {timeout}.");
        }
    }

    /// <summary>
    /// Queues all of <paramref name="data"/> for sending, waiting for room in the send ring as needed; completes when
    /// the last byte is in the ring (not when the peer has it).
    /// </summary>
    /// <param name="data">The bytes.</param>
    /// <param name="cancellationToken">
    /// Ends a wait for room with <see cref="OperationCanceledException"/>; the bytes queued before it are still sent.
    /// </param>
    /// <exception cref="WirestackException">
    /// <see cref="WirestackErrorCode.InvalidState"/> after <see cref="ShutdownWrite"/>; <see cref="WirestackErrorCode.Reset"/>,
    /// <see cref="WirestackErrorCode.TimedOut"/>, <see cref="WirestackErrorCode.Closed"/> as for <see cref="ReadAsync"/>.
    /// </exception>
    public ValueTask WriteAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken = default)
    {
        if (cancellationToken.IsCancellationRequested) return ValueTask.FromCanceled(cancellationToken);
        int written = TryWrite(data.Span);
        if (written == data.Length) return ValueTask.CompletedTask;
        return WriteWhenRoomAsync(data[written..], cancellationToken);
    }

    /// <summary>
    /// Queues as much of <paramref name="data"/> as the send ring has room for, waiting only while it has none, and
    /// returns how many bytes it queued, as <see cref="System.Net.Sockets.Socket.SendAsync(ReadOnlyMemory{byte}, System.Net.Sockets.SocketFlags, CancellationToken)"/>
    /// does: for a caller that must count exactly what it sent (a cancelled <see cref="WriteAsync"/> may have queued
    /// part of its data, which the peer then receives).
    /// </summary>
    /// <param name="data">The bytes.</param>
    /// <param name="cancellationToken">Ends a wait for room with <see cref="OperationCanceledException"/>, nothing queued.</param>
    /// <returns>The bytes queued: at least 1, or 0 for empty <paramref name="data"/>.</returns>
    /// <exception cref="WirestackException">As <see cref="WriteAsync"/>.</exception>
    public ValueTask<int> WriteSomeAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken = default)
    {
        if (cancellationToken.IsCancellationRequested) return ValueTask.FromCanceled<int>(cancellationToken);
        if (data.IsEmpty) return ValueTask.FromResult(0);
        int written = TryWrite(data.Span);
        return written > 0 ? ValueTask.FromResult(written) : WriteSomeWhenRoomAsync(data, cancellationToken);
    }

    /// <summary>Queues all of <paramref name="data"/>, blocking up to <paramref name="timeout"/> for room.</summary>
    /// <param name="data">The bytes.</param>
    /// <param name="timeout">How long to wait for room; <see cref="Timeout.InfiniteTimeSpan"/> to wait for ever.</param>
    /// <exception cref="WirestackException">As <see cref="WriteAsync"/>, and <see cref="WirestackErrorCode.TimedOut"/> (some bytes may have been queued).</exception>
    public void Write(ReadOnlySpan<byte> data, TimeSpan timeout)
    {
        long started = Stopwatch.GetTimestamp();
        var signal = Core.SendSpace;
        while (true)
        {
            data = data[TryWrite(data)..];
            if (data.IsEmpty) return;
            if (!signal.TryArmBlocking()) throw SecondWaiter("write");
            if (WriteReady())
            {
                if (!signal.TryDisarm()) signal.WaitBlocking(Timeout.InfiniteTimeSpan);
                continue;
            }
            if (!signal.WaitBlocking(Remaining(started, timeout)))
                throw new WirestackException(WirestackErrorCode.TimedOut, $"The send ring to {RemoteEndPoint} stayed full for {timeout}; the peer is not reading.");
        }
    }

    /// <summary>
    /// Sends a FIN after the bytes written so far (a half-close): the peer reads the end of the stream, and this side
    /// can still read until the peer closes. Later writes throw <see cref="WirestackErrorCode.InvalidState"/>. Idempotent.
    /// </summary>
    /// <exception cref="WirestackException"><see cref="WirestackErrorCode.Closed"/> after <see cref="Close"/>.</exception>
    public void ShutdownWrite()
    {
        if (Core.Released) throw ClosedException();
        if (Core.SetFlag(TcpConnectionCore.ShutdownRequestedFlag)) Core.Stack.EnqueueReady(Core);
    }

    /// <summary>
    /// Closes gracefully: the bytes written are still delivered, then a FIN; pending and later operations fail with
    /// <see cref="WirestackErrorCode.Closed"/>. Bytes received and not read are discarded (and the peer is reset, as a
    /// kernel does). Idempotent.
    /// </summary>
    public void Close()
    {
        GC.SuppressFinalize(this);
        Core.RequestClose(abort: false);
    }

    /// <summary>Resets the connection (RST): queued bytes are discarded and the peer sees <see cref="WirestackErrorCode.Reset"/>.</summary>
    public void Abort()
    {
        GC.SuppressFinalize(this);
        Core.RequestClose(abort: true);
    }

    /// <summary>Closes the connection (<see cref="Close"/>).</summary>
    public void Dispose() => Close();

    /// <inheritdoc cref="Dispose"/>
    public ValueTask DisposeAsync()
    {
        Close();
        return ValueTask.CompletedTask;
    }

    /// <summary>A <see cref="Stream"/> over this connection (the same one each call); disposing it closes the connection.</summary>
    public Stream AsStream() => _stream ??= new TcpConnectionStream(this);

    Stream ITcpConnection.GetStream() => AsStream();

    /// <summary>
    /// An <see cref="IDuplexPipe"/> over this connection (the same one each call), without a copy of its own: its
    /// reader hands out the receive ring's bytes in place, its writer hands out the send ring's free space (or, for a
    /// size hint larger than the contiguous room, a pooled buffer copied in on flush). Completing the output shuts the
    /// connection down for writing; completing both directions closes it. Do not mix it with <see cref="ReadAsync"/>
    /// and <see cref="WriteAsync"/> on the same connection.
    /// </summary>
    public IDuplexPipe AsDuplexPipe() => CreateDuplexPipe();

    /// <summary>The pipe adapter with each direction's end in view, for transports that must know when they end.</summary>
    internal TcpConnectionPipe CreateDuplexPipe() => _pipe ??= new TcpConnectionPipe(this);

    /// <inheritdoc />
    public override string ToString() => $"TCP {LocalEndPoint} -> {RemoteEndPoint}";

    // True with the count (0 at end of stream) when the read completes now; false when it must wait.
    private bool TryRead(Span<byte> buffer, out int read)
    {
        var core = Core;
        if (core.Released) throw ClosedException();
        // Flags before the ring: the stack publishes the last bytes before it sets end of stream or an error.
        bool endOfStream = core.EndOfStream;
        var error = core.Error;
        lock (_receiveLock) read = core.Receive.Read(buffer);
        if (read > 0 || buffer.IsEmpty) return true;
        if (endOfStream) return true;
        if (error != 0) throw ErrorException(error);
        return false;
    }

    // The bytes queued now.
    private int TryWrite(ReadOnlySpan<byte> data)
    {
        var core = Core;
        if (core.Released) throw ClosedException();
        if (core.Error is var error && error != 0) throw ErrorException(error);
        if ((core.Flags & TcpConnectionCore.ShutdownRequestedFlag) != 0)
            throw new WirestackException(WirestackErrorCode.InvalidState, $"The connection to {RemoteEndPoint} is shut down for writing.");
        lock (_sendLock) return core.Send.Write(data);
    }

    private bool ReadReady() => Core.Receive.Count > 0 || Core.EndOfStream || Core.Error != 0 || Core.Released;

    private bool WriteReady() => Core.Send.Count < Core.Send.Capacity || Core.Error != 0 || Core.Released;

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<int> ReadWhenReadyAsync(Memory<byte> buffer, CancellationToken cancellationToken)
    {
        var signal = Core.ReceiveData;
        while (true)
        {
            if (!signal.TryArm()) throw SecondWaiter("read");
            if (ReadReady())
            {
                if (!signal.TryDisarm()) await signal.WaitAsync(CancellationToken.None).ConfigureAwait(false);
            }
            else
            {
                await signal.WaitAsync(cancellationToken).ConfigureAwait(false);
            }
            if (TryRead(buffer.Span, out int read)) return read;
        }
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask WriteWhenRoomAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        while (true)
        {
            await WaitForRoomAsync(cancellationToken).ConfigureAwait(false);
            data = data[TryWrite(data.Span)..];
            if (data.IsEmpty) return;
        }
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<int> WriteSomeWhenRoomAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        while (true)
        {
            await WaitForRoomAsync(cancellationToken).ConfigureAwait(false);
            int written = TryWrite(data.Span);
            if (written > 0) return written;
        }
    }

    // Waits until the send ring has room or the connection failed; one waiting write at a time.
    private ValueTask WaitForRoomAsync(CancellationToken cancellationToken)
    {
        var signal = Core.SendSpace;
        if (!signal.TryArm()) throw SecondWaiter("write");
        if (!WriteReady()) return signal.WaitAsync(cancellationToken);
        // Room already: take the arm back, unless a ring got there first (then its wait completes at once).
        return signal.TryDisarm() ? ValueTask.CompletedTask : signal.WaitAsync(CancellationToken.None);
    }

    internal WirestackException ErrorException(WirestackErrorCode error) => error switch
    {
        WirestackErrorCode.Reset => new(error, $"{RemoteEndPoint} reset the connection."),
        WirestackErrorCode.TimedOut => new(error, $"{RemoteEndPoint} stopped acknowledging; the connection timed out (TcpOptions.UserTimeout)."),
        WirestackErrorCode.Closed => new(error, "The Netstack closed with the connection open."),
        _ => new(error, $"The connection to {RemoteEndPoint} failed ({error})."),
    };

    internal static WirestackException ClosedException() => new(WirestackErrorCode.Closed, "The TCP connection is closed.");

    internal static InvalidOperationException SecondWaiter(string operation) =>
        new($"Another {operation} is already waiting on this TCP connection; a connection allows one waiting {operation} at a time.");

    private static TimeSpan Remaining(long started, TimeSpan timeout)
    {
        if (timeout == Timeout.InfiniteTimeSpan) return timeout;
        var left = timeout - Stopwatch.GetElapsedTime(started);
        return left > TimeSpan.Zero ? left : TimeSpan.Zero;
    }
}
