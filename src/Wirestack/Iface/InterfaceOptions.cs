using Wirestack.Ip;
using Wirestack.Link;
using Wirestack.Tcp;
using Wirestack.Wire;

namespace Wirestack.Iface;

/// <summary>
/// How an <see cref="Interface"/> is addressed and sized. All of its memory is taken from these at construction;
/// <see cref="Validate"/> names the bad setting when one is wrong.
/// </summary>
public sealed record InterfaceOptions
{
    /// <summary>The interface's Ethernet address: a unicast MAC (required).</summary>
    public MacAddress MacAddress { get; init; }

    /// <summary>
    /// The IPv4 addresses assigned, each with its subnet (at most 16; none for an IPv6-only interface). Each subnet
    /// gets an on-link route.
    /// </summary>
    public IReadOnlyList<Ipv4InterfaceAddress> Ipv4Addresses { get; init; } = [];

    /// <summary>The default gateway, if any: it must lie in one of the assigned subnets.</summary>
    public Ipv4Address? DefaultGateway { get; init; }

    /// <summary>
    /// Whether the interface speaks IPv6. When on (the default) it always has the link-local address fe80::/64 made
    /// from its MAC, answers neighbour discovery, and sends router solicitations and MLD reports; when off, IPv6
    /// frames are dropped as <see cref="InterfaceDropReason.UnsupportedEtherType"/> and nothing IPv6 is sent.
    /// </summary>
    public bool EnableIpv6 { get; init; } = true;

    /// <summary>
    /// IPv6 addresses assigned besides the link-local one, each with its on-link prefix (at most 16). Each prefix
    /// gets an on-link route. Requires <see cref="EnableIpv6"/>.
    /// </summary>
    public IReadOnlyList<Ipv6InterfaceAddress> Ipv6Addresses { get; init; } = [];

    /// <summary>The IPv6 default gateway, if any: a link-local unicast address, or one inside an assigned prefix.</summary>
    public Ipv6Address? Ipv6DefaultGateway { get; init; }

    /// <summary>The hop limit of IPv6 packets this interface originates, until a router advertises another. Default 64.</summary>
    public byte Ipv6HopLimit { get; init; } = 64;

    /// <summary>
    /// Whether router advertisements may configure addresses (RFC 4862 stateless autoconfiguration: prefix plus the
    /// EUI-64 interface identifier, kept for the advertised lifetimes). Routers and on-link prefixes are learned
    /// from advertisements either way. Default true.
    /// </summary>
    public bool EnableSlaac { get; init; } = true;

    /// <summary>
    /// Seeds the interface's pseudo-random choices (MLD and IGMP report delays, router solicitation delays, IPv6 fragment
    /// identifications); 0 derives a seed from the MAC. The same seed gives the same choices, for simulation.
    /// </summary>
    public ulong RandomSeed { get; init; }

    /// <summary>The TTL of packets this interface originates. Default 64 (Linux's ip_default_ttl, RFC 1700).</summary>
    public byte TimeToLive { get; init; } = 64;

    /// <summary>How many received echo replies wait for <see cref="Interface.TryDequeueEchoReply"/>; more are dropped and counted. Default 256.</summary>
    public int EchoReplyQueueCapacity { get; init; } = 256;

    /// <summary>Whether to answer unknown IPv4 protocols with a rate-limited ICMP protocol unreachable. Default true.</summary>
    public bool SendProtocolUnreachable { get; init; } = true;

    /// <summary>How many UDP bindings may be open at once; each owns a receive ring of <see cref="UdpReceiveBufferLength"/> bytes, allocated up front. Default 16.</summary>
    public int UdpBindingCapacity { get; init; } = 16;

    /// <summary>
    /// The bytes in each UDP binding's receive ring; every queued datagram takes its payload plus 20. A datagram
    /// that does not fit is dropped and counted (<see cref="InterfaceDropReason.UdpQueueFull"/>). Default 64 KiB.
    /// </summary>
    public int UdpReceiveBufferLength { get; init; } = 64 * 1024;

    /// <summary>Whether to answer UDP datagrams to unbound ports with a rate-limited ICMP port unreachable. Default true.</summary>
    public bool SendPortUnreachable { get; init; } = true;

