using Wirestack.Link;
using Wirestack.Wire;

namespace Wirestack.Iface;

// What the ARP and NDP neighbour caches share at the interface: sending the packets that waited for a neighbour once
// it resolves, and turning the caches' own drop counters into the interface's drop reasons.
public sealed partial class Interface
{
    private NeighborDropsSeen _ipv4NeighborDropsSeen;
    private NeighborDropsSeen _ipv6NeighborDropsSeen;

    private void DrainQueue(Ipv4Address neighbor) => DrainNeighborQueue(_neighbors, neighbor, EtherType.Ipv4);

    private void DrainIpv6Queue(Ipv6Address neighbor) => DrainNeighborQueue(_ipv6Neighbors, neighbor, EtherType.Ipv6);

    private void SyncNeighborDrops() => SyncNeighborDrops(_neighbors.Counters, ref _ipv4NeighborDropsSeen);

    private void SyncIpv6NeighborDrops() => SyncNeighborDrops(_ipv6Neighbors.Counters, ref _ipv6NeighborDropsSeen);

    private void DrainNeighborQueue<TAddress>(NeighborCache<TAddress> cache, TAddress neighbor, EtherType etherType)
        where TAddress : struct, IIpAddress<TAddress>, IEquatable<TAddress>
    {
        while (cache.TryDequeue(neighbor, out var mac, out var packet))
        {
            // A full ring drops (and counts) this packet; the loop still empties the queue, which is bounded.
            if (!TryGetTransmitSlot(out var slot)) continue;
            WriteEthernetHeader(slot, mac, etherType);
            packet.CopyTo(slot[EthernetHeaderLength..]);
            Commit(slot, EthernetHeaderLength + packet.Length);
            Counters.QueuedPacketsSentField++;
        }
    }

    private void SyncNeighborDrops(NeighborCacheCounters counters, ref NeighborDropsSeen seen)
    {
        long queueFull = counters.PacketsDroppedQueueFull;
        long unresolved = counters.PacketsDroppedUnresolved;
        long tooLong = counters.PacketsDroppedTooLong;
        Counters.DroppedField[(int)InterfaceDropReason.NeighborQueueFull] += queueFull - seen.QueueFull;
        Counters.DroppedField[(int)InterfaceDropReason.NeighborUnresolved] += unresolved - seen.Unresolved;
        Counters.DroppedField[(int)InterfaceDropReason.PacketTooBig] += tooLong - seen.TooLong;
        seen = new NeighborDropsSeen(queueFull, unresolved, tooLong);
    }

    // A neighbour cache's drop counters as last folded into the interface's counters.
    private readonly record struct NeighborDropsSeen(long QueueFull, long Unresolved, long TooLong);
}
