using Wirestack.Wire;

namespace Wirestack.Tcp;

// Loss recovery. The send ring is the retransmission store: a retransmission re-reads a sequence range of it.
// RTO with Karn's rule and exponential backoff (RFC 6298). With SACK, RFC 6675: the scoreboard decides when a loss
// is detected (DupThresh duplicate ACKs or IsLost(SND.UNA)) and what to send while the pipe is below cwnd (NextSeg,
// then the rescue retransmission). Without SACK, fast retransmit on three duplicate ACKs and NewReno fast recovery
// (RFC 5681, RFC 6582) with the window inflation done here.
internal sealed partial class TcpControlBlock
{
    private const int DuplicateAckThreshold = 3;
    // RFC 6298 section 5.7: the RTO data transmission starts with after a SYN timed out and nothing was measured.
    private static readonly TimeSpan SynTimeoutRto = TimeSpan.FromSeconds(3);

    private RttEstimator _rtt;
    private Instant _retransmitAt;
    private bool _persisting;
    private int _persistBackoff;
    private int _synRetries;
    private bool _rttTiming;
    private TcpSeqNumber _rttSeq;
    private Instant _rttSentAt;
    // When the oldest unacknowledged data was first sent, for the user timeout.
    private Instant _unackedSince;

    private int _duplicateAcks;
    private bool _inRecovery;
    private TcpSeqNumber _recover;
    private int _recoveryWindow;
    // The highest sequence number retransmitted during this recovery, so that each hole goes once per episode.
    private TcpSeqNumber _recoveryResent;

    // RFC 6675 state: what the peer holds above SND.UNA (allocated with the rings, at the slot's first use),
    // HighRxt and RescueRxt (one past their byte, as SackScoreboard takes them).
    private SackScoreboard? _scoreboard;
    private TcpSeqNumber _highRxt;
    private TcpSeqNumber _rescueRxt;
    // RACK-lite (RFC 8985 in miniature): the hole at SND.UNA was resent at _lostCheckAt, when SND.MAX was
    // _lostCheckMark. Once data sent after it is SACKed and a reordering allowance has passed while SND.UNA has not
    // moved past it, that retransmission was lost too: resend the holes instead of waiting for the timer.
    private TcpSeqNumber _lostCheckUna;
    private TcpSeqNumber _lostCheckMark;
    private Instant _lostCheckAt;

    // Undoing a spurious fast retransmit (RFC 2883 section 6, RFC 3708): the SACK recovery episode's retransmitted bytes,
    // and those of them the peer reported back as duplicates. When all came back, the original segments had only been
    // reordered, and the window reduction is undone (RFC 9438 section 4.9). A timeout disarms it.
    private bool _undoArmed;
    private TcpSeqNumber _undoStart;
    private TcpSeqNumber _undoEnd;
    private long _undoRetransmitted;
    private long _undoReported;

    private int SendCongestionWindow => _inRecovery ? _recoveryWindow : _congestion!.CongestionWindow;

    private void ResetRetransmission(Instant now)
    {
        _rtt = new RttEstimator(_options.InitialRetransmissionTimeout, _options.MinRetransmissionTimeout, _options.MaxRetransmissionTimeout);
        _congestion ??= CongestionControl.Create(_options.CongestionControl, Math.Max(_ourMss, 64));
        _congestion.Initialize(Math.Max(_ourMss, 64), now);
        _retransmitAt = Instant.MaxValue;
        _persisting = false;
        _persistBackoff = 0;
        _synRetries = 0;
        _rttTiming = false;
        _unackedSince = now;
        _duplicateAcks = 0;
        _inRecovery = false;
        _recover = _iss;
        _recoveryWindow = 0;
        _recoveryResent = _iss;
        _scoreboard ??= new SackScoreboard(Math.Max(_options.MaxOutOfOrderRanges, TcpSackBlocks.MaxCount));
        _scoreboard.Reset(_iss);
        _highRxt = _rescueRxt = _iss;
        _undoArmed = false;
    }

    private void StartRetransmitTimer(Instant now)
    {
        _persisting = false;
        _retransmitAt = now + _rtt.Rto;
        if (_sndUna == _sndMax || _unackedSince == Instant.MaxValue) _unackedSince = now;
    }

    private void StopRetransmitTimer()
    {
        _retransmitAt = Instant.MaxValue;
        _persisting = false;
    }

