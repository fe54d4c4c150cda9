using Wirestack.Wire;

namespace Wirestack.Tcp;

// What to send and when: the handshake, data within the congestion and send windows (Nagle and sender-side SWS
// avoidance), FIN, ACKs with window and SACK blocks. Payload is read straight from the send ring.
internal sealed partial class TcpControlBlock
{
    private readonly (long Start, long End)[] _sackScratch = new (long, long)[TcpSackBlocks.MaxCount];
    // One past the last segment SendSegment put out (it may shorten a segment to make room for SACK blocks).
    private TcpSeqNumber _lastSegmentEnd;

    /// <summary>Sends everything that is due now: SYN, data, FIN, or an ACK that was asked for.</summary>
    public void Output(Instant now)
    {
        switch (_state)
        {
            case TcpState.SynSent:
            case TcpState.SynReceived:
                if (_sndNxt == _iss)
                {
                    SendSyn(now);
                    return;
                }
                if (_ackNow && _state == TcpState.SynReceived) SendAck(now);
                return;
            case TcpState.Established:
            case TcpState.CloseWait:
            case TcpState.FinWait1:
            case TcpState.Closing:
            case TcpState.LastAck:
                SendData(now);
                break;
        }
        if (_ackNow && _state != TcpState.Closed) SendAck(now);
    }

    private void SendSyn(Instant now)
    {
        bool synAck = _state == TcpState.SynReceived;
        var header = new TcpRepr
        {
            SourcePort = _key.LocalPort,
            DestinationPort = _key.RemotePort,
            SequenceNumber = _iss,
            AcknowledgmentNumber = synAck ? _rcvNxt : default,
            Flags = synAck ? TcpFlags.Syn | TcpFlags.Ack : TcpFlags.Syn,
            WindowSize = (ushort)Math.Min(_receive!.Window, ushort.MaxValue),
            MaxSegmentSize = (ushort)Math.Min(_ourMss, ushort.MaxValue),
        };
        // A SYN-ACK offers only what the SYN offered (RFC 7323 section 2.2, RFC 2018 section 2).
        if (_options.WindowScaling && (!synAck || _wsOfferedByPeer)) header.WindowScale = _offeredRcvScale;
        if (_options.Timestamps && (!synAck || _timestamps)) header.Timestamps = new TcpTimestamps(TimestampNow(now), synAck ? _tsRecent : 0);
        if (_options.SelectiveAcknowledgments && (!synAck || _sackPermitted)) header.SackPermitted = true;
        if (_sndMax != _iss) _stack.Counters.RetransmittedSegmentsField++;
        // A segment the IP layer could not take (ring full, resolution queue full) counts as lost: the timer resends it.
        Transmit(header, 0, now);
        _sndNxt = _iss + 1;
        if (_sndMax < _sndNxt) _sndMax = _sndNxt;
        if (!_rttTiming && _synRetries == 0)
        {
            _rttTiming = true;
            _rttSeq = _iss;
            _rttSentAt = now;
        }
        if (_retransmitAt == Instant.MaxValue) StartRetransmitTimer(now);
    }

    private void SendData(Instant now)
    {
        int mss = EffectiveMss(now);
        // RFC 5681 section 4.1: after an idle period longer than the RTO, restart from at most the initial window.
        if (_sndUna == _sndMax && DataEnd > _sndNxt && _lastDataSentAt != Instant.MaxValue && now - _lastDataSentAt > _rtt.Rto)
            _congestion!.OnIdleRestart(now);
        if (_inRecovery && _sackPermitted)
        {
            SendSackRecovery(now);
            return;
        }
        while (true)
        {
            // Resending after a timeout: skip what the peer reported holding (RFC 6675 section 5.1).
            if (_sackPermitted && _sndNxt < _sndMax) _sndNxt = _scoreboard!.SkipSacked(_sndNxt);
            var dataEnd = DataEnd;
            int pending = Math.Max(dataEnd - _sndNxt, 0);
            bool finDue = _finQueued && _sndNxt <= dataEnd;
            int inFlight = _sndNxt - _sndUna;
            int window = Math.Min(_sndWnd, SendCongestionWindow);
            // Limited Transmit (RFC 3042, RFC 6675 section 5 step 2): segments the peer SACKed have left the
            // network, so up to two of them make room for new data, which draws the further SACKs that detect a
            // loss in a small window before the timer would.
            int sackCredit = _sackPermitted && _sndNxt == _sndMax ? Math.Min(_scoreboard!.SackedBytes, 2 * mss) : 0;
            int usable = Math.Max(Math.Min(window - inFlight + sackCredit, _sndWnd - inFlight), 0);
            // New data may go as one large segment for a device that segments (TSO): whole segments only, so the
            // device's cut leaves no short segment in mid-stream (the tail of what is pending excepted).
            int burst = _sndNxt >= _sndMax ? MaxBurst(mss) : mss;
            int length = Math.Min(Math.Min(pending, burst), usable);
            if (length > mss && length < pending) length -= length % mss;
            if (_sackPermitted && _sndNxt < _sndMax) length = Math.Min(length, _scoreboard!.NextSackedAbove(_sndNxt, _sndMax) - _sndNxt);
            bool fin = finDue && _sndNxt + length == dataEnd;
            if (length == 0 && !fin)
            {
                if (pending > 0 && inFlight == 0 && _retransmitAt == Instant.MaxValue) StartPersistTimer(now);
                return;
            }
            if (length < mss && !fin && _sndNxt >= _sndMax)
            {
                // Sender-side SWS avoidance and Nagle (RFC 9293 section 3.8.6.2.1, RFC 1122 4.2.3.4): a short segment
                // goes only when it is all there is and nothing is outstanding (or Nagle is off), or it fills half
                // the largest window the peer offered.
                bool allPending = length == pending;
                bool canSend = (allPending && (inFlight == 0 || NoDelay)) || length >= _maxSndWnd / 2;
                if (!canSend)
                {
                    if (inFlight == 0 && _retransmitAt == Instant.MaxValue) StartPersistTimer(now);
                    return;
                }
            }
            if (!SendSegment(_sndNxt, length, fin, now)) return;
        }
    }

