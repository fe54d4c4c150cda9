using Wirestack.Ip;
using Wirestack.Link;
using Wirestack.Nic;
using Wirestack.Wire;

namespace Wirestack.Iface;

// IPv6: addresses, receive validation and the extension-header walk, reassembly, delivery by next header, and on
// send: routing, source selection, neighbour resolution and fragmentation.
public sealed partial class Interface
{
    // The link-local address, up to 16 configured ones and room for those SLAAC adds.
    private const int Ipv6AddressCapacity = 32;
    private const int Ipv6FragmentPacketHeaderLength = Ipv6Packet.HeaderLength + Ipv6FragmentHeader.Length;
    private const int RouterAlertHeaderLength = 8;

    private bool _ipv6Enabled;
    private bool _ipv6Started;
    private byte _ipv6HopLimit;
    private int _ipv6LinkMtu;
    private bool _slaacEnabled;
    // Index 0 is always the link-local address; the rest are configured, then learned.
    private Ipv6InterfaceAddress[] _ipv6Addresses = [];
    private Instant[] _ipv6ValidUntil = [];
    private Instant[] _ipv6PreferredUntil = [];
    private bool[] _ipv6Announced = [];
    private int _ipv6AddressCount;
    private Instant _ipv6NextAddressExpiry = Instant.MaxValue;
    private NeighborCache<Ipv6Address> _ipv6Neighbors = null!;
    private RouteTable<Ipv6Address> _ipv6Routes = null!;
    private PathMtuCache<Ipv6Address> _ipv6PathMtu = null!;
    private NeighborRequest<Ipv6Address>[] _ipv6Requests = [];
    // NDP and MLD messages are built here (checksum and all) before they are copied into a transmit slot.
    private byte[] _ipv6MessageScratch = [];
    private StackRandom _random;
    private uint _ipv6NextIdentification;
    private long _ipv6SeenTimeouts;
    private long _seenIpv6Evicted;

    /// <summary>The assigned IPv6 addresses: the link-local one first, then the configured ones, then those SLAAC made. Empty when IPv6 is off.</summary>
    public ReadOnlySpan<Ipv6InterfaceAddress> Ipv6Addresses => _ipv6Addresses.AsSpan(0, _ipv6AddressCount);

    /// <summary>The link-local address made from the MAC (fe80::/64 and the EUI-64 interface identifier); :: when IPv6 is off.</summary>
    public Ipv6Address Ipv6LinkLocalAddress => _ipv6AddressCount > 0 ? _ipv6Addresses[0].Address : default;

    /// <summary>The NDP neighbour cache (read its counters and state; the interface drives it). Null when IPv6 is off.</summary>
    public NeighborCache<Ipv6Address>? Ipv6Neighbors => _ipv6Enabled ? _ipv6Neighbors : null;

    /// <summary>
    /// The IPv6 routing table: on-link routes for each prefix (fe80::/64 included), the default gateway, and routes
    /// learned from router advertisements (with their lifetimes). Null when IPv6 is off.
    /// </summary>
    public RouteTable<Ipv6Address>? Ipv6Routes => _ipv6Enabled ? _ipv6Routes : null;

    /// <summary>Path MTUs learned from ICMPv6 packet-too-big messages, never below 1280. Null when IPv6 is off.</summary>
    public PathMtuCache<Ipv6Address>? Ipv6PathMtu => _ipv6Enabled ? _ipv6PathMtu : null;

    /// <summary>The hop limit of IPv6 packets this interface originates: the option's, or the last router advertisement's.</summary>
    public byte Ipv6HopLimit => _ipv6HopLimit;

    /// <summary>The IPv6 link MTU: the device's, or lower when a router advertisement's MTU option said so.</summary>
    public int Ipv6LinkMtu => _ipv6LinkMtu;

