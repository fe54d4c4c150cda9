using Wirestack.Iface;
using Wirestack.Wire;

namespace Wirestack.Tcp;

// The arrival of a segment: RFC 9293 section 3.10.7 in its order, with RFC 5961's defences and RFC 7323's PAWS.
internal sealed partial class TcpControlBlock
{
    /// <summary>
    /// Processes one segment for this connection (the stack has checked its checksum and demultiplexed it). With
    /// <paramref name="payloadStaged"/>, <see cref="VerifyChecksum"/> already copied the payload into the receive ring.
    /// </summary>
    public void OnSegment(in TcpRepr segment, ReadOnlySpan<byte> payload, bool payloadStaged, Instant now)
    {
        _idleSince = now;
        _keepAliveProbesSent = 0;
        if (_state == TcpState.SynSent)
        {
            OnSegmentInSynSent(segment, now);
            return;
        }
        if (_state is TcpState.Closed or TcpState.Listen) return;
        var flags = segment.Flags;
        bool rst = (flags & TcpFlags.Rst) != 0;
        bool syn = (flags & TcpFlags.Syn) != 0;

        // RFC 7323 section 5.3: PAWS drops a segment whose timestamp is older than the last one in sequence. As Linux
        // (TCP_PAWS_WINDOW), one tick of tolerance: a segment sent just before a retransmission that overtook it on a
        // reordering path carries the previous tick, and is new data, not an old duplicate.
        if (_timestamps && !rst && segment.Timestamps is TcpTimestamps ts && IsBefore(unchecked(ts.Value + PawsWindow), _tsRecent))
        {
            // A timestamp idle for 24 days is no longer trusted (its clock may have wrapped).
            if (now - _tsRecentAge <= TimeSpan.FromDays(24))
            {
                _stack.CountDrop(InterfaceDropReason.TcpPaws);
                AnswerUnacceptable(segment.SequenceLength, now);
                return;
            }
            _tsRecent = ts.Value;
        }

        // Step 1: is the segment in the window?
        int window = _receive!.Window;
        int length = segment.SequenceLength;
        var seq = segment.SequenceNumber;
        // A data-less segment may sit exactly at the right edge, as Linux accepts it (tcp_sequence): a peer that has
        // filled our window sends its ACKs with SEG.SEQ = RCV.NXT + RCV.WND while the data before them is lost or
        // delayed; RFC 9293's strict test would throw away the acknowledgments of our own data.
        bool acceptable = length == 0
            ? window == 0 ? seq == _rcvNxt : seq >= _rcvNxt && seq - _rcvNxt <= window
            : window != 0 && (InWindow(seq, window) || InWindow(seq + (length - 1), window));
        if (!acceptable)
        {
            // A zero window refuses data but not the ACK on a probe (RFC 9293: "special allowance").
            bool probe = window == 0 && seq == _rcvNxt && !rst && !syn && segment.HasAck;
            if (!rst)
            {
                // Wholly below RCV.NXT is old: a duplicate (the peer resent, or probed the tail with, what we hold
                // because our ACK was late or lost) or a reordered ACK overtaken by later data. Normal, answered with
                // an ACK, not a drop; beyond the window is.
                if (seq < _rcvNxt && seq + length <= _rcvNxt)
                {
                    _stack.Counters.DuplicateSegmentsReceivedField++;
                    if (payload.Length > 0) ReportDuplicate(seq, seq + payload.Length);
                }
                else if (!probe) _stack.CountDrop(InterfaceDropReason.TcpOutOfWindow);
                // A retransmitted FIN in TIME-WAIT: our ACK was lost; acknowledge again and restart the 2·MSL wait.
                if (_state == TcpState.TimeWait && (flags & TcpFlags.Fin) != 0) _timeWaitAt = now + 2 * _options.MaximumSegmentLifetime;
            }
            if (!probe)
            {
                if (!rst) AnswerUnacceptable(length, now);
                return;
            }
            _ackNow = true;
            payload = default;
        }

        // Step 2: RST (RFC 5961 section 3.2: only an exact match resets; in window draws a challenge ACK).
        if (rst)
        {
            if (seq != _rcvNxt)
            {
                SendChallengeAck(now);
                return;
            }
            _stack.Counters.ResetsReceivedField++;
            OnReset(now);
            return;
        }

        // Step 3 (RFC 9293 and RFC 5961 section 4): a SYN in a synchronized state draws a challenge ACK.
        if (syn)
        {
            if (_state == TcpState.SynReceived && seq == _irs)
            {
                // Our SYN-ACK was lost: the peer retransmitted its SYN.
                _sndNxt = _iss;
                Output(now);
                return;
            }
            if (_state == TcpState.TimeWait && _stack.TryReuseTimeWait(this, segment, now)) return;
            SendChallengeAck(now);
            return;
        }

        // Step 4: segments without ACK are dropped.
        if (!segment.HasAck)
        {
            _stack.CountDrop(InterfaceDropReason.TcpNoAck);
            return;
        }

        // Step 5: the acknowledgment.
        var ack = segment.AcknowledgmentNumber;
        if (_state == TcpState.SynReceived)
        {
            if (ack <= _sndUna || ack > _sndMax)
            {
                SendReset(ack, now);
                return;
            }
            _state = TcpState.Established;
            _sndWnd = segment.WindowSize << _sndScale;
            _maxSndWnd = Math.Max(_maxSndWnd, _sndWnd);
            _sndWl1 = seq;
            _sndWl2 = ack;
            _congestion!.Initialize(EffectiveMss(now), now);
            if (_synRetries > 0) _rtt.RestartAfterSynTimeout(SynTimeoutRto);
            if (_finQueued) _state = TcpState.FinWait1;
            _stack.OnEstablished(this);
        }
        // RFC 5961 section 5.2: an ACK outside [SND.UNA - MAX.SND.WND, SND.MAX] is blind injection (or very old).
        if (ack > _sndMax || ack < _sndUna - Math.Max(_maxSndWnd, 1))
        {
            SendChallengeAck(now);
            return;
        }
        if (!ProcessAck(segment, payload.Length, now)) return;

        // Step 6 (URG) is not supported: the urgent pointer is ignored, the data delivered inline.
        // Steps 7 and 8: data and FIN.
        if (_state is TcpState.Established or TcpState.FinWait1 or TcpState.FinWait2)
        {
            if (_receiveClosed && seq + payload.Length - _rcvNxt > 0)
            {
                // RFC 1122 section 4.2.2.13, as Linux does: new data for a connection the application has closed
                // can never be read. Reset, so that the peer stops sending instead of filling a window for ever.
                _stack.Counters.DataAfterCloseResetsField++;
                Abort(now, TcpError.Aborted);
                return;
            }
            if (!payload.IsEmpty) ReceiveData(seq, payload, payloadStaged, now);
            if ((flags & TcpFlags.Fin) != 0)
            {
                var finSeq = seq + payload.Length;
                if (finSeq - _rcvNxt <= _receive.Window)
                {
                    _remoteFinSeen = true;
                    _remoteFinSeq = finSeq;
                }
            }
            if (_remoteFinSeen && !_remoteFinProcessed && _rcvNxt == _remoteFinSeq) ReceiveFin(now);
        }
        else if ((flags & TcpFlags.Fin) != 0 && _state == TcpState.TimeWait)
        {
            // A retransmitted FIN: our ACK was lost. Acknowledge it and restart the 2·MSL wait.
            _ackNow = true;
            _timeWaitAt = now + 2 * _options.MaximumSegmentLifetime;
        }
        else if ((flags & TcpFlags.Fin) != 0 || !payload.IsEmpty)
        {
            // CLOSE-WAIT, CLOSING, LAST-ACK: the peer already sent its FIN; acknowledge a retransmission.
            _ackNow = true;
        }
        if (_state == TcpState.TimeWait && _ackNow)
        {
            SendAck(now);
            return;
        }
        if (_state != TcpState.Closed) Output(now);
    }

