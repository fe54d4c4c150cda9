using Wirestack.Ip;
using Wirestack.Link;
using Wirestack.Wire;

namespace Wirestack.Iface;

// Neighbour discovery (RFC 4861) and stateless address autoconfiguration (RFC 4862): solicitations and
// advertisements both ways, router solicitation at start, and what router advertisements teach (default routers,
// the link MTU, on-link prefixes, addresses).
public sealed partial class Interface
{
    private const byte NdpHopLimit = 255;
    // RFC 4861 section 10: MAX_RTR_SOLICITATION_DELAY, RTR_SOLICITATION_INTERVAL, MAX_RTR_SOLICITATIONS.
    private static readonly TimeSpan MaxRouterSolicitationDelay = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan RouterSolicitationInterval = TimeSpan.FromSeconds(4);
    private const int MaxRouterSolicitations = 3;
    // RFC 4862 section 5.5.3 e): a valid lifetime is not cut below two hours by an unauthenticated advertisement.
    private static readonly TimeSpan TwoHours = TimeSpan.FromHours(2);

    private Instant _routerSolicitationAt = Instant.MaxValue;
    private int _routerSolicitationsLeft;

    // The first poll: announce the addresses we start with and schedule the router solicitations.
    private void StartIpv6(Instant now)
    {
        _ipv6Started = true;
        _routerSolicitationsLeft = MaxRouterSolicitations;
        _routerSolicitationAt = now + TimeSpan.FromMicroseconds(_random.NextInt64((long)MaxRouterSolicitationDelay.TotalMicroseconds));
        StartMld(now);
    }

    // Every address not yet announced gets one unsolicited advertisement to all-nodes (RFC 4861 section 7.2.6), so
    // that neighbours with stale entries learn our MAC at once.
    private void AnnounceIpv6Addresses()
    {
        if (!Options.AnswersNeighborRequests) return;
        for (int i = 0; i < _ipv6AddressCount; i++)
        {
            if (_ipv6Announced[i]) continue;
            var target = _ipv6Addresses[i].Address;
            var advertisement = NdpRepr.NeighborAdvertisement(target, isRouter: false, solicited: false, @override: true, _mac);
            if (SendNdp(advertisement, target, Ipv6Address.AllNodes, MacAddress.FromIpv6Multicast(Ipv6Address.AllNodes)))
            {
                Counters.NeighborAdvertisementsSentField++;
                _ipv6Announced[i] = true;
            }
        }
    }

    private void SendRouterSolicitation(Instant now)
    {
        if (_routerSolicitationsLeft <= 0)
        {
            _routerSolicitationAt = Instant.MaxValue;
            return;
        }
        _routerSolicitationsLeft--;
        _routerSolicitationAt = _routerSolicitationsLeft > 0 ? now + RouterSolicitationInterval : Instant.MaxValue;
        var solicitation = NdpRepr.RouterSolicitation(_mac);
        if (SendNdp(solicitation, Ipv6LinkLocalAddress, Ipv6Address.AllRouters, MacAddress.FromIpv6Multicast(Ipv6Address.AllRouters)))
            Counters.RouterSolicitationsSentField++;
    }

    // For resolution: to the target's solicited-node group; for a probe (unicastMac set): to the target itself.
    private void SendNeighborSolicitation(Ipv6Address target, MacAddress unicastMac, Instant now)
    {
        bool unicast = unicastMac != MacAddress.Zero;
        var destination = unicast ? target : target.SolicitedNodeMulticast;
        var solicitation = NdpRepr.NeighborSolicitation(target, _mac);
        if (SendNdp(solicitation, SelectIpv6Source(target, now), destination, unicast ? unicastMac : MacAddress.FromIpv6Multicast(destination)))
            Counters.NeighborSolicitationsSentField++;
    }

    private bool SendNdp(in NdpRepr message, Ipv6Address source, Ipv6Address destination, MacAddress mac)
    {
        int length = message.BufferLength;
        var buffer = _ipv6MessageScratch.AsSpan(0, length);
        message.Emit(buffer, InternetChecksum.PseudoHeaderSum(source, destination, IpProtocol.Icmpv6, length));
        return EmitIpv6Message(mac, source, destination, NdpHopLimit, routerAlert: false, buffer);
    }