    /// <summary>
    /// Whether to announce each IPv4 address with gratuitous ARP when the interface comes up (two announcements two
    /// seconds apart from the first poll, RFC 5227 section 2.3). Default true.
    /// </summary>
    public bool AnnounceAddresses { get; init; } = true;

    /// <summary>
    /// Whether the interface speaks for its addresses to its neighbours: answers ARP requests and neighbour
    /// solicitations, defends an address against a probe and announces its IPv6 addresses unsolicited. Default true.
    /// Learning from what neighbours say goes on either way: the shards of a <see cref="Sockets.ShardedNetwork"/> other
    /// than shard 0 (which sees every ARP request and solicitation) learn from the copies passed on to them and leave
    /// the answer to shard 0, so that a neighbour gets one answer rather than one per shard.
    /// </summary>
    public bool AnswersNeighborRequests { get; init; } = true;

    /// <summary>How many multicast groups (of both families, including those the stack joins itself) may be joined at once. Default 32.</summary>
    public int MulticastGroupCapacity { get; init; } = 32;

    /// <summary>
    /// The IGMP version the interface speaks for IPv4 groups: 3 (RFC 3376, the default) or 2 (RFC 2236). Either way it
    /// falls back to an older version while it hears that version's queries (RFC 3376 section 7).
    /// </summary>
    public int IgmpVersion { get; init; } = 3;

    /// <summary>
    /// How many multicast groups each UDP binding may join (<see cref="Interface.TryJoinUdpMulticastGroup"/>); the
    /// table is allocated with the binding. Default 20 (Linux's igmp_max_memberships).
    /// </summary>
    public int UdpMulticastGroupsPerBinding { get; init; } = 20;

    /// <summary>
    /// The TTL (IPv4) or hop limit (IPv6) of multicast UDP datagrams a binding sends until
    /// <see cref="Interface.TrySetUdpMulticastTimeToLive"/> changes it. Default 1: multicast stays on the link, as
    /// with IP_MULTICAST_TTL and IPV6_MULTICAST_HOPS.
    /// </summary>
    public byte MulticastTimeToLive { get; init; } = 1;

    /// <summary>The path MTU cache fed by ICMP fragmentation-needed messages; null for its defaults. Its link MTU is always the device's.</summary>
    public PathMtuCacheOptions? PathMtu { get; init; }

    /// <summary>The ARP cache; null for its defaults with queued packets sized to the device MTU.</summary>
    public NeighborCacheOptions? NeighborCache { get; init; }

    /// <summary>The routing table; null for its defaults.</summary>
    public RouteTableOptions? Routes { get; init; }

    /// <summary>The fragment reassembler; null for its defaults.</summary>
    public FragmentReassemblerOptions? Reassembly { get; init; }

    /// <summary>The ICMP error rate limiter; null for its defaults.</summary>
    public IcmpRateLimiterOptions? IcmpRateLimit { get; init; }

    /// <summary>
    /// The bytes in each UDP binding's send queue, allocated up front; every queued datagram takes its payload plus 28.
    /// A datagram that finds the device's transmit ring full waits here (in order) and goes out as slots free up; one
    /// that does not fit is dropped and counted (<see cref="InterfaceDropReason.UdpSendQueueFull"/>). 0 turns send
    /// queues off: a full ring then drops the datagram (<see cref="InterfaceDropReason.TransmitRingFull"/>). Default 64 KiB.
    /// </summary>
    public int UdpSendBufferLength { get; init; } = 64 * 1024;

    /// <summary>
    /// Which backlogged binding's queued datagram goes next when the transmit ring frees a slot: <see cref="Iface.EgressPolicy.Fifo"/>
    /// (the default when null), <see cref="Iface.EgressPolicy.RoundRobin"/>, or a policy of your own. Every backlogged binding keeps a
    /// guaranteed share whatever the policy says (<see cref="EgressMaxConsecutiveSkips"/>).
    /// </summary>
    public EgressPolicy? EgressPolicy { get; init; }

    /// <summary>
    /// How many consecutive scheduling rounds a backlogged binding may be passed over before it goes next whatever the
    /// policy says. With N bindings backlogged each sends at least once in every K + N rounds (see <see cref="Iface.EgressPolicy"/>);
    /// 0 is strict round robin. Default 8.
    /// </summary>
    public int EgressMaxConsecutiveSkips { get; init; } = 8;
    /// <summary>TCP: ring sizes, timers, algorithms and the connection capacity.</summary>
    public TcpOptions Tcp { get; init; } = new();

