using Wirestack.Wire;

namespace Wirestack.Ip;

/// <summary>
/// One received fragment as <see cref="FragmentReassembler.Accept"/> takes it: its datagram's key, where its data
/// goes, its data, and (for the first fragment) what the caller will want back with the reassembled datagram.
/// A view over the caller's receive buffer: nothing is copied until the reassembler stores it.
/// </summary>
public readonly ref struct Fragment
{
    /// <summary>The largest fragment offset the wire can carry (13 bits of 8-byte units).</summary>
    public const int MaxOffset = 0x1FFF * 8;

    /// <summary>Describes a fragment.</summary>
    /// <param name="key">The datagram it belongs to.</param>
    /// <param name="offset">Where its data starts in the datagram's fragmentable part, in bytes (a multiple of 8).</param>
    /// <param name="moreFragments">The more-fragments flag: false for the last fragment.</param>
    /// <param name="payload">Its data (the fragmentable part's bytes from <paramref name="offset"/> on).</param>
    /// <param name="upperLayerProtocol">
    /// What the reassembled payload is: the IPv4 protocol, or the IPv6 fragment header's next header. Only the first
    /// fragment's (offset 0) is kept, as RFC 8200 asks.
    /// </param>
    /// <param name="packet">
    /// The whole received IP packet, headers first. Only the first fragment's is kept, and only its first
    /// <see cref="ExpiredDatagram.MaxQuoteLength"/> bytes: the header the caller needs with the reassembled payload,
    /// and the quote of an ICMP "fragment reassembly time exceeded" (RFC 792 wants the header and 8 bytes).
    /// </param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="offset"/> is negative, past <see cref="MaxOffset"/>, or not a multiple of 8.</exception>
    public Fragment(FragmentKey key, int offset, bool moreFragments, ReadOnlySpan<byte> payload, IpProtocol upperLayerProtocol = default, ReadOnlySpan<byte> packet = default)
    {
        // The wire can only express multiples of 8 up to MaxOffset; anything else is the caller's bug, not traffic.
        if (offset < 0 || offset > MaxOffset || (offset & 7) != 0)
            throw new ArgumentOutOfRangeException(nameof(offset), offset, $"A fragment offset is a multiple of 8 between 0 and {MaxOffset}.");
        Key = key;
        Offset = offset;
        MoreFragments = moreFragments;
        Payload = payload;
        UpperLayerProtocol = upperLayerProtocol;
        Packet = packet;
    }

    /// <summary>The fragment of a parsed IPv4 packet (whose <see cref="Ipv4Packet.IsFragment"/> the caller has checked).</summary>
    public static Fragment FromIpv4(Ipv4Packet packet) =>
        new(FragmentKey.ForIpv4(packet.Source, packet.Destination, packet.Identification, packet.Protocol),
            packet.FragmentOffset, packet.MoreFragments, packet.Payload, packet.Protocol, packet.Buffer);

    /// <summary>The fragment of a parsed IPv6 packet whose fragment header starts <paramref name="fragmentHeaderOffset"/> bytes into its payload.</summary>
    /// <returns><see cref="WireError.Truncated"/> when the fragment header does not fit there; otherwise <see cref="WireError.None"/>.</returns>
    public static WireError TryFromIpv6(Ipv6Packet packet, int fragmentHeaderOffset, out Fragment fragment)
    {
        fragment = default;
        var payload = packet.Payload;
        if ((uint)fragmentHeaderOffset > (uint)payload.Length) return WireError.Truncated;
        var error = Ipv6FragmentHeader.TryParse(payload[fragmentHeaderOffset..], out var header);
        if (error != WireError.None) return error;
        fragment = new Fragment(FragmentKey.ForIpv6(packet.Source, packet.Destination, header.Identification),
            header.FragmentOffset, header.MoreFragments, payload[(fragmentHeaderOffset + Ipv6FragmentHeader.Length)..],
            header.NextHeader, packet.Buffer);
        return WireError.None;
    }

    /// <summary>The datagram this fragment belongs to.</summary>
    public FragmentKey Key { get; }

    /// <summary>Where the fragment's data starts in the fragmentable part, in bytes.</summary>
    public int Offset { get; }

    /// <summary>The more-fragments flag.</summary>
    public bool MoreFragments { get; }

    /// <summary>The fragment's data.</summary>
    public ReadOnlySpan<byte> Payload { get; }

    /// <summary>The protocol of the reassembled payload (used from the offset-0 fragment only).</summary>
    public IpProtocol UpperLayerProtocol { get; }

    /// <summary>The received packet, headers first (its start is kept from the offset-0 fragment only).</summary>
    public ReadOnlySpan<byte> Packet { get; }
}
