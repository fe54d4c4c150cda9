namespace Wirestack.Tcp;

// The per-connection timers: retransmission or persist (one slot, they never run together), delayed ACK,
// keep-alive, FIN-WAIT-2 for an orphan and TIME-WAIT. The stack keeps each connection's earliest deadline in a heap.
internal sealed partial class TcpControlBlock
{
    // A full device ring: the next try comes after BlockedRetryInterval, doubling up to 2^MaxBlockedBackoff times that
    // while the ring stays full (a device that never drains must not spin the stack thread).
    private static readonly TimeSpan BlockedRetryInterval = TimeSpan.FromMicroseconds(50);
    private const int MaxBlockedBackoff = 8;
    private Instant _outputRetryAt;
    private int _blockedRetries;

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
            var next = Instant.Min(Instant.Min(_retransmitAt, _delayedAckAt), _outputRetryAt);
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
        if (now >= _outputRetryAt)
        {
            // The ring was full at the last try: send what waits (Output sets the retry again if it still is).
            _outputRetryAt = Instant.MaxValue;
            Output(now);
        }
    }

    private void ArmFinWait2(Instant now) => _finWait2At = now + _options.FinWait2Timeout;

    private void ResetTimers(Instant now)
    {
        _retransmitAt = Instant.MaxValue;
        _outputRetryAt = Instant.MaxValue;
        _blockedRetries = 0;
        _persisting = false;
        _delayedAckAt = Instant.MaxValue;
        _timeWaitAt = Instant.MaxValue;
        _finWait2At = Instant.MaxValue;
        _idleSince = now;
        _lastDataSentAt = Instant.MaxValue;
        _keepAliveProbesSent = 0;
    }
}
