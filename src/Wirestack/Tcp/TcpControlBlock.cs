using Wirestack.Storage;
using Wirestack.Wire;

namespace Wirestack.Tcp;

/// <summary>
/// One TCP connection: the RFC 9293 state machine with its send and receive rings, RTT estimation, congestion
/// control and timers. It knows nothing of IP or devices: segments go out through an <see cref="ITcpSegmentSender"/>
/// and come in through <see cref="OnSegment"/>; its owner (<see cref="TcpStack"/>) demultiplexes and runs its timers.
/// </summary>
/// <remarks>
/// Files: this one holds the fields, opening and the application's side; <c>.Input.cs</c> the arrival of segments;
/// <c>.Output.cs</c> what and when to send; <c>.Retransmission.cs</c> loss recovery (RTO, SACK recovery per RFC 6675, NewReno without SACK);
/// <c>.Timers.cs</c> the delayed-ACK, persist, keep-alive and TIME-WAIT timers. Slots are reused: the rings are
/// allocated at the slot's first use and kept.
/// </remarks>
internal sealed partial class TcpControlBlock
{
    private const int DefaultIpv4Mss = 536;
    private const int DefaultIpv6Mss = 1220;
    private const int TimestampsOptionLength = 12;
    private const int MaxSynRetries = 6;

    private readonly TcpStack _stack;
    private readonly TcpOptions _options;
    private readonly ITcpSegmentSender _sender;
    private SendRing? _send;
    private ReceiveRing? _receive;
    private ICongestionControl? _congestion;

    private TcpConnectionKey _key;
    private TcpState _state;
    private TcpError _error;

    // Send sequence space (RFC 9293 section 3.3.1). SND.MAX is the highest sequence number sent, which SND.NXT falls
    // back from after a timeout. _sendBase is the sequence number of the send ring's head byte.
    private TcpSeqNumber _iss;
    private TcpSeqNumber _sndUna;
    private TcpSeqNumber _sndNxt;
    private TcpSeqNumber _sndMax;
    private TcpSeqNumber _sendBase;
    private TcpSeqNumber _sndWl1;
    private TcpSeqNumber _sndWl2;
    private int _sndWnd;
    private int _maxSndWnd;
    private bool _finQueued;
    // The application closed (not just shut down writing): nobody will read what arrives from now on.
    private bool _receiveClosed;
    // A write said more was coming: send when the next write without it comes.
    private bool _outputHeld;

    // Receive sequence space.
    private TcpSeqNumber _irs;
    private TcpSeqNumber _rcvNxt;
    private TcpSeqNumber _rcvAdvertisedEdge;
    private TcpSeqNumber _lastAckSent;
    private bool _remoteFinSeen;
    private TcpSeqNumber _remoteFinSeq;
    private bool _remoteFinProcessed;

    // Negotiated options.
    private int _peerMss;
    private int _ourMss;
    private byte _sndScale;
    private byte _rcvScale;
    private byte _offeredRcvScale;
    private bool _wsOfferedByPeer;
    private bool _timestamps;
    private bool _sackPermitted;
    private uint _tsOffset;
    private uint _tsRecent;
    private Instant _tsRecentAge;
    private Instant _lastUnacceptableAnswer;

    // A duplicate to report in the next ACK (RFC 2883 D-SACK).
    private TcpSeqNumber _dsackLeft;
    private TcpSeqNumber _dsackRight;
    private bool _dsackPending;

    // ACK policy.
    private bool _ackNow;
    private int _segmentsUnacked;
    // An ACK owed for every second segment, held until the stack has handled the whole receive batch (see TcpStack.EndReceiveBatch).
    private bool _ackAtBatchEnd;
    private int _quickAcks;

    public TcpControlBlock(TcpStack stack, TcpOptions options, ITcpSegmentSender sender)
    {
        _stack = stack;
        _options = options;
        _sender = sender;
    }

    /// <summary>The slot in the stack's table.</summary>
    public int Index { get; init; }

    /// <summary>Bumped each time the slot is reused; handles carry it.</summary>
    public int Generation { get; set; }

    /// <summary>True while the slot holds a connection (in any state, TIME-WAIT included).</summary>
    public bool InUse { get; private set; }

