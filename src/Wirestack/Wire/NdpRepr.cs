using System.Buffers.Binary;

namespace Wirestack.Wire;

/// <summary>
/// The fields of a neighbor discovery message (RFC 4861): router solicitation, router
/// advertisement, neighbor solicitation or neighbor advertisement, with the options a host acts
/// on. Each option is null when absent; where a message carries an option twice (or several
/// prefixes) the first is kept, and unknown options are skipped. Walk
/// <see cref="NdpOptionReader"/> over <see cref="GetOptions"/> to see them all.
/// </summary>
/// <remarks>
/// The checks that need the IP header stay with the IP layer: hop limit 255, and for a
/// solicitation from the unspecified address, no source link-layer address option and a
/// solicited-node destination.
/// </remarks>
public struct NdpRepr
{
    /// <summary>The nonce Linux puts in duplicate address detection probes is 6 bytes (one 8-byte unit).</summary>
    public const ulong MaxNonce = 0xFFFF_FFFF_FFFFUL;

    /// <summary>The message type: one of the four NDP types this repr handles.</summary>
    public Icmpv6Type Type { get; set; }

    /// <summary>Router advertisement: the hop limit hosts should use (0: unspecified).</summary>
    public byte CurrentHopLimit { get; set; }

    /// <summary>Router advertisement: the M flag (addresses are available from DHCPv6).</summary>
    public bool ManagedAddressConfiguration { get; set; }

    /// <summary>Router advertisement: the O flag (other configuration is available from DHCPv6).</summary>
    public bool OtherConfiguration { get; set; }

    /// <summary>Router advertisement: the default router preference (RFC 4191).</summary>
    public NdpRouterPreference RouterPreference { get; set; }

    /// <summary>Router advertisement: seconds this router is a default router (0: not one).</summary>
    public ushort RouterLifetime { get; set; }

    /// <summary>Router advertisement: the reachable time in milliseconds (0: unspecified).</summary>
    public uint ReachableTime { get; set; }

    /// <summary>Router advertisement: the retransmission timer in milliseconds (0: unspecified).</summary>
    public uint RetransmitTimer { get; set; }

    /// <summary>Neighbor solicitation and advertisement: the target address.</summary>
    public Ipv6Address TargetAddress { get; set; }

    /// <summary>Neighbor advertisement: the R flag (the sender is a router).</summary>
    public bool IsRouter { get; set; }

    /// <summary>Neighbor advertisement: the S flag (sent in response to a solicitation).</summary>
    public bool Solicited { get; set; }

    /// <summary>Neighbor advertisement: the O flag (override an existing cache entry).</summary>
    public bool Override { get; set; }

    /// <summary>The source link-layer address option, or null.</summary>
    public MacAddress? SourceLinkLayerAddress { get; set; }

    /// <summary>The target link-layer address option, or null.</summary>
    public MacAddress? TargetLinkLayerAddress { get; set; }

    /// <summary>The MTU option, or null.</summary>
    public uint? Mtu { get; set; }

    /// <summary>The first prefix information option, or null.</summary>
    public NdpPrefixInformation? PrefixInformation { get; set; }

    /// <summary>A 6-byte nonce option (RFC 3971 / RFC 7527), or null. Nonces of other sizes are skipped.</summary>
    public ulong? Nonce { get; set; }

    /// <summary>A router solicitation.</summary>
    public static NdpRepr RouterSolicitation(MacAddress? sourceLinkLayerAddress) =>
        new() { Type = Icmpv6Type.RouterSolicitation, SourceLinkLayerAddress = sourceLinkLayerAddress };

    /// <summary>A neighbor solicitation (for duplicate address detection: no link-layer address, sent from ::).</summary>
    public static NdpRepr NeighborSolicitation(Ipv6Address target, MacAddress? sourceLinkLayerAddress) =>
        new() { Type = Icmpv6Type.NeighborSolicitation, TargetAddress = target, SourceLinkLayerAddress = sourceLinkLayerAddress };

    /// <summary>A neighbor advertisement.</summary>
    public static NdpRepr NeighborAdvertisement(Ipv6Address target, bool isRouter, bool solicited, bool @override, MacAddress? targetLinkLayerAddress) =>
        new()
        {
            Type = Icmpv6Type.NeighborAdvertisement,
            TargetAddress = target,
            IsRouter = isRouter,
            Solicited = solicited,
            Override = @override,
            TargetLinkLayerAddress = targetLinkLayerAddress,
        };

    /// <summary>True for the types this repr reads and writes.</summary>
    public static bool Handles(Icmpv6Type type) => type is Icmpv6Type.RouterSolicitation or Icmpv6Type.RouterAdvertisement
        or Icmpv6Type.NeighborSolicitation or Icmpv6Type.NeighborAdvertisement;

