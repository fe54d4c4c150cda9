using Wirestack.Wire;

namespace Wirestack.Tcp;

/// <summary>
/// A congestion controller that also wants every round-trip sample, with the sequence numbers that delimit
/// rounds: both built-in controllers use them for HyStart++ (RFC 9406) in the initial slow start. A caller that
/// never calls <see cref="OnRttSample"/> gets plain slow start.
/// </summary>
public interface IRttSampleSink
{
    /// <summary>
    /// A new round-trip sample from an ACK (obeying Karn's rule, or from a timestamp echo). Call it before
    /// <see cref="ICongestionControl.OnAck"/> for the same ACK.
    /// </summary>
    /// <param name="rtt">The latest RTT sample (not the smoothed one).</param>
    /// <param name="ackNumber">The ACK's cumulative acknowledgment number.</param>
    /// <param name="sndNxt">SND.NXT when the ACK arrived (a round ends when everything sent at its start is acknowledged).</param>
    void OnRttSample(TimeSpan rtt, TcpSeqNumber ackNumber, TcpSeqNumber sndNxt);
}
