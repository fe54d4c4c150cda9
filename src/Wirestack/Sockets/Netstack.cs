using System.Threading.Channels;
using Wirestack.Iface;
using Wirestack.Ip;
using Wirestack.Nic;
using Wirestack.Wire;

namespace Wirestack.Sockets;

/// <summary>
/// A running Wirestack: owns an <see cref="Iface.Interface"/> and its device, and drives them on a dedicated stack
/// thread that sleeps until the device is readable, a command or a socket's doorbell arrives, or the next timer is
/// due (it never spins when idle, unless <see cref="NetstackOptions.BusyPolling"/> asks it to; after traffic it polls on
/// for <see cref="NetstackOptions.PollBeforeSleep"/>). With
/// <see cref="NetstackOptions.ManualPolling"/> there is no thread and the caller drives <see cref="Poll(Instant)"/>, which
/// makes tests deterministic on a manual <see cref="TimeProvider"/>.
/// </summary>
/// <remarks>
/// Control operations (bind, close, ping) are commands on a channel to the stack thread. Datagrams never are: each
/// <see cref="UdpSocket"/> has a single-producer, single-consumer ring per direction between the application and the
/// stack thread, and a doorbell that wakes the stack only when it might be asleep. Build one with
/// <see cref="NetstackBuilder"/>.
/// </remarks>
public sealed partial class Netstack : IAsyncDisposable, IDisposable
{
    // A safety net only: every wake-up has a cause (frame, doorbell, deadline); this bounds a missed one.
    private static readonly TimeSpan MaxSleep = TimeSpan.FromSeconds(10);
    private readonly Interface _interface;
    private readonly INetworkDevice _device;
    private readonly bool _ownsDevice;
    private readonly TimeProvider _time;
    private readonly NetstackOptions _options;
    private readonly Channel<NetstackCommand> _commands = Channel.CreateUnbounded<NetstackCommand>(new UnboundedChannelOptions { SingleReader = true });
    // Stack-thread state: the bound sockets and the pings in flight.
    private readonly UdpSocket?[] _sockets;
    private int _socketCount;
    private readonly List<PingCommand> _pings = [];
    private readonly byte[] _pingPayload = new byte[NetstackOptions.MaxUdpPayload];
    private readonly Lock _manualLock = new();
    private readonly Thread? _thread;
    private ushort _nextPingIdentifier;
    private long _iterations;
    private long _sleeps;
    private int _doorbell;
    private volatile bool _stopping;
    private int _disposed;
    private bool _shutDown;
    private Exception? _failure;

    internal Netstack(INetworkDevice device, bool ownsDevice, InterfaceOptions interfaceOptions, NetstackOptions options, TimeProvider time,
        List<Route<Ipv4Address>> ipv4Routes, List<Route<Ipv6Address>> ipv6Routes)
    {
        _device = device;
        _ownsDevice = ownsDevice;
        _options = options;
        _time = time;
        try
        {
            _interface = new Interface(device, interfaceOptions);
        }
        catch (ArgumentException e)
        {
            throw new WirestackException(WirestackErrorCode.InvalidArgument, $"The stack cannot run on this device: {e.Message}", e);
        }
        for (int i = 0; i < ipv4Routes.Count; i++)
            if (_interface.Ipv4Routes.Add(ipv4Routes[i], Instant.Zero) == RouteAddResult.TableFull)
                throw new WirestackException(WirestackErrorCode.NoBufferSpace, $"NetstackOptions.Routes: the IPv4 route table is full at route {i}.");
        for (int i = 0; i < ipv6Routes.Count; i++)
            if (_interface.Ipv6Routes is not { } table || table.Add(ipv6Routes[i], Instant.Zero) == RouteAddResult.TableFull)
                throw new WirestackException(WirestackErrorCode.InvalidArgument, $"NetstackOptions.Routes: IPv6 route {i} needs IPv6 enabled and room in its table.");
        _sockets = new UdpSocket?[options.UdpSocketCapacity];
        InitializeTcp(interfaceOptions);
        _nextPingIdentifier = (ushort)Random.Shared.Next(1, ushort.MaxValue);
        if (!options.ManualPolling)
        {
            _thread = new Thread(Run) { IsBackground = true, Name = "wirestack stack" };
            _thread.Start();
        }
    }

    /// <summary>The interface the stack drives (addresses, counters, caches). Read it; only the stack thread drives it.</summary>
    public Interface Interface => _interface;

