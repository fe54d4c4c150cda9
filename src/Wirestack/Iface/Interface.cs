using Wirestack.Ip;
using Wirestack.Link;
using Wirestack.Nic;
using Wirestack.Wire;

namespace Wirestack.Iface;

/// <summary>
/// One stack instance on one <see cref="INetworkDevice"/>: Ethernet, ARP, IPv4 and IPv6 (with reassembly,
/// fragmentation and path MTU), NDP with SLAAC, MLD and IGMP, ICMP and ICMPv6 echo and errors, and UDP bindings
/// (unicast, multicast and broadcast), for now.
/// It composes the pure state machines below it (<see cref="NeighborCache{TAddress}"/>, <see cref="RouteTable{TAddress}"/>,
/// <see cref="FragmentReassembler"/>, <see cref="IcmpRateLimiter"/>) and is the only place that turns their
/// decisions into frames.
/// </summary>
/// <remarks>
/// <para>
/// One owner thread drives it with <see cref="Poll"/>, passing the time: nothing here reads a clock or takes a lock.
/// A poll handles one receive batch, runs every due timer, flushes the device once and returns the next deadline.
/// </para>
/// <para>
/// Nothing on the per-frame path allocates or throws on bad input: every frame that is not used is counted in
/// <see cref="Counters"/> under an <see cref="InterfaceDropReason"/>. Frames are parsed in place in the device's
/// receive slots and answers are written straight into its transmit slots; only a packet that must wait for
/// address resolution is built in a scratch buffer and copied into the neighbour cache's bounded queue.
/// </para>
/// </remarks>
public sealed partial class Interface
{
    private const int EthernetHeaderLength = EthernetFrame.UntaggedHeaderLength;
    private const int Ipv4HeaderLength = Ipv4Packet.MinHeaderLength;
    // Ethernet's minimum frame without the FCS: short frames are padded so that they survive real links.
    private const int MinimumFrameLength = 60;
    // RFC 1812 section 4.3.2.3: quote as much of the offending datagram as fits in 576 bytes.
    private const int MaxIcmpQuoteLength = 576 - Ipv4HeaderLength - Icmpv4Packet.HeaderLength;
    // The largest upper-layer message that fits one IPv4 datagram without options.
    private const int MaxUpperLayerLength = ushort.MaxValue - Ipv4HeaderLength;
    private const int EphemeralPortFirst = 49152;
    private const int EphemeralPortCount = 65536 - EphemeralPortFirst;

    private readonly INetworkDevice _device;
    private readonly Ipv4InterfaceAddress[] _addresses;
    private readonly MacAddress _mac;
    private readonly int _mtu;
    // The largest IP packet the device cuts into MTU-sized segments (TSO), 0 when it does not.
    private readonly int _offloadLength;
    // Whether the device vouched for the transport checksum of the frame being processed (FrameOffload).
    private bool _transportChecksumTrusted;
    // The UDP payload bytes per datagram when the frame being processed is a UDP super-datagram
    // (FrameOffload.UdpSegments), which may be 0 (a malformed one); -1 for an ordinary frame.
    private int _udpSegmentSize = -1;
    private readonly int _receiveBatchSize;
    private readonly byte _timeToLive;
    private readonly bool _sendProtocolUnreachable;
    private readonly NeighborCache<Ipv4Address> _neighbors;
    private readonly RouteTable<Ipv4Address> _routes;
    private readonly FragmentReassembler _reassembler;
    private readonly IcmpRateLimiter _icmpLimiter;
    private readonly PathMtuCache<Ipv4Address> _pathMtu;
    private readonly bool _sendPortUnreachable;
    private readonly byte[] _scratch;
    // A whole upper-layer message that must be fragmented is built here first: its checksum covers every fragment.
    private readonly byte[] _datagramScratch = new byte[MaxUpperLayerLength];
    private readonly UdpBinding[] _udpBindings;
    // Bound port to binding index; sized for every binding up front, so adding and removing never allocates.
    private readonly Dictionary<ushort, int> _udpPorts;
    private int _nextEphemeral;
    private readonly NeighborRequest<Ipv4Address>[] _requests = new NeighborRequest<Ipv4Address>[16];
    private readonly ExpiredDatagram[] _expired = new ExpiredDatagram[4];
    private readonly EchoReply[] _echoReplies;
    private int _echoHead;
    private int _echoCount;
    private ushort _nextIdentification;
    // The neighbour cache and reassembler drop packets inside their own timers; these are the counts
    // already folded into ours, so that every drop shows up under an interface reason too.
    private long _seenTimeouts;

