using System.Diagnostics;
using System.Runtime.CompilerServices;
using Wirestack.Iface;
using Wirestack.Wire;

namespace Wirestack.Sockets;

/// <summary>
/// A UDP socket on a <see cref="Netstack"/>, from <see cref="Netstack.CreateUdpSocket"/>. Every operation works
/// synchronously (with a timeout) and asynchronously (with a <see cref="CancellationToken"/>), and fails with a
/// <see cref="WirestackException"/> that says why.
/// </summary>
/// <remarks>
/// <para>
/// Datagrams cross between the application and the stack thread through two single-producer, single-consumer rings
/// (send and receive) without a lock: a send is queued when it returns, as with a kernel socket; a receive copies
/// out of the ring. When a ring is full or empty the caller waits on a reusable signal that the stack thread rings,
/// so steady-state <see cref="SendToAsync"/> and <see cref="ReceiveFromAsync"/> allocate nothing.
/// </para>
/// <para>
/// Any number of threads may send and receive; one receive and one send at a time may wait (a second waiting
/// receive, or a second send waiting for ring space, throws <see cref="InvalidOperationException"/>).
/// A binding listens on its port on every address of the stack.
/// </para>
/// </remarks>
public sealed class UdpSocket : IUdpSocket
{
    private const int Unbound = 0;
    private const int Binding = 1;
    private const int Bound = 2;
    private const int Closed = 3;

    private readonly Netstack _stack;
    private readonly Lock _sendLock = new();
    private readonly Lock _receiveLock = new();
    private int _state;
    private int _receiveStalled;
    private long _sendDropped;
    private long _receiveDropped;
    private Task<IpEndpoint>? _binding;

    internal UdpSocket(Netstack stack, int receiveRingLength, int sendRingLength)
    {
        _stack = stack;
        ReceiveRing = new SpscDatagramRing(receiveRingLength);
        SendRing = new SpscDatagramRing(sendRingLength);
    }

    /// <summary>The local address and port once bound (the port the stack picked for port 0); default before.</summary>
    public IpEndpoint LocalEndPoint { get; private set; }

    /// <summary>Whether the socket is bound (explicitly, or by its first send).</summary>
    public bool IsBound => Volatile.Read(ref _state) == Bound;

    /// <summary>Whether the socket (or its stack) is closed.</summary>
    public bool IsClosed => Volatile.Read(ref _state) == Closed;

    /// <summary>The largest datagram this socket sends or receives whole (bounded by its rings and by UDP).</summary>
    public int MaxDatagramLength => Math.Min(NetstackOptions.MaxUdpPayload, Math.Min(SendRing.MaxDatagramLength, ReceiveRing.MaxDatagramLength));

    /// <summary>Datagrams the stack could not send (no route, unresolved neighbour, full device ring), counted.</summary>
    public long SendDropped => Interlocked.Read(ref _sendDropped);

    /// <summary>Datagrams larger than the receive ring that were dropped, counted.</summary>
    public long ReceiveDropped => Interlocked.Read(ref _receiveDropped);

    internal UdpHandle Handle { get; private set; }

    internal SpscDatagramRing ReceiveRing { get; }

    internal SpscDatagramRing SendRing { get; }

    internal AwaitableSignal ReceiveData { get; } = new();

    internal AwaitableSignal SendSpace { get; } = new();

