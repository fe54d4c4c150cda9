using Wirestack.Iface;
using Wirestack.Wire;

namespace Wirestack.Tcp;

/// <summary>
/// All TCP connections and listeners of one interface: O(1) demultiplexing by 4-tuple (a dictionary with a struct
/// key, sized up front), generation-checked slots, listeners with SYN and accept queues, RSTs for closed ports and a
/// deadline heap so that a poll costs O(expiring connections).
/// </summary>
internal sealed class TcpStack
{
    private const int EphemeralFirst = 49152;
    private const int EphemeralCount = 65536 - EphemeralFirst;

    private readonly TcpOptions _options;
    private readonly ITcpSegmentSender _sender;
    private readonly InterfaceCounters _interfaceCounters;
    private readonly TcpControlBlock[] _blocks;
    private readonly int[] _free;
    private int _freeCount;
    private readonly Dictionary<TcpConnectionKey, int> _connections;
    private readonly TcpListener[] _listeners;
    private readonly TcpTimerHeap _timers;
    private readonly InitialSequenceNumbers _isn;
    private readonly byte[] _cookieKey = new byte[16];
    private StackRandom _random;
    private int _nextEphemeral;
    // Connections an application owns that segments or timers touched since it last looked: its readiness list.
    private readonly int[] _activity;
    private readonly bool[] _activityNoted;
    private int _activityCount;
    // Connections holding an ACK until the receive batch ends; only while the interface is inside one.
    private readonly int[] _batchAcks;
    private int _batchAckCount;
    private bool _inReceiveBatch;

    // A seed of 0 means "not simulating": the ISN secret then comes from the system's cryptographic generator.
    public TcpStack(TcpOptions options, ITcpSegmentSender sender, InterfaceCounters interfaceCounters, ulong seed)
    {
        options.Validate();
        _options = options;
        _sender = sender;
        _interfaceCounters = interfaceCounters;
        _blocks = new TcpControlBlock[options.ConnectionCapacity];
        _free = new int[options.ConnectionCapacity];
        for (int i = 0; i < _blocks.Length; i++)
        {
            _blocks[i] = new TcpControlBlock(this, options, sender) { Index = i };
            _free[i] = _blocks.Length - 1 - i;
        }
        _freeCount = _blocks.Length;
        _connections = new Dictionary<TcpConnectionKey, int>(options.ConnectionCapacity);
        _listeners = new TcpListener[options.ListenerCapacity];
        for (int i = 0; i < _listeners.Length; i++) _listeners[i] = new TcpListener();
        _timers = new TcpTimerHeap(options.ConnectionCapacity);
        _activity = new int[options.ConnectionCapacity];
        _activityNoted = new bool[options.ConnectionCapacity];
        _batchAcks = new int[options.ConnectionCapacity];
        _random = new StackRandom(seed == 0 ? (ulong)Environment.TickCount64 : seed ^ 0x7463_7063_6F72_6531UL);
        _nextEphemeral = (int)_random.NextInt64(EphemeralCount);
        Span<byte> secret = stackalloc byte[16];
        if (seed == 0)
        {
            System.Security.Cryptography.RandomNumberGenerator.Fill(secret);
        }
        else
        {
            BitConverter.TryWriteBytes(secret, _random.NextUInt64());
            BitConverter.TryWriteBytes(secret[8..], _random.NextUInt64());
        }
        _isn = new InitialSequenceNumbers(secret);
        // The cookie key is the ISN secret under another hash input order; a separate draw keeps them independent.
        if (seed == 0) System.Security.Cryptography.RandomNumberGenerator.Fill(_cookieKey);
        else for (int i = 0; i < _cookieKey.Length; i++) _cookieKey[i] = (byte)_random.NextUInt64();
    }

    public TcpCounters Counters { get; } = new();

    public TcpOptions Options => _options;

    /// <summary>Connections in any state, TIME-WAIT included.</summary>
    public int ConnectionCount => _blocks.Length - _freeCount;

    public Instant NextDeadline => _timers.Next;

    /// <summary>Connections with a deadline in the timer heap.</summary>
    internal int PendingTimers => _timers.Count;

    /// <summary>How many expired deadlines <see cref="RunTimers"/> has taken off the heap: its work, for tests.</summary>
    internal long TimerVisits { get; private set; }

    internal void CountDrop(InterfaceDropReason reason) => _interfaceCounters.Drop(reason);

    private Instant _challengeWindowStart;
    private int _challengeAcksInWindow;