    private void StartPersistTimer(Instant now)
    {
        _persisting = true;
        var interval = _rtt.Rto;
        for (int i = 0; i < _persistBackoff && interval < _options.MaxRetransmissionTimeout; i++) interval += interval;
        if (interval > _options.MaxRetransmissionTimeout) interval = _options.MaxRetransmissionTimeout;
        _retransmitAt = now + interval;
    }

    private void StopPersistTimer()
    {
        if (!_persisting) return;
        _persisting = false;
        _persistBackoff = 0;
        _retransmitAt = Instant.MaxValue;
    }

    private void OnWindowOpened()
    {
        _persistBackoff = 0;
        if (_persisting)
        {
            _persisting = false;
            _retransmitAt = Instant.MaxValue;
        }
    }

    // A cumulative ACK of new data (or of our SYN or FIN).
    private void OnNewAck(TcpSeqNumber ack, in TcpRepr segment, Instant now)
    {
        int acked = ack - _sndUna;
        // RTT: from the echoed timestamp, else from the one timed segment (Karn: never a retransmitted one).
        bool sampled = false;
        TimeSpan sample = default;
        if (_timestamps && segment.Timestamps is TcpTimestamps ts && ts.EchoReply != 0)
        {
            int milliseconds = unchecked((int)(TimestampNow(now) - ts.EchoReply));
            if (milliseconds >= 0)
            {
                sample = TimeSpan.FromMilliseconds(milliseconds);
                sampled = true;
            }
        }
        else if (_rttTiming && ack > _rttSeq)
        {
            sample = now - _rttSentAt;
            sampled = true;
            _rttTiming = false;
        }
        if (_rttTiming && ack > _rttSeq) _rttTiming = false;
        if (sampled)
        {
            _rtt.AddSample(sample);
            // HyStart++ (RFC 9406) wants each sample before the ACK's window growth.
            if (_congestion is IRttSampleSink sink) sink.OnRttSample(sample, ack, _sndNxt);
        }

        // Free acknowledged data from the ring (the SYN and FIN occupy sequence space but not ring bytes).
        int ringBytes = Math.Min(Math.Max(ack - _sendBase, 0), _send!.Count);
        if (ringBytes > 0)
        {
            _send.Consume(ringBytes);
            _sendBase += ringBytes;
        }
        _sndUna = ack;
        if (_sndNxt < _sndUna) _sndNxt = _sndUna;
        if (_highRxt < _sndUna) _highRxt = _sndUna;
        _unackedSince = now;
        _synRetries = 0;

        int mss = EffectiveMss(now);
        if (_inRecovery)
        {
            if (ack >= _recover)
            {
                // Full acknowledgment: recovery is over (RFC 6582 section 3.2 step 3, RFC 6675 section 5).
                _inRecovery = false;
                if (RecoveryWasSpurious) UndoRecovery(now);
                else _congestion!.OnRecoveryExit(now);
            }
            else if (!_sackPermitted)
            {
                // Partial acknowledgment: the next hole was lost too. Resend it at once, deflate the window by what
                // was acknowledged and add one segment back (RFC 6582 section 3.2 step 4).
                _recoveryWindow = Math.Max(_recoveryWindow - acked + (acked >= mss ? mss : 0), mss);
                RetransmitFirstHole(now);
            }
            // With SACK a partial ACK only shrinks the pipe: Output runs step (C) of RFC 6675 section 5.
        }
        else
        {
            _congestion!.OnAck(acked, _sndNxt - _sndUna, _rtt.SmoothedRtt, now);
        }
        _duplicateAcks = 0;
        if (_sndUna == _sndMax) StopRetransmitTimer();
        else _retransmitAt = now + _rtt.Rto;
    }

    private void OnDuplicateAck(Instant now)
    {
        _duplicateAcks++;
        if (_sackPermitted) return; // RFC 6675: the scoreboard decides (MaybeEnterSackRecovery)
        int mss = EffectiveMss(now);
        if (_inRecovery)
        {
            // Window inflation: each duplicate ACK means a segment left the network.
            _recoveryWindow += mss;
            return;
        }
        // RFC 6582 section 3.2 step 2: no new recovery until SND.UNA passes the previous recovery point.
        if (_duplicateAcks < DuplicateAckThreshold || !RecoveryAllowed) return;
        _stack.Counters.FastRetransmitsField++;
        int flight = _sndMax - _sndUna;
        _congestion!.OnFastRetransmit(flight, now);
        _inRecovery = true;
        _recover = _sndMax;
        _recoveryResent = _sndUna;
        _recoveryWindow = _congestion.CongestionWindow + DuplicateAckThreshold * mss;
        RetransmitFirstHole(now);
        _retransmitAt = now + _rtt.Rto;
    }