    /// <summary>
    /// Binds to <paramref name="localEndPoint"/>: an address of the stack (or 0.0.0.0 / :: for all), a multicast group
    /// (only datagrams to the group arrive, once joined) or a broadcast address of the stack's subnets, and a port (0
    /// picks an ephemeral one).
    /// </summary>
    /// <exception cref="WirestackException">
    /// <see cref="WirestackErrorCode.AddressInUse"/>, <see cref="WirestackErrorCode.AddressNotAvailable"/>,
    /// <see cref="WirestackErrorCode.NoBufferSpace"/> (every socket in use), <see cref="WirestackErrorCode.InvalidState"/>
    /// (bound already), <see cref="WirestackErrorCode.Closed"/>, or <see cref="WirestackErrorCode.TimedOut"/> after
    /// <see cref="NetstackOptions.ControlTimeout"/>.
    /// </exception>
    /// <param name="localEndPoint">The address and port.</param>
    /// <param name="flags">
    /// <see cref="UdpSocketFlags.ReuseAddress"/> to share the port with other sockets that ask for it too;
    /// <see cref="UdpSocketFlags.AllowBroadcast"/> to send to broadcast addresses.
    /// </param>
    public void Bind(IpEndpoint localEndPoint, UdpSocketFlags flags = UdpSocketFlags.None) =>
        _stack.Wait(StartBind(localEndPoint, flags), $"Binding to {localEndPoint}");

    /// <inheritdoc cref="Bind"/>
    /// <param name="localEndPoint">The address and port.</param>
    /// <param name="cancellationToken">Stops waiting for the bind (the socket may still end up bound).</param>
    public ValueTask BindAsync(IpEndpoint localEndPoint, CancellationToken cancellationToken = default) =>
        BindAsync(localEndPoint, UdpSocketFlags.None, cancellationToken);

    /// <inheritdoc cref="Bind"/>
    /// <param name="localEndPoint">The address and port.</param>
    /// <param name="flags">Binding options (see <see cref="Bind"/>).</param>
    /// <param name="cancellationToken">Stops waiting for the bind (the socket may still end up bound).</param>
    public async ValueTask BindAsync(IpEndpoint localEndPoint, UdpSocketFlags flags, CancellationToken cancellationToken = default) =>
        await StartBind(localEndPoint, flags).WaitAsync(cancellationToken).ConfigureAwait(false);

    /// <summary>
    /// Queues a datagram to <paramref name="remoteEndPoint"/> and returns once it is in the send ring (waiting for
    /// room when the ring is full). An unbound socket is first bound to an ephemeral port.
    /// </summary>
    /// <param name="data">The payload, up to <see cref="MaxDatagramLength"/> bytes.</param>
    /// <param name="remoteEndPoint">A unicast or multicast address and a port other than 0.</param>
    /// <param name="cancellationToken">Stops waiting for ring space with <see cref="OperationCanceledException"/>; the datagram is then not sent.</param>
    /// <returns>The bytes queued (all of <paramref name="data"/>).</returns>
    /// <exception cref="WirestackException">
    /// <see cref="WirestackErrorCode.MessageTooLong"/>, <see cref="WirestackErrorCode.InvalidArgument"/> (port 0, unspecified
    /// address), <see cref="WirestackErrorCode.Closed"/>.
    /// </exception>
    public ValueTask<int> SendToAsync(ReadOnlyMemory<byte> data, IpEndpoint remoteEndPoint, CancellationToken cancellationToken = default)
    {
        ValidateSend(data.Length, remoteEndPoint);
        if (cancellationToken.IsCancellationRequested) return ValueTask.FromCanceled<int>(cancellationToken);
        int state = Volatile.Read(ref _state);
        if (state == Closed) throw ClosedSocketException();
        if (state != Bound) return SendUnboundAsync(data, remoteEndPoint, cancellationToken);
        if (TryEnqueueSend(data.Span, remoteEndPoint)) return new ValueTask<int>(data.Length);
        return SendWhenRoomAsync(data, remoteEndPoint, cancellationToken);
    }

