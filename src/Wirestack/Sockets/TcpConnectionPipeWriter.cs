using System.Buffers;
using System.IO.Pipelines;
using System.Runtime.CompilerServices;

namespace Wirestack.Sockets;

/// <summary>
/// The output of <see cref="TcpConnection.AsDuplexPipe"/>: a <see cref="PipeWriter"/> straight over the connection's
/// send ring. <see cref="GetMemory"/> hands out the ring's free space in place when it holds the size hint; only a
/// larger hint (or a full ring) gets a pooled overflow buffer, copied into the ring on flush. A flush publishes the
/// bytes to the stack and waits only while bytes are left over for a full ring (backpressure).
/// </summary>
/// <remarks>
/// Bytes advanced in the ring stay unpublished (the stack does not see them) until the flush, as a pipe's reader
/// would not. Once the overflow buffer holds bytes, later memory comes from it too, so the order is kept.
/// </remarks>
internal sealed class TcpConnectionPipeWriter : PipeWriter
{
    private const int MinimumOverflowLength = 4096;

    private readonly TcpConnection _connection;
    private readonly TcpConnectionPipe _pipe;
    private readonly SpscByteRing _ring;
    private int _unpublished;
    private byte[]? _overflow;
    private int _overflowStart;
    private int _overflowEnd;
    private int _handedOut;
    private bool _handedOutRing;
    private bool _completed;
    private Exception? _completionError;
    private int _cancelPending;
    private int _flushState;

    // _flushState: no flush waiting, a flush waiting for room, and one waiting while Complete asked for the drain
    // (which then runs when that flush ends: the two must not move the overflow at once).
    private const int NotWaiting = 0;
    private const int Waiting = 1;
    private const int WaitingThenDrain = 2;

    public TcpConnectionPipeWriter(TcpConnection connection, TcpConnectionPipe pipe)
    {
        _connection = connection;
        _pipe = pipe;
        _ring = connection.Core.Send;
    }

    /// <inheritdoc />
    public override bool CanGetUnflushedBytes => true;

    /// <inheritdoc />
    public override long UnflushedBytes => _unpublished + _overflowEnd - _overflowStart;

    /// <inheritdoc />
    public override Memory<byte> GetMemory(int sizeHint = 0)
    {
        ThrowIfCompleted();
        ArgumentOutOfRangeException.ThrowIfNegative(sizeHint);
        if (_overflowEnd == 0)
        {
            var room = _ring.GetWriteMemory(_unpublished);
            if (room.Length > 0 && room.Length >= sizeHint)
            {
                _handedOutRing = true;
                _handedOut = room.Length;
                return room;
            }
        }
        EnsureOverflow(Math.Max(sizeHint, 1));
        _handedOutRing = false;
        _handedOut = _overflow!.Length - _overflowEnd;
        return _overflow.AsMemory(_overflowEnd);
    }

    /// <inheritdoc />
    public override Span<byte> GetSpan(int sizeHint = 0) => GetMemory(sizeHint).Span;

    /// <inheritdoc />
    public override void Advance(int bytes)
    {
        ThrowIfCompleted();
        if ((uint)bytes > (uint)_handedOut)
            throw new ArgumentOutOfRangeException(nameof(bytes), bytes, $"Advance({bytes}) goes past the {_handedOut} bytes the last GetMemory or GetSpan handed out.");
        _handedOut -= bytes;
        if (_handedOutRing) _unpublished += bytes;
        else _overflowEnd += bytes;
    }

    /// <inheritdoc />
    public override ValueTask<FlushResult> FlushAsync(CancellationToken cancellationToken = default)
    {
        ThrowIfCompleted();
        if (cancellationToken.IsCancellationRequested) return ValueTask.FromCanceled<FlushResult>(cancellationToken);
        ThrowIfFailed();
        Publish();
        if (Interlocked.Exchange(ref _cancelPending, 0) != 0) return new ValueTask<FlushResult>(new FlushResult(isCanceled: true, isCompleted: false));
        if (_overflowEnd == 0) return default;
        Volatile.Write(ref _flushState, Waiting);
        return FlushWhenRoomAsync(cancellationToken);
    }

    /// <inheritdoc />
    public override void CancelPendingFlush()
    {
        Interlocked.Exchange(ref _cancelPending, 1);
        _connection.Core.SendSpace.Ring();
    }

    /// <summary>
    /// Publishes what was written and shuts the connection down for writing once every byte is in the send ring
    /// (in the background when the ring is full: <see cref="TcpConnectionPipe.Sending"/> tells when). With an
    /// <paramref name="exception"/>, what is not flushed is dropped and no FIN is sent.
    /// </summary>
    public override void Complete(Exception? exception = null)
    {
        if (_completed) return;
        _completed = true;
        _handedOut = 0;
        _completionError = exception;
        // A flush still waiting for room (Kestrel completes without awaiting its last flush) drains when it ends.
        if (Interlocked.CompareExchange(ref _flushState, WaitingThenDrain, Waiting) != Waiting) _ = DrainAsync(exception);
    }