    /// <summary>The device under the interface.</summary>
    public INetworkDevice Device => _device;

    /// <summary>The options the stack was built with.</summary>
    public NetstackOptions Options => _options;

    /// <summary>What the interface received, sent and dropped, by reason.</summary>
    public InterfaceCounters Counters => _interface.Counters;

    /// <summary>The exception that stopped the stack thread, if one did; every pending operation then failed with <see cref="WirestackErrorCode.Closed"/>.</summary>
    public Exception? Failure => _failure;

    /// <summary>Creates an unbound UDP socket on this stack; bind it, or send from it to bind an ephemeral port.</summary>
    /// <exception cref="WirestackException"><see cref="WirestackErrorCode.Closed"/> when the stack is disposed.</exception>
    public UdpSocket CreateUdpSocket()
    {
        ThrowIfDisposed();
        return new UdpSocket(this, _options.SocketReceiveBufferLength, _options.SocketSendBufferLength);
    }

    /// <summary>
    /// Sends an ICMP echo request (ICMPv6 to an IPv6 address) and returns the reply with its round-trip time.
    /// </summary>
    /// <param name="address">A unicast address that is not the stack's own.</param>
    /// <param name="timeout">How long to wait for the reply.</param>
    /// <param name="payloadLength">The echo data's length, 0 to 65507. Default 56, as <c>ping</c>.</param>
    /// <param name="cancellationToken">Ends the wait with <see cref="OperationCanceledException"/>.</param>
    /// <exception cref="WirestackException">
    /// <see cref="WirestackErrorCode.TimedOut"/> when no reply came in time; <see cref="WirestackErrorCode.Unreachable"/>
    /// when the request could not be sent; <see cref="WirestackErrorCode.Closed"/> when the stack closed meanwhile.
    /// </exception>
    public async ValueTask<PingReply> PingAsync(IpAddress address, TimeSpan timeout, int payloadLength = 56, CancellationToken cancellationToken = default)
    {
        if ((uint)payloadLength > NetstackOptions.MaxUdpPayload)
            throw new WirestackException(WirestackErrorCode.InvalidArgument, $"A ping's payload length is {payloadLength}; it must be between 0 and {NetstackOptions.MaxUdpPayload}.");
        if (timeout <= TimeSpan.Zero)
            throw new WirestackException(WirestackErrorCode.InvalidArgument, $"A ping's timeout is {timeout}; it must be positive.");
        if (address.IsUnspecified || address.IsMulticast)
            throw new WirestackException(WirestackErrorCode.InvalidArgument, $"Cannot ping {address}: give a unicast address.");
        var command = new PingCommand(address, payloadLength, timeout);
        Post(command);
        using var registration = cancellationToken.UnsafeRegister(static (state, token) => ((PingCommand)state!).Completion.TrySetCanceled(token), command);
        return await command.Completion.Task.ConfigureAwait(false);
    }

    /// <summary>Pings with a 5-second timeout and 56 bytes of data.</summary>
    /// <inheritdoc cref="PingAsync(IpAddress, TimeSpan, int, CancellationToken)"/>
    public ValueTask<PingReply> PingAsync(IpAddress address, CancellationToken cancellationToken = default) =>
        PingAsync(address, TimeSpan.FromSeconds(5), 56, cancellationToken);

    /// <summary>
    /// Runs the stack once on a stack built with <see cref="NetstackOptions.ManualPolling"/>: control commands, the
    /// sockets' send rings, one <see cref="Interface.Poll"/>, the sockets' receive rings, pings.
    /// </summary>
    /// <param name="now">The current time on the caller's clock.</param>
    /// <returns>When the stack next needs a poll (<see cref="Instant.MaxValue"/> when nothing is scheduled).</returns>
    /// <exception cref="InvalidOperationException">The stack runs its own thread.</exception>
    public Instant Poll(Instant now)
    {
        if (_thread is not null)
            throw new InvalidOperationException("This Netstack runs its own stack thread; Poll is for stacks built with NetstackOptions.ManualPolling.");
        lock (_manualLock)
        {
            ThrowIfDisposed();
            return RunOnce(now);
        }
    }

    /// <summary>Polls a manual stack at the time of its <see cref="TimeProvider"/>.</summary>
    public Instant Poll() => Poll(Instant.Now(_time));

