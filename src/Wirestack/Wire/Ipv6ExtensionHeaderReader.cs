namespace Wirestack.Wire;

/// <summary>
/// Walks the extension-header chain of an IPv6 payload (RFC 8200 section 4): hop-by-hop options,
/// routing, fragment and destination options. Each <see cref="MoveNext"/> yields one header; when
/// it returns false with <see cref="Error"/> <see cref="WireError.None"/>, the reader stands at the
/// upper-layer protocol (<see cref="UpperLayerProtocol"/> at <see cref="UpperLayerOffset"/>).
/// </summary>
/// <remarks>
/// <para>A malformed chain never throws: the reader yields one last <see cref="Ipv6ExtensionHeader"/>
/// whose <see cref="Ipv6ExtensionHeader.Error"/> says what is wrong, sets <see cref="Error"/>, and
/// stops. <c>foreach</c> works on a copy of the reader, so to learn where the upper layer starts,
/// loop with <c>while (reader.MoveNext())</c> or call <see cref="FindUpperLayer"/>.</para>
/// <para>Any other next-header value (TCP, UDP, ICMPv6, "no next header", but also ESP, AH and
/// types Wirestack does not know) ends the walk as the upper layer; deciding whether it is
/// handled is the IP layer's business (an unknown one earns a parameter problem, code 1, pointing
/// at <see cref="NextHeaderFieldPointer"/>).</para>
/// <para>A fragment header also ends the walk: what follows it is the fragmentable part of the
/// original packet, readable only after reassembly. <see cref="EndsAtFragment"/> says so, and
/// <see cref="UpperLayerProtocol"/> is then the fragment header's next header.</para>
/// </remarks>
public ref struct Ipv6ExtensionHeaderReader
{
    /// <summary>The most extension headers the reader walks before giving up.</summary>
    public const int MaxHeaders = 8;

    private readonly ReadOnlySpan<byte> _payload;
    private IpProtocol _next;
    private int _offset;
    private int _previousOffset;
    private int _count;
    private bool _done;

    /// <summary>A reader over <paramref name="payload"/> (the bytes after the fixed header) whose first header is <paramref name="firstHeader"/>.</summary>
    public Ipv6ExtensionHeaderReader(ReadOnlySpan<byte> payload, IpProtocol firstHeader)
    {
        _payload = payload;
        _next = firstHeader;
    }

    /// <summary>True for the next-header values this reader walks as extension headers.</summary>
    public static bool IsExtensionHeader(IpProtocol protocol) =>
        protocol is IpProtocol.HopByHop or IpProtocol.Ipv6Routing or IpProtocol.Ipv6Fragment or IpProtocol.Ipv6DestinationOptions;

    /// <summary>The header <see cref="MoveNext"/> last moved to.</summary>
    public Ipv6ExtensionHeader Current { get; private set; }

    /// <summary>Why the walk stopped early, or <see cref="WireError.None"/>.</summary>
    /// <remarks>
    /// <see cref="WireError.Truncated"/>: a header runs past the payload.
    /// <see cref="WireError.Malformed"/>: a hop-by-hop header somewhere other than first.
    /// <see cref="WireError.TooManyExtensionHeaders"/>: more than <see cref="MaxHeaders"/> headers.
    /// </remarks>
    public WireError Error { get; private set; }

    /// <summary>How many well-formed extension headers have been read.</summary>
    public readonly int Count => _count;

    /// <summary>True when the walk stopped after a fragment header.</summary>
    public bool EndsAtFragment { get; private set; }

    /// <summary>Returns this reader, so that it can be used in <c>foreach</c>.</summary>
    public readonly Ipv6ExtensionHeaderReader GetEnumerator() => this;

    /// <summary>Moves to the next extension header; false at the upper layer or after a malformed header.</summary>
    public bool MoveNext()
    {
        if (_done || !IsExtensionHeader(_next)) return false;
        if (_next == IpProtocol.HopByHop && _count > 0) return Fail(WireError.Malformed); // only right after the fixed header
        if (_count == MaxHeaders) return Fail(WireError.TooManyExtensionHeaders);
        var rest = _payload[_offset..];
        int length;
        if (_next == IpProtocol.Ipv6Fragment)
        {
            length = Ipv6FragmentHeader.Length; // its second byte is reserved, not a length
            if (rest.Length < length) return Fail(WireError.Truncated);
        }
        else
        {
            if (rest.Length < 2) return Fail(WireError.Truncated);
            length = (rest[1] + 1) * 8;
            if (rest.Length < length) return Fail(WireError.Truncated);
        }
        Current = new Ipv6ExtensionHeader(_next, rest[..length], _offset, WireError.None);
        _previousOffset = _offset;
        _offset += length;
        _count++;
        if (_next == IpProtocol.Ipv6Fragment)
        {
            EndsAtFragment = true;
            _done = true; // this header is yielded; after it comes fragment data, not headers
        }
        _next = (IpProtocol)rest[0];
        return true;
    }

    private bool Fail(WireError error)
    {
        Error = error;
        Current = new Ipv6ExtensionHeader(_next, default, _offset, error);
        _done = true;
        return true;
    }

    /// <summary>
    /// The next-header value after the last extension header read: once <see cref="MoveNext"/> has
    /// returned false without an error, the upper-layer protocol. After an error, the header that failed.
    /// </summary>
    public readonly IpProtocol UpperLayerProtocol => _next;

    /// <summary>Where the upper-layer header starts (or the failed header), counted from the start of the payload.</summary>
    public readonly int UpperLayerOffset => _offset;

    /// <summary>The payload from <see cref="UpperLayerOffset"/> on.</summary>
    public readonly ReadOnlySpan<byte> UpperLayerPayload => _payload[_offset..];

    /// <summary>
    /// The offset, from the start of the IPv6 packet, of the next-header field naming
    /// <see cref="UpperLayerProtocol"/>: 6 for the fixed header, else 40 plus the offset of the last
    /// extension header read. This is the pointer of a parameter problem about that value.
    /// </summary>
    public readonly int NextHeaderFieldPointer => _count == 0 ? 6 : Ipv6Packet.HeaderLength + _previousOffset;

    /// <summary>Walks the whole chain and reports where the upper layer starts.</summary>
    public static WireError FindUpperLayer(ReadOnlySpan<byte> payload, IpProtocol firstHeader, out IpProtocol upperLayer, out int offset)
    {
        var reader = new Ipv6ExtensionHeaderReader(payload, firstHeader);
        while (reader.MoveNext()) { }
        upperLayer = reader.UpperLayerProtocol;
        offset = reader.UpperLayerOffset;
        return reader.Error;
    }
}
