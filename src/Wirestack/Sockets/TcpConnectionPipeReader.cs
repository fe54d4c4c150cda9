using System.Buffers;
using System.IO.Pipelines;
using System.Runtime.CompilerServices;

namespace Wirestack.Sockets;

/// <summary>
/// The input of <see cref="TcpConnection.AsDuplexPipe"/>: a <see cref="PipeReader"/> straight over the connection's
/// receive ring. A read hands out the ring's queued bytes in place (one segment, or two where they wrap); advancing
/// releases the consumed bytes to the stack. Nothing is copied and nothing is allocated per read.
/// </summary>
/// <remarks>
/// Waiting follows the connection's read path: arm the receive signal, look at the ring once more, then wait; the
/// stack rings the signal when it delivers bytes, the end of the stream, or an error. When a read's bytes were all
/// examined and not all consumed, the next read waits until more than the unconsumed bytes are there.
/// </remarks>
internal sealed class TcpConnectionPipeReader : PipeReader
{
    private readonly TcpConnection _connection;
    private readonly TcpConnectionPipe _pipe;
    private readonly SpscByteRing _ring;
    private readonly RingSequenceSegment _first = new();
    private readonly RingSequenceSegment _second = new();
    private int _firstLength;
    private int _length;
    private bool _reading;
    private bool _lastWasFinal;
    private int _waitAbove;
    private bool _drained;
    private bool _completed;
    private int _cancelPending;

    public TcpConnectionPipeReader(TcpConnection connection, TcpConnectionPipe pipe)
    {
        _connection = connection;
        _pipe = pipe;
        _ring = connection.Core.Receive;
    }

    /// <inheritdoc />
    public override ValueTask<ReadResult> ReadAsync(CancellationToken cancellationToken = default)
    {
        ThrowIfCompleted();
        if (cancellationToken.IsCancellationRequested) return ValueTask.FromCanceled<ReadResult>(cancellationToken);
        if (TryReadNow(out var result)) return new ValueTask<ReadResult>(result);
        return ReadWhenReadyAsync(cancellationToken);
    }

    /// <inheritdoc />
    public override bool TryRead(out ReadResult result)
    {
        ThrowIfCompleted();
        return TryReadNow(out result);
    }

    /// <inheritdoc />
    public override void AdvanceTo(SequencePosition consumed) => AdvanceTo(consumed, consumed);

    /// <inheritdoc />
    public override void AdvanceTo(SequencePosition consumed, SequencePosition examined)
    {
        ThrowIfCompleted();
        if (!_reading) throw new InvalidOperationException("AdvanceTo needs a read to advance in: call ReadAsync (or TryRead) first, and advance once per read.");
        int consumedCount = Offset(consumed, nameof(consumed));
        int examinedCount = Offset(examined, nameof(examined));
        if (examinedCount < consumedCount)
            throw new ArgumentOutOfRangeException(nameof(examined), "The examined position must not come before the consumed position.");
        _reading = false;
        _ring.Consume(consumedCount);
        _waitAbove = examinedCount == _length ? _length - consumedCount : 0;
        if (_lastWasFinal && consumedCount == _length)
        {
            // Everything the peer sent is read: this direction is over and closing the connection loses nothing.
            _drained = true;
            _pipe.OnInputDone();
        }
    }

    /// <inheritdoc />
    public override void CancelPendingRead()
    {
        Interlocked.Exchange(ref _cancelPending, 1);
        _connection.Core.ReceiveData.Ring();
    }

    /// <inheritdoc />
    public override void Complete(Exception? exception = null)
    {
        if (_completed) return;
        _completed = true;
        _reading = false;
        _pipe.OnInputDone();
    }

    // True with the result when the read completes now; false when it must wait.
    private bool TryReadNow(out ReadResult result)
    {
        if (Interlocked.Exchange(ref _cancelPending, 0) != 0)
        {
            result = new ReadResult(_drained ? Empty() : View(), isCanceled: true, isCompleted: false);
            return true;
        }
        if (_drained)
        {
            result = new ReadResult(Empty(), isCanceled: false, isCompleted: true);
            return true;
        }
        var core = _connection.Core;
        if (core.Released) throw TcpConnection.ClosedException();
        // Flags before the ring: the stack publishes the last bytes before it sets end of stream or an error.
        bool endOfStream = core.EndOfStream;
        var error = core.Error;
        if (_ring.Count > _waitAbove || endOfStream)
        {
            _lastWasFinal = endOfStream;
            result = new ReadResult(View(), isCanceled: false, isCompleted: endOfStream);
            return true;
        }
        if (error != 0) throw _connection.ErrorException(error);
        result = default;
        return false;
    }

    private bool ReadReady()
    {
        var core = _connection.Core;
        return Volatile.Read(ref _cancelPending) != 0 || _ring.Count > _waitAbove || core.EndOfStream || core.Error != 0 || core.Released;
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<ReadResult> ReadWhenReadyAsync(CancellationToken cancellationToken)
    {
        var signal = _connection.Core.ReceiveData;
        while (true)
        {
            if (!signal.TryArm()) throw TcpConnection.SecondWaiter("read");
            if (ReadReady())
            {
                if (!signal.TryDisarm()) await signal.WaitAsync(CancellationToken.None).ConfigureAwait(false);
            }
            else
            {
                await signal.WaitAsync(cancellationToken).ConfigureAwait(false);
            }
            if (TryReadNow(out var result)) return result;
        }
    }

    // The ring's queued bytes as a sequence over the two reusable segments; remembers them for AdvanceTo.
    private ReadOnlySequence<byte> View()
    {
        var first = _ring.PeekAll(out var wrapped);
        _firstLength = first.Length;
        _length = first.Length + wrapped.Length;
        _reading = true;
        if (wrapped.IsEmpty)
        {
            _first.Set(first, 0, null);
            return new ReadOnlySequence<byte>(_first, 0, _first, first.Length);
        }
        _second.Set(wrapped, first.Length, null);
        _first.Set(first, 0, _second);
        return new ReadOnlySequence<byte>(_first, 0, _second, wrapped.Length);
    }

    // Nothing more will come (the end of the stream was read): an empty buffer, still to be advanced past.
    private ReadOnlySequence<byte> Empty()
    {
        _firstLength = _length = 0;
        _reading = true;
        return default;
    }

    // How many bytes of the last read lie before the position.
    private int Offset(SequencePosition position, string name)
    {
        object? segment = position.GetObject();
        int index = position.GetInteger();
        if (segment == _first && index <= _firstLength) return index;
        if (segment == _second && _length > _firstLength && index <= _length - _firstLength) return _firstLength + index;
        if (segment is null && index == 0) return 0; // the start of an empty (default) buffer
        throw new ArgumentOutOfRangeException(name, "The position does not belong to the buffer of this reader's last read.");
    }

    private void ThrowIfCompleted()
    {
        if (_completed) throw new InvalidOperationException("Reading is not allowed after the reader was completed.");
    }
}