    /// <inheritdoc cref="Complete"/>
    public override ValueTask CompleteAsync(Exception? exception = null)
    {
        // Not waiting for the drain: a transport bounds that wait itself (Sending), a peer that stopped reading must
        // not hang the caller.
        Complete(exception);
        return ValueTask.CompletedTask;
    }

    private void ThrowIfFailed()
    {
        var core = _connection.Core;
        if (core.Released) throw TcpConnection.ClosedException();
        if (core.Error is var error && error != 0) throw _connection.ErrorException(error);
        if ((core.Flags & TcpConnectionCore.ShutdownRequestedFlag) != 0)
            throw new WirestackException(WirestackErrorCode.InvalidState, $"The connection to {_connection.RemoteEndPoint} is shut down for writing.");
    }

    // Makes the ring bytes visible to the stack, then copies in as much of the overflow as fits.
    private void Publish()
    {
        if (_unpublished > 0)
        {
            _ring.CommitWrite(_unpublished);
            _unpublished = 0;
        }
        if (_overflowEnd == 0) return;
        _overflowStart += _ring.Write(_overflow.AsSpan(_overflowStart, _overflowEnd - _overflowStart));
        if (_overflowStart < _overflowEnd) return;
        _overflowStart = _overflowEnd = 0;
        ArrayPool<byte>.Shared.Return(_overflow!);
        _overflow = null;
    }

    private bool WriteReady()
    {
        var core = _connection.Core;
        return Volatile.Read(ref _cancelPending) != 0 || _ring.Count < _ring.Capacity || core.Error != 0 || core.Released;
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<FlushResult> FlushWhenRoomAsync(CancellationToken cancellationToken)
    {
        try
        {
            while (true)
            {
                await WaitForRoomAsync(cancellationToken).ConfigureAwait(false);
                if (Interlocked.Exchange(ref _cancelPending, 0) != 0) return new FlushResult(isCanceled: true, isCompleted: false);
                ThrowIfFailed();
                Publish();
                if (_overflowEnd == 0) return default;
            }
        }
        finally
        {
            if (Interlocked.Exchange(ref _flushState, NotWaiting) == WaitingThenDrain) _ = DrainAsync(_completionError);
        }
    }

    private ValueTask WaitForRoomAsync(CancellationToken cancellationToken)
    {
        var signal = _connection.Core.SendSpace;
        if (!signal.TryArm()) throw TcpConnection.SecondWaiter("flush");
        if (!WriteReady()) return signal.WaitAsync(cancellationToken);
        return signal.TryDisarm() ? ValueTask.CompletedTask : signal.WaitAsync(CancellationToken.None);
    }

    // Gets what Complete left behind into the ring, then the FIN; never faults (Sending reports the end).
    private async Task DrainAsync(Exception? exception)
    {
        try
        {
            if (exception is null && !_connection.IsClosed)
            {
                var core = _connection.Core;
                if (core.Released || core.Error != 0) return;
                Publish();
                while (_overflowEnd != 0)
                {
                    await WaitForRoomAsync(CancellationToken.None).ConfigureAwait(false);
                    if (core.Released || core.Error != 0) return;
                    Publish();
                }
                _connection.ShutdownWrite();
            }
        }
        catch (Exception e) when (e is WirestackException or InvalidOperationException)
        {
            // Closed under the drain, or a flush still waiting: the connection's own state tells the rest.
        }
        finally
        {
            if (_overflow is not null) ArrayPool<byte>.Shared.Return(_overflow);
            _overflow = null;
            _overflowStart = _overflowEnd = 0;
            _pipe.OnOutputDone();
        }
    }

    // Room for at least `more` bytes after the overflow's current end, keeping what it holds.
    private void EnsureOverflow(int more)
    {
        if (_overflow is not null && _overflow.Length - _overflowEnd >= more) return;
        var bigger = ArrayPool<byte>.Shared.Rent(Math.Max(_overflowEnd - _overflowStart + more, MinimumOverflowLength));
        int held = _overflowEnd - _overflowStart;
        if (_overflow is not null)
        {
            _overflow.AsSpan(_overflowStart, held).CopyTo(bigger);
            ArrayPool<byte>.Shared.Return(_overflow);
        }
        _overflow = bigger;
        _overflowStart = 0;
        _overflowEnd = held;
    }

    private void ThrowIfCompleted()
    {
        if (_completed) throw new InvalidOperationException("Writing is not allowed after the writer was completed.");
    }
}