    /// <summary>Sends a datagram, blocking up to <paramref name="timeout"/> for room in the send ring.</summary>
    /// <param name="data">The payload, up to <see cref="MaxDatagramLength"/> bytes.</param>
    /// <param name="remoteEndPoint">A unicast or multicast address and a port other than 0.</param>
    /// <param name="timeout">How long to wait for ring space; <see cref="Timeout.InfiniteTimeSpan"/> to wait for ever.</param>
    /// <returns>The bytes queued.</returns>
    /// <exception cref="WirestackException">As <see cref="SendToAsync"/>, and <see cref="WirestackErrorCode.TimedOut"/>.</exception>
    public int SendTo(ReadOnlySpan<byte> data, IpEndpoint remoteEndPoint, TimeSpan timeout)
    {
        ValidateSend(data.Length, remoteEndPoint);
        if (Volatile.Read(ref _state) != Bound) EnsureBound();
        long started = Stopwatch.GetTimestamp();
        while (true)
        {
            if (TryEnqueueSend(data, remoteEndPoint)) return data.Length;
            if (!SendSpace.TryArmBlocking()) throw SecondWaiter("send");
            if (SendRing.CanWrite(data.Length) || IsClosed)
            {
                if (!SendSpace.TryDisarm()) SendSpace.WaitBlocking(Timeout.InfiniteTimeSpan);
                continue;
            }
            _stack.RingDoorbell();
            if (!SendSpace.WaitBlocking(Remaining(started, timeout)))
                throw new WirestackException(WirestackErrorCode.TimedOut, $"The send ring stayed full for {timeout}; the stack is not draining it.");
        }
    }

    /// <summary>Sends a datagram, blocking up to 30 seconds for room in the send ring.</summary>
    /// <inheritdoc cref="SendTo(ReadOnlySpan{byte}, IpEndpoint, TimeSpan)"/>
    public int SendTo(ReadOnlySpan<byte> data, IpEndpoint remoteEndPoint) => SendTo(data, remoteEndPoint, TimeSpan.FromSeconds(30));

