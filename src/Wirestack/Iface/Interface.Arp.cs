using Wirestack.Ip;
using Wirestack.Link;
using Wirestack.Nic;
using Wirestack.Wire;

namespace Wirestack.Iface;

// ARP: answering requests for our addresses, learning neighbours, and resolving next hops.
public sealed partial class Interface
{
    // RFC 5227 section 2.3: announce each address twice, two seconds apart, from the first poll on.
    private const int ArpAnnouncements = 2;
    private static readonly TimeSpan ArpAnnounceInterval = TimeSpan.FromSeconds(2);
    private int _arpAnnouncementsSent;
    private Instant _nextArpAnnouncement = Instant.Zero;

    private Instant NextArpAnnouncement =>
        Options.AnnounceAddresses && _arpAnnouncementsSent < ArpAnnouncements && _addresses.Length > 0 ? _nextArpAnnouncement : Instant.MaxValue;

    // A gratuitous ARP request (sender and target both our address) refreshes stale caches of neighbours that
    // knew the address at another MAC, and lets them find us without asking.
    private void AnnounceAddresses(Instant now)
    {
        if (now < NextArpAnnouncement) return;
        for (int i = 0; i < _addresses.Length; i++)
        {
            var address = _addresses[i].Address;
            if (SendArp(ArpOperation.Request, MacAddress.Broadcast, address, MacAddress.Zero, address))
                Counters.ArpAnnouncementsSentField++;
        }
        _arpAnnouncementsSent++;
        _nextArpAnnouncement = now + ArpAnnounceInterval;
    }

    private void ProcessArp(ReadOnlySpan<byte> payload, Instant now)
    {
        var error = ArpPacket.TryParse(payload, out var packet);
        ArpRepr arp = default;
        if (error == WireError.None) error = ArpRepr.Parse(packet, out arp);
        if (error != WireError.None)
        {
            Counters.DropMalformed(error);
            return;
        }
        var senderMac = arp.SenderHardwareAddress;
        var sender = arp.SenderProtocolAddress;
        if (senderMac.IsMulticast || senderMac == MacAddress.Zero)
        {
            Counters.DropMalformed(WireError.BadAddress);
            return;
        }
        if (IndexOfAddress(sender) >= 0)
        {
            // Someone else claims one of our addresses (or our own frame came back): never learn it.
            Counters.Drop(InterfaceDropReason.NotForUs);
            return;
        }
        bool forUs = IndexOfAddress(arp.TargetProtocolAddress) >= 0;
        // An ARP probe (RFC 5227) has sender 0.0.0.0: nothing to learn, but a request for us is still answered.
        if (sender.IsUnicast && !IsBroadcastFor(sender))
        {
            var evidence = !forUs ? NeighborEvidence.ArpOther
                : arp.Operation == ArpOperation.Request ? NeighborEvidence.ArpRequestForUs : NeighborEvidence.ArpReply;
            if (_neighbors.Learn(sender, senderMac, now, evidence)) DrainQueue(sender);
        }
        if (!forUs)
        {
            Counters.Drop(InterfaceDropReason.NotForUs);
            return;
        }
        if (arp.Operation == ArpOperation.Request && Options.AnswersNeighborRequests
            && SendArp(ArpOperation.Reply, senderMac, arp.TargetProtocolAddress, senderMac, sender))
            Counters.ArpRepliesSentField++;
    }

    private void SendArpRequest(Ipv4Address target, MacAddress destination)
    {
        if (SendArp(ArpOperation.Request, destination, SelectSource(target), MacAddress.Zero, target))
            Counters.ArpRequestsSentField++;
    }

    private bool SendArp(ArpOperation operation, MacAddress destination, Ipv4Address sender, MacAddress targetMac, Ipv4Address target)
    {
        if (!TryGetTransmitSlot(out var slot)) return false;
        WriteEthernetHeader(slot, destination, EtherType.Arp);
        new ArpRepr
        {
            Operation = operation,
            SenderHardwareAddress = _mac,
            SenderProtocolAddress = sender,
            TargetHardwareAddress = targetMac,
            TargetProtocolAddress = target,
        }.Emit(slot[EthernetHeaderLength..]);
        Commit(slot, EthernetHeaderLength + ArpPacket.EthernetIpv4Length);
        return true;
    }
}