    // RFC 5961 section 7: challenge ACKs are rate-limited, so that an attacker cannot use them as an amplifier or a
    // side channel; the limit is per stack and per second.
    internal bool TryTakeChallengeAck(Instant now)
    {
        if (now - _challengeWindowStart >= TimeSpan.FromSeconds(1))
        {
            _challengeWindowStart = now;
            _challengeAcksInWindow = 0;
        }
        if (_challengeAcksInWindow >= _options.ChallengeAckLimit)
        {
            Counters.ChallengeAcksSuppressedField++;
            return false;
        }
        _challengeAcksInWindow++;
        return true;
    }

    // ---- Arrival ----

    /// <summary>The interface starts handing over one batch of received frames.</summary>
    public void BeginReceiveBatch() => _inReceiveBatch = true;

    /// <summary>The batch is handled: every connection that held an ACK for it sends one now.</summary>
    public void EndReceiveBatch(Instant now)
    {
        _inReceiveBatch = false;
        for (int i = 0; i < _batchAckCount; i++)
        {
            var tcb = _blocks[_batchAcks[i]];
            if (!tcb.InUse) continue;
            tcb.SendBatchAck(now);
            Settle(tcb);
        }
        _batchAckCount = 0;
    }

    // Inside a receive batch, lists the connection once for EndReceiveBatch; outside one, the ACK goes at once.
    internal bool TryDeferAck(TcpControlBlock tcb, bool alreadyListed)
    {
        if (!_inReceiveBatch) return false;
        if (alreadyListed) return true;
        // A slot freed and reused within one batch can be listed twice; a full list sends the ACK at once.
        if (_batchAckCount == _batchAcks.Length) return false;
        _batchAcks[_batchAckCount++] = tcb.Index;
        return true;
    }

    /// <summary>
    /// Delivers a parsed segment whose checksum is verified here, as <paramref name="checksum"/> says, before anything
    /// acts on it (a bad one is dropped and counted). Returns false when no connection or listener wants it (the
    /// caller counts it; a reset has been sent unless it was one).
    /// </summary>
    public bool OnSegment(IpAddress local, IpAddress remote, in TcpRepr segment, ReadOnlySpan<byte> payload, in PendingChecksum checksum, Instant now)
    {
        var key = new TcpConnectionKey(local, segment.DestinationPort, remote, segment.SourcePort);
        if (_connections.TryGetValue(key, out int index))
        {
            var tcb = _blocks[index];
            // Before anything acts on the segment: its payload is summed as it is copied into the receive ring.
            bool staged = false;
            if (checksum.IsPending && !tcb.VerifyChecksum(segment, payload, checksum, out staged))
            {
                CountDrop(InterfaceDropReason.TcpBadChecksum);
                return true;
            }
            Counters.SegmentsReceivedField++;
            if (tcb.State == TcpState.SynReceived && tcb.Listener >= 0 && _listeners[tcb.Listener].AcceptQueueFull
                && (segment.Flags & (TcpFlags.Ack | TcpFlags.Rst | TcpFlags.Syn)) == TcpFlags.Ack)
            {
                // The handshake would complete into a full accept queue (SYN cookies took the room meanwhile): drop
                // the ACK, as Linux does; our SYN-ACK retransmission or the peer's data brings it again.
                CountDrop(InterfaceDropReason.TcpListenQueueFull);
                return true;
            }
            tcb.OnSegment(segment, payload, staged, now);
            Settle(tcb);
            NoteActivity(tcb);
            return true;
        }
        if (!checksum.Verify(payload))
        {
            CountDrop(InterfaceDropReason.TcpBadChecksum);
            return true;
        }
        Counters.SegmentsReceivedField++;
        var flags = segment.Flags;
        int listener = FindListener(local, segment.DestinationPort);
        if (listener >= 0 && (flags & (TcpFlags.Rst | TcpFlags.Ack | TcpFlags.Syn)) == TcpFlags.Syn)
        {
            OnSynToListener(listener, key, segment, now);
            return true;
        }
        if (listener >= 0 && (flags & (TcpFlags.Rst | TcpFlags.Ack | TcpFlags.Syn)) == TcpFlags.Ack && TryAcceptCookie(listener, key, segment, payload, now)) return true;
        if (listener >= 0 && (flags & (TcpFlags.Rst | TcpFlags.Ack)) == 0) return true;
        if ((flags & TcpFlags.Rst) == 0) SendResetFor(key, segment, payload.Length, now);
        return listener >= 0;
    }