    /// <summary>Throws when a setting is out of range, naming it.</summary>
    /// <exception cref="ArgumentException">A setting is invalid.</exception>
    public void Validate()
    {
        if (MacAddress.IsMulticast || MacAddress == MacAddress.Zero)
            throw new ArgumentException($"InterfaceOptions.MacAddress must be a unicast, non-zero MAC; {MacAddress} is not.", nameof(MacAddress));
        if (Ipv4Addresses is null)
            throw new ArgumentException("InterfaceOptions.Ipv4Addresses must not be null; use an empty list for an IPv6-only interface.", nameof(Ipv4Addresses));
        if (Ipv4Addresses.Count == 0 && !EnableIpv6)
            throw new ArgumentException("InterfaceOptions configures no family: give Ipv4Addresses at least one address, or leave EnableIpv6 on.", nameof(Ipv4Addresses));
        if (Ipv4Addresses.Count > 16)
            throw new ArgumentException($"InterfaceOptions.Ipv4Addresses holds {Ipv4Addresses.Count} addresses; at most 16 are allowed.", nameof(Ipv4Addresses));
        for (int i = 0; i < Ipv4Addresses.Count; i++)
        {
            var address = Ipv4Addresses[i];
            if (!address.Address.IsUnicast || address.Address.IsLoopback)
                throw new ArgumentException($"InterfaceOptions.Ipv4Addresses[{i}] ({address}) is not a unicast, non-loopback address.", nameof(Ipv4Addresses));
            if (address.PrefixLength is < 1 or > 32)
                throw new ArgumentException($"InterfaceOptions.Ipv4Addresses[{i}] ({address}) has prefix length {address.PrefixLength}; it must be between 1 and 32.", nameof(Ipv4Addresses));
            for (int j = 0; j < i; j++)
                if (Ipv4Addresses[j].Address == address.Address)
                    throw new ArgumentException($"InterfaceOptions.Ipv4Addresses lists {address.Address} twice.", nameof(Ipv4Addresses));
        }
        if (DefaultGateway is { } gateway)
        {
            bool onLink = false;
            for (int i = 0; i < Ipv4Addresses.Count && !onLink; i++)
                onLink = Ipv4Addresses[i].Address.IsInSameSubnet(gateway, Ipv4Addresses[i].PrefixLength) && Ipv4Addresses[i].Address != gateway;
            if (!onLink || !gateway.IsUnicast)
                throw new ArgumentException($"InterfaceOptions.DefaultGateway {gateway} must be a unicast address in one of the assigned subnets, other than ours.", nameof(DefaultGateway));
        }
        ValidateIpv6();
        if (Tcp is null) throw new ArgumentException("InterfaceOptions.Tcp must not be null.", nameof(Tcp));
        Tcp.Validate();
        if (TimeToLive == 0)
            throw new ArgumentOutOfRangeException(nameof(TimeToLive), TimeToLive, "InterfaceOptions.TimeToLive must be between 1 and 255 (RFC 1122 forbids sending TTL 0).");
        if (EchoReplyQueueCapacity is < 1 or > 65536)
            throw new ArgumentOutOfRangeException(nameof(EchoReplyQueueCapacity), EchoReplyQueueCapacity, "InterfaceOptions.EchoReplyQueueCapacity must be between 1 and 65536.");
        if (UdpBindingCapacity is < 0 or > 16384)
            throw new ArgumentOutOfRangeException(nameof(UdpBindingCapacity), UdpBindingCapacity, "InterfaceOptions.UdpBindingCapacity must be between 0 and 16384 (the ephemeral port range).");
        if (MulticastGroupCapacity is < 0 or > 4096)
            throw new ArgumentOutOfRangeException(nameof(MulticastGroupCapacity), MulticastGroupCapacity, "InterfaceOptions.MulticastGroupCapacity must be between 0 and 4096.");
        if (IgmpVersion is not (2 or 3))
            throw new ArgumentOutOfRangeException(nameof(IgmpVersion), IgmpVersion, "InterfaceOptions.IgmpVersion must be 3 (RFC 3376) or 2 (RFC 2236).");
        if (UdpMulticastGroupsPerBinding is < 0 or > 1024)
            throw new ArgumentOutOfRangeException(nameof(UdpMulticastGroupsPerBinding), UdpMulticastGroupsPerBinding, "InterfaceOptions.UdpMulticastGroupsPerBinding must be between 0 and 1024.");
        if (MulticastTimeToLive == 0)
            throw new ArgumentOutOfRangeException(nameof(MulticastTimeToLive), MulticastTimeToLive, "InterfaceOptions.MulticastTimeToLive must be between 1 and 255.");
        if (UdpReceiveBufferLength is < 64 or > 16 * 1024 * 1024)
            throw new ArgumentOutOfRangeException(nameof(UdpReceiveBufferLength), UdpReceiveBufferLength, "InterfaceOptions.UdpReceiveBufferLength must be between 64 bytes and 16 MiB.");
        if (UdpSendBufferLength is < 0 or > 16 * 1024 * 1024)
            throw new ArgumentOutOfRangeException(nameof(UdpSendBufferLength), UdpSendBufferLength, "InterfaceOptions.UdpSendBufferLength must be between 0 (no send queues) and 16 MiB.");
        if (EgressMaxConsecutiveSkips is < 0 or > 1_000_000)
            throw new ArgumentOutOfRangeException(nameof(EgressMaxConsecutiveSkips), EgressMaxConsecutiveSkips, "InterfaceOptions.EgressMaxConsecutiveSkips must be between 0 (strict round robin) and 1000000.");
    }