    /// <summary>Builds an interface on <paramref name="device"/>, allocating all its memory.</summary>
    /// <param name="device">The device; the interface drives it but does not own its lifetime.</param>
    /// <param name="options">Addresses and sizes.</param>
    /// <exception cref="ArgumentException">An option is invalid, or the device's MTU is below IPv4's 68 (or IPv6's 1280 with IPv6 on).</exception>
    public Interface(INetworkDevice device, InterfaceOptions options)
    {
        ArgumentNullException.ThrowIfNull(device);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        var capabilities = device.Capabilities;
        if (capabilities.Mtu < 68)
            throw new ArgumentException($"The device's MTU is {capabilities.Mtu}; IPv4 needs at least 68.", nameof(device));
        _device = device;
        Options = options;
        _mac = options.MacAddress;
        _mtu = Math.Min(capabilities.Mtu, ushort.MaxValue);
        _receiveBatchSize = capabilities.ReceiveBatchSize;
        _offloadLength = capabilities.MaxOffloadLength > _mtu ? Math.Min(capabilities.MaxOffloadLength, ushort.MaxValue) : 0;
        _timeToLive = options.TimeToLive;
        _sendProtocolUnreachable = options.SendProtocolUnreachable;
        _addresses = new Ipv4InterfaceAddress[options.Ipv4Addresses.Count];
        for (int i = 0; i < _addresses.Length; i++) _addresses[i] = options.Ipv4Addresses[i];

        _neighbors = new NeighborCache<Ipv4Address>(options.NeighborCache ?? new NeighborCacheOptions { MaxPacketLength = _mtu });
        _routes = new RouteTable<Ipv4Address>(options.Routes);
        for (int i = 0; i < _addresses.Length; i++)
        {
            var address = _addresses[i];
            // Two addresses in one subnet share its route: a duplicate is fine to ignore.
            _routes.Add(Route<Ipv4Address>.OnLink(address.Address.Mask(address.PrefixLength), address.PrefixLength), Instant.Zero);
        }
        if (options.DefaultGateway is { } gateway) _routes.Add(Route<Ipv4Address>.Default(gateway), Instant.Zero);
        _reassembler = new FragmentReassembler(options.Reassembly ?? new FragmentReassemblerOptions());
        _icmpLimiter = new IcmpRateLimiter(options.IcmpRateLimit);
        _pathMtu = new PathMtuCache<Ipv4Address>(options.PathMtu) { LinkMtu = Math.Max(_mtu, 68) };
        _sendPortUnreachable = options.SendPortUnreachable;
        _udpBindings = new UdpBinding[options.UdpBindingCapacity];
        for (int i = 0; i < _udpBindings.Length; i++) _udpBindings[i] = new UdpBinding(options.UdpReceiveBufferLength, options.UdpMulticastGroupsPerBinding);
        _udpPorts = new Dictionary<ushort, int>(options.UdpBindingCapacity);
        _scratch = new byte[_mtu];
        _echoReplies = new EchoReply[options.EchoReplyQueueCapacity];
        _memberships = new MulticastMembership[options.MulticastGroupCapacity];
        InitializeIpv6(options);
        InitializeIgmp(options);
        InitializeEgress(options);
        InitializeTcp(options);
    }

    /// <summary>The options the interface was built with.</summary>
    public InterfaceOptions Options { get; }

    /// <summary>The device the interface drives.</summary>
    public INetworkDevice Device => _device;

    /// <summary>The interface's Ethernet address.</summary>
    public MacAddress MacAddress => _mac;

    /// <summary>The largest IP packet the interface sends, from the device.</summary>
    public int Mtu => _mtu;

    /// <summary>The assigned IPv4 addresses.</summary>
    public ReadOnlySpan<Ipv4InterfaceAddress> Ipv4Addresses => _addresses;

    /// <summary>What the interface has received, sent and dropped.</summary>
    public InterfaceCounters Counters { get; } = new();

    /// <summary>The ARP cache (read its counters and state; the interface drives it).</summary>
    public NeighborCache<Ipv4Address> Ipv4Neighbors => _neighbors;

    /// <summary>The IPv4 routing table: on-link routes for each address, and the default gateway. Routes may be added.</summary>
    public RouteTable<Ipv4Address> Ipv4Routes => _routes;

    /// <summary>The IPv4 fragment reassembler (read its counters).</summary>
    public FragmentReassembler Reassembler => _reassembler;

    /// <summary>Path MTUs learned from ICMP fragmentation-needed messages (read its counters and entries).</summary>
    public PathMtuCache<Ipv4Address> PathMtu => _pathMtu;

    /// <summary>Echo replies waiting in the queue for <see cref="TryDequeueEchoReply"/>.</summary>
    public int PendingEchoReplies => _echoCount;

