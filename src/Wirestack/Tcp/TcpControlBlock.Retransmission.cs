using Wirestack.Wire;

namespace Wirestack.Tcp;

// Loss recovery. The send ring is the retransmission store: a retransmission re-reads a sequence range of it.
// RTO with Karn's rule and exponential backoff (RFC 6298), fast retransmit on three duplicate ACKs and NewReno fast
// recovery (RFC 5681, RFC 6582) with the window inflation done here; SACK blocks from the peer steer which holes are
// resent during recovery.
internal sealed partial class TcpControlBlock
{
    private const int DuplicateAckThreshold = 3;

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

    // The peer's latest SACK blocks (RFC 2018), as a small scoreboard of what it holds above SND.UNA.
    private readonly TcpSackBlock[] _peerSacks = new TcpSackBlock[TcpSackBlocks.MaxCount];
    private int _peerSackCount;

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
        _peerSackCount = 0;
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
        if (_timestamps && segment.Timestamps is TcpTimestamps ts && ts.EchoReply != 0)
        {
            int sample = unchecked((int)(TimestampNow(now) - ts.EchoReply));
            if (sample >= 0) _rtt.AddSample(TimeSpan.FromMilliseconds(sample));
        }
        else if (_rttTiming && ack > _rttSeq)
        {
            _rtt.AddSample(now - _rttSentAt);
            _rttTiming = false;
        }
        if (_rttTiming && ack > _rttSeq) _rttTiming = false;

        // Free acknowledged data from the ring (the SYN and FIN occupy sequence space but not ring bytes).
        int ringBytes = Math.Min(Math.Max(ack - _sendBase, 0), _send!.Count);
        if (ringBytes > 0)
        {
            _send.Consume(ringBytes);
            _sendBase += ringBytes;
        }
        _sndUna = ack;
        if (_sndNxt < _sndUna) _sndNxt = _sndUna;
        _unackedSince = now;
        _synRetries = 0;

        int mss = EffectiveMss(now);
        if (_inRecovery)
        {
            if (ack >= _recover)
            {
                // Full acknowledgment: recovery is over (RFC 6582 section 3.2 step 3).
                _inRecovery = false;
                _congestion!.OnRecoveryExit(now);
            }
            else
            {
                // Partial acknowledgment: the next hole was lost too. Resend it at once, deflate the window by what
                // was acknowledged and add one segment back (RFC 6582 section 3.2 step 4).
                _recoveryWindow = Math.Max(_recoveryWindow - acked + (acked >= mss ? mss : 0), mss);
                RetransmitFirstHole(now);
            }
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
        int mss = EffectiveMss(now);
        if (_inRecovery)
        {
            // Window inflation: each duplicate ACK means a segment left the network.
            _recoveryWindow += mss;
            if (_sackPermitted) RetransmitFirstHole(now);
            return;
        }
        // RFC 6582 section 3.2 step 2: no new recovery until SND.UNA passes the previous recovery point.
        if (_duplicateAcks < DuplicateAckThreshold || _sndUna - 1 < _recover && _recover != _iss) return;
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

    // Resends the first un-SACKed segment at or above SND.UNA not yet resent in this recovery.
    private void RetransmitFirstHole(Instant now)
    {
        int mss = EffectiveMss(now);
        var seq = TcpSeqNumber.Max(_sndUna, _recoveryResent);
        var highestSacked = _sndUna;
        for (int i = 0; i < _peerSackCount; i++) highestSacked = TcpSeqNumber.Max(highestSacked, _peerSacks[i].Right);
        // Skip ranges the peer holds.
        for (int pass = 0; pass < _peerSackCount; pass++)
        {
            bool moved = false;
            for (int i = 0; i < _peerSackCount; i++)
                if (_peerSacks[i].Left <= seq && seq < _peerSacks[i].Right)
                {
                    seq = _peerSacks[i].Right;
                    moved = true;
                }
            if (!moved) break;
        }
        if (seq >= _sndMax) return;
        // Without SACK only the segment at SND.UNA is known lost; with it, any hole below the highest SACKed byte.
        if (seq != _sndUna && (!_sackPermitted || seq >= highestSacked)) return;
        var end = DataEnd;
        int length = Math.Min(mss, Math.Max(end - seq, 0));
        var limit = _sndMax;
        for (int i = 0; i < _peerSackCount; i++)
            if (_peerSacks[i].Left > seq && _peerSacks[i].Left < limit) limit = _peerSacks[i].Left;
        length = Math.Min(length, Math.Max(limit - seq, 0));
        bool fin = _finQueued && seq + length == end && _sndMax > end;
        if (length == 0 && !fin) return;
        if (SendSegment(seq, length, fin, now)) _recoveryResent = seq + length + (fin ? 1 : 0);
    }

    private void TakeSackBlocks(in TcpRepr segment)
    {
        var blocks = segment.SackBlocks.AsSpan();
        if (blocks.Length == 0) return;
        int count = 0;
        for (int i = 0; i < blocks.Length; i++)
        {
            var block = blocks[i];
            // Ignore D-SACKs and nonsense (RFC 2883: a block below SND.UNA reports a duplicate).
            if (block.Right <= _sndUna || block.Left >= block.Right || block.Right > _sndMax) continue;
            _peerSacks[count++] = block;
        }
        _peerSackCount = count;
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
        // RFC 5681 section 3.1 and RFC 6298 section 5: collapse the window, back off, go back to SND.UNA.
        _congestion!.OnRetransmitTimeout(_sndMax - _sndUna, now);
        _inRecovery = false;
        _recover = _sndMax;
        _duplicateAcks = 0;
        _peerSackCount = 0;
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
