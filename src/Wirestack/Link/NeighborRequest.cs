using Wirestack.Wire;

namespace Wirestack.Link;

/// <summary>
/// A request the cache decided to send: the caller builds the ARP request or neighbour
/// solicitation for <see cref="Target"/> and transmits it.
/// </summary>
/// <typeparam name="TAddress">The protocol address type.</typeparam>
public readonly struct NeighborRequest<TAddress>
    where TAddress : struct, IIpAddress<TAddress>, IEquatable<TAddress>
{
    internal NeighborRequest(TAddress target, bool isUnicast, MacAddress destination)
    {
        Target = target;
        IsUnicast = isUnicast;
        Destination = destination;
    }

    /// <summary>The protocol address being resolved.</summary>
    public TAddress Target { get; }

    /// <summary>
    /// True for a reachability probe of an entry that already has a link-layer address: send it
    /// unicast to <see cref="Destination"/>. False for address resolution: send it to the broadcast
    /// address (ARP) or the target's solicited-node multicast group (NDP).
    /// </summary>
    public bool IsUnicast { get; }

    /// <summary>The cached link-layer address a unicast probe goes to; zero when <see cref="IsUnicast"/> is false.</summary>
    public MacAddress Destination { get; }

    /// <inheritdoc />
    public override string ToString() => IsUnicast ? $"probe {Target} at {Destination}" : $"solicit {Target}";
}