    /// <summary>
    /// Handles one batch of received frames, runs every due timer (ARP retransmissions and probes, reassembly
    /// expiry, route expiry), flushes the device once, and returns when it next needs a poll.
    /// </summary>
    /// <param name="now">The current time, from the caller's clock.</param>
    /// <returns>
    /// The next timer deadline; <paramref name="now"/> when a full batch was received (more may be waiting);
    /// <see cref="Instant.MaxValue"/> when nothing is scheduled. Received frames wake the caller sooner
    /// (<see cref="INetworkDevice.WaitForReceive"/>).
    /// </returns>
    public Instant Poll(Instant now)
    {
        int count = _device.Receive();
        _tcp.BeginReceiveBatch();
        for (int i = 0; i < count; i++)
        {
            Counters.ReceivedFramesField++;
            var frame = _device.GetReceived(i, out var offload);
            _transportChecksumTrusted = offload.TransportChecksumTrusted;
            _udpSegmentSize = offload.UdpSegments ? offload.SegmentSize : -1;
            ProcessFrame(frame, now);
        }
        _transportChecksumTrusted = false;
        _udpSegmentSize = -1;
        _tcp.EndReceiveBatch(now);
        _device.ReleaseReceived(count);
        AnnounceAddresses(now);
        RunTimers(now);
        DrainEgress(now);
        _device.Flush();

        if (count >= _receiveBatchSize) return now;
        var next = Instant.Min(_neighbors.NextDeadline, _reassembler.NextDeadline);
        next = Instant.Min(next, NextArpAnnouncement);
        next = Instant.Min(next, _pathMtu.NextExpiry);
        next = Instant.Min(next, NextIpv6Deadline());
        next = Instant.Min(next, _igmpNextDeadline);
        next = Instant.Min(next, NextEgressDeadline(now));
        next = Instant.Min(next, _tcp.NextDeadline);
        return Instant.Min(next, _routes.NextExpiry);
    }

    private void ProcessFrame(ReadOnlySpan<byte> frame, Instant now)
    {
        var error = EthernetFrame.TryParse(frame, out var ethernet);
        if (error != WireError.None)
        {
            Counters.DropMalformed(error);
            return;
        }
        var destination = ethernet.Destination;
        if (destination != _mac && !destination.IsBroadcast && !(destination.IsMulticast && AcceptsMulticastMac(destination)))
        {
            Counters.Drop(InterfaceDropReason.NotForUs);
            return;
        }
        if (ethernet.Source.IsMulticast)
        {
            Counters.DropMalformed(WireError.BadAddress);
            return;
        }
        if (ethernet.VlanTagCount != 0)
        {
            Counters.Drop(InterfaceDropReason.UnsupportedEtherType);
            return;
        }
        switch (ethernet.EtherType)
        {
            case EtherType.Arp:
                ProcessArp(ethernet.Payload, now);
                break;
            case EtherType.Ipv4:
                ProcessIpv4(ethernet.Payload, now);
                break;
            case EtherType.Ipv6:
                ProcessIpv6(ethernet.Payload, now);
                break;
            default:
                Counters.Drop(InterfaceDropReason.UnsupportedEtherType);
                break;
        }
    }

    private void RunTimers(Instant now)
    {
        if (now >= _neighbors.NextDeadline)
        {
            int count;
            do
            {
                count = _neighbors.Poll(now, _requests);
                for (int i = 0; i < count; i++)
                {
                    var request = _requests[i];
                    SendArpRequest(request.Target, request.IsUnicast ? request.Destination : MacAddress.Broadcast);
                }
            }
            while (count == _requests.Length);
            SyncNeighborDrops();
        }
        if (now >= _reassembler.NextDeadline)
        {
            int expired;
            do
            {
                expired = _reassembler.Expire(now, _expired);
                for (int i = 0; i < expired; i++) ReportReassemblyTimeout(_expired[i], now);
            }
            while (expired == _expired.Length);
            long timeouts = _reassembler.Ipv4Counters.Timeouts;
            Counters.DroppedField[(int)InterfaceDropReason.ReassemblyTimeout] += timeouts - _seenTimeouts;
            _seenTimeouts = timeouts;
        }
        if (now >= _routes.NextExpiry) _routes.RemoveExpired(now);
        if (now >= _pathMtu.NextExpiry) _pathMtu.RemoveExpired(now);
        RunIpv6Timers(now);
        RunIgmpTimers(now);
        RunTcpTimers(now);
    }

    private void WriteEthernetHeader(Span<byte> slot, MacAddress destination, EtherType etherType) =>
        new EthernetRepr { Destination = destination, Source = _mac, EtherType = etherType }.Emit(slot);

    private bool TryGetTransmitSlot(out Span<byte> slot)
    {
        if (_device.TryGetTransmitSlot(out slot)) return true;
        // A full ring is usually just unflushed: publish what is there and try once more.
        _device.Flush();
        if (_device.TryGetTransmitSlot(out slot)) return true;
        if (DeferToSendQueue()) return false;
        Counters.Drop(InterfaceDropReason.TransmitRingFull);
        return false;
    }

    private void Commit(Span<byte> slot, int length)
    {
        if (length < MinimumFrameLength)
        {
            slot[length..MinimumFrameLength].Clear();
            length = MinimumFrameLength;
        }
        _device.CommitTransmit(length);
        _framesCommitted++;
    }
}