    /// <summary>When an assigned IPv6 address stops being valid (and is removed); <see cref="Instant.MaxValue"/> for a permanent one.</summary>
    /// <returns>False when <paramref name="address"/> is not assigned.</returns>
    public bool TryGetIpv6AddressLifetime(Ipv6Address address, out Instant validUntil, out Instant preferredUntil)
    {
        int index = IndexOfIpv6Address(address);
        validUntil = index < 0 ? default : _ipv6ValidUntil[index];
        preferredUntil = index < 0 ? default : _ipv6PreferredUntil[index];
        return index >= 0;
    }

    // Called once at the end of the constructor, when the membership table exists.
    private void InitializeIpv6(InterfaceOptions options)
    {
        ulong seed = options.RandomSeed != 0 ? options.RandomSeed : Ipv6Address.InterfaceIdentifier(options.MacAddress);
        _random = new StackRandom(seed);
        _ipv6Enabled = options.EnableIpv6;
        if (!_ipv6Enabled) return;
        if (_mtu < Ipv6Packet.MinimumMtu)
            throw new ArgumentException($"The device's MTU is {_mtu}; IPv6 needs at least {Ipv6Packet.MinimumMtu}. Set InterfaceOptions.EnableIpv6 to false on such a link.", nameof(options));
        _ipv6HopLimit = options.Ipv6HopLimit;
        _ipv6LinkMtu = _mtu;
        _slaacEnabled = options.EnableSlaac;
        _ipv6NextIdentification = (uint)_random.NextUInt64();
        _ipv6Addresses = new Ipv6InterfaceAddress[Ipv6AddressCapacity];
        _ipv6ValidUntil = new Instant[Ipv6AddressCapacity];
        _ipv6PreferredUntil = new Instant[Ipv6AddressCapacity];
        _ipv6Announced = new bool[Ipv6AddressCapacity];
        _ipv6Neighbors = new NeighborCache<Ipv6Address>(options.NeighborCache ?? new NeighborCacheOptions { MaxPacketLength = _mtu });
        _ipv6Routes = new RouteTable<Ipv6Address>(options.Routes);
        _ipv6PathMtu = new PathMtuCache<Ipv6Address>(options.PathMtu) { LinkMtu = _mtu };
        _ipv6Requests = new NeighborRequest<Ipv6Address>[16];
        _ipv6MessageScratch = new byte[_mtu];
        _mldGroups = new MldGroupState[Math.Max(options.MulticastGroupCapacity, 1)];

        AddIpv6Address(new Ipv6InterfaceAddress(Ipv6Address.LinkLocalFromMac(_mac), 64), Instant.MaxValue, Instant.MaxValue, Instant.Zero);
        for (int i = 0; i < options.Ipv6Addresses.Count; i++)
            AddIpv6Address(options.Ipv6Addresses[i], Instant.MaxValue, Instant.MaxValue, Instant.Zero);
        if (options.Ipv6DefaultGateway is { } gateway) _ipv6Routes.Add(Route<Ipv6Address>.Default(gateway), Instant.Zero);
    }

    // Assigns an address: its on-link route, its solicited-node group (so that solicitations for it arrive), and
    // an unsolicited advertisement at the next poll. False when the table is full.
    private bool AddIpv6Address(Ipv6InterfaceAddress address, Instant validUntil, Instant preferredUntil, Instant now)
    {
        if (_ipv6AddressCount == _ipv6Addresses.Length) return false;
        int index = _ipv6AddressCount++;
        _ipv6Addresses[index] = address;
        _ipv6ValidUntil[index] = validUntil;
        _ipv6PreferredUntil[index] = preferredUntil;
        _ipv6Announced[index] = false;
        _ipv6NextAddressExpiry = Instant.Min(_ipv6NextAddressExpiry, validUntil);
        // Two addresses in one prefix share its route: a duplicate only refreshes it. A learned address's route
        // ends with it (the advertisement's on-link flag may keep the prefix on-link for longer, on its own).
        _ipv6Routes.Add(Route<Ipv6Address>.OnLink(address.Prefix, address.PrefixLength, expiresAt: validUntil), now);
        TryJoinMulticastGroup(address.Address.SolicitedNodeMulticast, now);
        return true;
    }

