using System.IO.Pipelines;
using System.Runtime.CompilerServices;
using Microsoft.AspNetCore.Connections;
using Wirestack.Sockets;

namespace Wirestack.AspNetCore;

/// <summary>
/// A pass-through <see cref="PipeReader"/> over the connection's input pipe. A reset arrives at Kestrel as a
/// <see cref="ConnectionResetException"/> and any other end of the connection as a <see cref="ConnectionAbortedException"/>
/// (the reason given to <see cref="ConnectionContext.Abort(ConnectionAbortedException)"/> when it was aborted here),
/// which Kestrel logs at debug level as a peer going away instead of a warning about an unexpected exception.
/// </summary>
internal sealed class WirestackTransportPipeReader(PipeReader inner, WirestackConnectionContext context) : PipeReader
{
    public override void AdvanceTo(SequencePosition consumed) => inner.AdvanceTo(consumed);

    public override void AdvanceTo(SequencePosition consumed, SequencePosition examined) => inner.AdvanceTo(consumed, examined);

    public override void CancelPendingRead() => inner.CancelPendingRead();

    public override void Complete(Exception? exception = null) => inner.Complete(exception);

    public override ValueTask CompleteAsync(Exception? exception = null) => inner.CompleteAsync(exception);

    public override ValueTask<ReadResult> ReadAsync(CancellationToken cancellationToken = default)
    {
        ValueTask<ReadResult> read;
        try
        {
            read = inner.ReadAsync(cancellationToken);
        }
        catch (WirestackException e)
        {
            throw Translate(e);
        }
        // The common case completes synchronously or waits without failing: no state machine beyond the pipe's own.
        return read.IsCompletedSuccessfully ? read : AwaitAsync(read);
    }

    public override bool TryRead(out ReadResult result)
    {
        try
        {
            return inner.TryRead(out result);
        }
        catch (WirestackException e)
        {
            throw Translate(e);
        }
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<ReadResult> AwaitAsync(ValueTask<ReadResult> read)
    {
        try
        {
            return await read.ConfigureAwait(false);
        }
        catch (WirestackException e)
        {
            throw Translate(e);
        }
    }

    private Exception Translate(WirestackException e) => context.AbortReason is { } reason
        ? reason
        : e.ErrorCode == WirestackErrorCode.Reset
            ? new ConnectionResetException(e.Message, e)
            : new ConnectionAbortedException(e.Message, e);
}