    /// <summary>
    /// Receives the next datagram into <paramref name="buffer"/>, waiting for one. A longer datagram is truncated to
    /// the buffer (the rest is discarded, as <c>recvfrom</c> does).
    /// </summary>
    /// <param name="buffer">Where the payload goes.</param>
    /// <param name="cancellationToken">Ends the wait with <see cref="OperationCanceledException"/>; no datagram is lost.</param>
    /// <exception cref="WirestackException">
    /// <see cref="WirestackErrorCode.InvalidState"/> when the socket is not bound; <see cref="WirestackErrorCode.Closed"/>
    /// when it is closed, also while the receive waits.
    /// </exception>
    public ValueTask<DatagramReceiveResult> ReceiveFromAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (cancellationToken.IsCancellationRequested) return ValueTask.FromCanceled<DatagramReceiveResult>(cancellationToken);
        if (TryReceive(buffer.Span, out var result)) return new ValueTask<DatagramReceiveResult>(result);
        return ReceiveWhenReadyAsync(buffer, cancellationToken);
    }

    /// <summary>Receives the next datagram, blocking up to <paramref name="timeout"/>.</summary>
    /// <param name="buffer">Where the payload goes (a longer datagram is truncated).</param>
    /// <param name="remoteEndPoint">Who sent it.</param>
    /// <param name="timeout">How long to wait; <see cref="Timeout.InfiniteTimeSpan"/> to wait for ever.</param>
    /// <returns>The bytes copied.</returns>
    /// <exception cref="WirestackException">As <see cref="ReceiveFromAsync"/>, and <see cref="WirestackErrorCode.TimedOut"/>.</exception>
    public int ReceiveFrom(Span<byte> buffer, out IpEndpoint remoteEndPoint, TimeSpan timeout)
    {
        long started = Stopwatch.GetTimestamp();
        while (true)
        {
            if (TryReceive(buffer, out var result))
            {
                remoteEndPoint = result.RemoteEndPoint;
                return result.ReceivedBytes;
            }
            if (!ReceiveData.TryArmBlocking()) throw SecondWaiter("receive");
            if (!ReceiveRing.IsEmpty || IsClosed)
            {
                if (!ReceiveData.TryDisarm()) ReceiveData.WaitBlocking(Timeout.InfiniteTimeSpan);
                continue;
            }
            if (!ReceiveData.WaitBlocking(Remaining(started, timeout)))
                throw new WirestackException(WirestackErrorCode.TimedOut, $"No datagram arrived on {LocalEndPoint} within {timeout}.");
        }
    }

    /// <summary>
    /// Joins <paramref name="group"/> for this socket: datagrams to the group and the socket's port arrive on it until
    /// it leaves or closes. The stack announces the membership (IGMP or MLD) when the first socket joins.
    /// </summary>
    /// <param name="group">A multicast address.</param>
    /// <exception cref="WirestackException">
    /// <see cref="WirestackErrorCode.InvalidState"/> when the socket is not bound; <see cref="WirestackErrorCode.InvalidArgument"/>
    /// when <paramref name="group"/> is not multicast, not of the bound address's family, or its family is off;
    /// <see cref="WirestackErrorCode.NoBufferSpace"/> when the socket's or the interface's group table is full;
    /// <see cref="WirestackErrorCode.Closed"/>.
    /// </exception>
    public void JoinMulticastGroup(IpAddress group) => ChangeMembership(group, join: true);

    /// <summary>Leaves <paramref name="group"/>, joined with <see cref="JoinMulticastGroup"/>.</summary>
    /// <param name="group">The group.</param>
    /// <exception cref="WirestackException">
    /// <see cref="WirestackErrorCode.InvalidArgument"/> when the socket had not joined it; <see cref="WirestackErrorCode.InvalidState"/>
    /// when the socket is not bound; <see cref="WirestackErrorCode.Closed"/>.
    /// </exception>
    public void LeaveMulticastGroup(IpAddress group) => ChangeMembership(group, join: false);

    /// <summary>
    /// Closes the socket: waiting and later operations fail with <see cref="WirestackErrorCode.Closed"/>, datagrams
    /// still queued are discarded, and the port is free again once the stack thread has processed the close. Idempotent.
    /// </summary>
    public void Close()
    {
        int previous = Interlocked.Exchange(ref _state, Closed);
        if (previous == Closed) return;
        ReceiveData.Ring();
        SendSpace.Ring();
        if (previous == Unbound || _stack.IsDisposed) return;
        try
        {
            var command = new CloseUdpCommand(this);
            _stack.Post(command);
        }
        catch (WirestackException)
        {
            // The stack closed meanwhile and took the binding with it.
        }
    }

    /// <summary>Closes the socket (<see cref="Close"/>).</summary>
    public void Dispose() => Close();

    /// <inheritdoc />
    public override string ToString() => $"UDP {LocalEndPoint} ({(IsClosed ? "closed" : IsBound ? "bound" : "unbound")})";

    internal static WirestackException ClosedSocketException() => new(WirestackErrorCode.Closed, "The UDP socket is closed.");

    // Stack thread, in the bind command.
    internal void OnBound(UdpHandle handle, IpEndpoint local)
    {
        Handle = handle;
        LocalEndPoint = local;
        // A Close that raced the bind wins; the stack unbinds it when the close command arrives.
        Interlocked.CompareExchange(ref _state, Bound, Binding);
    }

    // Stack thread: a failed bind leaves the socket unbound, to try again (before the caller hears of the failure).
    internal void OnBindFailed() => Interlocked.CompareExchange(ref _state, Unbound, Binding);

    // Stack thread, at shutdown.
    internal void OnStackClosed()
    {
        Volatile.Write(ref _state, Closed);
        ReceiveData.Ring();
        SendSpace.Ring();
    }

    internal void CountSendDropped() => Interlocked.Increment(ref _sendDropped);

    internal void CountReceiveDropped() => Interlocked.Increment(ref _receiveDropped);

    // Stack thread: the receive ring is too full for a datagram of this length. Asks the reader to ring the stack's
    // doorbell after its next read; true when room appeared meanwhile, so the stack goes on.
    internal bool MarkReceiveStalled(int length)
    {
        Interlocked.Exchange(ref _receiveStalled, 1);
        return ReceiveRing.CanWrite(length);
    }

    private Task<IpEndpoint> StartBind(IpEndpoint localEndPoint, UdpSocketFlags flags)
    {
        if ((flags & ~(UdpSocketFlags.ReuseAddress | UdpSocketFlags.AllowBroadcast)) != 0)
            throw new WirestackException(WirestackErrorCode.InvalidArgument, $"Unknown UDP socket flags {flags}: use ReuseAddress and AllowBroadcast.");
        int previous = Interlocked.CompareExchange(ref _state, Binding, Unbound);
        if (previous == Closed) throw ClosedSocketException();
        if (previous != Unbound)
            throw new WirestackException(WirestackErrorCode.InvalidState, previous == Bound ? $"The socket is already bound to {LocalEndPoint}." : "The socket is being bound already.");
        var command = new BindUdpCommand(this, localEndPoint, flags);
        try
        {
            _stack.Post(command);
        }
        catch
        {
            Interlocked.CompareExchange(ref _state, Unbound, Binding);
            throw;
        }
        _binding = command.Completion.Task;
        return _binding;
    }

    // An unbound socket binds an ephemeral port on its first send, as a kernel socket does; a send racing another
    // thread's bind waits for that bind (and binds itself if that one failed).
    private void EnsureBound()
    {
        while (true)
        {
            switch (Volatile.Read(ref _state))
            {
                case Bound:
                    return;
                case Closed:
                    throw ClosedSocketException();
                case Unbound:
                    try
                    {
                        Bind(new IpEndpoint(IpAddress.AnyIpv4, 0));
                        return;
                    }
                    catch (WirestackException e) when (e.ErrorCode == WirestackErrorCode.InvalidState)
                    {
                        break; // another thread got there first
                    }
                default:
                    if (_binding is { } binding)
                    {
                        try
                        {
                            _stack.Wait(binding, "Binding for the first send");
                        }
                        catch (WirestackException e) when (e.ErrorCode != WirestackErrorCode.TimedOut)
                        {
                            // That bind failed; look at the state again.
                        }
                    }
                    else
                    {
                        Thread.Yield();
                    }
                    break;
            }
        }
    }

    private async ValueTask<int> SendUnboundAsync(ReadOnlyMemory<byte> data, IpEndpoint remoteEndPoint, CancellationToken cancellationToken)
    {
        while (true)
        {
            int state = Volatile.Read(ref _state);
            if (state == Bound) break;
            if (state == Closed) throw ClosedSocketException();
            if (state == Unbound)
            {
                try
                {
                    await BindAsync(new IpEndpoint(IpAddress.AnyIpv4, 0), cancellationToken).ConfigureAwait(false);
                }
                catch (WirestackException e) when (e.ErrorCode == WirestackErrorCode.InvalidState)
                {
                    // Another sender is binding it.
                }
            }
            else if (_binding is { } binding)
            {
                try
                {
                    await binding.WaitAsync(cancellationToken).ConfigureAwait(false);
                }
                catch (WirestackException)
                {
                    // That bind failed; look at the state again.
                }
            }
            else
            {
                await Task.Yield();
            }
        }
        return await SendToAsync(data, remoteEndPoint, cancellationToken).ConfigureAwait(false);
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<int> SendWhenRoomAsync(ReadOnlyMemory<byte> data, IpEndpoint remoteEndPoint, CancellationToken cancellationToken)
    {
        while (true)
        {
            if (!SendSpace.TryArm()) throw SecondWaiter("send");
            if (SendRing.CanWrite(data.Length) || IsClosed)
            {
                if (!SendSpace.TryDisarm()) await SendSpace.WaitAsync(CancellationToken.None).ConfigureAwait(false);
            }
            else
            {
                _stack.RingDoorbell();
                await SendSpace.WaitAsync(cancellationToken).ConfigureAwait(false);
            }
            if (TryEnqueueSend(data.Span, remoteEndPoint)) return data.Length;
        }
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<DatagramReceiveResult> ReceiveWhenReadyAsync(Memory<byte> buffer, CancellationToken cancellationToken)
    {
        while (true)
        {
            if (!ReceiveData.TryArm()) throw SecondWaiter("receive");
            if (!ReceiveRing.IsEmpty || IsClosed)
            {
                if (!ReceiveData.TryDisarm()) await ReceiveData.WaitAsync(CancellationToken.None).ConfigureAwait(false);
            }
            else
            {
                await ReceiveData.WaitAsync(cancellationToken).ConfigureAwait(false);
            }
            if (TryReceive(buffer.Span, out var result)) return result;
        }
    }

    private bool TryEnqueueSend(ReadOnlySpan<byte> data, IpEndpoint remoteEndPoint)
    {
        lock (_sendLock)
        {
            if (Volatile.Read(ref _state) == Closed) throw ClosedSocketException();
            if (!SendRing.TryWrite(remoteEndPoint, data)) return false;
        }
        _stack.RingDoorbell();
        return true;
    }

    // Throws when the socket cannot receive; false when nothing is queued yet.
    private bool TryReceive(Span<byte> buffer, out DatagramReceiveResult result)
    {
        int state = Volatile.Read(ref _state);
        if (state == Closed) throw ClosedSocketException();
        if (state == Unbound)
            throw new WirestackException(WirestackErrorCode.InvalidState, "The UDP socket is not bound: bind it (or send from it) before receiving.");
        int length;
        IpEndpoint remote;
        bool read;
        lock (_receiveLock) read = ReceiveRing.TryRead(buffer, out length, out remote);
        if (!read)
        {
            result = default;
            return false;
        }
        // Dekker with MarkReceiveStalled: the read's head store, a fence, then the flag.
        Interlocked.MemoryBarrier();
        if (Volatile.Read(ref _receiveStalled) != 0 && Interlocked.Exchange(ref _receiveStalled, 0) != 0) _stack.RingDoorbell();
        result = new DatagramReceiveResult(length, remote);
        return true;
    }

    private void ValidateSend(int length, IpEndpoint remoteEndPoint)
    {
        if (length > MaxDatagramLength)
            throw new WirestackException(WirestackErrorCode.MessageTooLong, $"The datagram is {length} bytes; this socket sends at most {MaxDatagramLength} (NetstackOptions.SocketSendBufferLength bounds it to half its ring).");
        if (remoteEndPoint.Port == 0)
            throw new WirestackException(WirestackErrorCode.InvalidArgument, $"Cannot send to {remoteEndPoint}: port 0 is not a destination.");
        if (remoteEndPoint.Address.IsUnspecified)
            throw new WirestackException(WirestackErrorCode.InvalidArgument, $"Cannot send to {remoteEndPoint}: the address is unspecified.");
    }

    private static TimeSpan Remaining(long started, TimeSpan timeout)
    {
        if (timeout == Timeout.InfiniteTimeSpan) return timeout;
        var left = timeout - Stopwatch.GetElapsedTime(started);
        return left > TimeSpan.Zero ? left : TimeSpan.Zero;
    }

    private static InvalidOperationException SecondWaiter(string operation) =>
        new($"Another {operation} is already waiting on this UDP socket; a socket allows one waiting {operation} at a time.");

    private void ChangeMembership(IpAddress group, bool join)
    {
        int state = Volatile.Read(ref _state);
        if (state == Closed) throw ClosedSocketException();
        if (state != Bound)
            throw new WirestackException(WirestackErrorCode.InvalidState, $"Bind the UDP socket before {(join ? "joining" : "leaving")} {group}.");
        if (!group.IsMulticast)
            throw new WirestackException(WirestackErrorCode.InvalidArgument, $"{group} is not a multicast address.");
        var command = new UdpMembershipCommand(this, group, join);
        _stack.Post(command);
        _stack.Wait(command.Completion.Task, $"{(join ? "Joining" : "Leaving")} {group}");
    }
}