    /// <summary>The length of the fixed part of a message of <paramref name="type"/>, before its options.</summary>
    public static int FixedLength(Icmpv6Type type) => type switch
    {
        Icmpv6Type.RouterSolicitation => 8,
        Icmpv6Type.RouterAdvertisement => 16,
        Icmpv6Type.NeighborSolicitation or Icmpv6Type.NeighborAdvertisement => 24,
        _ => throw new ArgumentException($"Type {(byte)type} is not a neighbor discovery message NdpRepr handles.", nameof(type)),
    };

    /// <summary>The options of a checked NDP message (the bytes after its fixed part).</summary>
    public static ReadOnlySpan<byte> GetOptions(Icmpv6Packet packet) =>
        Handles(packet.Type) && packet.Buffer.Length >= FixedLength(packet.Type) ? packet.Buffer[FixedLength(packet.Type)..] : default;

    /// <summary>The number of bytes <see cref="Emit"/> writes.</summary>
    /// <exception cref="InvalidOperationException"><see cref="Type"/> is not one of the four NDP types.</exception>
    public readonly int BufferLength =>
        (Handles(Type) ? FixedLength(Type) : throw new InvalidOperationException($"Type {(byte)Type} is not a neighbor discovery message NdpRepr handles."))
        + (SourceLinkLayerAddress.HasValue ? 8 : 0)
        + (TargetLinkLayerAddress.HasValue ? 8 : 0)
        + (Mtu.HasValue ? 8 : 0)
        + (PrefixInformation.HasValue ? NdpPrefixInformation.Length : 0)
        + (Nonce.HasValue ? 8 : 0);

    /// <summary>
    /// Reads a checked message; with <paramref name="verifyChecksum"/>, rejects a checksum that does
    /// not verify against <paramref name="pseudoHeaderSum"/>.
    /// </summary>
    /// <returns>
    /// <see cref="WireError.Unrecognized"/> for another type or a non-zero code;
    /// <see cref="WireError.Truncated"/> when the message is shorter than its fixed part;
    /// <see cref="WireError.BadAddress"/> for a multicast target;
    /// <see cref="WireError.BadOptionLength"/> for a zero-length option or one past the end;
    /// <see cref="WireError.BadOption"/> for a known option of the wrong size (a link-layer address
    /// that is not 6 bytes of Ethernet, an MTU or prefix information option of another length).
    /// </returns>
    public static WireError Parse(Icmpv6Packet packet, uint pseudoHeaderSum, out NdpRepr repr, bool verifyChecksum = true)
    {
        repr = default;
        var type = packet.Type;
        if (!Handles(type) || packet.Code != 0) return WireError.Unrecognized;
        var bytes = packet.Buffer;
        int fixedLength = FixedLength(type);
        if (bytes.Length < fixedLength) return WireError.Truncated;
        if (verifyChecksum && !packet.VerifyChecksum(pseudoHeaderSum)) return WireError.BadChecksum;
        var result = new NdpRepr { Type = type };
        switch (type)
        {
            case Icmpv6Type.RouterAdvertisement:
                result.CurrentHopLimit = bytes[4];
                result.ManagedAddressConfiguration = (bytes[5] & 0x80) != 0;
                result.OtherConfiguration = (bytes[5] & 0x40) != 0;
                result.RouterPreference = (NdpRouterPreference)((bytes[5] >> 3) & 3);
                result.RouterLifetime = BinaryPrimitives.ReadUInt16BigEndian(bytes[6..]);
                result.ReachableTime = BinaryPrimitives.ReadUInt32BigEndian(bytes[8..]);
                result.RetransmitTimer = BinaryPrimitives.ReadUInt32BigEndian(bytes[12..]);
                break;
            case Icmpv6Type.NeighborSolicitation:
            case Icmpv6Type.NeighborAdvertisement:
                result.TargetAddress = Ipv6Address.Read(bytes[8..]);
                if (result.TargetAddress.IsMulticast) return WireError.BadAddress;
                if (type == Icmpv6Type.NeighborAdvertisement)
                {
                    result.IsRouter = (bytes[4] & 0x80) != 0;
                    result.Solicited = (bytes[4] & 0x40) != 0;
                    result.Override = (bytes[4] & 0x20) != 0;
                }
                break;
        }
        foreach (var option in new NdpOptionReader(bytes[fixedLength..]))
        {
            if (option.Error != WireError.None) return option.Error;
            switch (option.Type)
            {
                case NdpOptionType.SourceLinkLayerAddress:
                    if (option.Length != 8) return WireError.BadOption;
                    result.SourceLinkLayerAddress ??= option.LinkLayerAddress;
                    break;
                case NdpOptionType.TargetLinkLayerAddress:
                    if (option.Length != 8) return WireError.BadOption;
                    result.TargetLinkLayerAddress ??= option.LinkLayerAddress;
                    break;
                case NdpOptionType.Mtu:
                    if (option.Length != 8) return WireError.BadOption;
                    result.Mtu ??= option.Mtu;
                    break;
                case NdpOptionType.PrefixInformation:
                    var error = NdpPrefixInformation.Read(option, out var info);
                    if (error != WireError.None) return error;
                    result.PrefixInformation ??= info;
                    break;
                case NdpOptionType.Nonce:
                    if (option.Length == 8)
                        result.Nonce ??= ((ulong)BinaryPrimitives.ReadUInt16BigEndian(option.Data) << 32) | BinaryPrimitives.ReadUInt32BigEndian(option.Data[2..]);
                    break;
            }
        }
        repr = result;
        return WireError.None;
    }