    private void OnSegmentInSynSent(in TcpRepr segment, Instant now)
    {
        var flags = segment.Flags;
        bool hasAck = segment.HasAck;
        var ack = segment.AcknowledgmentNumber;
        if (hasAck && (ack <= _iss || ack > _sndMax))
        {
            if ((flags & TcpFlags.Rst) == 0) SendReset(ack, now);
            return;
        }
        if ((flags & TcpFlags.Rst) != 0)
        {
            // RFC 5961 section 3.2 leaves SYN-SENT to RFC 9293: a reset is acceptable only if it acknowledges our SYN.
            if (hasAck)
            {
                _stack.Counters.ResetsReceivedField++;
                Abandon(TcpError.ConnectionRefused);
            }
            return;
        }
        if ((flags & TcpFlags.Syn) == 0) return;
        _irs = segment.SequenceNumber;
        _rcvNxt = _irs + 1;
        TakeSynOptions(segment, now);
        if (!_options.WindowScaling || segment.WindowScale is null) _rcvScale = 0;
        _sndWl1 = segment.SequenceNumber;
        if (hasAck)
        {
            // The SYN-ACK: established. Its window is never scaled.
            _sndWnd = segment.WindowSize;
            _maxSndWnd = _sndWnd;
            _sndWl2 = ack;
            AcknowledgeSyn(ack, segment, now);
            _state = _finQueued ? TcpState.FinWait1 : TcpState.Established;
            _congestion!.Initialize(EffectiveMss(now), now);
            if (_synRetries > 0) _rtt.RestartAfterSynTimeout(SynTimeoutRto);
            _synRetries = 0;
            _stack.OnEstablished(this);
            _ackNow = true;
            Output(now);
            return;
        }
        // Simultaneous open: answer with a SYN-ACK carrying our original sequence number.
        _sndWnd = segment.WindowSize;
        _maxSndWnd = _sndWnd;
        _state = TcpState.SynReceived;
        _sndNxt = _iss;
        Output(now);
    }

