using System.Buffers.Binary;
using Wirestack.Wire;

namespace Wirestack.Tcp;

/// <summary>
/// Stateless SYN cookies (RFC 4987 section 3.6): under a SYN flood a listener answers with a SYN-ACK whose ISN
/// encodes what it must remember, and keeps nothing; the returning ACK proves the peer received it.
/// </summary>
/// <remarks>
/// <para>
/// The 32-bit cookie is laid out as: 5 bits of a counter of 64-second periods, 3 bits indexing
/// <see cref="MssValues"/>, and a 24-bit SipHash-2-4 MAC over the connection tuple, the client's ISN, the full
/// period counter and the MSS index. A cookie is accepted during the period it was made in and the next one,
/// so it lives between 64 and 128 seconds.
/// </para>
/// <para>
/// The cookie has no room for the SYN's other options. When the peer offered timestamps, the listener hides the
/// window scale and SACK-permitted in the low bits of its TSval (<see cref="EncodeTimestampOptions"/>) and reads
/// them back from the TSecr the ACK echoes (<see cref="DecodeTimestampOptions"/>), as Linux does. Without
/// timestamps, the connection goes on without window scaling and SACK.
/// </para>
/// <para>The key is 16 secret random bytes; rotate it rarely (cookies made under the old key stop validating).</para>
/// </remarks>
public static class SynCookies
{
    /// <summary>The length of a period of the cookie counter.</summary>
    public static readonly TimeSpan Period = TimeSpan.FromSeconds(64);

    private const int CounterBits = 5;
    private const int MssBits = 3;
    private const int MacBits = 32 - CounterBits - MssBits;
    private const uint MacMask = (1u << MacBits) - 1;
    private const uint TimestampOptionsMask = 0x1F; // 4 bits window scale, 1 bit SACK-permitted
    private const int NoWindowScale = 0xF;

    // Common MSS values, ascending: IPv4 minimum, IPv6 minimum, tunnels and VPNs, PPPoE, Ethernet, jumbo frames.
    private static readonly int[] MssTable = [536, 1220, 1300, 1400, 1440, 1452, 1460, 8960];

    /// <summary>The MSS values a cookie can carry, ascending; the peer's MSS is rounded down to one of them.</summary>
    public static ReadOnlySpan<int> MssValues => MssTable;

    /// <summary>The ISN to send in the SYN-ACK that answers a SYN from <paramref name="remote"/> to <paramref name="local"/>.</summary>
    /// <param name="key">The 16-byte secret key.</param>
    /// <param name="local">The listener's endpoint.</param>
    /// <param name="remote">The peer's endpoint.</param>
    /// <param name="clientIsn">The sequence number of the peer's SYN.</param>
    /// <param name="mss">The MSS the peer announced (536 if it announced none); rounded down to a value of <see cref="MssValues"/>.</param>
    /// <param name="now">The current time.</param>
    /// <exception cref="ArgumentException"><paramref name="key"/> is not 16 bytes long.</exception>
    public static uint Encode(ReadOnlySpan<byte> key, IpEndpoint local, IpEndpoint remote, TcpSeqNumber clientIsn, int mss, Instant now)
    {
        uint counter = Counter(now);
        int index = MssIndex(mss);
        uint mac = Mac(key, local, remote, clientIsn, counter, index);
        return (counter << (32 - CounterBits)) | ((uint)index << MacBits) | mac;
    }

