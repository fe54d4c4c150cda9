using Wirestack.Wire;

namespace Wirestack.Tcp;

/// <summary>
/// What remains to verify of a received segment's checksum once its pseudo-header and header are summed: the
/// payload, summed where it is read anyway (copied into the receive ring, or in place when it is not stored), so
/// that each payload byte is read once. The default value is a checksum the device vouched for: nothing to verify.
/// </summary>
internal readonly struct PendingChecksum
{
    /// <summary>A checksum still to verify, given the partial sum of the pseudo-header and the TCP header.</summary>
    public PendingChecksum(uint headerSum)
    {
        HeaderSum = headerSum;
        IsPending = true;
    }

    /// <summary>False when the device vouched for the checksum.</summary>
    public bool IsPending { get; }

    /// <summary>The partial sum of the pseudo-header and the TCP header, checksum field included.</summary>
    public uint HeaderSum { get; }

    /// <summary>True when the checksum is trusted, or the header's sum and the payload's come to all ones.</summary>
    public bool Accepts(uint payloadSum) => !IsPending || InternetChecksum.Add(HeaderSum, payloadSum) == 0xFFFF;

    /// <summary>Sums <paramref name="payload"/> in place (it is not being copied) and says whether the checksum is good.</summary>
    public bool Verify(ReadOnlySpan<byte> payload) => !IsPending || Accepts(InternetChecksum.Sum(payload));
}
