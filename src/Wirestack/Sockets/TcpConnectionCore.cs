using Wirestack.Tcp;
using Wirestack.Wire;

namespace Wirestack.Sockets;

/// <summary>
/// What the stack thread keeps of a TCP connection: its two application rings, the signals the application waits
/// on, and the flags both sides read. It holds no reference to the public <see cref="TcpConnection"/>, so an
/// application that forgets a connection lets that object be collected; its finalizer then closes this core.
/// </summary>
/// <remarks>
/// The application writes <see cref="Send"/> and reads <see cref="Receive"/>; the stack thread is the other end of
/// each. The stack thread arms <see cref="Send"/>'s reader when it drained it and <see cref="Receive"/>'s writer when
/// it found it full; the application side then rings this core (<see cref="IDoorbell"/>), which puts it on the
/// stack's ready list. Segments and timers reach the stack through the interface's own activity list.
/// </remarks>
internal sealed class TcpConnectionCore : IDoorbell
{
    private int _error;
    private int _flags;
    private int _noDelay;
    private TaskCompletionSource? _receiveEndWatcher;

    public TcpConnectionCore(Netstack stack, int ringLength, bool noDelay)
    {
        Stack = stack;
        _noDelay = noDelay ? 1 : 0;
        NoDelayApplied = noDelay;
        Receive = new SpscByteRing(ringLength, dataDoorbell: null, spaceDoorbell: this);
        Send = new SpscByteRing(ringLength, dataDoorbell: this, spaceDoorbell: null);
    }

    public Netstack Stack { get; }

    /// <summary>Stack thread to application.</summary>
    public SpscByteRing Receive { get; }

    /// <summary>Application to stack thread.</summary>
    public SpscByteRing Send { get; }

    public AwaitableSignal ReceiveData { get; } = new();

    public AwaitableSignal SendSpace { get; } = new();

    /// <summary>Set by the stack thread once the connection is registered (connect or accept).</summary>
    public TcpHandle Handle { get; set; }

    public IpEndpoint LocalEndPoint { get; set; }

    public IpEndpoint RemoteEndPoint { get; set; }

    /// <summary>Completed by the stack thread when a connect succeeds or fails; null for accepted connections.</summary>
    public TaskCompletionSource? Connecting { get; set; }

    // ---- the ready list (owned by Netstack) ----

    public TcpConnectionCore? NextReady;

    public int Queued;

    // ---- stack thread only ----

    public bool Registered { get; set; }

    public bool WriteShutDone { get; set; }

    /// <summary>The Nagle setting the connection has now; the stack thread compares it with <see cref="NoDelay"/>.</summary>
    public bool NoDelayApplied { get; set; }

    // ---- set by the application, applied by the stack thread ----

    /// <summary>Whether the application asked for Nagle's rule off (TCP_NODELAY).</summary>
    public bool NoDelay
    {
        get => Volatile.Read(ref _noDelay) != 0;
        set => Volatile.Write(ref _noDelay, value ? 1 : 0);
    }

    // ---- flags both sides read ----

    public const int EndOfStreamFlag = 1;
    public const int ShutdownRequestedFlag = 2;
    public const int CloseRequestedFlag = 4;
    public const int AbortRequestedFlag = 8;
    public const int ReleasedFlag = 16;

    /// <summary>The peer closed its side and every byte it sent is in <see cref="Receive"/>.</summary>
    public bool EndOfStream => (Volatile.Read(ref _flags) & EndOfStreamFlag) != 0;

    /// <summary>The application closed or aborted its side: every operation fails with Closed.</summary>
    public bool Released => (Volatile.Read(ref _flags) & ReleasedFlag) != 0;

    public int Flags => Volatile.Read(ref _flags);

    /// <summary>Sets a flag; true when this call set it.</summary>
    public bool SetFlag(int flag) => (Interlocked.Or(ref _flags, flag) & flag) == 0;

    /// <summary>Why the connection failed (Reset, TimedOut, Refused), or 0.</summary>
    public WirestackErrorCode Error => (WirestackErrorCode)Volatile.Read(ref _error);

    public void SetError(WirestackErrorCode code) => Interlocked.CompareExchange(ref _error, (int)code, 0);

    /// <summary>Wakes both application waiters (state changed).</summary>
    public void WakeAll()
    {
        ReceiveData.Ring();
        SendSpace.Ring();
        NotifyReceiveEnded();
    }

    /// <summary>
    /// Completes <paramref name="watcher"/> once nothing more can arrive: end of stream (every byte already in
    /// <see cref="Receive"/>), an error, or the application let go. At once when that is already so.
    /// </summary>
    public void WatchReceiveEnd(TaskCompletionSource watcher)
    {
        // The exchange is a full fence, as the stack's flag and error updates are: one side always sees the other.
        Interlocked.Exchange(ref _receiveEndWatcher, watcher);
        if (ReceiveEnded) watcher.TrySetResult();
    }

    /// <summary>Completes the <see cref="WatchReceiveEnd"/> watcher when the receive direction is over.</summary>
    public void NotifyReceiveEnded()
    {
        if (ReceiveEnded) Volatile.Read(ref _receiveEndWatcher)?.TrySetResult();
    }

    private bool ReceiveEnded => (Flags & (EndOfStreamFlag | ReleasedFlag)) != 0 || Error != 0;

    /// <summary>The application side moved a ring the stack armed, or asked for a control action: service me.</summary>
    public void Ring() => Stack.EnqueueReady(this);

    /// <summary>Asks the stack to close the connection gracefully (what is written is still delivered).</summary>
    public void RequestClose(bool abort)
    {
        bool first = SetFlag(ReleasedFlag);
        SetFlag(abort ? AbortRequestedFlag : CloseRequestedFlag);
        WakeAll();
        if (first || abort) Stack.EnqueueReady(this);
    }

    public static WirestackErrorCode MapError(TcpError error) => error switch
    {
        TcpError.ConnectionRefused => WirestackErrorCode.Refused,
        TcpError.TimedOut => WirestackErrorCode.TimedOut,
        TcpError.Aborted => WirestackErrorCode.Closed,
        _ => WirestackErrorCode.Reset,
    };
}
