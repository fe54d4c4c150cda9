using System.Threading.Tasks.Sources;

namespace Wirestack.Sockets;

/// <summary>
/// A reusable one-waiter signal, awaited without allocating: an application side arms it, looks at its ring once
/// more, then awaits (or blocks); the stack thread rings it when the ring changes. It is the completion behind
/// every pending socket operation.
/// </summary>
/// <remarks>
/// Completion never runs the waiter's continuation on the ringing thread (the stack thread must not run application
/// code): the signal queues itself to the thread pool as its own preallocated work item, whose
/// <see cref="Execute"/> completes the <see cref="ManualResetValueTaskSourceCore{TResult}"/>. Arming, ringing,
/// cancelling and disarming race through one state word; exactly one of them wins an armed wait.
/// </remarks>
internal sealed class AwaitableSignal : IValueTaskSource, IThreadPoolWorkItem, IDoorbell
{
    private const int Idle = 0;
    private const int ArmedAsync = 1;
    private const int ArmedBlocking = 2;
    private const int Fired = 3;

    private ManualResetValueTaskSourceCore<bool> _core;
    private readonly ManualResetEventSlim _event = new(false);
    private CancellationTokenRegistration _registration;
    private CancellationToken _canceledBy;
    private int _state;

    /// <summary>Arms for <see cref="WaitAsync"/>. False when another wait is armed (one waiter at a time).</summary>
    public bool TryArm() => Interlocked.CompareExchange(ref _state, ArmedAsync, Idle) == Idle;

    /// <summary>Arms for <see cref="WaitBlocking"/>. False when another wait is armed.</summary>
    public bool TryArmBlocking()
    {
        if (Interlocked.CompareExchange(ref _state, ArmedBlocking, Idle) != Idle) return false;
        return true;
    }

    /// <summary>
    /// Takes back an arm that has not fired: the waiter found its condition on the second look. False when a ring or
    /// a cancellation got there first; the wait must then be completed as usual (it finishes at once).
    /// </summary>
    public bool TryDisarm() =>
        Interlocked.CompareExchange(ref _state, Idle, ArmedAsync) == ArmedAsync ||
        Interlocked.CompareExchange(ref _state, Idle, ArmedBlocking) == ArmedBlocking;

    /// <summary>Waits for the armed signal; <paramref name="cancellationToken"/> ends the wait with <see cref="OperationCanceledException"/>.</summary>
    public ValueTask WaitAsync(CancellationToken cancellationToken)
    {
        if (cancellationToken.CanBeCanceled)
            _registration = cancellationToken.UnsafeRegister(static (state, token) => ((AwaitableSignal)state!).Cancel(token), this);
        return new ValueTask(this, _core.Version);
    }

    /// <summary>Blocks until the armed signal rings or <paramref name="timeout"/> passes; false on timeout (and then disarmed).</summary>
    public bool WaitBlocking(TimeSpan timeout)
    {
        if (!_event.Wait(timeout))
        {
            if (TryDisarm()) return false;
            // Rung just as the wait gave up: the set is on its way.
            _event.Wait();
        }
        _event.Reset();
        Volatile.Write(ref _state, Idle);
        return true;
    }

    /// <summary>Wakes the armed waiter, if any. Safe from any thread; never runs the waiter's code here.</summary>
    public void Ring()
    {
        // The ringer has just published an index with a plain release store; the fence keeps this load of the state
        // after it, pairing with the waiter's arm (a full fence) before it looks at the index again.
        Interlocked.MemoryBarrier();
        int state = Volatile.Read(ref _state);
        if (state == ArmedAsync && Interlocked.CompareExchange(ref _state, Fired, ArmedAsync) == ArmedAsync)
            ThreadPool.UnsafeQueueUserWorkItem(this, preferLocal: false);
        else if (state == ArmedBlocking && Interlocked.CompareExchange(ref _state, Fired, ArmedBlocking) == ArmedBlocking)
            _event.Set();
    }

    private void Cancel(CancellationToken token)
    {
        if (Interlocked.CompareExchange(ref _state, Fired, ArmedAsync) != ArmedAsync) return;
        _canceledBy = token;
        ThreadPool.UnsafeQueueUserWorkItem(this, preferLocal: false);
    }

    /// <summary>Completes the fired wait on a thread-pool thread.</summary>
    public void Execute()
    {
        if (_canceledBy.IsCancellationRequested) _core.SetException(new OperationCanceledException(_canceledBy));
        else _core.SetResult(true);
    }

    /// <inheritdoc />
    public ValueTaskSourceStatus GetStatus(short token) => _core.GetStatus(token);

    /// <inheritdoc />
    public void OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _core.OnCompleted(continuation, state, token, flags);

    /// <inheritdoc />
    public void GetResult(short token)
    {
        try
        {
            _core.GetResult(token);
        }
        finally
        {
            // This runs after the cancellation callback queued us, so disposing does not wait on ourselves.
            _registration.Dispose();
            _registration = default;
            _canceledBy = default;
            _core.Reset();
            Volatile.Write(ref _state, Idle);
        }
    }
}