    private void OnSynToListener(int listenerIndex, in TcpConnectionKey key, in TcpRepr syn, Instant now)
    {
        var listener = _listeners[listenerIndex];
        if (listener.AcceptQueueFull)
        {
            CountDrop(InterfaceDropReason.TcpListenQueueFull);
            return;
        }
        if (listener.IsFull)
        {
            // The SYN queue is full (a flood, or a slow network): answer statelessly with a SYN cookie.
            SendCookieSynAck(key, syn, now);
            return;
        }
        if (!TryAllocate(out var tcb))
        {
            CountDrop(InterfaceDropReason.TcpConnectionTableFull);
            return;
        }
        listener.HalfOpen++;
        _connections[key] = tcb.Index;
        tcb.Accept(key, NextIss(key, now), syn, listenerIndex, now);
        Settle(tcb);
    }

    // RFC 4987 section 3.6: the SYN-ACK's ISN encodes the peer's MSS and a MAC; nothing is kept. Without room for the
    // other options the connection goes without window scaling, timestamps and SACK.
    private void SendCookieSynAck(in TcpConnectionKey key, in TcpRepr syn, Instant now)
    {
        int mss = syn.MaxSegmentSize is ushort m && m > 0 ? m : 536;
        uint cookie = SynCookies.Encode(_cookieKey, new IpEndpoint(key.LocalAddress, key.LocalPort), new IpEndpoint(key.RemoteAddress, key.RemotePort), syn.SequenceNumber, mss, now);
        var synAck = new TcpRepr
        {
            SourcePort = key.LocalPort,
            DestinationPort = key.RemotePort,
            SequenceNumber = new TcpSeqNumber(cookie),
            AcknowledgmentNumber = syn.SequenceNumber + 1,
            Flags = TcpFlags.Syn | TcpFlags.Ack,
            WindowSize = (ushort)Math.Min(_options.ReceiveBufferLength, ushort.MaxValue),
            MaxSegmentSize = (ushort)Math.Min(_sender.MaxPayloadFor(key.RemoteAddress, now), ushort.MaxValue),
        };
        if (_sender.SendSegment(key, synAck, default, default, now) == TcpSendResult.Sent)
        {
            Counters.SegmentsSentField++;
            Counters.SynCookiesSentField++;
        }
    }

    private bool TryAcceptCookie(int listenerIndex, in TcpConnectionKey key, in TcpRepr ack, ReadOnlySpan<byte> payload, Instant now)
    {
        var listener = _listeners[listenerIndex];
        if (listener.AcceptQueueFull)
        {
            // As Linux does: drop the handshake's last ACK rather than reset; the peer retransmits, and its cookie
            // is still good once the application has made room.
            if (SynCookies.TryDecode(_cookieKey, new IpEndpoint(key.LocalAddress, key.LocalPort), new IpEndpoint(key.RemoteAddress, key.RemotePort),
                ack.SequenceNumber - 1, ack.AcknowledgmentNumber - 1, now, out _))
            {
                CountDrop(InterfaceDropReason.TcpListenQueueFull);
                return true;
            }
            return false;
        }
        if (!SynCookies.TryDecode(_cookieKey, new IpEndpoint(key.LocalAddress, key.LocalPort), new IpEndpoint(key.RemoteAddress, key.RemotePort),
            ack.SequenceNumber - 1, ack.AcknowledgmentNumber - 1, now, out int mss))
            return false;
        if (!TryAllocate(out var tcb))
        {
            CountDrop(InterfaceDropReason.TcpConnectionTableFull);
            return true;
        }
        Counters.SynCookiesAcceptedField++;
        _connections[key] = tcb.Index;
        listener.HalfOpen++;
        tcb.AcceptCookie(key, ack, mss, listenerIndex, now);
        if (!payload.IsEmpty || (ack.Flags & TcpFlags.Fin) != 0) tcb.OnSegment(ack, payload, payloadStaged: false, now);
        Settle(tcb);
        return true;
    }

    // RFC 9293 section 3.10.7.1: a reset for a segment that reaches no connection.
    private void SendResetFor(in TcpConnectionKey key, in TcpRepr segment, int payloadLength, Instant now)
    {
        var reset = new TcpRepr { SourcePort = key.LocalPort, DestinationPort = key.RemotePort };
        if (segment.HasAck)
        {
            reset.SequenceNumber = segment.AcknowledgmentNumber;
            reset.Flags = TcpFlags.Rst;
        }
        else
        {
            reset.AcknowledgmentNumber = segment.SequenceNumber + (payloadLength + ((segment.Flags & TcpFlags.Syn) != 0 ? 1 : 0) + ((segment.Flags & TcpFlags.Fin) != 0 ? 1 : 0));
            reset.Flags = TcpFlags.Rst | TcpFlags.Ack;
        }
        if (_sender.SendSegment(key, reset, default, default, now) == TcpSendResult.Sent)
        {
            Counters.SegmentsSentField++;
            Counters.ResetsSentField++;
        }
    }

