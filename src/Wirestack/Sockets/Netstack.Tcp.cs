using Wirestack.Iface;
using Wirestack.Tcp;
using Wirestack.Wire;

namespace Wirestack.Sockets;

// TCP on the stack thread: listeners, connects, and the pump between each connection's application rings and the
// interface's connection. Only connections that changed are serviced: those on the ready list (the application
// rang them) and those the interface reports as touched by a segment or a timer.
public sealed partial class Netstack
{
    private TcpConnectionCore?[] _tcpConnections = null!;
    private readonly List<TcpListener> _tcpListeners = [];
    private TcpConnectionCore? _readyHead;
    private int _tcpConnectionCount;
    private ushort _nextListenPort;
    private bool _tcpNoDelayDefault;

    /// <summary>
    /// Opens a connection to <paramref name="remoteEndPoint"/> and waits until it is established.
    /// </summary>
    /// <param name="remoteEndPoint">A unicast address that is not the stack's own, and a port other than 0.</param>
    /// <param name="cancellationToken">Gives up (the attempt is reset) with <see cref="OperationCanceledException"/>.</param>
    /// <exception cref="WirestackException">
    /// <see cref="WirestackErrorCode.Refused"/> when the peer answered with a reset; <see cref="WirestackErrorCode.TimedOut"/>
    /// when the SYN went unanswered for <see cref="TcpOptions.UserTimeout"/>; <see cref="WirestackErrorCode.Unreachable"/>
    /// when there is no route or every connection slot is taken; <see cref="WirestackErrorCode.Closed"/>.
    /// </exception>
    public async ValueTask<TcpConnection> ConnectAsync(IpEndpoint remoteEndPoint, CancellationToken cancellationToken = default)
    {
        var connection = StartConnect(remoteEndPoint);
        try
        {
            await connection.Core.Connecting!.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            connection.Abort();
            throw;
        }
        return connection;
    }

    /// <summary>Opens a connection, blocking up to <paramref name="timeout"/> until it is established.</summary>
    /// <param name="remoteEndPoint">A unicast address that is not the stack's own, and a port other than 0.</param>
    /// <param name="timeout">How long to wait; the attempt is reset when it passes.</param>
    /// <exception cref="WirestackException">As <see cref="ConnectAsync(IpEndpoint, CancellationToken)"/>, and <see cref="WirestackErrorCode.TimedOut"/> when <paramref name="timeout"/> passes.</exception>
    public TcpConnection Connect(IpEndpoint remoteEndPoint, TimeSpan timeout)
    {
        var connection = StartConnect(remoteEndPoint);
        try
        {
            if (!connection.Core.Connecting!.Task.Wait(timeout))
                throw new WirestackException(WirestackErrorCode.TimedOut, $"Connecting to {remoteEndPoint} did not complete within {timeout}.");
        }
        catch (AggregateException e) when (e.InnerExceptions.Count == 1)
        {
            connection.Abort();
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(e.InnerExceptions[0]);
        }
        catch
        {
            connection.Abort();
            throw;
        }
        return connection;
    }