    private void RemoveIpv6Address(int index, Instant now)
    {
        var address = _ipv6Addresses[index].Address;
        int last = --_ipv6AddressCount;
        _ipv6Addresses[index] = _ipv6Addresses[last];
        _ipv6ValidUntil[index] = _ipv6ValidUntil[last];
        _ipv6PreferredUntil[index] = _ipv6PreferredUntil[last];
        _ipv6Announced[index] = _ipv6Announced[last];
        _ipv6Addresses[last] = default;
        LeaveMulticastGroup(address.SolicitedNodeMulticast, now);
        RecomputeIpv6AddressExpiry();
    }

    private void RecomputeIpv6AddressExpiry()
    {
        var next = Instant.MaxValue;
        for (int i = 0; i < _ipv6AddressCount; i++) next = Instant.Min(next, _ipv6ValidUntil[i]);
        _ipv6NextAddressExpiry = next;
    }

    private int IndexOfIpv6Address(Ipv6Address address)
    {
        var addresses = _ipv6Addresses;
        for (int i = 0; i < _ipv6AddressCount; i++)
            if (addresses[i].Address == address) return i;
        return -1;
    }

    // ff02::1 always; any other group only once joined (the solicited-node groups of our addresses are).
    private bool AcceptsIpv6Multicast(Ipv6Address destination) =>
        destination == Ipv6Address.AllNodes || IndexOfMembership(destination) >= 0;

    // RFC 6724, simplified: link-local for link-local (and link-scope multicast) destinations; otherwise the
    // preferred global address sharing the longest prefix with the destination, deprecated ones last.
    private Ipv6Address SelectIpv6Source(Ipv6Address destination, Instant now)
    {
        if (_ipv6AddressCount == 0) return default;
        var linkLocal = _ipv6Addresses[0].Address;
        if (destination.IsLinkLocal || (destination.IsMulticast && (destination.High >> 48 & 0xF) <= 2)) return linkLocal;
        int best = -1;
        int bestScore = -1;
        for (int i = 1; i < _ipv6AddressCount; i++)
        {
            var candidate = _ipv6Addresses[i].Address;
            if (candidate.IsLinkLocal) continue;
            int score = CommonPrefixLength(candidate, destination) + (now < _ipv6PreferredUntil[i] ? 256 : 0);
            if (score > bestScore)
            {
                best = i;
                bestScore = score;
            }
        }
        return best < 0 ? linkLocal : _ipv6Addresses[best].Address;
    }

    private static int CommonPrefixLength(Ipv6Address a, Ipv6Address b)
    {
        ulong high = a.High ^ b.High;
        if (high != 0) return System.Numerics.BitOperations.LeadingZeroCount(high);
        return 64 + System.Numerics.BitOperations.LeadingZeroCount(a.Low ^ b.Low);
    }