    // A new recovery may start only once the previous one (or the last timeout) is over: with SACK once everything
    // sent before it is acknowledged (recover is kept one past its byte); NewReno waits for an ACK that "covers more
    // than recover" (RFC 6582 section 3.2 step 2), a segment beyond it.
    private bool RecoveryAllowed => _recover == _iss || (_sackPermitted ? _sndUna >= _recover : _sndUna - 1 >= _recover);

    // NewReno: resends the segment at SND.UNA, once per recovery episode and partial ACK.
    private void RetransmitFirstHole(Instant now)
    {
        var seq = _sndUna;
        if (_recoveryResent > seq || seq >= _sndMax) return;
        var end = DataEnd;
        int length = Math.Min(EffectiveMss(now), Math.Max(end - seq, 0));
        bool fin = _finQueued && seq + length == end && _sndMax > end;
        if (length == 0 && !fin) return;
        if (SendSegment(seq, length, fin, now)) _recoveryResent = _lastSegmentEnd;
    }

    // RFC 6675 section 5 step 4: after an ACK, enter recovery when DupThresh duplicate ACKs arrived or the
    // scoreboard says the segment at SND.UNA is lost (which also catches ACKs that carry data, never "duplicates").
    private void MaybeEnterSackRecovery(Instant now)
    {
        if (_inRecovery || _sndUna == _sndMax || !RecoveryAllowed || _scoreboard!.Count == 0) return;
        int mss = EffectiveMss(now);
        if (_duplicateAcks < DuplicateAckThreshold && !_scoreboard.IsLost(_sndUna, mss)) return;
        _stack.Counters.FastRetransmitsField++;
        _congestion!.OnFastRetransmit(_sndMax - _sndUna, now);
        _inRecovery = true;
        _recover = _sndMax;
        _highRxt = _sndUna;
        _undoArmed = true;
        _undoStart = _sndUna;
        _undoEnd = _sndMax;
        _undoRetransmitted = 0;
        _undoReported = 0;
        // Step 4.3: the first lost segment goes at once, whatever the pipe; HighRxt and RescueRxt end where it ends.
        if (_scoreboard.TryNextSegment(_sndUna, _sndMax, _highRxt, mss, out var start, out int length)
            && SendRetransmission(start, length, now))
        {
            _highRxt = _lastSegmentEnd;
        }
        _rescueRxt = _highRxt;
        MarkLostCheck(now);
        _retransmitAt = now + _rtt.Rto;
    }

    private void MarkLostCheck(Instant now)
    {
        _lostCheckUna = _sndUna;
        _lostCheckMark = _sndMax;
        _lostCheckAt = now;
    }

    // During SACK recovery: was the retransmission of the hole at SND.UNA lost as well?
    private void DetectLostRetransmission(Instant now)
    {
        if (!_inRecovery || _sndUna >= _highRxt) return;
        if (_sndUna != _lostCheckUna)
        {
            // SND.UNA moved: the next hole's retransmission (already sent or about to be) is what to watch.
            MarkLostCheck(now);
            return;
        }
        var minRtt = _rtt.MinRtt;
        if (_scoreboard!.HighestSacked <= _lostCheckMark || now - _lostCheckAt < minRtt + minRtt / 4) return;
        _stack.Counters.LostRetransmissionsField++;
        _highRxt = _sndUna;
        MarkLostCheck(now);
    }

    // RFC 6675 section 5 step (C): while cwnd − pipe allows a segment, send NextSeg (lost holes, new data, the rest of
    // the holes), then the once-per-recovery rescue of the tail.
    private void SendSackRecovery(Instant now)
    {
        int mss = EffectiveMss(now);
        var board = _scoreboard!;
        // Bounded: every round sends a segment or stops, and a window holds only so many.
        for (int budget = 4096; budget > 0; budget--)
        {
            int pipe = board.Pipe(_sndUna, _sndMax, _highRxt, mss);
            if (_congestion!.CongestionWindow - pipe < mss) return;
            var dataEnd = DataEnd;
            bool unsent = (dataEnd > _sndMax || (_finQueued && _sndMax <= dataEnd)) && _sndNxt == _sndMax;
            int newLength = Math.Min(Math.Min(Math.Max(dataEnd - _sndMax, 0), mss), Math.Max(_sndUna + _sndWnd - _sndMax, 0));
            bool fin = _finQueued && _sndMax + newLength == dataEnd;
            bool canSendNew = unsent && (newLength > 0 || fin);
            if (board.TryNextSegment(_sndUna, _sndMax, _highRxt, mss, canSendNew, out var start, out int length))
            {
                if (start == _sndMax)
                {
                    // Rule 2: new data, as much as one segment and the peer's window allow.
                    if (!SendSegment(_sndMax, newLength, fin, now)) return;
                    continue;
                }
                if (!SendRetransmission(start, length, now)) return;
                _highRxt = TcpSeqNumber.Max(_highRxt, _lastSegmentEnd);
                continue;
            }
            if (board.TryRescueSegment(_sndUna, _sndMax, mss, ref _rescueRxt, _recover, out start, out length))
            {
                SendRetransmission(start, length, now);
                return;
            }
            return;
        }
    }

