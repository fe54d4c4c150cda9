using System.Diagnostics;
using Wirestack.Wire;

namespace Wirestack.Sockets;

/// <summary>
/// A UDP socket on a <see cref="ShardedNetwork"/>: bound to the same port on every shard, it receives what any shard
/// receives (one task per shard moves datagrams into this socket's ring) and sends each datagram from the shard its
/// flow hashes to, so one flow's datagrams keep their order and its replies arrive on that same shard.
/// </summary>
/// <remarks>
/// When the application falls behind and this socket's ring is full, further datagrams are dropped and counted in
/// <see cref="ReceiveDropped"/>, as a kernel socket drops when its receive buffer is full.
/// </remarks>
public sealed class ShardedUdpSocket : IUdpSocket
{
    private readonly ShardedNetwork _network;
    private readonly UdpSocket[] _sockets;
    private readonly SpscDatagramRing _received;
    private readonly AwaitableSignal _receiveData = new();
    private readonly Lock _writeLock = new();
    private readonly Lock _readLock = new();
    private readonly Lock _bindLock = new();
    private readonly CancellationTokenSource _stop = new();
    private long _receiveDropped;
    private volatile bool _bound;
    private volatile bool _closed;

    internal ShardedUdpSocket(ShardedNetwork network)
    {
        _network = network;
        var shards = network.Shards;
        _sockets = new UdpSocket[shards.Count];
        for (int i = 0; i < _sockets.Length; i++) _sockets[i] = shards[i].CreateUdpSocket();
        _received = new SpscDatagramRing(checked(shards[0].Options.SocketReceiveBufferLength * shards.Count));
    }

    /// <inheritdoc />
    public IpEndpoint LocalEndPoint => _sockets[0].LocalEndPoint;

    /// <summary>The per-shard sockets, in shard order.</summary>
    public IReadOnlyList<UdpSocket> ShardSockets => _sockets;

    /// <summary>Datagrams lost because this socket's receive ring was full.</summary>
    public long ReceiveDropped => Interlocked.Read(ref _receiveDropped);

    /// <summary>Binds <paramref name="localEndPoint"/> on every shard (port 0: the port shard 0 picks, then the same on the others).</summary>
    /// <inheritdoc />
    public void Bind(IpEndpoint localEndPoint, UdpSocketFlags flags = UdpSocketFlags.None)
    {
        lock (_bindLock)
        {
            if (_closed) throw UdpSocket.ClosedSocketException();
            if (_bound) throw new WirestackException(WirestackErrorCode.InvalidState, $"The socket is already bound to {LocalEndPoint}.");
            _sockets[0].Bind(localEndPoint, flags);
            var endPoint = new IpEndpoint(localEndPoint.Address, _sockets[0].LocalEndPoint.Port);
            try
            {
                for (int i = 1; i < _sockets.Length; i++) _sockets[i].Bind(endPoint, flags);
            }
            catch
            {
                Dispose();
                throw;
            }
            for (int i = 0; i < _sockets.Length; i++) _ = PumpAsync(_sockets[i]);
            _bound = true;
        }
    }

    /// <inheritdoc />
    public ValueTask<int> SendToAsync(ReadOnlyMemory<byte> data, IpEndpoint remoteEndPoint, CancellationToken cancellationToken = default) =>
        SocketFor(remoteEndPoint).SendToAsync(data, remoteEndPoint, cancellationToken);

    /// <inheritdoc />
    public int SendTo(ReadOnlySpan<byte> data, IpEndpoint remoteEndPoint, TimeSpan timeout) => SocketFor(remoteEndPoint).SendTo(data, remoteEndPoint, timeout);