    private void ProcessIpv6(ReadOnlySpan<byte> payload, Instant now)
    {
        if (!_ipv6Enabled)
        {
            Counters.Drop(InterfaceDropReason.UnsupportedEtherType);
            return;
        }
        var error = Ipv6Packet.TryParse(payload, out var packet);
        if (error != WireError.None)
        {
            Counters.DropMalformed(error);
            return;
        }
        var source = packet.Source;
        if (source.IsMulticast || source.IsLoopback)
        {
            Counters.DropMalformed(WireError.BadAddress);
            return;
        }
        var destination = packet.Destination;
        int local = IndexOfIpv6Address(destination);
        if (local < 0 && !(destination.IsMulticast && AcceptsIpv6Multicast(destination)))
        {
            Counters.Drop(InterfaceDropReason.NotForUs);
            return;
        }
        var reader = packet.ExtensionHeaders;
        while (reader.MoveNext())
        {
            var header = reader.Current;
            if (header.Error != WireError.None)
            {
                Counters.DropMalformed(header.Error);
                // RFC 8200 section 4.1: a hop-by-hop header anywhere but first is an unrecognised next header.
                if (header.Error == WireError.Malformed)
                    SendIpv6ParameterProblem(Icmpv6ParameterProblemCode.UnrecognizedNextHeader, reader.NextHeaderFieldPointer, packet, local, now);
                return;
            }
            switch (header.Type)
            {
                case IpProtocol.HopByHop:
                case IpProtocol.Ipv6DestinationOptions:
                    if (!ProcessIpv6Options(header.Bytes, Ipv6Packet.HeaderLength + header.Offset, packet, local, now)) return;
                    break;
                case IpProtocol.Ipv6Routing:
                    // Segments left (byte 3) of zero: ignore the header and go on (RFC 8200 section 4.4). A host
                    // forwards nothing, so any other routing header is refused, pointing at its type.
                    if (header.Bytes[3] != 0)
                    {
                        Counters.Drop(InterfaceDropReason.UnsupportedExtensionHeader);
                        SendIpv6ParameterProblem(Icmpv6ParameterProblemCode.ErroneousHeaderField, Ipv6Packet.HeaderLength + header.Offset + 2, packet, local, now);
                        return;
                    }
                    break;
                case IpProtocol.Ipv6Fragment:
                    ProcessIpv6Fragment(packet, header.Offset, local, now);
                    return;
            }
        }
        DeliverIpv6(source, destination, local, packet.HopLimit, reader.UpperLayerProtocol, reader.UpperLayerPayload,
            packet.Buffer, reader.NextHeaderFieldPointer, now);
    }

    // Applies the action bits of every option this host does not know (RFC 8200 section 4.2). False: dropped.
    private bool ProcessIpv6Options(ReadOnlySpan<byte> header, int headerPointer, Ipv6Packet packet, int local, Instant now)
    {
        var options = new Ipv6OptionReader(header);
        while (options.MoveNext())
        {
            var option = options.Current;
            if (option.Error != WireError.None)
            {
                Counters.DropMalformed(option.Error);
                SendIpv6ParameterProblem(Icmpv6ParameterProblemCode.ErroneousHeaderField, headerPointer + option.Offset, packet, local, now);
                return false;
            }
            if (option.IsPadding || option.Type == Ipv6OptionType.RouterAlert) continue;
            switch (option.UnknownAction)
            {
                case Ipv6UnknownOptionAction.Skip:
                    continue;
                case Ipv6UnknownOptionAction.Discard:
                    Counters.Drop(InterfaceDropReason.UnknownIpv6Option);
                    return false;
                case Ipv6UnknownOptionAction.DiscardAndReport:
                    Counters.Drop(InterfaceDropReason.UnknownIpv6Option);
                    SendIpv6ParameterProblem(Icmpv6ParameterProblemCode.UnrecognizedOption, headerPointer + option.Offset, packet, local, now, evenToMulticast: true);
                    return false;
                default:
                    Counters.Drop(InterfaceDropReason.UnknownIpv6Option);
                    SendIpv6ParameterProblem(Icmpv6ParameterProblemCode.UnrecognizedOption, headerPointer + option.Offset, packet, local, now);
                    return false;
            }
        }
        return true;
    }

