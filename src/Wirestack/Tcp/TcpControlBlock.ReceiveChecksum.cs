using Wirestack.Wire;

namespace Wirestack.Tcp;

// A received segment's checksum, verified before the connection acts on any of its fields, in the pass that copies
// its payload into the receive ring: the payload is read once.
internal sealed partial class TcpControlBlock
{
    /// <summary>
    /// Verifies the checksum of a segment for this connection. When the connection is in a state that stores data,
    /// the part of the payload the receive ring would keep is copied into its free space as it is summed (and
    /// <paramref name="staged"/> says so, for <see cref="OnSegment"/>); the rest is summed in place. Nothing is made
    /// readable here: a bad segment leaves the connection as it was.
    /// </summary>
    public bool VerifyChecksum(in TcpRepr segment, ReadOnlySpan<byte> payload, in PendingChecksum checksum, out bool staged)
    {
        staged = false;
        if (payload.IsEmpty || _receive is null || _state is not (TcpState.SynReceived or TcpState.Established or TcpState.FinWait1 or TcpState.FinWait2))
            return checksum.Verify(payload);
        return checksum.Accepts(_receive.StageAndSum(segment.SequenceNumber - _rcvNxt, payload, out staged));
    }
}