    private void ValidateIpv6()
    {
        if (Ipv6Addresses is null)
            throw new ArgumentException("InterfaceOptions.Ipv6Addresses must not be null; use an empty list for none.", nameof(Ipv6Addresses));
        if (!EnableIpv6 && (Ipv6Addresses.Count != 0 || Ipv6DefaultGateway.HasValue))
            throw new ArgumentException("InterfaceOptions.Ipv6Addresses and Ipv6DefaultGateway need EnableIpv6 on.", nameof(EnableIpv6));
        if (Ipv6Addresses.Count > 16)
            throw new ArgumentException($"InterfaceOptions.Ipv6Addresses holds {Ipv6Addresses.Count} addresses; at most 16 are allowed.", nameof(Ipv6Addresses));
        var linkLocal = Ipv6Address.LinkLocalFromMac(MacAddress);
        for (int i = 0; i < Ipv6Addresses.Count; i++)
        {
            var address = Ipv6Addresses[i];
            if (!address.Address.IsUnicast || address.Address.IsLoopback)
                throw new ArgumentException($"InterfaceOptions.Ipv6Addresses[{i}] ({address}) is not a unicast, non-loopback address.", nameof(Ipv6Addresses));
            if (address.PrefixLength is < 1 or > 128)
                throw new ArgumentException($"InterfaceOptions.Ipv6Addresses[{i}] ({address}) has prefix length {address.PrefixLength}; it must be between 1 and 128.", nameof(Ipv6Addresses));
            if (address.Address == linkLocal)
                throw new ArgumentException($"InterfaceOptions.Ipv6Addresses[{i}] is {linkLocal}, the link-local address the interface always has; leave it out.", nameof(Ipv6Addresses));
            for (int j = 0; j < i; j++)
                if (Ipv6Addresses[j].Address == address.Address)
                    throw new ArgumentException($"InterfaceOptions.Ipv6Addresses lists {address.Address} twice.", nameof(Ipv6Addresses));
        }
        if (Ipv6DefaultGateway is { } gateway)
        {
            bool onLink = gateway.IsLinkLocal && gateway != linkLocal;
            for (int i = 0; i < Ipv6Addresses.Count && !onLink; i++)
                onLink = Ipv6Addresses[i].Address.IsInSameSubnet(gateway, Ipv6Addresses[i].PrefixLength) && Ipv6Addresses[i].Address != gateway;
            if (!onLink || !gateway.IsUnicast)
                throw new ArgumentException($"InterfaceOptions.Ipv6DefaultGateway {gateway} must be a link-local unicast address, or one in an assigned prefix, other than ours.", nameof(Ipv6DefaultGateway));
        }
        if (Ipv6HopLimit == 0)
            throw new ArgumentOutOfRangeException(nameof(Ipv6HopLimit), Ipv6HopLimit, "InterfaceOptions.Ipv6HopLimit must be between 1 and 255.");
    }
}
