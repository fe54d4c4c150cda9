using Wirestack.Wire;

namespace Wirestack.Ip;

/// <summary>
/// A whole datagram, read in place from its reassembly buffer: valid until <see cref="FragmentReassembler.Release"/>
/// is called with its <see cref="Handle"/>, after which the buffer serves another datagram.
/// </summary>
public readonly ref struct ReassembledDatagram
{
    internal ReassembledDatagram(ReassemblyHandle handle, FragmentKey key, IpProtocol upperLayerProtocol, ReadOnlySpan<byte> payload, ReadOnlySpan<byte> firstFragmentPrefix)
    {
        Handle = handle;
        Key = key;
        UpperLayerProtocol = upperLayerProtocol;
        Payload = payload;
        FirstFragmentPrefix = firstFragmentPrefix;
    }

    /// <summary>What to give <see cref="FragmentReassembler.Release"/> when done with the payload.</summary>
    public ReassemblyHandle Handle { get; }

    /// <summary>The datagram's key (addresses, identification, and for IPv4 the protocol).</summary>
    public FragmentKey Key { get; }

    /// <summary>The protocol of <see cref="Payload"/>, from the offset-0 fragment.</summary>
    public IpProtocol UpperLayerProtocol { get; }

    /// <summary>The reassembled fragmentable part: the upper-layer packet (IPv6: and any extension headers after the fragment header).</summary>
    public ReadOnlySpan<byte> Payload { get; }

    /// <summary>
    /// The first up to <see cref="ExpiredDatagram.MaxQuoteLength"/> bytes of the offset-0 fragment's packet as the
    /// caller passed it (its IP header and whatever followed), for the header fields the caller still needs.
    /// </summary>
    public ReadOnlySpan<byte> FirstFragmentPrefix { get; }
}
