using System.IO.Pipelines;
using System.Runtime.CompilerServices;
using Microsoft.AspNetCore.Connections;
using Wirestack.Sockets;

namespace Wirestack.AspNetCore;

/// <summary>
/// A pass-through <see cref="PipeWriter"/> over the connection's output pipe. When the connection fails under a write
/// (the peer reset it, it timed out, it was aborted here) the flush fails with a <see cref="ConnectionAbortedException"/>,
/// which Kestrel treats as the connection going away (it aborts the request quietly) rather than as an unexpected error:
/// <see cref="BaseConnectionContext.ConnectionClosed"/> fires before the exception leaves the flush.
/// </summary>
internal sealed class WirestackTransportPipeWriter(PipeWriter inner, WirestackConnectionContext context) : PipeWriter
{
    public override bool CanGetUnflushedBytes => inner.CanGetUnflushedBytes;

    public override long UnflushedBytes => inner.UnflushedBytes;

    public override void Advance(int bytes) => inner.Advance(bytes);

    public override void CancelPendingFlush() => inner.CancelPendingFlush();

    public override void Complete(Exception? exception = null) => inner.Complete(exception);

    public override ValueTask CompleteAsync(Exception? exception = null) => inner.CompleteAsync(exception);

    public override Memory<byte> GetMemory(int sizeHint = 0) => inner.GetMemory(sizeHint);

    public override Span<byte> GetSpan(int sizeHint = 0) => inner.GetSpan(sizeHint);

    public override ValueTask<FlushResult> FlushAsync(CancellationToken cancellationToken = default)
    {
        ValueTask<FlushResult> flush;
        try
        {
            flush = inner.FlushAsync(cancellationToken);
        }
        catch (WirestackException e)
        {
            return Fail(e);
        }
        return flush.IsCompletedSuccessfully ? flush : AwaitAsync(flush);
    }

    public override ValueTask<FlushResult> WriteAsync(ReadOnlyMemory<byte> source, CancellationToken cancellationToken = default)
    {
        ValueTask<FlushResult> write;
        try
        {
            write = inner.WriteAsync(source, cancellationToken);
        }
        catch (WirestackException e)
        {
            return Fail(e);
        }
        return write.IsCompletedSuccessfully ? write : AwaitAsync(write);
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<FlushResult> AwaitAsync(ValueTask<FlushResult> flush)
    {
        try
        {
            return await flush.ConfigureAwait(false);
        }
        catch (WirestackException e)
        {
            // First ConnectionClosed, so that Kestrel treats the exception as the connection going away, not as a bug.
            await context.FireConnectionClosed().ConfigureAwait(false);
            throw Translate(e);
        }
    }

    // A call that found the connection failed: throws once ConnectionClosed's callbacks have run. Kestrel calls under
    // its output lock, which its callback needs: when another thread is running them, this returns (releasing the
    // lock) and faults after them, instead of waiting here.
    private ValueTask<FlushResult> Fail(WirestackException e)
    {
        var fired = context.FireConnectionClosed();
        if (fired.IsCompleted) throw Translate(e);
        return FailWhenFiredAsync(fired, e);
    }

    private async ValueTask<FlushResult> FailWhenFiredAsync(Task fired, WirestackException e)
    {
        await fired.ConfigureAwait(false);
        throw Translate(e);
    }

    private Exception Translate(WirestackException e) => context.AbortReason ?? new ConnectionAbortedException(e.Message, e);
}