    /// <summary>True while the application holds a handle to it (after connect or accept, until close or abort).</summary>
    public bool OwnedByApplication { get; set; }

    /// <summary>The listener whose SYN or accept queue holds it; -1 for none.</summary>
    public int Listener { get; set; } = -1;

    /// <summary>True once counted into its listener's accept queue.</summary>
    public bool Queued { get; set; }

    /// <summary>
    /// Whether short segments go out without waiting for outstanding data to be acknowledged (Nagle off, as
    /// TCP_NODELAY); starts as <see cref="TcpOptions.Nagle"/> says. Set it with <see cref="SetNoDelay"/>.
    /// </summary>
    public bool NoDelay { get; private set; }

    public TcpConnectionKey Key => _key;
    public TcpState State => _state;
    public TcpError Error => _error;

    /// <summary>Bytes the application may read now.</summary>
    public int ReadableBytes => _receive?.Readable ?? 0;

    /// <summary>Bytes the application may write now (0 once the write side is shut or the connection is not open for sending).</summary>
    public int WritableBytes => CanSendData && !_finQueued ? _send!.Free : 0;

    /// <summary>True when the peer has closed its side and every byte it sent has been read.</summary>
    public bool ReadCompleted => _remoteFinProcessed && ReadableBytes == 0;

    /// <summary>The effective send MSS (payload bytes per full segment).</summary>
    public int SendMss => EffectiveMss(Instant.Zero);

    public int CongestionWindow => _congestion?.CongestionWindow ?? 0;
    public int SendWindow => _sndWnd;
    public int BytesInFlight => _sndNxt - _sndUna;
    public TimeSpan SmoothedRtt => _rtt.SmoothedRtt;
    public bool WindowScalingOn => _sndScale != 0 || _rcvScale != 0;
    public bool TimestampsOn => _timestamps;
    public bool SackOn => _sackPermitted;

    private bool CanSendData => _state is TcpState.Established or TcpState.CloseWait or TcpState.SynSent or TcpState.SynReceived;

    private TcpSeqNumber DataEnd => _sendBase + _send!.Count;

    private bool IsSynchronized => _state >= TcpState.Established;

    // Makes the slot a new connection in CLOSED with fresh rings and estimators.
    private void Reset(in TcpConnectionKey key, TcpSeqNumber iss, Instant now)
    {
        _send ??= new SendRing(_options.SendBufferLength);
        _receive ??= new ReceiveRing(_options.ReceiveBufferLength, _options.MaxOutOfOrderRanges);
        _send.Clear();
        _receive.Clear();
        _key = key;
        _state = TcpState.Closed;
        _error = TcpError.None;
        _iss = iss;
        _sndUna = _sndNxt = _sndMax = iss;
        _sendBase = iss + 1;
        _sndWl1 = _sndWl2 = default;
        _sndWnd = 0;
        _maxSndWnd = 0;
        _finQueued = false;
        _receiveClosed = false;
        _outputHeld = false;
        NoDelay = !_options.Nagle;
        _irs = _rcvNxt = _rcvAdvertisedEdge = _lastAckSent = default;
        _remoteFinSeen = _remoteFinProcessed = false;
        _remoteFinSeq = default;
        int maxPayload = _sender.MaxPayloadFor(key.RemoteAddress, now);
        _ourMss = maxPayload;
        _peerMss = key.RemoteAddress.IsIpv4 ? DefaultIpv4Mss : DefaultIpv6Mss;
        _sndScale = _rcvScale = 0;
        _offeredRcvScale = 0;
        _wsOfferedByPeer = false;
        if (_options.WindowScaling)
            while (_offeredRcvScale < 14 && (_receive.Capacity >> _offeredRcvScale) > ushort.MaxValue) _offeredRcvScale++;
        _timestamps = false;
        _sackPermitted = false;
        _tsOffset = _stack.TimestampOffset(key);
        _tsRecent = 0;
        _tsRecentAge = now;
        _lastUnacceptableAnswer = now - DuplicateAckAnswerInterval;
        _dsackPending = false;
        _ackNow = false;
        _segmentsUnacked = 0;
        _ackAtBatchEnd = false;
        _quickAcks = _options.QuickAckSegments;
        ResetRetransmission(now);
        ResetTimers(now);
        Listener = -1;
        Queued = false;
        OwnedByApplication = false;
        InUse = true;
    }