    private void ProcessNdp(Ipv6Address source, Ipv6Address destination, byte hopLimit, Icmpv6Packet icmp, Instant now)
    {
        // RFC 4861 sections 6.1 and 7.1: only a message no router forwarded (hop limit 255) is believed.
        if (hopLimit != NdpHopLimit)
        {
            Counters.Drop(InterfaceDropReason.NdpInvalid);
            return;
        }
        var error = NdpRepr.Parse(icmp, 0, out var ndp, verifyChecksum: false);
        if (error != WireError.None)
        {
            Counters.DropMalformed(error);
            return;
        }
        switch (ndp.Type)
        {
            case Icmpv6Type.NeighborSolicitation:
                ProcessNeighborSolicitation(source, destination, ndp, now);
                break;
            case Icmpv6Type.NeighborAdvertisement:
                ProcessNeighborAdvertisement(destination, ndp, now);
                break;
            case Icmpv6Type.RouterAdvertisement:
                ProcessRouterAdvertisement(source, ndp, NdpRepr.GetOptions(icmp), now);
                break;
            default:
                // Router solicitations are for routers; a host discards them (RFC 4861 section 6.2.6).
                Counters.Drop(InterfaceDropReason.NotForUs);
                break;
        }
    }

    private void ProcessNeighborSolicitation(Ipv6Address source, Ipv6Address destination, in NdpRepr ndp, Instant now)
    {
        bool fromUnspecified = source.IsUnspecified;
        // RFC 4861 section 7.1.1: a probe from :: goes to a solicited-node group and carries no link-layer address.
        if (fromUnspecified && (destination != ndp.TargetAddress.SolicitedNodeMulticast || ndp.SourceLinkLayerAddress.HasValue))
        {
            Counters.Drop(InterfaceDropReason.NdpInvalid);
            return;
        }
        int target = IndexOfIpv6Address(ndp.TargetAddress);
        if (!fromUnspecified && ndp.SourceLinkLayerAddress is { } sourceMac && !sourceMac.IsMulticast && target >= 0)
        {
            if (_ipv6Neighbors.Learn(source, sourceMac, now, NeighborEvidence.NdpSource)) DrainIpv6Queue(source);
        }
        if (target < 0)
        {
            Counters.Drop(InterfaceDropReason.NotForUs);
            return;
        }
        if (!Options.AnswersNeighborRequests) return; // learnt above; another interface answers (a ShardedNetwork's shard 0)
        var targetAddress = ndp.TargetAddress;
        if (fromUnspecified)
        {
            // Someone probes for our address (duplicate address detection): defend it to all-nodes (section 7.2.4).
            var defence = NdpRepr.NeighborAdvertisement(targetAddress, isRouter: false, solicited: false, @override: true, _mac);
            if (SendNdp(defence, targetAddress, Ipv6Address.AllNodes, MacAddress.FromIpv6Multicast(Ipv6Address.AllNodes)))
                Counters.NeighborAdvertisementsSentField++;
            return;
        }
        // Solicited and override, with our MAC (always included, as Linux does), back to the soliciting node.
        var answer = NdpRepr.NeighborAdvertisement(targetAddress, isRouter: false, solicited: true, @override: true, _mac);
        int length = answer.BufferLength;
        var buffer = _ipv6MessageScratch.AsSpan(0, length);
        answer.Emit(buffer, InternetChecksum.PseudoHeaderSum(targetAddress, source, IpProtocol.Icmpv6, length));
        if (SendIpv6(targetAddress, source, IpProtocol.Icmpv6, length, Ipv6Upper.Prebuilt, default, default, buffer, NdpHopLimit, now))
            Counters.NeighborAdvertisementsSentField++;
    }

    private void ProcessNeighborAdvertisement(Ipv6Address destination, in NdpRepr ndp, Instant now)
    {
        // RFC 4861 section 7.1.2: a solicited advertisement is never multicast.
        if (destination.IsMulticast && ndp.Solicited)
        {
            Counters.Drop(InterfaceDropReason.NdpInvalid);
            return;
        }
        var target = ndp.TargetAddress;
        if (IndexOfIpv6Address(target) >= 0)
        {
            // Another node claims one of our addresses (or our own announcement came back): never learn it.
            Counters.Drop(InterfaceDropReason.NotForUs);
            return;
        }
        if (ndp.TargetLinkLayerAddress is { } mac)
        {
            if (mac.IsMulticast || mac == MacAddress.Zero)
            {
                Counters.DropMalformed(WireError.BadAddress);
                return;
            }
            var evidence = (ndp.Solicited, ndp.Override) switch
            {
                (false, false) => NeighborEvidence.NdpAdvertisement,
                (true, false) => NeighborEvidence.NdpSolicitedAdvertisement,
                (false, true) => NeighborEvidence.NdpOverrideAdvertisement,
                _ => NeighborEvidence.NdpSolicitedOverrideAdvertisement,
            };
            // An advertisement about a neighbour we hold no entry for teaches nothing; that is not an error.
            if (_ipv6Neighbors.Learn(target, mac, now, evidence)) DrainIpv6Queue(target);
        }
        else if (ndp.Solicited)
        {
            _ipv6Neighbors.ConfirmReachable(target, now);
        }
    }

