namespace Wirestack.Tcp;

// The per-connection timers: retransmission or persist (one slot, they never run together), delayed ACK,
// keep-alive, FIN-WAIT-2 for an orphan and TIME-WAIT. The stack keeps each connection's earliest deadline in a heap.
internal sealed partial class TcpControlBlock
{
    private Instant _delayedAckAt;
    private Instant _timeWaitAt;
    private Instant _finWait2At;
    private Instant _idleSince;
    private Instant _lastDataSentAt;
    private int _keepAliveProbesSent;

    /// <summary>The earliest time this connection needs <see cref="OnTimer"/>; <see cref="Instant.MaxValue"/> for none.</summary>
    public Instant NextDeadline
    {
        get
        {
            if (!InUse || _state == TcpState.Closed) return Instant.MaxValue;
            if (_state == TcpState.TimeWait) return _timeWaitAt;
            var next = Instant.Min(_retransmitAt, _delayedAckAt);
            next = Instant.Min(next, _finWait2At);
            return Instant.Min(next, KeepAliveDeadline);
        }
    }

    private Instant KeepAliveDeadline =>
        _options.KeepAlive && _state is TcpState.Established or TcpState.CloseWait && _sndUna == _sndMax
            ? _idleSince + _options.KeepAliveIdle + _keepAliveProbesSent * _options.KeepAliveInterval
            : Instant.MaxValue;

    /// <summary>Runs every timer of this connection that is due.</summary>
    public void OnTimer(Instant now)
    {
        if (_state == TcpState.TimeWait)
        {
            if (now >= _timeWaitAt) Abandon(TcpError.None);
            return;
        }
        if (now >= _finWait2At)
        {
            _finWait2At = Instant.MaxValue;
            if (_state == TcpState.FinWait2)
            {
                // An orphan whose peer never closed: give up as Linux does (tcp_fin_timeout).
                Abort(now, TcpError.TimedOut);
                return;
            }
        }
        if (now >= _retransmitAt)
        {
            OnRetransmitTimer(now);
            if (_state == TcpState.Closed) return;
        }
        if (now >= KeepAliveDeadline)
        {
            if (_keepAliveProbesSent >= _options.KeepAliveProbes)
            {
                Abort(now, TcpError.TimedOut);
                return;
            }
            _keepAliveProbesSent++;
            _stack.Counters.KeepAliveProbesSentField++;
            SendProbe(now);
        }
        if (now >= _delayedAckAt)
        {
            _delayedAckAt = Instant.MaxValue;
            _ackNow = true;
            Output(now);
        }
    }

    private void ArmFinWait2(Instant now) => _finWait2At = now + _options.FinWait2Timeout;

    private void ResetTimers(Instant now)
    {
        _retransmitAt = Instant.MaxValue;
        _persisting = false;
        _delayedAckAt = Instant.MaxValue;
        _timeWaitAt = Instant.MaxValue;
        _finWait2At = Instant.MaxValue;
        _idleSince = now;
        _lastDataSentAt = Instant.MaxValue;
        _keepAliveProbesSent = 0;
    }
}