    /// <summary>Starts an active open: CLOSED → SYN-SENT, sending the SYN.</summary>
    public void Connect(in TcpConnectionKey key, TcpSeqNumber iss, Instant now)
    {
        Reset(key, iss, now);
        _state = TcpState.SynSent;
        OwnedByApplication = true;
        Output(now);
    }

    /// <summary>Answers a SYN that arrived at a listener: LISTEN → SYN-RECEIVED, sending the SYN-ACK.</summary>
    public void Accept(in TcpConnectionKey key, TcpSeqNumber iss, in TcpRepr syn, int listener, Instant now)
    {
        Reset(key, iss, now);
        Listener = listener;
        _state = TcpState.SynReceived;
        _irs = syn.SequenceNumber;
        _rcvNxt = _irs + 1;
        TakeSynOptions(syn, now);
        _sndWnd = syn.WindowSize; // a SYN's window is never scaled
        _maxSndWnd = _sndWnd;
        _sndWl1 = syn.SequenceNumber;
        _sndWl2 = default;
        Output(now);
    }

    /// <summary>
    /// Opens straight into ESTABLISHED from the ACK that returned a valid SYN cookie (the SYN-ACK's ISN was the cookie,
    /// so SND.UNA is the ACK's acknowledgment number); no window scaling, timestamps or SACK.
    /// </summary>
    public void AcceptCookie(in TcpConnectionKey key, in TcpRepr ack, int mss, int listener, Instant now)
    {
        var iss = ack.AcknowledgmentNumber - 1;
        Reset(key, iss, now);
        Listener = listener;
        _irs = ack.SequenceNumber - 1;
        _rcvNxt = ack.SequenceNumber;
        _rcvAdvertisedEdge = _rcvNxt + Math.Min(_receive!.Window, ushort.MaxValue);
        _lastAckSent = _rcvNxt;
        _peerMss = mss;
        _sndUna = _sndNxt = _sndMax = ack.AcknowledgmentNumber;
        _sendBase = _sndUna;
        _sndWnd = ack.WindowSize;
        _maxSndWnd = _sndWnd;
        _sndWl1 = ack.SequenceNumber;
        _sndWl2 = ack.AcknowledgmentNumber;
        _state = TcpState.Established;
        _congestion!.Initialize(EffectiveMss(now), now);
        _stack.OnEstablished(this);
    }

    /// <summary>Frees the slot (the stack calls this once the connection is CLOSED and released by the application).</summary>
    public void Release()
    {
        InUse = false;
        OwnedByApplication = false;
        Listener = -1;
        Queued = false;
        _state = TcpState.Closed;
    }

    /// <summary>Appends data to the send ring and sends what the windows allow; returns the bytes accepted.</summary>
    public int Write(ReadOnlySpan<byte> data, Instant now) => Write(data, more: false, now);

    /// <summary>
    /// Turns Nagle's rule off (<paramref name="noDelay"/> true) or on for this connection; turning it off sends what
    /// it was holding back, as setting TCP_NODELAY does.
    /// </summary>
    public void SetNoDelay(bool noDelay, Instant now)
    {
        if (NoDelay == noDelay) return;
        NoDelay = noDelay;
        if (noDelay && !_outputHeld && IsSynchronized) Output(now);
    }

    /// <summary>
    /// Appends data; with <paramref name="more"/> the caller has more to append at once (the second part of a
    /// wrapped ring), so sending waits for that write: sent separately, the first part would go as a short segment
    /// and Nagle would hold the rest until its ACK, which a delayed-ACK peer keeps for up to 40 ms.
    /// </summary>
    public int Write(ReadOnlySpan<byte> data, bool more, Instant now)
    {
        if (!CanSendData || _finQueued) return -1;
        int written = _send!.Write(data);
        if (more)
        {
            _outputHeld |= written > 0;
            return written;
        }
        if ((written > 0 || _outputHeld) && IsSynchronized) Output(now);
        _outputHeld = false;
        return written;
    }