    private void AcknowledgeSyn(TcpSeqNumber ack, in TcpRepr segment, Instant now)
    {
        if (_timestamps && segment.Timestamps is TcpTimestamps ts && ts.EchoReply != 0)
            _rtt.AddSample(TimeSpan.FromMilliseconds(Math.Max(0, (int)(TimestampNow(now) - ts.EchoReply))));
        else if (_rttTiming && ack > _rttSeq && _synRetries == 0)
            _rtt.AddSample(now - _rttSentAt);
        _rttTiming = false;
        _sndUna = ack;
        if (_sndNxt < _sndUna) _sndNxt = _sndUna;
        StopRetransmitTimer();
    }

    private void OnReset(Instant now)
    {
        switch (_state)
        {
            case TcpState.SynReceived:
                // From a listener the slot simply goes away; from a simultaneous open the connection was refused.
                Abandon(Listener >= 0 ? TcpError.ConnectionReset : TcpError.ConnectionRefused);
                break;
            case TcpState.Closing:
            case TcpState.LastAck:
            case TcpState.TimeWait:
                Abandon(TcpError.None);
                break;
            default:
                Abandon(TcpError.ConnectionReset);
                break;
        }
    }

    // Returns false when the segment was consumed (the connection closed or it must be dropped).
    private bool ProcessAck(in TcpRepr segment, int payloadLength, Instant now)
    {
        var ack = segment.AcknowledgmentNumber;
        var seq = segment.SequenceNumber;
        int window = segment.WindowSize << _sndScale;
        if (segment.Timestamps is TcpTimestamps ts && _timestamps && seq <= _lastAckSent && (IsAfterOrEqual(ts.Value, _tsRecent)))
        {
            // RFC 7323 section 4.3: remember the timestamp of the segment that fills the left edge.
            _tsRecent = ts.Value;
            _tsRecentAge = now;
        }
        if (_sackPermitted)
        {
            var blocks = segment.SackBlocks.AsSpan();
            // RFC 2883 section 4: a first block below the cumulative ACK, or inside the second, reports a duplicate.
            if (blocks.Length > 0 && (blocks[0].Right <= ack || (blocks.Length > 1 && blocks[0].Left >= blocks[1].Left && blocks[0].Right <= blocks[1].Right)))
            {
                _stack.Counters.DuplicateSacksReceivedField++;
                OnDuplicateReported(blocks[0].Left, blocks[0].Right, now);
            }
            _scoreboard!.Update(ack, blocks, _sndMax);
        }

        if (ack > _sndUna)
        {
            OnNewAck(ack, segment, now);
        }
        else if (ack == _sndUna && payloadLength == 0 && (segment.Flags & (TcpFlags.Syn | TcpFlags.Fin)) == 0
            && window == _sndWnd && _sndMax != _sndUna)
        {
            OnDuplicateAck(now);
        }
        // The window update (RFC 9293: only from a segment not older than the last one that set it).
        if (_sndWl1 < seq || (_sndWl1 == seq && _sndWl2 <= ack))
        {
            bool opened = _sndWnd == 0 && window > 0;
            _sndWnd = window;
            _maxSndWnd = Math.Max(_maxSndWnd, window);
            _sndWl1 = seq;
            _sndWl2 = ack;
            if (opened) OnWindowOpened();
        }
        if (_sackPermitted)
        {
            DetectLostRetransmission(now);
            MaybeEnterSackRecovery(now);
        }

        // Our FIN is acknowledged when SND.UNA passes it.
        bool finAcked = _finQueued && _sndUna == DataEnd + 1;
        switch (_state)
        {
            case TcpState.FinWait1:
                if (finAcked)
                {
                    _state = TcpState.FinWait2;
                    if (!OwnedByApplication) ArmFinWait2(now);
                }
                break;
            case TcpState.Closing:
                if (finAcked) EnterTimeWait(now);
                break;
            case TcpState.LastAck:
                if (finAcked)
                {
                    Abandon(TcpError.None);
                    return false;
                }
                break;
        }
        return true;
    }