    private void ProcessIpv6Fragment(Ipv6Packet packet, int fragmentHeaderOffset, int local, Instant now)
    {
        var error = Fragment.TryFromIpv6(packet, fragmentHeaderOffset, out var fragment);
        if (error != WireError.None)
        {
            Counters.DropMalformed(error);
            return;
        }
        var outcome = _reassembler.Accept(fragment, now, out var datagram);
        // A full pool makes room by evicting the oldest incomplete datagram: its fragments are dropped too.
        long evicted = _reassembler.Ipv6Counters.Evicted;
        if (evicted != _seenIpv6Evicted)
        {
            Counters.DroppedField[(int)InterfaceDropReason.ReassemblyEvicted] += evicted - _seenIpv6Evicted;
            _seenIpv6Evicted = evicted;
        }
        switch (outcome)
        {
            case FragmentOutcome.Complete:
                Counters.DatagramsReassembledField++;
                // The device vouched for this fragment's frame, not for the datagram the others complete.
                _transportChecksumTrusted = false;
                _udpSegmentSize = -1;
                try
                {
                    DeliverReassembledIpv6(packet.Source, packet.Destination, local, packet.HopLimit, datagram.UpperLayerProtocol, datagram.Payload, now);
                }
                finally
                {
                    _reassembler.Release(datagram.Handle);
                }
                break;
            case FragmentOutcome.Incomplete:
            case FragmentOutcome.Duplicate:
                break;
            case FragmentOutcome.TooLarge:
            case FragmentOutcome.PoolFull:
                Counters.Drop(InterfaceDropReason.ReassemblyFull);
                break;
            default:
                Counters.Drop(InterfaceDropReason.BadFragment);
                break;
        }
    }

    // The fragmentable part may start with more extension headers (destination options); walk them too. No error
    // quotes: the packet as received is gone.
    private void DeliverReassembledIpv6(Ipv6Address source, Ipv6Address destination, int local, byte hopLimit, IpProtocol first, ReadOnlySpan<byte> payload, Instant now)
    {
        var reader = new Ipv6ExtensionHeaderReader(payload, first);
        while (reader.MoveNext())
        {
            var header = reader.Current;
            bool usable = header.Error == WireError.None
                && (header.Type == IpProtocol.Ipv6DestinationOptions || (header.Type == IpProtocol.Ipv6Routing && header.Bytes[3] == 0));
            if (usable && header.Type == IpProtocol.Ipv6DestinationOptions)
            {
                foreach (var option in new Ipv6OptionReader(header.Bytes))
                {
                    if (option.Error != WireError.None || (!option.IsPadding && option.UnknownAction != Ipv6UnknownOptionAction.Skip))
                    {
                        usable = false;
                        break;
                    }
                }
            }
            if (!usable)
            {
                Counters.Drop(header.Error != WireError.None ? InterfaceDropReason.Malformed : InterfaceDropReason.UnsupportedExtensionHeader);
                return;
            }
        }
        DeliverIpv6(source, destination, local, hopLimit, reader.UpperLayerProtocol, reader.UpperLayerPayload, default, 0, now);
    }

    // original is the whole packet as received, for error quotes (empty after reassembly); nextHeaderPointer is
    // where its next-header field naming protocol sits.
    private void DeliverIpv6(Ipv6Address source, Ipv6Address destination, int local, byte hopLimit, IpProtocol protocol,
        ReadOnlySpan<byte> payload, ReadOnlySpan<byte> original, int nextHeaderPointer, Instant now)
    {
        switch (protocol)
        {
            case IpProtocol.Icmpv6:
                ProcessIcmpv6(source, destination, local, hopLimit, payload, original, now);
                return;
            case IpProtocol.Udp:
                // No port unreachable about a multicast datagram (RFC 4443 section 2.4 e.3).
                if (!ProcessUdp(source, destination, payload) && _sendPortUnreachable && !destination.IsMulticast)
                    SendIpv6Error(Icmpv6Repr.DestinationUnreachable(Icmpv6DestinationUnreachableCode.PortUnreachable, 0), source, destination, local, original, now);
                return;
            case IpProtocol.Tcp:
                ProcessTcp(source, destination, payload, now);
                return;
            case IpProtocol.Ipv6NoNextHeader:
                return;
        }
        Counters.Drop(InterfaceDropReason.UnsupportedProtocol);
        if (_sendProtocolUnreachable && !original.IsEmpty)
            SendIpv6Error(Icmpv6Repr.ParameterProblem(Icmpv6ParameterProblemCode.UnrecognizedNextHeader, (uint)nextHeaderPointer, 0), source, destination, local, original, now);
    }