    /// <summary>
    /// Writes the message into the first <see cref="BufferLength"/> bytes of <paramref name="buffer"/> and
    /// fills the checksum over it and <paramref name="pseudoHeaderSum"/> (which must cover
    /// <see cref="BufferLength"/>). Options go in the order source link-layer address, target link-layer
    /// address, MTU, prefix information, nonce.
    /// </summary>
    /// <exception cref="ArgumentException">The buffer is too short, or the type is not an NDP type this repr writes, or the nonce exceeds 48 bits.</exception>
    public readonly void Emit(Span<byte> buffer, uint pseudoHeaderSum)
    {
        if (!Handles(Type)) throw new ArgumentException($"NdpRepr writes router and neighbor solicitations and advertisements, not type {(byte)Type}.");
        if (Nonce > MaxNonce) throw new ArgumentException($"Nonce 0x{Nonce:x} does not fit 48 bits.");
        int length = BufferLength;
        EmitGuard.RequireLength(buffer, length);
        var message = buffer[..length];
        message[..FixedLength(Type)].Clear();
        message[0] = (byte)Type;
        switch (Type)
        {
            case Icmpv6Type.RouterAdvertisement:
                message[4] = CurrentHopLimit;
                message[5] = (byte)((ManagedAddressConfiguration ? 0x80 : 0) | (OtherConfiguration ? 0x40 : 0) | (((byte)RouterPreference & 3) << 3));
                BinaryPrimitives.WriteUInt16BigEndian(message[6..], RouterLifetime);
                BinaryPrimitives.WriteUInt32BigEndian(message[8..], ReachableTime);
                BinaryPrimitives.WriteUInt32BigEndian(message[12..], RetransmitTimer);
                break;
            case Icmpv6Type.NeighborSolicitation:
            case Icmpv6Type.NeighborAdvertisement:
                if (Type == Icmpv6Type.NeighborAdvertisement)
                    message[4] = (byte)((IsRouter ? 0x80 : 0) | (Solicited ? 0x40 : 0) | (Override ? 0x20 : 0));
                TargetAddress.WriteTo(message[8..]);
                break;
        }
        int at = FixedLength(Type);
        if (SourceLinkLayerAddress is MacAddress source) at = WriteLinkLayerOption(message, at, NdpOptionType.SourceLinkLayerAddress, source);
        if (TargetLinkLayerAddress is MacAddress target) at = WriteLinkLayerOption(message, at, NdpOptionType.TargetLinkLayerAddress, target);
        if (Mtu is uint mtu)
        {
            message[at] = (byte)NdpOptionType.Mtu;
            message[at + 1] = 1;
            BinaryPrimitives.WriteUInt16BigEndian(message[(at + 2)..], 0);
            BinaryPrimitives.WriteUInt32BigEndian(message[(at + 4)..], mtu);
            at += 8;
        }
        if (PrefixInformation is NdpPrefixInformation prefix)
        {
            prefix.WriteTo(message[at..]);
            at += NdpPrefixInformation.Length;
        }
        if (Nonce is ulong nonce)
        {
            message[at] = (byte)NdpOptionType.Nonce;
            message[at + 1] = 1;
            BinaryPrimitives.WriteUInt16BigEndian(message[(at + 2)..], (ushort)(nonce >> 32));
            BinaryPrimitives.WriteUInt32BigEndian(message[(at + 4)..], (uint)nonce);
        }
        BinaryPrimitives.WriteUInt16BigEndian(message[2..], InternetChecksum.Compute(message, pseudoHeaderSum));
    }

    private static int WriteLinkLayerOption(Span<byte> message, int at, NdpOptionType type, MacAddress address)
    {
        message[at] = (byte)type;
        message[at + 1] = 1;
        address.WriteTo(message[(at + 2)..]);
        return at + 8;
    }
}
