namespace Wirestack.Ip;

/// <summary>
/// Cuts a datagram's fragmentable part into fragments that each fit the link MTU, every one but the last a multiple
/// of 8 bytes long (RFC 791, RFC 8200 section 4.5). It only computes boundaries: the IP layer writes each fragment
/// straight into a transmit slot from them. A small value type, enumerated with <c>foreach</c> without allocating.
/// </summary>
/// <remarks>
/// Fragments are as large as the MTU allows, and the last one carries the rest (Linux cuts the same way), so a
/// datagram takes the fewest fragments possible.
/// </remarks>
public struct Fragmenter
{
    private readonly int _payloadLength;
    private readonly int _firstLength;
    private readonly int _laterLength;
    private readonly int _laterCapacity;
    private int _offset;

    private Fragmenter(int payloadLength, int firstCapacity, int laterCapacity)
    {
        _payloadLength = payloadLength;
        _laterCapacity = laterCapacity;
        // Non-last fragments must end on an 8-byte boundary; a capacity that does not is rounded down.
        _firstLength = payloadLength <= firstCapacity ? payloadLength : firstCapacity & ~7;
        _laterLength = laterCapacity & ~7;
        _offset = -1;
        Current = default;

        int rest = payloadLength - _firstLength;
        Count = rest == 0 ? 1 : 2 + Math.Max(0, (rest - laterCapacity + _laterLength - 1) / _laterLength);
    }

    /// <summary>The fragments of an IPv4 datagram.</summary>
    /// <param name="payloadLength">The datagram's payload length (everything after its header).</param>
    /// <param name="mtu">The link MTU (at least 68).</param>
    /// <param name="headerLength">The first fragment's header length (20 to 60, a multiple of 4).</param>
    /// <param name="laterHeaderLength">
    /// The header length of the others, which carry only options with the copied flag (RFC 791); by default the same.
    /// </param>
    /// <exception cref="ArgumentOutOfRangeException">A length is out of range, or the datagram would be longer than 65535 bytes.</exception>
    public static Fragmenter ForIpv4(int payloadLength, int mtu, int headerLength = 20, int laterHeaderLength = -1)
    {
        if (laterHeaderLength == -1) laterHeaderLength = headerLength;
        CheckHeader(headerLength, nameof(headerLength));
        CheckHeader(laterHeaderLength, nameof(laterHeaderLength));
        if (mtu is < 68 or > 65535)
            throw new ArgumentOutOfRangeException(nameof(mtu), mtu, "An IPv4 link MTU is between 68 and 65535.");
        if (payloadLength < 0 || payloadLength > 65535 - headerLength)
            throw new ArgumentOutOfRangeException(nameof(payloadLength), payloadLength, $"An IPv4 datagram with a {headerLength}-byte header carries 0 to {65535 - headerLength} bytes.");
        return new Fragmenter(payloadLength, mtu - headerLength, mtu - laterHeaderLength);
    }

    /// <summary>The fragments of an IPv6 packet; each fragment carries the unfragmentable part and an 8-byte fragment header.</summary>
    /// <param name="payloadLength">The fragmentable part's length (extension headers after the fragment header, and the upper layer).</param>
    /// <param name="mtu">The link MTU (at least 1280).</param>
    /// <param name="unfragmentableLength">The unfragmentable part's length: the 40-byte IPv6 header and the extension headers repeated in every fragment.</param>
    /// <exception cref="ArgumentOutOfRangeException">A length is out of range, or the packet's payload would be longer than 65535 bytes.</exception>
    public static Fragmenter ForIpv6(int payloadLength, int mtu, int unfragmentableLength = 40)
    {
        if (mtu is < 1280 or > 65575)
            throw new ArgumentOutOfRangeException(nameof(mtu), mtu, "An IPv6 link MTU is between 1280 and 65575.");
        // Room for at least 8 bytes of data in each fragment.
        if (unfragmentableLength < 40 || unfragmentableLength > mtu - 16)
            throw new ArgumentOutOfRangeException(nameof(unfragmentableLength), unfragmentableLength, $"The unfragmentable part is at least the 40-byte IPv6 header and at most the MTU less 16 ({mtu - 16}).");
        if (payloadLength < 0 || payloadLength > 65535 - (unfragmentableLength - 40))
            throw new ArgumentOutOfRangeException(nameof(payloadLength), payloadLength, "The original packet's payload length would pass 65535 (jumbograms are not supported).");
        int capacity = mtu - unfragmentableLength - 8;
        return new Fragmenter(payloadLength, capacity, capacity);
    }

    /// <summary>How many fragments the datagram takes (1 when it fits the MTU whole).</summary>
    public int Count { get; }

    /// <summary>The fragment <see cref="MoveNext"/> last moved to.</summary>
    public FragmentBoundary Current { readonly get; private set; }

    /// <summary>Returns a fresh copy at the first fragment, so that it can be used in <c>foreach</c>.</summary>
    public readonly Fragmenter GetEnumerator()
    {
        var copy = this;
        copy._offset = -1;
        return copy;
    }

    /// <summary>Moves to the next fragment; false after the last.</summary>
    public bool MoveNext()
    {
        if (_offset == -1)
        {
            _offset = _firstLength;
            Current = new FragmentBoundary(0, _firstLength, _firstLength < _payloadLength);
            return true;
        }
        int rest = _payloadLength - _offset;
        if (rest <= 0) return false;
        int length = rest <= _laterCapacity ? rest : _laterLength;
        Current = new FragmentBoundary(_offset, length, length < rest);
        _offset += length;
        return true;
    }

    /// <summary>Writes every boundary into <paramref name="destination"/>.</summary>
    /// <returns>How many were written (<see cref="Count"/>).</returns>
    /// <exception cref="ArgumentException"><paramref name="destination"/> is shorter than <see cref="Count"/>.</exception>
    public readonly int Fill(Span<FragmentBoundary> destination)
    {
        if (destination.Length < Count)
            throw new ArgumentException($"The destination holds {destination.Length} boundaries; this datagram takes {Count}.", nameof(destination));
        int written = 0;
        foreach (var boundary in this) destination[written++] = boundary;
        return written;
    }

    private static void CheckHeader(int length, string name)
    {
        if (length is < 20 or > 60 || (length & 3) != 0)
            throw new ArgumentOutOfRangeException(name, length, "An IPv4 header is 20 to 60 bytes, a multiple of 4.");
    }
}