    private void SendIpv6ParameterProblem(Icmpv6ParameterProblemCode code, int pointer, Ipv6Packet packet, int local, Instant now, bool evenToMulticast = false) =>
        SendIpv6Error(Icmpv6Repr.ParameterProblem(code, (uint)pointer, 0), packet.Source, packet.Destination, local, packet.Buffer, now, evenToMulticast);

    // RFC 4443 section 2.4: never about an unspecified or multicast source, not about a multicast destination
    // unless the caller says the type allows it, rate-limited per destination, quoting what fits 1280 bytes.
    private void SendIpv6Error(Icmpv6Repr error, Ipv6Address to, Ipv6Address invokingDestination, int local, ReadOnlySpan<byte> original, Instant now, bool evenToMulticast = false)
    {
        if (original.IsEmpty || !to.IsUnicast) return;
        if (invokingDestination.IsMulticast && !evenToMulticast) return;
        if (!_icmpLimiter.TryTake(to, now))
        {
            Counters.IcmpErrorsSuppressedField++;
            return;
        }
        var quote = original.Length > Icmpv6Repr.MaxErrorPayload ? original[..Icmpv6Repr.MaxErrorPayload] : original;
        error.PayloadLength = quote.Length;
        var source = local >= 0 ? _ipv6Addresses[local].Address : SelectIpv6Source(to, now);
        if (SendIpv6(source, to, IpProtocol.Icmpv6, error.BufferLength, Ipv6Upper.Icmp, error, default, quote, _ipv6HopLimit, now))
            Counters.IcmpErrorsSentField++;
    }

    // Routes, resolves and sends one IPv6 packet carrying an ICMPv6 message, a UDP datagram, or a message built
    // whole beforehand (by kind), fragmenting it when it is larger than the path MTU.
    private bool SendIpv6(Ipv6Address source, Ipv6Address destination, IpProtocol protocol, int upperLength, Ipv6Upper kind,
        in Icmpv6Repr icmp, in UdpRepr udp, ReadOnlySpan<byte> payload, byte hopLimit, Instant now)
    {
        if (!_ipv6Enabled)
        {
            Counters.Drop(InterfaceDropReason.NoRoute);
            return false;
        }
        if (upperLength > MaxUpperLayerLength)
        {
            Counters.Drop(InterfaceDropReason.PacketTooBig);
            return false;
        }
        Ipv6Address nextHop = default;
        bool multicast = destination.IsMulticast;
        if (!multicast && !_ipv6Routes.TryLookup(destination, now, out nextHop))
        {
            Counters.Drop(InterfaceDropReason.NoRoute);
            return false;
        }
        if (source.IsUnspecified) source = SelectIpv6Source(destination, now);
        var ip = new Ipv6Repr(source, destination, protocol, upperLength, hopLimit);
        uint pseudoHeader = InternetChecksum.PseudoHeaderSum(source, destination, protocol, upperLength);
        int packetLength = Ipv6Packet.HeaderLength + upperLength;
        int mtu = multicast || _ipv6PathMtu.Count == 0 ? _ipv6LinkMtu : Math.Min(_ipv6LinkMtu, _ipv6PathMtu.GetMtu(destination, now));
        if (multicast) return EmitIpv6(MacAddress.FromIpv6Multicast(destination), ip, packetLength, mtu, kind, pseudoHeader, icmp, udp, payload);
        var lookup = _ipv6Neighbors.Lookup(nextHop, now);
        switch (lookup.Result)
        {
            case NeighborLookupResult.Found:
                return EmitIpv6(lookup.Mac, ip, packetLength, mtu, kind, pseudoHeader, icmp, udp, payload);
            case NeighborLookupResult.SendRequest:
                SendNeighborSolicitation(nextHop, default, now);
                return QueueIpv6(nextHop, ip, packetLength, mtu, kind, pseudoHeader, icmp, udp, payload, now);
            case NeighborLookupResult.Pending:
                return QueueIpv6(nextHop, ip, packetLength, mtu, kind, pseudoHeader, icmp, udp, payload, now);
            default:
                Counters.Drop(InterfaceDropReason.NeighborTableFull);
                return false;
        }
    }