    // Resends [start, start+length) of sequence space, the FIN included when the range covers it.
    private bool SendRetransmission(TcpSeqNumber start, int length, Instant now)
    {
        var dataEnd = DataEnd;
        int payload = Math.Max(Math.Min(length, dataEnd - start), 0);
        bool fin = _finQueued && start + length > dataEnd && _sndMax > dataEnd;
        if (payload == 0 && !fin) return false;
        if (!SendSegment(start, payload, fin, now)) return false;
        if (_undoArmed) _undoRetransmitted += _lastSegmentEnd - start;
        return true;
    }

    private bool RecoveryWasSpurious => _undoArmed && _undoRetransmitted > 0 && _undoReported >= _undoRetransmitted;

    // A D-SACK block from the peer: bytes it received twice. Within the recovery episode's range they are our
    // retransmissions coming back; once they all have, the fast retransmit was spurious.
    private void OnDuplicateReported(TcpSeqNumber left, TcpSeqNumber right, Instant now)
    {
        if (!_undoArmed || left < _undoStart || right > _undoEnd || right <= left) return;
        _undoReported += right - left;
        if (!_inRecovery && RecoveryWasSpurious) UndoRecovery(now);
    }

    private void UndoRecovery(Instant now)
    {
        _undoArmed = false;
        _stack.Counters.SpuriousFastRetransmitsUndoneField++;
        _congestion!.OnSpuriousFastRetransmit(now);
    }

    // The retransmission (or persist) timer expired.
    private void OnRetransmitTimer(Instant now)
    {
        _retransmitAt = Instant.MaxValue;
        if (_persisting)
        {
            OnPersistTimer(now);
            return;
        }
        if (_sndUna == _sndMax) return;
        _stack.Counters.RetransmissionTimeoutsField++;
        if (_state is TcpState.SynSent or TcpState.SynReceived)
        {
            if (++_synRetries > MaxSynRetries || now - _unackedSince >= _options.UserTimeout)
            {
                Abandon(TcpError.TimedOut);
                return;
            }
            _rtt.Backoff();
            _rttTiming = false;
            _sndNxt = _iss;
            SendSyn(now);
            StartRetransmitTimer(now);
            return;
        }
        if (now - _unackedSince >= _options.UserTimeout)
        {
            Abort(now, TcpError.TimedOut);
            return;
        }
        // RFC 5681 section 3.1 and RFC 6298 section 5: collapse the window, back off, go back to SND.UNA. The
        // scoreboard is kept (RFC 6675 section 5.1): the resend skips what the peer reported holding.
        _congestion!.OnRetransmitTimeout(_sndMax - _sndUna, now);
        _inRecovery = false;
        _undoArmed = false;
        _recover = _sndMax;
        _duplicateAcks = 0;
        _highRxt = _sndUna;
        _rtt.Backoff();
        _rttTiming = false;
        _sndNxt = _sndUna;
        SendData(now);
        if (_retransmitAt == Instant.MaxValue || _persisting) StartRetransmitTimer(now);
    }

    private void OnPersistTimer(Instant now)
    {
        _persisting = false;
        int pending = Math.Max(DataEnd - _sndNxt, 0);
        if (pending == 0 || _sndNxt != _sndUna) return;
        if (_sndWnd == 0)
        {
            _stack.Counters.ZeroWindowProbesSentField++;
            SendProbe(now);
            _persistBackoff++;
            StartPersistTimer(now);
            return;
        }
        // A small window held back by SWS avoidance with nothing in flight: send what fits (RFC 1122 override).
        int length = Math.Min(Math.Min(pending, _sndWnd), EffectiveMss(now));
        SendSegment(_sndNxt, length, false, now);
    }
}
