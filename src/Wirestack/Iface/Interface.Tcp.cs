using Wirestack.Link;
using Wirestack.Nic;
using Wirestack.Tcp;
using Wirestack.Wire;

namespace Wirestack.Iface;

// TCP on the interface: delivery from IPv4 and IPv6 (demultiplexed by the stack, which verifies the checksum as it
// copies the payload into the receive ring), segments written straight into transmit slots with their payload copied
// once from the send ring and summed in the same pass, and the application's API.
public sealed partial class Interface : ITcpSegmentSender
{
    // Set by TryGetTcpTransmitSlot when the ring had no room for the segment being sent.
    private bool _tcpRingFull;

    private TcpStack _tcp = null!;

    /// <summary>What TCP has sent, received and recovered.</summary>
    public TcpCounters TcpCounters => _tcp.Counters;

    /// <summary>TCP connections in any state, TIME-WAIT included.</summary>
    public int TcpConnectionCount => _tcp.ConnectionCount;

    /// <summary>The TCP stack itself, for tests that count its internal work.</summary>
    internal TcpStack TcpStack => _tcp;

    private void InitializeTcp(InterfaceOptions options)
    {
        _tcp = new TcpStack(options.Tcp, this, Counters, options.RandomSeed);
    }

    /// <summary>Starts listening for connections on <paramref name="local"/>.</summary>
    /// <param name="local">One of our addresses, or <see cref="IpAddress.AnyIpv4"/> (IPv4 only) or <see cref="IpAddress.AnyIpv6"/> (both families); a port other than 0.</param>
    /// <param name="backlog">How many connections may wait, half-open or not yet accepted; SYNs beyond it are dropped and counted.</param>
    /// <param name="listener">The listener.</param>
    /// <returns>False when the port is taken by another listener, the listener table is full, or the address is not ours.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="backlog"/> is below 1.</exception>
    public bool TryListenTcp(IpEndpoint local, int backlog, out TcpListenerHandle listener)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(backlog, 1);
        listener = default;
        if (!local.Address.IsUnspecified && !IsLocalAddress(local.Address)) return false;
        return _tcp.TryListen(local.Address, local.Port, backlog, out listener);
    }

    /// <summary>Takes the oldest established connection waiting on a listener.</summary>
    /// <returns>False when none is waiting or the listener is closed.</returns>
    public bool TryAcceptTcp(TcpListenerHandle listener, out TcpHandle connection) => _tcp.TryAccept(listener, out connection);

    /// <summary>
    /// Tells the listener how many connections it handed out through <see cref="TryAcceptTcp"/> still wait in the
    /// caller's own accept queue (a sockets runtime's): they count against the backlog with the half-open and queued
    /// ones, so the backlog bounds every connection not yet accepted by the application.
    /// </summary>
    public void SetTcpListenerHeldOutside(TcpListenerHandle listener, int held)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(held);
        _tcp.SetListenerHeldOutside(listener, held);
    }

    /// <summary>Stops listening; connections not yet accepted are reset. A closed handle is ignored.</summary>
    public void CloseTcpListener(TcpListenerHandle listener, Instant now) => _tcp.CloseListener(listener, now);

    /// <summary>Opens a connection to <paramref name="remote"/>: the SYN goes out now (or once the next hop is resolved).</summary>
    /// <param name="remote">A unicast address that is not ours, and a port other than 0.</param>
    /// <param name="localPort">The local port, or 0 for an ephemeral one.</param>
    /// <param name="now">The current time.</param>
    /// <param name="connection">The connection, in <see cref="TcpState.SynSent"/>.</param>
    /// <returns>False when there is no route, the 4-tuple is in use, or every connection slot is taken.</returns>
    public bool TryConnectTcp(IpEndpoint remote, ushort localPort, Instant now, out TcpHandle connection)
    {
        connection = default;
        if (!TrySelectTcpSource(remote.Address, now, out var local)) return false;
        return _tcp.TryConnect(local, remote, localPort, now, out connection);
    }

    /// <summary>
    /// The local address a connection to <paramref name="remote"/> would use (the route's source address). A sharded
    /// stack asks before it connects, to pick a local port whose replies hash back to it.
    /// </summary>
    /// <returns>False when there is no route or the address cannot be connected to.</returns>
    public bool TrySelectTcpSourceAddress(IpAddress remote, Instant now, out IpAddress local) => TrySelectTcpSource(remote, now, out local);

    /// <summary>Appends data to the connection's send ring and sends what the windows allow.</summary>
    /// <returns>The bytes accepted: fewer than offered (or 0) when the ring is full.</returns>
    /// <exception cref="ArgumentException">The handle is closed or was never assigned.</exception>
    /// <exception cref="InvalidOperationException">The connection cannot send: its write side is shut, or it has closed (see <see cref="GetTcpInfo"/>).</exception>
    public int WriteTcp(TcpHandle connection, ReadOnlySpan<byte> data, Instant now) => WriteTcp(connection, data, more: false, now);

    /// <summary>
    /// Appends data to the connection's send ring; with <paramref name="more"/> nothing is sent until the next write
    /// without it (which may be empty), as MSG_MORE does, so that data written in two parts (the two halves of a
    /// wrapped ring) leaves as one segment instead of a short one that Nagle's rule then waits behind.
    /// </summary>
    /// <returns>The bytes accepted: fewer than offered (or 0) when the ring is full.</returns>
    /// <exception cref="ArgumentException">The handle is closed or was never assigned.</exception>
    /// <exception cref="InvalidOperationException">The connection cannot send: its write side is shut, or it has closed.</exception>
    public int WriteTcp(TcpHandle connection, ReadOnlySpan<byte> data, bool more, Instant now)
    {
        var tcb = GetTcb(connection);
        int written = tcb.Write(data, more, now);
        _tcp.Settle(tcb);
        if (written < 0)
            throw new InvalidOperationException($"The connection cannot send in state {tcb.State} (error {tcb.Error}); check GetTcpInfo before writing.");
        return written;
    }

    /// <summary>
    /// Turns Nagle's rule off (<paramref name="noDelay"/> true, as TCP_NODELAY) or on for one connection; the default
    /// is <see cref="TcpOptions.Nagle"/>. Turning it off sends the short segment it was holding back.
    /// </summary>
    /// <exception cref="ArgumentException">The handle is closed or was never assigned.</exception>
    public void SetTcpNoDelay(TcpHandle connection, bool noDelay, Instant now)
    {
        var tcb = GetTcb(connection);
        tcb.SetNoDelay(noDelay, now);
        _tcp.Settle(tcb);
    }

    /// <summary>Copies received bytes out. Returns 0 when nothing is waiting; <see cref="TcpConnectionInfo.ReadCompleted"/> tells end of stream.</summary>
    /// <exception cref="ArgumentException">The handle is closed or was never assigned.</exception>
    public int ReadTcp(TcpHandle connection, Span<byte> buffer, Instant now)
    {
        var tcb = GetTcb(connection);
        int read = tcb.Read(buffer, now);
        _tcp.Settle(tcb);
        return read;
    }

    /// <summary>Sends a FIN after the data written so far; reading continues until the peer closes.</summary>
    /// <exception cref="ArgumentException">The handle is closed or was never assigned.</exception>
    public void ShutdownTcpWrite(TcpHandle connection, Instant now)
    {
        var tcb = GetTcb(connection);
        tcb.ShutdownWrite(now);
        _tcp.Settle(tcb);
    }

    /// <summary>
    /// Releases the handle. Written data is still delivered and the connection closes in the background (FIN,
    /// TIME-WAIT); if received data was left unread the connection is reset instead. A closed handle is ignored.
    /// </summary>
    public void CloseTcp(TcpHandle connection, Instant now)
    {
        if (!_tcp.TryGet(connection, out var tcb)) return;
        tcb.Close(now);
        _tcp.Release(tcb);
    }

    /// <summary>Resets the connection and releases the handle. A closed handle is ignored.</summary>
    public void AbortTcp(TcpHandle connection, Instant now)
    {
        if (!_tcp.TryGet(connection, out var tcb)) return;
        tcb.OwnedByApplication = false;
        tcb.Abort(now, TcpError.Aborted);
        _tcp.Release(tcb);
    }

    /// <summary>The connection's state; <see cref="TcpState.Closed"/> for a closed handle.</summary>
    public TcpState GetTcpState(TcpHandle connection) => _tcp.TryGet(connection, out var tcb) ? tcb.State : TcpState.Closed;

    /// <summary>A snapshot of the connection: state, readiness (readable and writable bytes) and negotiated parameters.</summary>
    /// <exception cref="ArgumentException">The handle is closed or was never assigned.</exception>
    public TcpConnectionInfo GetTcpInfo(TcpHandle connection)
    {
        var tcb = GetTcb(connection);
        var key = tcb.Key;
        return new TcpConnectionInfo
        {
            State = tcb.State,
            Error = tcb.Error,
            LocalEndpoint = new IpEndpoint(key.LocalAddress, key.LocalPort),
            RemoteEndpoint = new IpEndpoint(key.RemoteAddress, key.RemotePort),
            ReadableBytes = tcb.ReadableBytes,
            WritableBytes = tcb.WritableBytes,
            ReadCompleted = tcb.ReadCompleted,
            SendMss = tcb.SendMss,
            CongestionWindow = tcb.CongestionWindow,
            SendWindow = tcb.SendWindow,
            BytesInFlight = tcb.BytesInFlight,
            SmoothedRtt = tcb.SmoothedRtt,
            WindowScaling = tcb.WindowScalingOn,
            Timestamps = tcb.TimestampsOn,
            SelectiveAcknowledgments = tcb.SackOn,
        };
    }

    /// <summary>
    /// Takes the next connection the application owns that received segments or ran a timer since it was last taken:
    /// a readiness list, so that a runtime services only the connections that changed. Each is listed once until taken.
    /// </summary>
    /// <returns>False when no connection changed.</returns>
    public bool TryTakeTcpActivity(out TcpHandle connection) => _tcp.TryTakeActivity(out connection);

    /// <summary>When TCP next needs <see cref="Poll"/> for its timers; for callers that wrote or read after the last poll.</summary>
    public Instant NextTcpDeadline => _tcp.NextDeadline;

    private TcpControlBlock GetTcb(TcpHandle connection)
    {
        if (_tcp.TryGet(connection, out var tcb)) return tcb;
        throw new ArgumentException("The TCP handle is closed or was never assigned; use the handle TryConnectTcp or TryAcceptTcp gave, before CloseTcp.", nameof(connection));
    }

    private bool IsLocalAddress(IpAddress address) =>
        address.IsIpv4 ? IndexOfAddress(address.AsIpv4) >= 0 : _ipv6Enabled && IndexOfIpv6Address(address.AsIpv6) >= 0;

    private bool TrySelectTcpSource(IpAddress remote, Instant now, out IpAddress local)
    {
        local = default;
        if (remote.IsUnspecified || remote.IsMulticast || IsLocalAddress(remote)) return false;
        if (remote.IsIpv4)
        {
            var v4 = remote.AsIpv4;
            if (!v4.IsUnicast || v4.IsLoopback || IsBroadcastFor(v4) || _addresses.Length == 0) return false;
            if (!_routes.TryLookup(v4, now, out var nextHop)) return false;
            local = SelectSource(nextHop);
            return true;
        }
        if (!_ipv6Enabled || remote.AsIpv6.IsLoopback) return false;
        if (!_ipv6Routes.TryLookup(remote.AsIpv6, now, out _)) return false;
        local = SelectIpv6Source(remote.AsIpv6, now);
        return !local.IsUnspecified;
    }

    // Called from DeliverIpv4 and DeliverIpv6 for a datagram to one of our unicast addresses.
    private void ProcessTcp(IpAddress source, IpAddress destination, ReadOnlySpan<byte> payload, Instant now)
    {
        var error = TcpPacket.TryParse(payload, out var packet);
        if (error != WireError.None)
        {
            Counters.DropMalformed(error);
            return;
        }
        if (source.IsMulticast || source.IsUnspecified || destination.IsMulticast)
        {
            Counters.Drop(InterfaceDropReason.TcpBadAddress);
            return;
        }
        uint pseudoHeader = InternetChecksum.PseudoHeaderSum(source, destination, IpProtocol.Tcp, payload.Length);
        // Only the header is summed here; the stack sums the payload as it copies it into the receive ring (or in
        // place, when it is not stored) and drops the segment before acting on it if the total is wrong.
        var checksum = _transportChecksumTrusted ? default : new PendingChecksum(InternetChecksum.Sum(packet.Header, pseudoHeader));
        error = TcpRepr.Parse(packet, pseudoHeader, out var segment, verifyChecksum: false);
        if (error != WireError.None)
        {
            // A corrupted option is a bad checksum first.
            if (!checksum.Verify(packet.Payload)) Counters.Drop(InterfaceDropReason.TcpBadChecksum);
            else Counters.DropMalformed(error);
            return;
        }
        if (segment.SourcePort == 0 || segment.DestinationPort == 0)
        {
            Counters.Drop(checksum.Verify(packet.Payload) ? InterfaceDropReason.TcpBadAddress : InterfaceDropReason.TcpBadChecksum);
            return;
        }
        if (!_tcp.OnSegment(destination, source, segment, packet.Payload, checksum, now)) Counters.Drop(InterfaceDropReason.NoSocket);
    }

    private void RunTcpTimers(Instant now)
    {
        if (now >= _tcp.NextDeadline) _tcp.RunTimers(now);
    }

    int ITcpSegmentSender.MaxPayloadFor(IpAddress remote, Instant now)
    {
        if (remote.IsIpv4)
        {
            int mtu = _pathMtu.Count == 0 ? _mtu : Math.Min(_mtu, _pathMtu.GetMtu(remote.AsIpv4, now));
            return mtu - Ipv4HeaderLength - TcpPacket.MinHeaderLength;
        }
        int mtu6 = !_ipv6Enabled ? Ipv6Packet.MinimumMtu : _ipv6PathMtu.Count == 0 ? _ipv6LinkMtu : Math.Min(_ipv6LinkMtu, _ipv6PathMtu.GetMtu(remote.AsIpv6, now));
        return mtu6 - Ipv6Packet.HeaderLength - TcpPacket.MinHeaderLength;
    }

    // Only when no smaller path MTU is known: a segment the device cuts to the link's MTU must fit the path too.
    int ITcpSegmentSender.MaxOffloadPayloadFor(IpAddress remote)
    {
        if (_offloadLength == 0) return 0;
        if (remote.IsIpv4)
            return _pathMtu.Count == 0 ? _offloadLength - Ipv4HeaderLength - TcpPacket.MinHeaderLength : 0;
        return _ipv6Enabled && _ipv6PathMtu.Count == 0 && _ipv6LinkMtu == _mtu ? _offloadLength - Ipv6Packet.HeaderLength - TcpPacket.MinHeaderLength : 0;
    }

    TcpSendResult ITcpSegmentSender.SendSegment(in TcpConnectionKey key, in TcpRepr header, ReadOnlySpan<byte> first, ReadOnlySpan<byte> second, Instant now, int segmentSize)
    {
        _tcpRingFull = false;
        bool sent = key.RemoteAddress.IsIpv4
            ? SendTcpIpv4(key.LocalAddress.AsIpv4, key.RemoteAddress.AsIpv4, header, first, second, now, segmentSize)
            : SendTcpIpv6(key.LocalAddress.AsIpv6, key.RemoteAddress.AsIpv6, header, first, second, now, segmentSize);
        return sent ? TcpSendResult.Sent : _tcpRingFull ? TcpSendResult.Blocked : TcpSendResult.Dropped;
    }

    // TCP never fragments: segments are sized to the path MTU, and sent with DF so that the path can say otherwise.
    // A longer one (segmentSize above 0 and below its payload) goes only to a device that cuts it into segments.
    private bool SendTcpIpv4(Ipv4Address source, Ipv4Address destination, in TcpRepr header, ReadOnlySpan<byte> first, ReadOnlySpan<byte> second, Instant now, int segmentSize)
    {
        int tcpLength = header.TotalLength;
        if (!_routes.TryLookup(destination, now, out var nextHop))
        {
            Counters.Drop(InterfaceDropReason.NoRoute);
            return false;
        }
        var ip = new Ipv4Repr(source, destination, IpProtocol.Tcp, tcpLength, _timeToLive)
        {
            Identification = _nextIdentification++,
            DontFragment = true,
        };
        int packetLength = Ipv4HeaderLength + tcpLength;
        bool segmented = segmentSize > 0 && header.PayloadLength > segmentSize;
        if (packetLength > (segmented ? _offloadLength : _mtu))
        {
            Counters.Drop(InterfaceDropReason.PacketTooBig);
            return false;
        }
        var lookup = _neighbors.Lookup(nextHop, now);
        switch (lookup.Result)
        {
            case NeighborLookupResult.Found:
                if (!TryGetTcpTransmitSlot(out var slot)) return false;
                WriteEthernetHeader(slot, lookup.Mac, EtherType.Ipv4);
                ip.Emit(slot[EthernetHeaderLength..]);
                EmitTcp(slot.Slice(EthernetHeaderLength + Ipv4HeaderLength, tcpLength), header, first, second, ip.PseudoHeaderSum());
                if (segmented) CommitSegmented(EthernetHeaderLength + packetLength, segmentSize);
                else Commit(slot, EthernetHeaderLength + packetLength);
                return true;
            // The resolution queue holds MTU-sized packets: a long segment is lost, and resent by the timer.
            case NeighborLookupResult.SendRequest or NeighborLookupResult.Pending when segmented:
                if (lookup.Result == NeighborLookupResult.SendRequest) SendArpRequest(nextHop, MacAddress.Broadcast);
                Counters.Drop(InterfaceDropReason.PacketTooBig);
                return false;
            case NeighborLookupResult.SendRequest:
            case NeighborLookupResult.Pending:
                if (lookup.Result == NeighborLookupResult.SendRequest) SendArpRequest(nextHop, MacAddress.Broadcast);
                var packet = _scratch.AsSpan(0, packetLength);
                ip.Emit(packet);
                EmitTcp(packet.Slice(Ipv4HeaderLength, tcpLength), header, first, second, ip.PseudoHeaderSum());
                bool queued = _neighbors.TryQueue(nextHop, packet, now);
                SyncNeighborDrops();
                return queued;
            default:
                Counters.Drop(InterfaceDropReason.NeighborTableFull);
                return false;
        }
    }

    private bool SendTcpIpv6(Ipv6Address source, Ipv6Address destination, in TcpRepr header, ReadOnlySpan<byte> first, ReadOnlySpan<byte> second, Instant now, int segmentSize)
    {
        if (!_ipv6Enabled || !_ipv6Routes.TryLookup(destination, now, out var nextHop))
        {
            Counters.Drop(InterfaceDropReason.NoRoute);
            return false;
        }
        int tcpLength = header.TotalLength;
        var ip = new Ipv6Repr(source, destination, IpProtocol.Tcp, tcpLength, _ipv6HopLimit);
        uint pseudoHeader = InternetChecksum.PseudoHeaderSum(source, destination, IpProtocol.Tcp, tcpLength);
        int packetLength = Ipv6Packet.HeaderLength + tcpLength;
        bool segmented = segmentSize > 0 && header.PayloadLength > segmentSize;
        // IPv6's payload length field counts the upper layer only; a jumbogram is never needed below 64 KiB.
        if (packetLength > (segmented ? Math.Min(_offloadLength, Ipv6Packet.HeaderLength + ushort.MaxValue) : _ipv6LinkMtu))
        {
            Counters.Drop(InterfaceDropReason.PacketTooBig);
            return false;
        }
        var lookup = _ipv6Neighbors.Lookup(nextHop, now);
        switch (lookup.Result)
        {
            case NeighborLookupResult.Found:
                if (!TryGetTcpTransmitSlot(out var slot)) return false;
                WriteEthernetHeader(slot, lookup.Mac, EtherType.Ipv6);
                ip.Emit(slot[EthernetHeaderLength..]);
                EmitTcp(slot.Slice(EthernetHeaderLength + Ipv6Packet.HeaderLength, tcpLength), header, first, second, pseudoHeader);
                if (segmented) CommitSegmented(EthernetHeaderLength + packetLength, segmentSize);
                else Commit(slot, EthernetHeaderLength + packetLength);
                return true;
            case NeighborLookupResult.SendRequest or NeighborLookupResult.Pending when segmented:
                if (lookup.Result == NeighborLookupResult.SendRequest) SendNeighborSolicitation(nextHop, default, now);
                Counters.Drop(InterfaceDropReason.PacketTooBig);
                return false;
            case NeighborLookupResult.SendRequest:
            case NeighborLookupResult.Pending:
                if (lookup.Result == NeighborLookupResult.SendRequest) SendNeighborSolicitation(nextHop, default, now);
                var packet = _scratch.AsSpan(0, packetLength);
                ip.Emit(packet);
                EmitTcp(packet.Slice(Ipv6Packet.HeaderLength, tcpLength), header, first, second, pseudoHeader);
                bool queued = _ipv6Neighbors.TryQueue(nextHop, packet, now);
                SyncIpv6NeighborDrops();
                return queued;
            default:
                Counters.Drop(InterfaceDropReason.NeighborTableFull);
                return false;
        }
    }

    // A full ring is not a loss for TCP: the segment stays in the send ring and the connection tries again
    // (TcpSendResult.Blocked), so nothing is counted as dropped here.
    private bool TryGetTcpTransmitSlot(out Span<byte> slot)
    {
        if (_device.TryGetTransmitSlot(out slot)) return true;
        _device.Flush();
        if (_device.TryGetTransmitSlot(out slot)) return true;
        _tcpRingFull = true;
        return false;
    }

    // A frame far above the minimum length, for the device to cut into segments of segmentSize payload bytes.
    private void CommitSegmented(int length, int segmentSize)
    {
        _device.CommitTransmit(length, FrameOffload.TcpSegmentation(segmentSize));
        _framesCommitted++;
    }

    // The one copy of the payload: from the send ring into the frame, summed on the way.
    private static void EmitTcp(Span<byte> segment, in TcpRepr header, ReadOnlySpan<byte> first, ReadOnlySpan<byte> second, uint pseudoHeader)
    {
        header.EmitHeader(segment);
        uint payloadSum = TcpRepr.CopyPayloadAndSum(first, second, segment[header.HeaderLength..]);
        TcpRepr.FillChecksum(segment, pseudoHeader, payloadSum);
    }
}
