using System.Buffers.Binary;
using Wirestack.Wire;

namespace Wirestack.Tcp;

/// <summary>
/// Chooses initial sequence numbers as RFC 6528 asks: ISN = M + F(localip, localport, remoteip, remoteport,
/// secretkey), where M is a timer ticking every 4 µs and F is SipHash-2-4 under a secret key. Numbers for one
/// connection tuple advance with time (so a new incarnation's segments are not taken for an old one's), while an
/// off-path attacker cannot guess another tuple's numbers. Works for IPv4 and IPv6; allocation-free.
/// </summary>
public sealed class InitialSequenceNumbers
{
    private readonly ulong _k0;
    private readonly ulong _k1;

    /// <summary>Uses <paramref name="key"/>, 16 secret random bytes (draw them from <see cref="System.Security.Cryptography.RandomNumberGenerator"/>).</summary>
    /// <exception cref="ArgumentException"><paramref name="key"/> is not 16 bytes long.</exception>
    public InitialSequenceNumbers(ReadOnlySpan<byte> key)
    {
        if (key.Length != SipHash.KeyLength)
            throw new ArgumentException($"The ISN key is {SipHash.KeyLength} bytes; {key.Length} were given.", nameof(key));
        _k0 = BinaryPrimitives.ReadUInt64LittleEndian(key);
        _k1 = BinaryPrimitives.ReadUInt64LittleEndian(key[8..]);
    }

    /// <summary>The ISN for a connection from <paramref name="local"/> to <paramref name="remote"/> opened at <paramref name="now"/>.</summary>
    public TcpSeqNumber Next(IpEndpoint local, IpEndpoint remote, Instant now)
    {
        Span<byte> tuple = stackalloc byte[ConnectionTuple.Length];
        ConnectionTuple.Write(tuple, local, remote);
        uint m = unchecked((uint)(now.TotalMicroseconds / 4));
        return new TcpSeqNumber(unchecked(m + (uint)SipHash.Hash(_k0, _k1, tuple)));
    }

    /// <summary>
    /// The offset of a connection's timestamp clock (RFC 7323 section 5.4): a keyed hash of the connection tuple, so that
    /// an observer cannot read the host's uptime, yet every incarnation of one tuple counts on the same clock and a new
    /// one's timestamps are newer than the last one's, which is what lets a peer in TIME-WAIT take its SYN (RFC 6191).
    /// </summary>
    public uint TimestampOffset(IpEndpoint local, IpEndpoint remote)
    {
        Span<byte> tuple = stackalloc byte[ConnectionTuple.Length + 1];
        ConnectionTuple.Write(tuple, local, remote);
        tuple[ConnectionTuple.Length] = (byte)'T'; // domain separation from the ISN's hash of the same tuple
        return (uint)SipHash.Hash(_k0, _k1, tuple);
    }
}