    /// <summary>Opens a connection, waiting up to <paramref name="timeout"/>; a <see cref="WirestackErrorCode.TimedOut"/> exception when it passes.</summary>
    /// <inheritdoc cref="ConnectAsync(IpEndpoint, CancellationToken)"/>
    /// <param name="remoteEndPoint">The peer.</param>
    /// <param name="timeout">How long to wait.</param>
    /// <param name="cancellationToken">Gives up with <see cref="OperationCanceledException"/>.</param>
    public async ValueTask<TcpConnection> ConnectAsync(IpEndpoint remoteEndPoint, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        using var timer = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timer.CancelAfter(timeout);
        try
        {
            return await ConnectAsync(remoteEndPoint, timer.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new WirestackException(WirestackErrorCode.TimedOut, $"Connecting to {remoteEndPoint} did not complete within {timeout}.");
        }
    }

    /// <summary>Listens for connections on <paramref name="localEndPoint"/>.</summary>
    /// <param name="localEndPoint">One of the stack's addresses, or 0.0.0.0 (IPv4) or :: (both families); port 0 picks a free one.</param>
    /// <param name="backlog">How many connections may wait, half-open or not yet accepted. Default 128.</param>
    /// <exception cref="WirestackException">
    /// <see cref="WirestackErrorCode.AddressInUse"/>, <see cref="WirestackErrorCode.AddressNotAvailable"/>,
    /// <see cref="WirestackErrorCode.InvalidArgument"/> (backlog below 1), <see cref="WirestackErrorCode.Closed"/>.
    /// </exception>
    public TcpListener ListenTcp(IpEndpoint localEndPoint, int backlog = 128)
    {
        if (backlog < 1) throw new WirestackException(WirestackErrorCode.InvalidArgument, $"A listener's backlog is {backlog}; it must be at least 1.");
        ThrowIfDisposed();
        var listener = new TcpListener(this, backlog);
        var command = new ListenTcpCommand(listener, localEndPoint);
        Post(command);
        Wait(command.Completion.Task, $"Listening on {localEndPoint}");
        return listener;
    }

    /// <summary>TCP connections the runtime serves (connecting, open, or closing with data still to send).</summary>
    internal int TcpConnectionCount => Volatile.Read(ref _tcpConnectionCount);

    private void InitializeTcp(InterfaceOptions options)
    {
        _tcpConnections = new TcpConnectionCore?[options.Tcp.ConnectionCapacity];
        _tcpNoDelayDefault = !options.Tcp.Nagle;
    }

    private TcpConnection StartConnect(IpEndpoint remoteEndPoint)
    {
        if (remoteEndPoint.Port == 0 || remoteEndPoint.Address.IsUnspecified || remoteEndPoint.Address.IsMulticast)
            throw new WirestackException(WirestackErrorCode.InvalidArgument, $"Cannot connect to {remoteEndPoint}: give a unicast address and a port other than 0.");
        ThrowIfDisposed();
        var core = new TcpConnectionCore(this, _options.TcpSocketBufferLength, _tcpNoDelayDefault)
        {
            RemoteEndPoint = remoteEndPoint,
            Connecting = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously),
        };
        var connection = new TcpConnection(core);
        Post(new ConnectTcpCommand(core));
        return connection;
    }

    /// <summary>Puts a connection on the ready list and wakes the stack. Any thread; no allocation.</summary>
    internal void EnqueueReady(TcpConnectionCore core)
    {
        if (IsDisposed) return; // nothing services the list any more
        if (Interlocked.Exchange(ref core.Queued, 1) != 0) return;
        TcpConnectionCore? head;
        do
        {
            head = Volatile.Read(ref _readyHead);
            core.NextReady = head;
        }
        while (Interlocked.CompareExchange(ref _readyHead, core, head) != head);
        RingDoorbell();
    }

    // ---- stack thread ----

    internal void ExecuteConnect(TcpConnectionCore core, Instant now)
    {
        if (core.Released)
        {
            core.Connecting!.TrySetException(new WirestackException(WirestackErrorCode.Closed, "The connection was closed before it was established."));
            return;
        }
        if (!TryConnectSteered(core.RemoteEndPoint, now, out var handle))
        {
            core.Connecting!.TrySetException(new WirestackException(WirestackErrorCode.Unreachable,
                $"Cannot connect to {core.RemoteEndPoint}: no route, it is one of our own addresses, or every connection slot (TcpOptions.ConnectionCapacity) is taken."));
            return;
        }
        Register(core, handle);
        ServiceTcp(core, now);
    }

    internal void ExecuteListen(TcpListener listener, IpEndpoint local)
    {
        if (!IsLocalAddress(local.Address))
            throw new WirestackException(WirestackErrorCode.AddressNotAvailable, $"Cannot listen on {local}: {local.Address} is not one of the stack's addresses (use 0.0.0.0 or :: for all of them).");
        int backlog = listener.Backlog;
        if (local.Port != 0)
        {
            if (!_interface.TryListenTcp(local, backlog, out var handle))
                throw new WirestackException(WirestackErrorCode.AddressInUse, $"Cannot listen on {local}: the port has a listener already, or the listener table (TcpOptions.ListenerCapacity) is full.");
            listener.OnListening(handle, local);
        }
        else
        {
            // Listeners are few: walk the ephemeral range from where the last search stopped.
            for (int tried = 0; ; tried++)
            {
                if (tried == 16384)
                    throw new WirestackException(WirestackErrorCode.AddressInUse, $"Cannot listen on {local}: no ephemeral port is free, or the listener table is full.");
                ushort port = (ushort)(49152 + _nextListenPort++ % 16384);
                var endPoint = new IpEndpoint(local.Address, port);
                if (!_interface.TryListenTcp(endPoint, backlog, out var handle)) continue;
                listener.OnListening(handle, endPoint);
                break;
            }
        }
        _tcpListeners.Add(listener);
    }