    // Sends [seq, seq+length) from the send ring, with FIN when asked; advances SND.NXT when it is at seq.
    private bool SendSegment(TcpSeqNumber seq, int length, bool fin, Instant now)
    {
        var header = AckHeader(seq, TcpFlags.Ack, now);
        // SACK blocks take option space the MSS did not count on: shorten the segment so that it still fits the path,
        // or, for a segment the device cuts, cut it into segments that small.
        int extra = header.OptionsLength - (_timestamps ? TimestampsOptionLength : 0);
        int mss = EffectiveMss(now);
        int segmentSize = mss - Math.Max(extra, 0);
        int burst = MaxBurst(mss);
        if (length > segmentSize && (burst == mss || length > burst))
        {
            length = segmentSize;
            fin = false;
        }
        var flags = TcpFlags.Ack;
        if (length > 0 && seq + length == DataEnd) flags |= TcpFlags.Psh;
        if (fin) flags |= TcpFlags.Fin;
        header.Flags = flags;
        header.PayloadLength = length;
        bool retransmission = seq < _sndMax;
        // A full ring takes nothing and nothing moves: the retry (or the next ACK) sends the segment.
        var result = Transmit(header, seq - _sendBase, now, length > segmentSize ? segmentSize : 0);
        if (result == TcpSendResult.Blocked) return false;
        // A segment the IP layer dropped otherwise counts as sent and lost: the retransmission timer covers it.
        bool sent = result == TcpSendResult.Sent;
        if (retransmission) _stack.Counters.RetransmittedSegmentsField++;
        var end = seq + length + (fin ? 1 : 0);
        _lastSegmentEnd = end;
        if (seq == _sndNxt || (seq < _sndNxt && end > _sndNxt)) _sndNxt = TcpSeqNumber.Max(_sndNxt, end);
        if (end > _sndMax)
        {
            if (!_rttTiming && !_timestamps && !retransmission)
            {
                _rttTiming = true;
                _rttSeq = seq;
                _rttSentAt = now;
            }
            _sndMax = end;
        }
        _lastDataSentAt = now;
        StopPersistTimer();
        if (_retransmitAt == Instant.MaxValue) StartRetransmitTimer(now);
        return sent;
    }

    // A bare ACK carries SND.MAX, not SND.NXT: after a timeout pulls SND.NXT back, the peer has already seen the
    // sequence numbers up to SND.MAX, and an ACK below its RCV.NXT would be unacceptable and answered with an ACK of
    // its own (an ACK war that only a lost segment ends).
    private void SendAck(Instant now)
    {
        var header = AckHeader(_sndMax, TcpFlags.Ack, now);
        Transmit(header, 0, now);
    }

    private void SendChallengeAck(Instant now)
    {
        if (!_stack.TryTakeChallengeAck(now)) return;
        _stack.Counters.ChallengeAcksSentField++;
        _ackNow = true;
        if (_state == TcpState.TimeWait) SendAck(now);
        else Output(now);
    }