    private void ReceiveData(TcpSeqNumber seq, ReadOnlySpan<byte> payload, bool staged, Instant now)
    {
        int offset = seq - _rcvNxt;
        if (offset < 0) ReportDuplicate(seq, _rcvNxt);
        else if (_receive!.HoldsOutOfOrder(offset, payload.Length)) ReportDuplicate(seq, seq + payload.Length);
        int advanced = _receive!.Write(offset, payload, staged, out bool stored);
        if (!stored) _stack.CountDrop(InterfaceDropReason.TcpOutOfOrderFull);
        if (advanced > 0) _rcvNxt += advanced;
        if (offset > 0 || _receive.OutOfOrder.Count > 0)
        {
            // Out of order, or filling a hole: acknowledge at once so the sender's fast retransmit and SACK work.
            if (offset > 0) _stack.Counters.OutOfOrderSegmentsField++;
            _ackNow = true;
            return;
        }
        if (advanced == 0)
        {
            _ackNow = true;
            return;
        }
        // A segment the device coalesced (GRO) counts as the segments it was: RFC 5681's ACK for every second one.
        _segmentsUnacked += payload.Length > _ourMss ? payload.Length / _ourMss : 1;
        if (!_options.DelayedAck || _quickAcks > 0 || _segmentsUnacked >= 2)
        {
            if (_quickAcks > 0) _quickAcks--;
            // In sequence and past the quick ACKs: one ACK for all the segments of this receive batch, as Linux
            // acknowledges what GRO coalesced from one NAPI poll, instead of one for every second segment.
            if (_quickAcks == 0 && _stack.TryDeferAck(this, _ackAtBatchEnd)) _ackAtBatchEnd = true;
            else _ackNow = true;
        }
        else if (_delayedAckAt == Instant.MaxValue)
        {
            _delayedAckAt = now + _options.DelayedAckTimeout;
        }
    }

    /// <summary>The end of the receive batch: sends the ACK held back for it, unless another segment carried it meanwhile.</summary>
    public void SendBatchAck(Instant now)
    {
        if (!_ackAtBatchEnd) return;
        _ackAtBatchEnd = false;
        if (_segmentsUnacked == 0 || !IsSynchronized || _state == TcpState.TimeWait) return;
        _ackNow = true;
        Output(now);
    }

    private void ReceiveFin(Instant now)
    {
        _remoteFinProcessed = true;
        _rcvNxt += 1;
        _ackNow = true;
        switch (_state)
        {
            case TcpState.Established:
                _state = TcpState.CloseWait;
                break;
            case TcpState.FinWait1:
                // Our FIN not yet acknowledged: simultaneous close.
                _state = _sndUna == DataEnd + 1 ? TcpState.TimeWait : TcpState.Closing;
                if (_state == TcpState.TimeWait) EnterTimeWait(now);
                break;
            case TcpState.FinWait2:
                EnterTimeWait(now);
                break;
        }
    }

    /// <summary>True when a SYN for this connection in TIME-WAIT starts a new incarnation (RFC 6191).</summary>
    public bool AcceptsNewIncarnation(in TcpRepr syn) =>
        _timestamps && syn.Timestamps is TcpTimestamps ts ? IsBefore(_tsRecent, ts.Value) : syn.SequenceNumber > _rcvNxt;

    // RFC 2883: data we already held arrived again (a spurious retransmission, or duplication on the path). The next
    // ACK reports it as its first SACK block, so that the sender can tell its retransmission was not needed (Linux
    // then undoes the window reduction and raises its reordering threshold).
    private void ReportDuplicate(TcpSeqNumber left, TcpSeqNumber right)
    {
        if (!_sackPermitted) return;
        _dsackLeft = left;
        _dsackRight = right;
        _dsackPending = true;
        _ackNow = true;
    }

    // RFC 9293 answers an unacceptable segment with an ACK. For a data-less one (an old or reordered ACK) the answer
    // is a duplicate ACK to the peer, and a few of them in a row make its sender retransmit for nothing; so, as Linux
    // (tcp_invalid_ratelimit), those answers are limited to one per DuplicateAckAnswerInterval per connection.
    // Segments with data always get their ACK: the peer is resending because it lacks one.
    private void AnswerUnacceptable(int sequenceLength, Instant now)
    {
        if (sequenceLength == 0)
        {
            if (now - _lastUnacceptableAnswer < DuplicateAckAnswerInterval)
            {
                _stack.Counters.UnacceptableAcksUnansweredField++;
                return;
            }
            _lastUnacceptableAnswer = now;
        }
        _ackNow = true;
        Output(now);
    }

    private bool InWindow(TcpSeqNumber seq, int window) => seq >= _rcvNxt && seq - _rcvNxt < window;

    // Timestamps compare as 32-bit serial numbers (RFC 7323 section 5.2).
    private const uint PawsWindow = 1;
    private static readonly TimeSpan DuplicateAckAnswerInterval = TimeSpan.FromMilliseconds(500);

    private static bool IsBefore(uint a, uint b) => unchecked((int)(a - b)) < 0;

    private static bool IsAfterOrEqual(uint a, uint b) => unchecked((int)(a - b)) >= 0;
}