    internal void ExecuteCloseListener(TcpListener listener, Instant now)
    {
        if (!_tcpListeners.Remove(listener)) return;
        _interface.CloseTcpListener(listener.Handle, now);
        listener.OnStopped();
    }

    private void Register(TcpConnectionCore core, TcpHandle handle)
    {
        core.Handle = handle;
        core.Registered = true;
        var info = _interface.GetTcpInfo(handle);
        core.LocalEndPoint = info.LocalEndpoint;
        core.RemoteEndPoint = info.RemoteEndpoint;
        _tcpConnections[handle.Index] = core;
        Interlocked.Increment(ref _tcpConnectionCount);
    }

    private void Unregister(TcpConnectionCore core)
    {
        if (!core.Registered) return;
        core.Registered = false;
        _tcpConnections[core.Handle.Index] = null;
        Interlocked.Decrement(ref _tcpConnectionCount);
        core.WakeAll();
    }

    // Runs the TCP half of an iteration after Interface.Poll; true when it did anything that may need another poll.
    private bool RunTcp(Instant now)
    {
        bool worked = false;
        var ready = Interlocked.Exchange(ref _readyHead, null);
        while (ready is not null)
        {
            var next = ready.NextReady;
            ready.NextReady = null;
            Volatile.Write(ref ready.Queued, 0);
            if (ready.Registered) ServiceTcp(ready, now);
            ready = next;
            worked = true;
        }
        while (_interface.TryTakeTcpActivity(out var handle))
        {
            var core = _tcpConnections[handle.Index];
            if (core is not null && core.Handle == handle) ServiceTcp(core, now);
            worked = true;
        }
        for (int i = 0; i < _tcpListeners.Count; i++) worked |= AcceptWaiting(_tcpListeners[i], now);
        return worked;
    }

    private bool AcceptWaiting(TcpListener listener, Instant now)
    {
        bool accepted = false;
        while (listener.WaitingCount < listener.Backlog && _interface.TryAcceptTcp(listener.Handle, out var handle))
        {
            var core = new TcpConnectionCore(this, _options.TcpSocketBufferLength, _tcpNoDelayDefault);
            Register(core, handle);
            ServiceTcp(core, now);
            listener.OnAccepted(new TcpConnection(core));
            accepted = true;
        }
        // What waits in the listener's channel still counts against its backlog on the interface (the count only
        // falls between here and the next iteration, when AcceptAsync rings the doorbell).
        _interface.SetTcpListenerHeldOutside(listener.Handle, listener.WaitingCount);
        return accepted;
    }