    /// <inheritdoc />
    public ValueTask<DatagramReceiveResult> ReceiveFromAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (cancellationToken.IsCancellationRequested) return ValueTask.FromCanceled<DatagramReceiveResult>(cancellationToken);
        if (TryReceive(buffer.Span, out var result)) return new ValueTask<DatagramReceiveResult>(result);
        return ReceiveWhenReadyAsync(buffer, cancellationToken);
    }

    /// <inheritdoc />
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
            if (!_receiveData.TryArmBlocking()) throw SecondWaiter();
            if (!_received.IsEmpty || _closed)
            {
                if (!_receiveData.TryDisarm()) _receiveData.WaitBlocking(Timeout.InfiniteTimeSpan);
                continue;
            }
            var remaining = timeout == Timeout.InfiniteTimeSpan ? timeout : timeout - Stopwatch.GetElapsedTime(started);
            if (remaining < TimeSpan.Zero) remaining = TimeSpan.Zero;
            if (!_receiveData.WaitBlocking(remaining))
                throw new WirestackException(WirestackErrorCode.TimedOut, $"No datagram arrived on {LocalEndPoint} within {timeout}.");
        }
    }

    /// <summary>Joins <paramref name="group"/> on every shard.</summary>
    /// <inheritdoc />
    public void JoinMulticastGroup(IpAddress group)
    {
        foreach (var socket in _sockets) socket.JoinMulticastGroup(group);
    }

    /// <summary>Leaves <paramref name="group"/> on every shard.</summary>
    /// <inheritdoc />
    public void LeaveMulticastGroup(IpAddress group)
    {
        foreach (var socket in _sockets) socket.LeaveMulticastGroup(group);
    }

    /// <summary>Closes the socket on every shard; a pending receive fails with <see cref="WirestackErrorCode.Closed"/>.</summary>
    public void Dispose()
    {
        if (_closed) return;
        _closed = true;
        _stop.Cancel();
        foreach (var socket in _sockets) socket.Dispose();
        _receiveData.Ring();
    }

    /// <inheritdoc />
    public override string ToString() => $"UDP {LocalEndPoint} on {_sockets.Length} shards";

    private UdpSocket SocketFor(IpEndpoint remote)
    {
        if (_closed) throw UdpSocket.ClosedSocketException();
        if (!_bound)
        {
            // As a kernel socket binds an ephemeral port on its first send.
            try
            {
                Bind(new IpEndpoint(IpAddress.AnyIpv4, 0));
            }
            catch (WirestackException e) when (e.ErrorCode == WirestackErrorCode.InvalidState && _bound)
            {
                // Another thread bound it first.
            }
        }
        var local = LocalEndPoint;
        var address = local.Address;
        if (address.IsUnspecified || address.IsIpv4 != remote.Address.IsIpv4)
        {
            var iface = _network.Shards[0].Interface;
            if (remote.Address.IsIpv4 && iface.Ipv4Addresses.Length > 0) address = new IpAddress(iface.Ipv4Addresses[0].Address);
            else if (!remote.Address.IsIpv4 && iface.Ipv6Addresses.Length > 0) address = new IpAddress(iface.Ipv6Addresses[0].Address);
            else return _sockets[0];
        }
        return _sockets[_network.Steering.ShardOf(remote.Address, remote.Port, address, local.Port)];
    }

    private bool TryReceive(Span<byte> buffer, out DatagramReceiveResult result)
    {
        if (!_bound && !_closed)
            throw new WirestackException(WirestackErrorCode.InvalidState, "The UDP socket is not bound: bind it (or send from it) before receiving.");
        bool read;
        int length;
        IpEndpoint remote;
        lock (_readLock) read = _received.TryRead(buffer, out length, out remote);
        if (read)
        {
            result = new DatagramReceiveResult(length, remote);
            return true;
        }
        if (_closed) throw UdpSocket.ClosedSocketException();
        result = default;
        return false;
    }

    private async ValueTask<DatagramReceiveResult> ReceiveWhenReadyAsync(Memory<byte> buffer, CancellationToken cancellationToken)
    {
        while (true)
        {
            if (!_receiveData.TryArm()) throw SecondWaiter();
            if (!_received.IsEmpty || _closed)
            {
                if (!_receiveData.TryDisarm()) await _receiveData.WaitAsync(CancellationToken.None).ConfigureAwait(false);
            }
            else
            {
                await _receiveData.WaitAsync(cancellationToken).ConfigureAwait(false);
            }
            if (TryReceive(buffer.Span, out var result)) return result;
        }
    }

    // One per shard: that shard's datagrams into this socket's ring.
    private async Task PumpAsync(UdpSocket socket)
    {
        await Task.Yield();
        var buffer = new byte[socket.MaxDatagramLength];
        var token = _stop.Token;
        try
        {
            while (true)
            {
                var datagram = await socket.ReceiveFromAsync(buffer, token).ConfigureAwait(false);
                bool written;
                lock (_writeLock) written = _received.TryWrite(datagram.RemoteEndPoint, buffer.AsSpan(0, datagram.ReceivedBytes));
                if (written) _receiveData.Ring();
                else Interlocked.Increment(ref _receiveDropped);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or WirestackException)
        {
            // The socket, its shard or the network closed.
        }
    }

    private static InvalidOperationException SecondWaiter() =>
        new("Another receive is already waiting on this UDP socket; a socket allows one waiting receive at a time.");
}