    // RFC 6191-style reuse: a new SYN for a connection in TIME-WAIT, above its sequence space (or with a newer
    // timestamp), ends the old incarnation and opens a new one on the listener.
    internal bool TryReuseTimeWait(TcpControlBlock tcb, in TcpRepr syn, Instant now)
    {
        var key = tcb.Key;
        int listener = FindListener(key.LocalAddress, key.LocalPort);
        if (listener < 0 || !tcb.AcceptsNewIncarnation(syn)) return false;
        Free(tcb);
        OnSynToListener(listener, key, syn, now);
        return true;
    }

    // ---- Application ----

    public bool TryListen(IpAddress address, ushort port, int backlog, out TcpListenerHandle handle)
    {
        handle = default;
        if (port == 0 || backlog < 1) return false;
        int free = -1;
        for (int i = 0; i < _listeners.Length; i++)
        {
            var l = _listeners[i];
            if (!l.InUse)
            {
                if (free < 0) free = i;
                continue;
            }
            if (l.Port == port && (l.Address == address || l.Address.IsUnspecified || address.IsUnspecified)) return false;
        }
        if (free < 0) return false;
        _listeners[free].Open(address, port, Math.Min(backlog, _options.ConnectionCapacity));
        handle = new TcpListenerHandle(free, _listeners[free].Generation);
        return true;
    }

    public bool TryAccept(TcpListenerHandle handle, out TcpHandle connection)
    {
        connection = default;
        if (!TryGetListener(handle, out var listener)) return false;
        while (listener.TryDequeue(out int index, out int generation))
        {
            var tcb = _blocks[index];
            if (!tcb.InUse || tcb.Generation != generation) continue;
            tcb.Listener = -1;
            tcb.Queued = false;
            tcb.OwnedByApplication = true;
            connection = new TcpHandle(index, generation);
            return true;
        }
        return false;
    }

    public void SetListenerHeldOutside(TcpListenerHandle handle, int held)
    {
        if (TryGetListener(handle, out var listener)) listener.HeldOutside = held;
    }

    public void CloseListener(TcpListenerHandle handle, Instant now)
    {
        if (!TryGetListener(handle, out var listener)) return;
        listener.Close();
        // Connections not yet accepted have no owner: reset them.
        for (int i = 0; i < _blocks.Length; i++)
        {
            var tcb = _blocks[i];
            if (tcb.InUse && tcb.Listener == handle.Index)
            {
                tcb.Listener = -1;
                tcb.Abort(now, TcpError.Aborted);
                Settle(tcb);
            }
        }
    }

    public bool IsListening(TcpListenerHandle handle) => TryGetListener(handle, out _);

    public bool TryConnect(IpAddress local, IpEndpoint remote, ushort localPort, Instant now, out TcpHandle handle)
    {
        handle = default;
        if (remote.Port == 0) return false;
        TcpConnectionKey key;
        if (localPort != 0)
        {
            key = new TcpConnectionKey(local, localPort, remote.Address, remote.Port);
            if (_connections.ContainsKey(key)) return false;
        }
        else
        {
            int attempt = 0;
            while (true)
            {
                if (attempt++ == EphemeralCount) return false;
                ushort port = (ushort)(EphemeralFirst + _nextEphemeral);
                _nextEphemeral = (_nextEphemeral + 1) % EphemeralCount;
                key = new TcpConnectionKey(local, port, remote.Address, remote.Port);
                if (!_connections.ContainsKey(key) && FindListener(local, port) < 0) break;
            }
        }
        if (!TryAllocate(out var tcb))
        {
            CountDrop(InterfaceDropReason.TcpConnectionTableFull);
            return false;
        }
        _connections[key] = tcb.Index;
        Counters.ConnectionsOpenedField++;
        tcb.Connect(key, NextIss(key, now), now);
        handle = new TcpHandle(tcb.Index, tcb.Generation);
        Settle(tcb);
        return true;
    }

    public bool TryGet(TcpHandle handle, out TcpControlBlock tcb)
    {
        if ((uint)handle.Index < (uint)_blocks.Length)
        {
            tcb = _blocks[handle.Index];
            if (tcb.InUse && tcb.OwnedByApplication && tcb.Generation == handle.Generation) return true;
        }
        tcb = null!;
        return false;
    }

    /// <summary>Call after any operation on a connection: reschedules its timer and frees it once finished.</summary>
    public void Settle(TcpControlBlock tcb)
    {
        if (!tcb.InUse) return;
        if (tcb.State == TcpState.Closed)
        {
            if (!tcb.OwnedByApplication) Free(tcb);
            else _timers.Remove(tcb.Index);
            return;
        }
        _timers.Set(tcb.Index, tcb.NextDeadline);
    }