    private void SendReset(TcpSeqNumber seq, Instant now)
    {
        var header = new TcpRepr
        {
            SourcePort = _key.LocalPort,
            DestinationPort = _key.RemotePort,
            SequenceNumber = seq,
            Flags = TcpFlags.Rst,
        };
        if (_sender.SendSegment(_key, header, default, default, now) == TcpSendResult.Sent)
        {
            _stack.Counters.SegmentsSentField++;
            _stack.Counters.ResetsSentField++;
        }
    }

    // Probes carry SND.UNA - 1: already acknowledged, so the peer answers with an ACK showing its window.
    private void SendProbe(Instant now)
    {
        var header = AckHeader(_sndUna - 1, TcpFlags.Ack, now);
        Transmit(header, 0, now);
    }

    private TcpRepr AckHeader(TcpSeqNumber seq, TcpFlags flags, Instant now)
    {
        var header = new TcpRepr
        {
            SourcePort = _key.LocalPort,
            DestinationPort = _key.RemotePort,
            SequenceNumber = seq,
            AcknowledgmentNumber = _rcvNxt,
            Flags = flags,
            WindowSize = WindowField(),
        };
        if (_timestamps) header.Timestamps = new TcpTimestamps(TimestampNow(now), _tsRecent);
        if (_sackPermitted && (_dsackPending || _receive!.OutOfOrder.Count > 0))
        {
            int max = header.MaxSackBlocks;
            Span<TcpSackBlock> blocks = stackalloc TcpSackBlock[TcpSackBlocks.MaxCount];
            int count = 0;
            if (_dsackPending && max > 0)
            {
                // RFC 2883: the duplicate goes first, once; the blocks after it are the usual most-recent-first.
                blocks[count++] = new TcpSackBlock(_dsackLeft, _dsackRight);
                _dsackPending = false;
                _stack.Counters.DuplicateSacksSentField++;
            }
            int held = _receive!.OutOfOrder.GetMostRecent(_sackScratch.AsSpan(0, max - count));
            long inOrder = _receive.InOrderEnd;
            for (int i = 0; i < held; i++)
            {
                var (start, end) = _sackScratch[i];
                blocks[count++] = new TcpSackBlock(_rcvNxt + (int)(start - inOrder), _rcvNxt + (int)(end - inOrder));
            }
            header.SackBlocks = new TcpSackBlocks(blocks[..count]);
        }
        return header;
    }

    // The window field: the ring's free space, scaled, holding the right edge still for small openings (receiver
    // SWS avoidance). It never promises more than the ring holds, so it never has to shrink.
    private ushort WindowField()
    {
        int free = _receive!.Window;
        int advertised = Math.Max(_rcvAdvertisedEdge - _rcvNxt, 0);
        if (free - advertised < Math.Min(_receive.Capacity / 2, _ourMss) && free > advertised) free = advertised;
        int field = Math.Min(free >> _rcvScale, ushort.MaxValue);
        return (ushort)field;
    }

    // The most payload one segment handed to the IP layer may carry: whole segments up to what the device cuts
    // (TSO), or one segment when it does not. Options beyond the timestamps are made room for by SendSegment.
    private int MaxBurst(int mss)
    {
        // Room for the largest option block (40 bytes), whatever the segment ends up carrying.
        int offload = _sender.MaxOffloadPayloadFor(_key.RemoteAddress) - 40;
        return offload > mss ? offload - offload % mss : mss;
    }

    private int AdvertisableWindow() => _receive is null ? 0 : _receive.Window;

    // Writes one segment through the IP layer; on success records what the peer now knows of our receive side.
    private TcpSendResult Transmit(in TcpRepr header, int ringOffset, Instant now, int segmentSize = 0)
    {
        ReadOnlySpan<byte> first = default, second = default;
        if (header.PayloadLength > 0) _send!.Read(ringOffset, header.PayloadLength, out first, out second);
        var result = _sender.SendSegment(_key, header, first, second, now, segmentSize);
        if (result == TcpSendResult.Blocked)
        {
            // The device's ring is full. The segment is still in the send ring (and an ACK still owed), so it is
            // tried again soon, backing off while the ring stays full, instead of being lost to the timer.
            _stack.Counters.TransmitRingFullWaitsField++;
            _outputRetryAt = now + TimeSpan.FromTicks(BlockedRetryInterval.Ticks << Math.Min(_blockedRetries++, MaxBlockedBackoff));
            return result;
        }
        _blockedRetries = 0;
        if (result != TcpSendResult.Sent) return result;
        _stack.Counters.SegmentsSentField++;
        if (header.HasAck)
        {
            _lastAckSent = _rcvNxt;
            _rcvAdvertisedEdge = _rcvNxt + (header.WindowSize << _rcvScale);
            _ackNow = false;
            _segmentsUnacked = 0;
            _delayedAckAt = Instant.MaxValue;
        }
        return TcpSendResult.Sent;
    }
}