    /// <summary>Closes every socket (pending operations fail with <see cref="WirestackErrorCode.Closed"/>), stops and joins the stack thread, and disposes the device if the stack owns it.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        _commands.Writer.TryComplete();
        _stopping = true;
        if (_thread is not null)
        {
            _device.Interrupt();
            if (_thread != Thread.CurrentThread) _thread.Join();
        }
        lock (_manualLock) Shutdown();
        if (_ownsDevice) _device.Dispose();
    }

    /// <inheritdoc cref="Dispose"/>
    public ValueTask DisposeAsync()
    {
        Dispose();
        return ValueTask.CompletedTask;
    }

    internal TimeProvider Time => _time;

    /// <summary>Pings the stack thread still tracks (stack thread or manual poller only).</summary>
    internal int PendingPings => _pings.Count;

    /// <summary>How many times the stack has run its loop (commands, rings, poll): shows that an idle stack sleeps.</summary>
    internal long Iterations => Interlocked.Read(ref _iterations);

    /// <summary>How many times the stack thread has gone to sleep (waited for the device, a doorbell or a timer).</summary>
    internal long Sleeps => Interlocked.Read(ref _sleeps);

    internal bool IsDisposed => Volatile.Read(ref _disposed) != 0;

    /// <summary>Wakes the stack thread if it may be asleep; cheap when it is already awake (no system call).</summary>
    internal void RingDoorbell()
    {
        if (_thread is not null && Interlocked.Exchange(ref _doorbell, 1) == 0) _device.Interrupt();
    }

    /// <summary>Queues a command for the stack thread, or runs it at once on a manual stack.</summary>
    internal void Post(NetstackCommand command)
    {
        if (_thread is null)
        {
            lock (_manualLock)
            {
                if (IsDisposed) throw ClosedException();
                command.Execute(this, Instant.Now(_time));
            }
            return;
        }
        if (!_commands.Writer.TryWrite(command)) throw ClosedException();
        RingDoorbell();
    }

    /// <summary>Runs a command and waits for it with the control timeout: the blocking form of the control calls.</summary>
    internal void Wait(Task task, string operation)
    {
        try
        {
            if (!task.Wait(_options.ControlTimeout))
                throw new WirestackException(WirestackErrorCode.TimedOut, $"{operation} did not complete within NetstackOptions.ControlTimeout ({_options.ControlTimeout}); is the stack thread stuck?");
        }
        catch (AggregateException e) when (e.InnerExceptions.Count == 1)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(e.InnerExceptions[0]);
        }
    }

    internal static WirestackException ClosedException() => new(WirestackErrorCode.Closed, "The Netstack is disposed.");

    // ---- stack thread ----

    internal IpEndpoint BindUdp(UdpSocket socket, IpEndpoint local, UdpSocketFlags flags)
    {
        if (IsDisposed) throw ClosedException();
        if (socket.IsClosed) throw UdpSocket.ClosedSocketException();
        if (socket.IsBound) throw new WirestackException(WirestackErrorCode.InvalidState, $"The socket is already bound to {socket.LocalEndPoint}.");
        if (!_interface.IsBindableUdpAddress(local.Address))
            throw new WirestackException(WirestackErrorCode.AddressNotAvailable, $"Cannot bind to {local}: {local.Address} is not one of the stack's addresses, a multicast group or a broadcast address of its subnets (bind to 0.0.0.0 or :: for all of them).");
        // An unspecified address listens on both families, as the socket always has; a specific one only on itself.
        var bindTo = local.Address.IsUnspecified ? new IpEndpoint(IpAddress.AnyIpv6, local.Port) : local;
        if (!_interface.TryBindUdp(bindTo, (UdpBindFlags)(int)flags, out var handle))
        {
            if (local.Port != 0 && _socketCount < _sockets.Length)
                throw new WirestackException(WirestackErrorCode.AddressInUse, $"UDP port {local.Port} is already bound on this stack.");
            throw new WirestackException(WirestackErrorCode.NoBufferSpace, $"Cannot bind a UDP socket: all {_sockets.Length} sockets of NetstackOptions.UdpSocketCapacity (or all ephemeral ports) are in use.");
        }
        var bound = new IpEndpoint(local.Address, _interface.GetUdpPort(handle));
        socket.OnBound(handle, bound);
        _sockets[_socketCount++] = socket;
        return bound;
    }

    internal void ChangeUdpMembership(UdpSocket socket, IpAddress group, bool join, Instant now)
    {
        if (socket.IsClosed) throw UdpSocket.ClosedSocketException();
        if (join)
        {
            var local = socket.LocalEndPoint.Address;
            if (!local.IsUnspecified && local.IsIpv4 != group.IsIpv4)
                throw new WirestackException(WirestackErrorCode.InvalidArgument, $"Cannot join {group} on a socket bound to {socket.LocalEndPoint}: the families differ.");
            if (!_interface.TryJoinUdpMulticastGroup(socket.Handle, group, now))
                throw new WirestackException(WirestackErrorCode.NoBufferSpace,
                    $"Cannot join {group}: its family is off or differs from the socket's address {socket.LocalEndPoint}, or the socket's or the interface's group table is full (InterfaceOptions.UdpMulticastGroupsPerBinding, MulticastGroupCapacity).");
            return;
        }
        if (!_interface.LeaveUdpMulticastGroup(socket.Handle, group, now))
            throw new WirestackException(WirestackErrorCode.InvalidArgument, $"The socket on {socket.LocalEndPoint} has not joined {group}.");
    }

    internal void UnbindUdp(UdpSocket socket)
    {
        for (int i = 0; i < _socketCount; i++)
        {
            if (_sockets[i] != socket) continue;
            _interface.CloseUdp(socket.Handle);
            _sockets[i] = _sockets[--_socketCount];
            _sockets[_socketCount] = null;
            return;
        }
    }

    internal void StartPing(PingCommand ping, Instant now)
    {
        if (ping.Completion.Task.IsCompleted) return; // cancelled on the way
        ping.Identifier = _nextPingIdentifier++;
        if (_nextPingIdentifier == 0) _nextPingIdentifier = 1;
        ping.SequenceNumber = 1;
        ping.SentAt = now;
        ping.Deadline = now + ping.Timeout;
        if (!_interface.TrySendIcmpEcho(ping.Destination, ping.Identifier, ping.SequenceNumber, _pingPayload.AsSpan(0, ping.PayloadLength), now))
        {
            ping.Completion.TrySetException(new WirestackException(WirestackErrorCode.Unreachable,
                $"Cannot ping {ping.Destination}: no route, or it is one of our own addresses (see Netstack.Counters for the drop reason)."));
            return;
        }
        _pings.Add(ping);
    }

    private bool IsLocalAddress(IpAddress address)
    {
        if (address.IsUnspecified) return true;
        if (address.IsIpv4)
        {
            var addresses = _interface.Ipv4Addresses;
            for (int i = 0; i < addresses.Length; i++)
                if (addresses[i].Address == address.AsIpv4) return true;
            return false;
        }
        var v6 = _interface.Ipv6Addresses;
        for (int i = 0; i < v6.Length; i++)
            if (v6[i].Address == address.AsIpv6) return true;
        return false;
    }

    private void Run()
    {
        try
        {
            var pollBeforeSleep = _options.PollBeforeSleep;
            var lastActive = Instant.Zero;
            while (!_stopping)
            {
                // Cleared before the work: a doorbell rung from here on makes the next wait return at once.
                Interlocked.Exchange(ref _doorbell, 0);
                var now = Instant.Now(_time);
                var deadline = RunOnce(now, out bool active);
                if (active) lastActive = now;
                if (_options.BusyPolling || _stopping || Volatile.Read(ref _doorbell) != 0) continue;
                var after = Instant.Now(_time);
                if (deadline <= after) continue;
                // Traffic just moved: the application's answer (or the peer's next frame) is likely a few microseconds
                // away, and looking for it costs less than the wake-up from sleep it would otherwise need.
                // Yielding between looks lets a thread waiting for this core (the one writing that answer) run first.
                if (after - lastActive < pollBeforeSleep)
                {
                    Thread.Yield();
                    continue;
                }
                // Clamp before subtracting: MaxValue minus now does not fit a TimeSpan.
                var wait = Instant.Min(deadline, after + MaxSleep) - after;
                Interlocked.Increment(ref _sleeps);
                _device.WaitForReceive(wait);
            }
        }
        catch (Exception e)
        {
            _failure = e;
            _commands.Writer.TryComplete();
        }
        finally
        {
            lock (_manualLock) Shutdown();
        }
    }

    private Instant RunOnce(Instant now) => RunOnce(now, out _);

    // active: whether anything moved (a command, a frame in, a datagram either way, TCP work), for PollBeforeSleep.
    private Instant RunOnce(Instant now, out bool active)
    {
        Interlocked.Increment(ref _iterations);
        active = false;
        long framesBefore = _device.Counters.ReceivedFrames;
        while (_commands.Reader.TryRead(out var command))
        {
            command.Execute(this, now);
            active = true;
        }
        for (int i = 0; i < _socketCount; i++) active |= ServiceSend(_sockets[i]!, now);
        var deadline = _interface.Poll(now);
        for (int i = 0; i < _socketCount; i++) active |= ServiceReceive(_sockets[i]!);
        if (RunTcp(now))
        {
            // Writes and reads after the poll sent segments and moved TCP's timers.
            _device.Flush();
            deadline = Instant.Min(deadline, _interface.NextTcpDeadline);
            active = true;
        }
        active |= _device.Counters.ReceivedFrames != framesBefore;
        return Instant.Min(deadline, ServicePings(now));
    }

    private bool ServiceSend(UdpSocket socket, Instant now)
    {
        var ring = socket.SendRing;
        bool drained = false;
        while (ring.TryPeek(out var remote, out var payload))
        {
            if (!_interface.TrySendUdp(socket.Handle, remote.Address, remote.Port, payload, now)) socket.CountSendDropped();
            ring.Advance();
            drained = true;
        }
        if (drained) socket.SendSpace.Ring();
        return drained;
    }

    private bool ServiceReceive(UdpSocket socket)
    {
        var ring = socket.ReceiveRing;
        bool delivered = false;
        int length;
        while ((length = _interface.PeekUdpLength(socket.Handle)) >= 0)
        {
            if (length > ring.MaxDatagramLength)
            {
                // Larger than the socket ring ever holds: counted, never delivered.
                _interface.TryReceiveUdp(socket.Handle, Span<byte>.Empty, out _, out _, out _); // an empty buffer discards it
                socket.CountReceiveDropped();
                continue;
            }
            if (!ring.CanWrite(length))
            {
                // The application is behind: the datagrams wait in the binding until it reads (it rings us then).
                if (!socket.MarkReceiveStalled(length)) break;
            }
            // Straight from the binding's ring into the socket's: one copy.
            ring.TryBeginWrite(length, out var slot);
            _interface.TryReceiveUdp(socket.Handle, slot, out int copied, out var source, out ushort port);
            ring.CommitWrite(new IpEndpoint(source, port), copied);
            delivered = true;
        }
        if (delivered) socket.ReceiveData.Ring();
        return delivered;
    }

    private Instant ServicePings(Instant now)
    {
        while (_interface.TryDequeueEchoReply(out var reply))
        {
            for (int i = 0; i < _pings.Count; i++)
            {
                var ping = _pings[i];
                if (ping.Identifier != reply.Identifier || ping.SequenceNumber != reply.SequenceNumber) continue;
                ping.Completion.TrySetResult(new PingReply(reply.Source, reply.ReceivedAt - ping.SentAt, reply.SequenceNumber, reply.PayloadLength));
                _pings.RemoveAt(i);
                break;
            }
        }
        var next = Instant.MaxValue;
        for (int i = _pings.Count - 1; i >= 0; i--)
        {
            var ping = _pings[i];
            if (ping.Completion.Task.IsCompleted)
            {
                _pings.RemoveAt(i); // cancelled
            }
            else if (now >= ping.Deadline)
            {
                ping.Completion.TrySetException(new WirestackException(WirestackErrorCode.TimedOut, $"No echo reply from {ping.Destination} within {ping.Timeout}."));
                _pings.RemoveAt(i);
            }
            else
            {
                next = Instant.Min(next, ping.Deadline);
            }
        }
        return next;
    }

    // Runs once, on the stack thread as it exits or on the disposing thread: everything pending fails with Closed.
    private void Shutdown()
    {
        if (_shutDown) return;
        _shutDown = true;
        var closed = _failure is null ? ClosedException() : new WirestackException(WirestackErrorCode.Closed, $"The stack thread failed: {_failure.Message}", _failure);
        while (_commands.Reader.TryRead(out var command)) command.Fail(closed);
        for (int i = 0; i < _socketCount; i++)
        {
            var socket = _sockets[i]!;
            _interface.CloseUdp(socket.Handle);
            socket.OnStackClosed();
            _sockets[i] = null;
        }
        _socketCount = 0;
        for (int i = 0; i < _pings.Count; i++) _pings[i].Completion.TrySetException(closed);
        _pings.Clear();
        ShutdownTcp(closed);
        try
        {
            _device.Flush();
        }
        catch (ObjectDisposedException)
        {
            // The device went first; nothing left to publish.
        }
    }

    private void ThrowIfDisposed()
    {
        if (IsDisposed) throw ClosedException();
    }
}