    // The pump: application send ring into the connection, the connection into the application receive ring, then
    // state (connect completion, end of stream, errors, the application's shutdown, close and abort).
    private void ServiceTcp(TcpConnectionCore core, Instant now)
    {
        var handle = core.Handle;
        int flags = core.Flags;
        if ((flags & TcpConnectionCore.AbortRequestedFlag) != 0)
        {
            _interface.AbortTcp(handle, now);
            core.Connecting?.TrySetException(new WirestackException(WirestackErrorCode.Closed, "The connection attempt was abandoned."));
            Unregister(core);
            return;
        }
        var info = _interface.GetTcpInfo(handle);
        if (core.Connecting is { Task.IsCompleted: false } connecting)
        {
            if (info.State is TcpState.SynSent or TcpState.SynReceived)
            {
                if ((flags & TcpConnectionCore.CloseRequestedFlag) == 0) return;
            }
            else if (info.State == TcpState.Closed)
            {
                var code = TcpConnectionCore.MapError(info.Error);
                connecting.TrySetException(new WirestackException(code, code == WirestackErrorCode.Refused
                    ? $"{core.RemoteEndPoint} refused the connection (it answered with a reset)."
                    : $"Connecting to {core.RemoteEndPoint} failed: {info.Error}."));
                _interface.CloseTcp(handle, now);
                Unregister(core);
                return;
            }
            else
            {
                connecting.TrySetResult();
            }
        }
        bool wake = false;
        // Application to connection.
        if (core.Error == 0)
        {
            // Before the bytes below: the setting must hold for the first write after it was made.
            bool noDelay = core.NoDelay;
            if (noDelay != core.NoDelayApplied)
            {
                _interface.SetTcpNoDelay(handle, noDelay, now);
                core.NoDelayApplied = noDelay;
            }
            var send = core.Send;
            int room = info.WritableBytes;
            bool held = false;
            while (room > 0)
            {
                var span = send.GetReadSpan();
                if (span.IsEmpty)
                {
                    if (send.ArmReader()) break;
                    continue;
                }
                // The ring's bytes past its wrap come in the next span: send both halves as one write.
                int length = Math.Min(span.Length, room);
                bool more = send.Count > length && room > length;
                int written = _interface.WriteTcp(handle, span[..length], more, now);
                held = more;
                send.Consume(written);
                room -= written;
                wake |= written > 0;
                if (written == 0) break;
            }
            if (held) _interface.WriteTcp(handle, default, more: false, now);
            if (room == 0 && send.Count == 0) send.ArmReader();
            if ((flags & (TcpConnectionCore.ShutdownRequestedFlag | TcpConnectionCore.CloseRequestedFlag)) != 0 && !core.WriteShutDone && send.Count == 0 &&
                info.State is TcpState.Established or TcpState.CloseWait or TcpState.SynReceived)
            {
                _interface.ShutdownTcpWrite(handle, now);
                core.WriteShutDone = true;
            }
            if (wake) core.SendSpace.Ring();
        }
        // Connection to application.
        bool delivered = false;
        var receive = core.Receive;
        while (true)
        {
            var span = receive.GetWriteSpan();
            if (span.IsEmpty)
            {
                // Full: the reader rings us after its next read.
                if (_interface.GetTcpInfo(handle).ReadableBytes == 0 || receive.ArmWriter()) break;
                continue;
            }
            int read = _interface.ReadTcp(handle, span, now);
            if (read == 0) break;
            receive.CommitWrite(read);
            delivered = true;
        }
        info = _interface.GetTcpInfo(handle);
        if (info.ReadCompleted && core.SetFlag(TcpConnectionCore.EndOfStreamFlag))
        {
            delivered = true;
            core.NotifyReceiveEnded();
        }
        if (info.State == TcpState.Closed && info.Error != TcpError.None && core.Error == 0)
        {
            core.SetError(TcpConnectionCore.MapError(info.Error));
            core.Send.Clear();
            core.WakeAll();
        }
        if (delivered) core.ReceiveData.Ring();
        // The application let go: close once what it wrote has gone into the connection.
        if ((flags & TcpConnectionCore.CloseRequestedFlag) != 0 && (core.Send.Count == 0 || core.Error != 0 || info.State == TcpState.Closed))
        {
            core.Connecting?.TrySetException(new WirestackException(WirestackErrorCode.Closed, "The connection was closed before it was established."));
            _interface.CloseTcp(handle, now);
            Unregister(core);
        }
    }

    private void ShutdownTcp(WirestackException closed)
    {
        for (int i = 0; i < _tcpConnections.Length; i++)
        {
            var core = _tcpConnections[i];
            if (core is null) continue;
            core.SetError(WirestackErrorCode.Closed);
            core.Connecting?.TrySetException(closed);
            try
            {
                _interface.AbortTcp(core.Handle, Instant.Now(_time));
            }
            catch (ObjectDisposedException)
            {
                // The device went first: the peer learns of it by its own timeout.
            }
            Unregister(core);
        }
        for (int i = 0; i < _tcpListeners.Count; i++) _tcpListeners[i].OnStopped();
        _tcpListeners.Clear();
    }
}