    /// <summary>
    /// Checks the cookie a returning ACK carries (its acknowledgment number minus one) and recovers the MSS.
    /// </summary>
    /// <param name="key">The 16-byte secret key.</param>
    /// <param name="local">The listener's endpoint.</param>
    /// <param name="remote">The peer's endpoint.</param>
    /// <param name="clientIsn">The peer's ISN: the ACK's sequence number minus one.</param>
    /// <param name="cookie">The listener's ISN: the ACK's acknowledgment number minus one.</param>
    /// <param name="now">The current time.</param>
    /// <param name="mss">The MSS the cookie carries, if it is valid.</param>
    /// <returns>True when the cookie was made by this key for this connection in this or the previous period.</returns>
    /// <exception cref="ArgumentException"><paramref name="key"/> is not 16 bytes long.</exception>
    public static bool TryDecode(ReadOnlySpan<byte> key, IpEndpoint local, IpEndpoint remote, TcpSeqNumber clientIsn, TcpSeqNumber cookie, Instant now, out int mss)
    {
        mss = 0;
        uint value = cookie.Value;
        uint current = Counter(now);
        uint sent = value >> (32 - CounterBits);
        // The 5 bits tell only the counter modulo 32: take the current or previous period that matches.
        uint counter = current;
        if (sent != (current & ((1u << CounterBits) - 1)))
        {
            counter = current - 1;
            if (current == 0 || sent != (counter & ((1u << CounterBits) - 1))) return false;
        }
        int index = (int)((value >> MacBits) & ((1u << MssBits) - 1));
        if (Mac(key, local, remote, clientIsn, counter, index) != (value & MacMask)) return false;
        mss = MssTable[index];
        return true;
    }

    /// <summary>
    /// The TSval to send in a cookie SYN-ACK: <paramref name="timestamp"/> with its low 5 bits replaced by the
    /// SYN's window scale and SACK-permitted, moved back (never forward) so the clock seen by the peer doesn't jump ahead.
    /// </summary>
    /// <param name="timestamp">The listener's current timestamp clock.</param>
    /// <param name="windowScale">The window scale the SYN offered, 0..14, or −1 if it offered none.</param>
    /// <param name="sackPermitted">True when the SYN carried SACK-permitted.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="windowScale"/> is not −1..14.</exception>
    public static uint EncodeTimestampOptions(uint timestamp, int windowScale, bool sackPermitted)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(windowScale, -1, nameof(windowScale));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(windowScale, 14, nameof(windowScale));
        uint options = (uint)(windowScale < 0 ? NoWindowScale : windowScale) | (sackPermitted ? 0x10u : 0);
        uint tsval = (timestamp & ~TimestampOptionsMask) | options;
        return tsval > timestamp ? unchecked(tsval - (TimestampOptionsMask + 1)) : tsval; // unsigned: wraps like the clock
    }

    /// <summary>Reads back what <see cref="EncodeTimestampOptions"/> hid in the TSecr of the returning ACK.</summary>
    /// <param name="echoedTimestamp">The ACK's TSecr.</param>
    /// <param name="windowScale">The window scale the SYN offered, or −1 if none.</param>
    /// <param name="sackPermitted">True when the SYN carried SACK-permitted.</param>
    public static void DecodeTimestampOptions(uint echoedTimestamp, out int windowScale, out bool sackPermitted)
    {
        int scale = (int)(echoedTimestamp & 0xF);
        sackPermitted = (echoedTimestamp & 0x10) != 0;
        windowScale = scale == NoWindowScale ? -1 : scale;
    }

    private static uint Counter(Instant now) => unchecked((uint)(now.TotalMicroseconds / (Period.Ticks / TimeSpan.TicksPerMicrosecond)));

    private static int MssIndex(int mss)
    {
        int index = 0;
        for (int i = MssTable.Length - 1; i > 0; i--)
        {
            if (mss >= MssTable[i])
            {
                index = i;
                break;
            }
        }
        return index;
    }

    private static uint Mac(ReadOnlySpan<byte> key, IpEndpoint local, IpEndpoint remote, TcpSeqNumber clientIsn, uint counter, int mssIndex)
    {
        Span<byte> input = stackalloc byte[ConnectionTuple.Length + 9];
        ConnectionTuple.Write(input, local, remote);
        BinaryPrimitives.WriteUInt32BigEndian(input[ConnectionTuple.Length..], clientIsn.Value);
        BinaryPrimitives.WriteUInt32BigEndian(input[(ConnectionTuple.Length + 4)..], counter);
        input[^1] = (byte)mssIndex;
        return (uint)SipHash.Hash(key, input) & MacMask;
    }
}