    /// <summary>Copies received bytes out, and tells the peer when that opened the window enough to matter.</summary>
    public int Read(Span<byte> destination, Instant now)
    {
        if (_receive is null) return 0;
        int read = _receive.Read(destination);
        if (read > 0 && IsSynchronized && _state is not TcpState.TimeWait)
        {
            // RFC 9293 section 3.8.6.2.2: update the peer only when the window grew by enough to be worth a segment
            // (receiver-side silly window syndrome avoidance).
            int advertised = Math.Max(_rcvAdvertisedEdge - _rcvNxt, 0);
            int grown = _receive.Window - advertised;
            int threshold = Math.Min(_receive.Capacity / 2, advertised < _ourMss ? _ourMss : 2 * _ourMss);
            if (grown >= threshold)
            {
                _ackNow = true;
                Output(now);
            }
        }
        return read;
    }

    /// <summary>Queues a FIN after the data written so far (shutdown of the write side).</summary>
    public void ShutdownWrite(Instant now)
    {
        switch (_state)
        {
            case TcpState.SynSent:
                Abandon(TcpError.None);
                return;
            case TcpState.SynReceived:
            case TcpState.Established:
            case TcpState.CloseWait:
                if (_finQueued) return;
                _finQueued = true;
                _state = _state == TcpState.CloseWait ? TcpState.LastAck : TcpState.FinWait1;
                Output(now);
                return;
        }
    }

    /// <summary>
    /// The application is done with the connection: unread data makes it a reset (RFC 2525 section 2.17), otherwise
    /// an orderly close that finishes in the background.
    /// </summary>
    public void Close(Instant now)
    {
        OwnedByApplication = false;
        _receiveClosed = true;
        if (_receive is not null && _receive.Readable > 0 && _state is TcpState.Established or TcpState.CloseWait or TcpState.FinWait1 or TcpState.FinWait2)
        {
            Abort(now, TcpError.Aborted);
            return;
        }
        ShutdownWrite(now);
        if (_state == TcpState.FinWait2) ArmFinWait2(now);
    }

    /// <summary>Sends a reset (when synchronized) and closes at once.</summary>
    public void Abort(Instant now, TcpError error)
    {
        if (_state is TcpState.SynReceived or TcpState.Established or TcpState.FinWait1 or TcpState.FinWait2 or TcpState.CloseWait)
            SendReset(_sndNxt, now);
        Abandon(error);
    }

    // Closes without sending anything; the stack frees the slot when the application has let go.
    private void Abandon(TcpError error)
    {
        if (_state != TcpState.Closed && error != TcpError.None) _error = error;
        _state = TcpState.Closed;
        ResetTimers(default);
        _stack.OnClosed(this);
    }

    private void EnterTimeWait(Instant now)
    {
        _state = TcpState.TimeWait;
        StopRetransmitTimer();
        _delayedAckAt = Instant.MaxValue;
        _timeWaitAt = now + 2 * _options.MaximumSegmentLifetime;
    }

    private void TakeSynOptions(in TcpRepr syn, Instant now)
    {
        if (syn.MaxSegmentSize is ushort mss && mss > 0) _peerMss = mss;
        if (_options.WindowScaling && syn.WindowScale is byte shift)
        {
            _wsOfferedByPeer = true;
            _sndScale = Math.Min(shift, (byte)14);
            _rcvScale = _offeredRcvScale;
        }
        if (_options.Timestamps && syn.Timestamps is TcpTimestamps ts)
        {
            _timestamps = true;
            _tsRecent = ts.Value;
            _tsRecentAge = now;
        }
        _sackPermitted = _options.SelectiveAcknowledgments && syn.SackPermitted;
    }

    // Payload bytes in a full segment: the smaller of the peer's MSS and the path's, less the timestamps option.
    private int EffectiveMss(Instant now)
    {
        int mss = Math.Min(_peerMss, _sender.MaxPayloadFor(_key.RemoteAddress, now));
        if (_timestamps) mss -= TimestampsOptionLength;
        return Math.Max(mss, 64);
    }

    private uint TimestampNow(Instant now) => unchecked((uint)now.TotalMilliseconds + _tsOffset);
}