    private void ProcessRouterAdvertisement(Ipv6Address source, in NdpRepr ndp, ReadOnlySpan<byte> options, Instant now)
    {
        // RFC 4861 section 6.1.2: routers advertise from their link-local address.
        if (!source.IsLinkLocal)
        {
            Counters.Drop(InterfaceDropReason.NdpInvalid);
            return;
        }
        Counters.RouterAdvertisementsReceivedField++;
        // One advertisement is enough: stop soliciting.
        _routerSolicitationsLeft = 0;
        _routerSolicitationAt = Instant.MaxValue;
        if (ndp.SourceLinkLayerAddress is { } routerMac && !routerMac.IsMulticast && routerMac != MacAddress.Zero)
        {
            if (_ipv6Neighbors.Learn(source, routerMac, now, NeighborEvidence.NdpSource)) DrainIpv6Queue(source);
        }
        if (ndp.CurrentHopLimit != 0) _ipv6HopLimit = ndp.CurrentHopLimit;
        var defaultRoute = Route<Ipv6Address>.Default(source, expiresAt: now + TimeSpan.FromSeconds(ndp.RouterLifetime));
        if (ndp.RouterLifetime != 0) _ipv6Routes.Add(defaultRoute, now);
        else _ipv6Routes.Remove(defaultRoute);
        if (ndp.Mtu is uint mtu && mtu >= Ipv6Packet.MinimumMtu && mtu <= (uint)_mtu)
        {
            _ipv6LinkMtu = (int)mtu;
            _ipv6PathMtu.LinkMtu = (int)mtu;
        }
        // NdpRepr keeps the first prefix only: walk them all.
        foreach (var option in new NdpOptionReader(options))
        {
            if (option.Error != WireError.None) break;
            if (option.Type != NdpOptionType.PrefixInformation) continue;
            if (NdpPrefixInformation.Read(option, out var prefix) == WireError.None) ProcessPrefixInformation(prefix, now);
        }
    }

    private void ProcessPrefixInformation(in NdpPrefixInformation info, Instant now)
    {
        var prefix = info.Prefix.Mask(info.PrefixLength);
        // Link-local is ours already, and a preferred lifetime beyond the valid one is inconsistent (RFC 4862 5.5.3).
        if (prefix.IsLinkLocal || prefix.IsMulticast || info.PreferredLifetime > info.ValidLifetime) return;
        var validUntil = LifetimeEnd(info.ValidLifetime, now);
        if (info.OnLink)
        {
            var route = Route<Ipv6Address>.OnLink(prefix, info.PrefixLength, expiresAt: validUntil);
            if (info.ValidLifetime != 0) _ipv6Routes.Add(route, now);
            else _ipv6Routes.Remove(route);
        }
        // SLAAC needs a 64-bit interface identifier, so only /64 prefixes make addresses (RFC 4862 5.5.3 d).
        if (!info.Autonomous || !_slaacEnabled || info.PrefixLength != 64) return;
        var address = new Ipv6Address(prefix.High, Ipv6Address.InterfaceIdentifier(_mac));
        var preferredUntil = LifetimeEnd(info.PreferredLifetime, now);
        int index = IndexOfIpv6Address(address);
        if (index < 0)
        {
            if (info.ValidLifetime == 0) return;
            if (!AddIpv6Address(new Ipv6InterfaceAddress(address, 64), validUntil, preferredUntil, now))
                Counters.Drop(InterfaceDropReason.Ipv6AddressTableFull);
            return;
        }
        if (index == 0 || _ipv6ValidUntil[index] == Instant.MaxValue && _ipv6PreferredUntil[index] == Instant.MaxValue) return;
        // RFC 4862 section 5.5.3 e): take a longer lifetime, or one over two hours; never cut below two hours.
        var remaining = _ipv6ValidUntil[index];
        var twoHours = now + TwoHours;
        if (validUntil > twoHours || validUntil > remaining) _ipv6ValidUntil[index] = validUntil;
        else if (remaining > twoHours) _ipv6ValidUntil[index] = twoHours;
        _ipv6PreferredUntil[index] = preferredUntil;
        RecomputeIpv6AddressExpiry();
    }

    private static Instant LifetimeEnd(uint seconds, Instant now) =>
        seconds == NdpPrefixInformation.Infinite ? Instant.MaxValue : now + TimeSpan.FromSeconds(seconds);
}