    private bool EmitIpv6(MacAddress mac, in Ipv6Repr ip, int packetLength, int mtu, Ipv6Upper kind, uint pseudoHeader,
        in Icmpv6Repr icmp, in UdpRepr udp, ReadOnlySpan<byte> payload)
    {
        if (packetLength > mtu) return SendIpv6Fragments(mac, ip, mtu, kind, pseudoHeader, icmp, udp, payload);
        if (!TryGetTransmitSlot(out var slot)) return false;
        WriteEthernetHeader(slot, mac, EtherType.Ipv6);
        ip.Emit(slot[EthernetHeaderLength..]);
        EmitIpv6Upper(slot.Slice(EthernetHeaderLength + Ipv6Packet.HeaderLength, ip.PayloadLength), kind, pseudoHeader, icmp, udp, payload);
        Commit(slot, EthernetHeaderLength + packetLength);
        return true;
    }

    private static void EmitIpv6Upper(Span<byte> buffer, Ipv6Upper kind, uint pseudoHeader, in Icmpv6Repr icmp, in UdpRepr udp, ReadOnlySpan<byte> payload)
    {
        switch (kind)
        {
            case Ipv6Upper.Udp:
                udp.Emit(buffer, payload, pseudoHeader);
                break;
            case Ipv6Upper.Icmp:
                icmp.Emit(buffer, payload, pseudoHeader);
                break;
            default:
                payload.CopyTo(buffer);
                break;
        }
    }

    // As for IPv4, the whole message is built once (its checksum covers every fragment), then each fragment is
    // a fixed header, a fragment header and one copy. All fragments share one identification.
    private bool SendIpv6Fragments(MacAddress mac, Ipv6Repr ip, int mtu, Ipv6Upper kind, uint pseudoHeader,
        in Icmpv6Repr icmp, in UdpRepr udp, ReadOnlySpan<byte> payload)
    {
        var message = _datagramScratch.AsSpan(0, ip.PayloadLength);
        EmitIpv6Upper(message, kind, pseudoHeader, icmp, udp, payload);
        var fragmentHeader = new Ipv6FragmentRepr { NextHeader = ip.NextHeader, Identification = _ipv6NextIdentification++ };
        ip.NextHeader = IpProtocol.Ipv6Fragment;
        foreach (var fragment in Fragmenter.ForIpv6(message.Length, mtu))
        {
            if (!TryGetTransmitSlot(out var slot)) return false;
            ip.PayloadLength = Ipv6FragmentHeader.Length + fragment.Length;
            fragmentHeader.FragmentOffset = fragment.Offset;
            fragmentHeader.MoreFragments = fragment.MoreFragments;
            WriteEthernetHeader(slot, mac, EtherType.Ipv6);
            ip.Emit(slot[EthernetHeaderLength..]);
            fragmentHeader.Emit(slot[(EthernetHeaderLength + Ipv6Packet.HeaderLength)..]);
            message.Slice(fragment.Offset, fragment.Length).CopyTo(slot[(EthernetHeaderLength + Ipv6FragmentPacketHeaderLength)..]);
            Commit(slot, EthernetHeaderLength + Ipv6FragmentPacketHeaderLength + fragment.Length);
            Counters.FragmentsSentField++;
        }
        return true;
    }

    private bool QueueIpv6(Ipv6Address nextHop, in Ipv6Repr ip, int packetLength, int mtu, Ipv6Upper kind, uint pseudoHeader,
        in Icmpv6Repr icmp, in UdpRepr udp, ReadOnlySpan<byte> payload, Instant now)
    {
        // Only whole packets wait for resolution, as for IPv4.
        if (packetLength > mtu || packetLength > _scratch.Length)
        {
            Counters.Drop(InterfaceDropReason.PacketTooBig);
            return false;
        }
        var packet = _scratch.AsSpan(0, packetLength);
        ip.Emit(packet);
        EmitIpv6Upper(packet[Ipv6Packet.HeaderLength..], kind, pseudoHeader, icmp, udp, payload);
        bool queued = _ipv6Neighbors.TryQueue(nextHop, packet, now);
        SyncIpv6NeighborDrops();
        return queued;
    }