    /// <summary>The application let go of a connection (after close or abort); frees it if it is finished.</summary>
    public void Release(TcpControlBlock tcb) => Settle(tcb);

    // ---- Timers ----

    public void RunTimers(Instant now)
    {
        // Bounded so that a connection whose deadline failed to move cannot spin the poll loop.
        int budget = _timers.Count * 2 + 16;
        while (_timers.Count > 0 && _timers.Next <= now && budget-- > 0)
        {
            var tcb = _blocks[_timers.Peek];
            TimerVisits++;
            tcb.OnTimer(now);
            Settle(tcb);
            NoteActivity(tcb);
            if (tcb.InUse && tcb.State != TcpState.Closed && tcb.NextDeadline <= now) _timers.Set(tcb.Index, now + TimeSpan.FromMilliseconds(1));
        }
    }

    /// <summary>
    /// Takes the next application-owned connection that a segment or a timer touched since it was last taken (each
    /// at most once until taken again), so that a runtime services only those instead of scanning every connection.
    /// </summary>
    public bool TryTakeActivity(out TcpHandle connection)
    {
        while (_activityCount > 0)
        {
            int index = _activity[--_activityCount];
            _activityNoted[index] = false;
            var tcb = _blocks[index];
            if (!tcb.InUse || !tcb.OwnedByApplication) continue;
            connection = new TcpHandle(index, tcb.Generation);
            return true;
        }
        connection = default;
        return false;
    }

    private void NoteActivity(TcpControlBlock tcb)
    {
        if (!tcb.InUse || !tcb.OwnedByApplication || _activityNoted[tcb.Index]) return;
        _activityNoted[tcb.Index] = true;
        _activity[_activityCount++] = tcb.Index;
    }

    // ---- Callbacks from control blocks ----

    internal void OnEstablished(TcpControlBlock tcb)
    {
        if (tcb.Listener < 0)
            return;
        var listener = _listeners[tcb.Listener];
        listener.HalfOpen--;
        if (!listener.TryEnqueue(tcb.Index, tcb.Generation))
        {
            CountDrop(InterfaceDropReason.TcpListenQueueFull);
            tcb.Listener = -1;
            return;
        }
        tcb.Queued = true;
        Counters.ConnectionsAcceptedField++;
    }

    internal void OnClosed(TcpControlBlock tcb)
    {
        // The 4-tuple is free at once: later segments get a reset, and the port may be used again.
        if (_connections.TryGetValue(tcb.Key, out int index) && index == tcb.Index) _connections.Remove(tcb.Key);
        if (tcb.Listener >= 0 && !tcb.Queued)
        {
            _listeners[tcb.Listener].HalfOpen--;
            tcb.Listener = -1;
        }
    }

    private void Free(TcpControlBlock tcb)
    {
        OnClosed(tcb);
        _timers.Remove(tcb.Index);
        tcb.Release();
        tcb.Generation++;
        _free[_freeCount++] = tcb.Index;
    }

    private bool TryAllocate(out TcpControlBlock tcb)
    {
        if (_freeCount == 0)
        {
            tcb = null!;
            return false;
        }
        tcb = _blocks[_free[--_freeCount]];
        tcb.Generation++;
        return true;
    }

    private int FindListener(IpAddress local, ushort port)
    {
        var listeners = _listeners;
        for (int i = 0; i < listeners.Length; i++)
            if (listeners[i].AcceptsFor(local, port)) return i;
        return -1;
    }

    private bool TryGetListener(TcpListenerHandle handle, out TcpListener listener)
    {
        if ((uint)handle.Index < (uint)_listeners.Length)
        {
            listener = _listeners[handle.Index];
            if (listener.InUse && listener.Generation == handle.Generation) return true;
        }
        listener = null!;
        return false;
    }

    // RFC 6528: a 4 µs clock plus a keyed hash of the 4-tuple.
    private TcpSeqNumber NextIss(in TcpConnectionKey key, Instant now) =>
        _isn.Next(new IpEndpoint(key.LocalAddress, key.LocalPort), new IpEndpoint(key.RemoteAddress, key.RemotePort), now);

    // RFC 7323 section 5.4: the timestamp clock's offset, a keyed hash of the 4-tuple (the same for every incarnation).
    internal uint TimestampOffset(in TcpConnectionKey key) =>
        _isn.TimestampOffset(new IpEndpoint(key.LocalAddress, key.LocalPort), new IpEndpoint(key.RemoteAddress, key.RemotePort));
}