    // Writes a message built whole (NDP, MLD) straight into a slot: no routing and no resolution, the caller knows
    // the link-layer destination. MLD asks for a hop-by-hop header with a router alert in front of it.
    private bool EmitIpv6Message(MacAddress mac, Ipv6Address source, Ipv6Address destination, byte hopLimit, bool routerAlert, ReadOnlySpan<byte> message)
    {
        if (!TryGetTransmitSlot(out var slot)) return false;
        int extra = routerAlert ? RouterAlertHeaderLength : 0;
        WriteEthernetHeader(slot, mac, EtherType.Ipv6);
        new Ipv6Repr(source, destination, routerAlert ? IpProtocol.HopByHop : IpProtocol.Icmpv6, extra + message.Length, hopLimit)
            .Emit(slot[EthernetHeaderLength..]);
        if (routerAlert) Ipv6OptionsHeaderRepr.ForMld().Emit(slot[(EthernetHeaderLength + Ipv6Packet.HeaderLength)..]);
        message.CopyTo(slot[(EthernetHeaderLength + Ipv6Packet.HeaderLength + extra)..]);
        Commit(slot, EthernetHeaderLength + Ipv6Packet.HeaderLength + extra + message.Length);
        return true;
    }

    // Called from RunTimers: the first poll's announcements, neighbour timers, address lifetimes, routers, MLD.
    private void RunIpv6Timers(Instant now)
    {
        if (!_ipv6Enabled) return;
        if (!_ipv6Started) StartIpv6(now);
        if (now >= _ipv6Neighbors.NextDeadline)
        {
            int count;
            do
            {
                count = _ipv6Neighbors.Poll(now, _ipv6Requests);
                for (int i = 0; i < count; i++)
                {
                    var request = _ipv6Requests[i];
                    SendNeighborSolicitation(request.Target, request.IsUnicast ? request.Destination : default, now);
                }
            }
            while (count == _ipv6Requests.Length);
            SyncIpv6NeighborDrops();
        }
        if (now >= _ipv6NextAddressExpiry)
        {
            for (int i = _ipv6AddressCount - 1; i >= 1; i--)
                if (now >= _ipv6ValidUntil[i]) RemoveIpv6Address(i, now);
            RecomputeIpv6AddressExpiry();
        }
        AnnounceIpv6Addresses();
        if (now >= _routerSolicitationAt) SendRouterSolicitation(now);
        if (now >= _ipv6Routes.NextExpiry) _ipv6Routes.RemoveExpired(now);
        if (now >= _ipv6PathMtu.NextExpiry) _ipv6PathMtu.RemoveExpired(now);
        RunMldTimers(now);
        long timeouts = _reassembler.Ipv6Counters.Timeouts;
        Counters.DroppedField[(int)InterfaceDropReason.ReassemblyTimeout] += timeouts - _ipv6SeenTimeouts;
        _ipv6SeenTimeouts = timeouts;
    }

    private Instant NextIpv6Deadline()
    {
        if (!_ipv6Enabled) return Instant.MaxValue;
        var next = Instant.Min(_ipv6Neighbors.NextDeadline, _ipv6NextAddressExpiry);
        next = Instant.Min(next, _routerSolicitationAt);
        next = Instant.Min(next, _ipv6Routes.NextExpiry);
        next = Instant.Min(next, _ipv6PathMtu.NextExpiry);
        return Instant.Min(next, _mldNextDeadline);
    }

    // What an IPv6 packet carries above its header when SendIpv6 writes it.
    private enum Ipv6Upper : byte
    {
        Icmp,
        Udp,
        // A message already complete with its checksum (NDP, MLD): copied as it is.
        Prebuilt,
    }
}
