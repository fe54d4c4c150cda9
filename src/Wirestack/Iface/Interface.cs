using Wirestack.Ip;
using Wirestack.Link;
using Wirestack.Nic;
using Wirestack.Wire;

namespace Wirestack.Iface;

/// <summary>
/// One stack instance on one <see cref="INetworkDevice"/>: Ethernet, ARP, IPv4 (with reassembly, fragmentation and
/// path MTU), ICMP echo and errors, and UDP bindings, for now.
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
public sealed class Interface
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
    private long _seenQueueFull;
    private long _seenUnresolved;
    private long _seenTooLong;
    private long _seenTimeouts;

    /// <summary>Builds an interface on <paramref name="device"/>, allocating all its memory.</summary>
    /// <param name="device">The device; the interface drives it but does not own its lifetime.</param>
    /// <param name="options">Addresses and sizes.</param>
    /// <exception cref="ArgumentException">An option is invalid, or the device's MTU is below IPv4's 68.</exception>
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
        for (int i = 0; i < _udpBindings.Length; i++) _udpBindings[i] = new UdpBinding(options.UdpReceiveBufferLength);
        _udpPorts = new Dictionary<ushort, int>(options.UdpBindingCapacity);
        _scratch = new byte[_mtu];
        _echoReplies = new EchoReply[options.EchoReplyQueueCapacity];
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
        for (int i = 0; i < count; i++)
        {
            Counters.ReceivedFramesField++;
            ProcessFrame(_device.GetReceived(i), now);
        }
        _device.ReleaseReceived(count);
        RunTimers(now);
        _device.Flush();

        if (count >= _receiveBatchSize) return now;
        var next = Instant.Min(_neighbors.NextDeadline, _reassembler.NextDeadline);
        next = Instant.Min(next, _pathMtu.NextExpiry);
        return Instant.Min(next, _routes.NextExpiry);
    }

    /// <summary>
    /// Sends an ICMP echo request: routes <paramref name="destination"/> to a next hop, resolves it, and writes
    /// the Ethernet, IPv4 and ICMP headers straight into a transmit slot, copying <paramref name="data"/> once
    /// with the checksum folded into the copy. When the next hop is still being resolved the packet waits in
    /// the ARP cache's bounded queue (and an ARP request goes out if this started the resolution). The frame
    /// is published by the next <see cref="Poll"/>'s flush.
    /// </summary>
    /// <param name="destination">A unicast address that is not ours.</param>
    /// <param name="identifier">The echo identifier.</param>
    /// <param name="sequenceNumber">The echo sequence number.</param>
    /// <param name="data">The echo data; at most 65507 bytes. Beyond the path MTU the request is sent in fragments.</param>
    /// <param name="now">The current time.</param>
    /// <returns>True when the request was written or queued; false when it was dropped (and counted).</returns>
    public bool TrySendIcmpEcho(Ipv4Address destination, ushort identifier, ushort sequenceNumber, ReadOnlySpan<byte> data, Instant now)
    {
        if (!destination.IsUnicast || destination.IsLoopback || IndexOfAddress(destination) >= 0 || IsBroadcastFor(destination))
        {
            Counters.Drop(InterfaceDropReason.NoRoute);
            return false;
        }
        if (data.Length > MaxUpperLayerLength - Icmpv4Packet.HeaderLength)
        {
            Counters.Drop(InterfaceDropReason.PacketTooBig);
            return false;
        }
        var request = Icmpv4Repr.EchoRequest(identifier, sequenceNumber, data.Length);
        if (!SendIcmp(default, destination, request, data, now)) return false;
        Counters.EchoRequestsSentField++;
        return true;
    }

    /// <summary>Takes the oldest received echo reply from the bounded queue.</summary>
    /// <returns>False when none is waiting.</returns>
    public bool TryDequeueEchoReply(out EchoReply reply)
    {
        if (_echoCount == 0)
        {
            reply = default;
            return false;
        }
        reply = _echoReplies[_echoHead];
        _echoHead = _echoHead + 1 == _echoReplies.Length ? 0 : _echoHead + 1;
        _echoCount--;
        return true;
    }

    /// <summary>
    /// Opens a UDP binding on <paramref name="port"/> for every address of the interface, with a receive ring of
    /// <see cref="InterfaceOptions.UdpReceiveBufferLength"/> bytes taken from memory allocated at construction.
    /// </summary>
    /// <param name="port">The local port; 0 picks a free one from the ephemeral range 49152–65535.</param>
    /// <param name="handle">The binding, for sending, receiving and closing.</param>
    /// <returns>False when the port is taken, no ephemeral port is free, or all bindings are in use.</returns>
    public bool TryBindUdp(ushort port, out UdpHandle handle)
    {
        handle = default;
        int index = -1;
        for (int i = 0; i < _udpBindings.Length; i++)
        {
            if (!_udpBindings[i].InUse)
            {
                index = i;
                break;
            }
        }
        if (index < 0) return false;
        if (port == 0)
        {
            // Walk the range from where the last search stopped, so a port just closed is not handed out again at once.
            for (int tried = 0; tried < EphemeralPortCount && port == 0; tried++)
            {
                var candidate = (ushort)(EphemeralPortFirst + _nextEphemeral);
                _nextEphemeral = _nextEphemeral + 1 == EphemeralPortCount ? 0 : _nextEphemeral + 1;
                if (!_udpPorts.ContainsKey(candidate)) port = candidate;
            }
            if (port == 0) return false;
        }
        else if (_udpPorts.ContainsKey(port))
        {
            return false;
        }
        var binding = _udpBindings[index];
        binding.Open(port);
        _udpPorts.Add(port, index);
        handle = new UdpHandle(index, binding.Generation);
        return true;
    }

    /// <summary>The local port of an open binding; 0 when <paramref name="handle"/> is closed or not one of ours.</summary>
    public ushort GetUdpPort(UdpHandle handle) => TryGetBinding(handle, out var binding) ? binding.Port : (ushort)0;

    /// <summary>Datagrams waiting on an open binding; 0 when <paramref name="handle"/> is closed or not one of ours.</summary>
    public int PendingUdpDatagrams(UdpHandle handle) => TryGetBinding(handle, out var binding) ? binding.Count : 0;

    /// <summary>Closes a binding: its port is free again and datagrams still queued on it are discarded.</summary>
    /// <returns>False when <paramref name="handle"/> was already closed or is not one of ours.</returns>
    public bool CloseUdp(UdpHandle handle)
    {
        if (!TryGetBinding(handle, out var binding)) return false;
        _udpPorts.Remove(binding.Port);
        binding.Close();
        return true;
    }

    /// <summary>
    /// Sends a UDP datagram from the binding's port: routes and resolves <paramref name="destination"/> and writes
    /// the headers straight into a transmit slot, copying <paramref name="data"/> once with the checksum (over the
    /// pseudo-header) folded into the copy. A datagram larger than the path MTU is built once and sent in IPv4
    /// fragments. While the next hop is being resolved an unfragmented datagram waits in the ARP cache's queue.
    /// </summary>
    /// <param name="handle">An open binding.</param>
    /// <param name="destination">A unicast address that is not ours.</param>
    /// <param name="destinationPort">The destination port (not 0).</param>
    /// <param name="data">The payload; at most 65507 bytes.</param>
    /// <param name="now">The current time.</param>
    /// <returns>True when the datagram was written or queued; false when it was dropped (and counted) or the handle is closed.</returns>
    public bool TrySendUdp(UdpHandle handle, Ipv4Address destination, ushort destinationPort, ReadOnlySpan<byte> data, Instant now)
    {
        if (!TryGetBinding(handle, out var binding)) return false;
        if (destinationPort == 0 || !destination.IsUnicast || destination.IsLoopback || IndexOfAddress(destination) >= 0 || IsBroadcastFor(destination))
        {
            Counters.Drop(InterfaceDropReason.NoRoute);
            return false;
        }
        if (data.Length > MaxUpperLayerLength - UdpPacket.HeaderLength)
        {
            Counters.Drop(InterfaceDropReason.PacketTooBig);
            return false;
        }
        var udp = new UdpRepr(binding.Port, destinationPort, data.Length);
        if (!SendIpv4(default, destination, IpProtocol.Udp, udp.BufferLength, default, udp, data, now)) return false;
        Counters.UdpDatagramsSentField++;
        return true;
    }

    /// <summary>
    /// Takes the oldest datagram queued on a binding. A <paramref name="buffer"/> shorter than the datagram gets its
    /// first bytes and the rest is discarded, as <c>recv</c> does without <c>MSG_PEEK</c>.
    /// </summary>
    /// <param name="handle">An open binding.</param>
    /// <param name="buffer">Where the payload is copied.</param>
    /// <param name="length">The bytes copied.</param>
    /// <param name="source">The sender's address.</param>
    /// <param name="sourcePort">The sender's port.</param>
    /// <returns>False when nothing is waiting or the handle is closed.</returns>
    public bool TryReceiveUdp(UdpHandle handle, Span<byte> buffer, out int length, out Ipv4Address source, out ushort sourcePort)
    {
        if (TryGetBinding(handle, out var binding)) return binding.TryDequeue(buffer, out length, out source, out sourcePort);
        length = 0;
        source = default;
        sourcePort = 0;
        return false;
    }

    private bool TryGetBinding(UdpHandle handle, out UdpBinding binding)
    {
        if ((uint)handle.Index < (uint)_udpBindings.Length)
        {
            binding = _udpBindings[handle.Index];
            if (binding.InUse && binding.Generation == handle.Generation) return true;
        }
        binding = null!;
        return false;
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
        if (destination != _mac && !destination.IsBroadcast)
        {
            // No multicast groups are joined in this slice, so every other group address is someone else's.
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
            default:
                Counters.Drop(InterfaceDropReason.UnsupportedEtherType);
                break;
        }
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
        if (arp.Operation == ArpOperation.Request
            && SendArp(ArpOperation.Reply, senderMac, arp.TargetProtocolAddress, senderMac, sender))
            Counters.ArpRepliesSentField++;
    }

    private void ProcessIpv4(ReadOnlySpan<byte> payload, Instant now)
    {
        var error = Ipv4Packet.TryParse(payload, out var packet);
        if (error != WireError.None)
        {
            Counters.DropMalformed(error);
            return;
        }
        if (!packet.VerifyChecksum())
        {
            Counters.Drop(InterfaceDropReason.BadChecksum);
            return;
        }
        var source = packet.Source;
        if (source.IsMulticast || source.IsBroadcast || source.IsLoopback)
        {
            Counters.DropMalformed(WireError.BadAddress);
            return;
        }
        var destination = packet.Destination;
        int local = IndexOfAddress(destination);
        if (local < 0 && !IsBroadcastFor(destination))
        {
            Counters.Drop(InterfaceDropReason.NotForUs);
            return;
        }
        if (!packet.IsFragment)
        {
            Deliver(source, destination, local, packet.Protocol, packet.Payload, packet.Buffer, now);
            return;
        }
        var outcome = _reassembler.Accept(Fragment.FromIpv4(packet), now, out var datagram);
        switch (outcome)
        {
            case FragmentOutcome.Complete:
                Counters.DatagramsReassembledField++;
                try
                {
                    // No quote for errors: RFC 1122 sends none for fragments, and the whole datagram is gone.
                    Deliver(source, destination, local, datagram.UpperLayerProtocol, datagram.Payload, default, now);
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

    // local is the index of the address the datagram was sent to, or -1 for a broadcast.
    private void Deliver(Ipv4Address source, Ipv4Address destination, int local, IpProtocol protocol, ReadOnlySpan<byte> payload, ReadOnlySpan<byte> original, Instant now)
    {
        switch (protocol)
        {
            case IpProtocol.Icmp:
                ProcessIcmp(source, local, payload, now);
                return;
            case IpProtocol.Udp:
                ProcessUdp(source, destination, local, payload, original, now);
                return;
        }
        Counters.Drop(InterfaceDropReason.UnsupportedProtocol);
        if (_sendProtocolUnreachable) SendUnreachable(source, local, Icmpv4UnreachableCode.ProtocolUnreachable, original, now);
    }

    private void ProcessUdp(Ipv4Address source, Ipv4Address destination, int local, ReadOnlySpan<byte> payload, ReadOnlySpan<byte> original, Instant now)
    {
        var error = UdpPacket.TryParse(payload, out var packet);
        if (error != WireError.None)
        {
            Counters.DropMalformed(error);
            return;
        }
        var pseudoHeader = InternetChecksum.PseudoHeaderSum(source, destination, IpProtocol.Udp, packet.Length);
        if (UdpRepr.Parse(packet, pseudoHeader, out var udp) != WireError.None)
        {
            Counters.Drop(InterfaceDropReason.UdpBadChecksum);
            return;
        }
        if (!_udpPorts.TryGetValue(udp.DestinationPort, out int index))
        {
            Counters.Drop(InterfaceDropReason.NoSocket);
            if (_sendPortUnreachable) SendUnreachable(source, local, Icmpv4UnreachableCode.PortUnreachable, original, now);
            return;
        }
        if (!_udpBindings[index].TryEnqueue(source, udp.SourcePort, packet.Payload))
        {
            Counters.Drop(InterfaceDropReason.UdpQueueFull);
            return;
        }
        Counters.UdpDatagramsReceivedField++;
    }

    private void SendUnreachable(Ipv4Address source, int local, Icmpv4UnreachableCode code, ReadOnlySpan<byte> original, Instant now)
    {
        // RFC 1122 section 3.2.2: no ICMP error about a broadcast, a fragment, or a non-unicast source.
        if (local < 0 || original.IsEmpty || !source.IsUnicast) return;
        if (!_icmpLimiter.TryTake(source, now))
        {
            Counters.IcmpErrorsSuppressedField++;
            return;
        }
        var quote = original.Length > MaxIcmpQuoteLength ? original[..MaxIcmpQuoteLength] : original;
        var error = Icmpv4Repr.DestinationUnreachable(code, quote.Length);
        if (SendIcmp(_addresses[local].Address, source, error, quote, now)) Counters.IcmpErrorsSentField++;
    }

    private void ProcessIcmp(Ipv4Address source, int local, ReadOnlySpan<byte> payload, Instant now)
    {
        var error = Icmpv4Packet.TryParse(payload, out var icmp);
        if (error != WireError.None)
        {
            Counters.DropMalformed(error);
            return;
        }
        if (!icmp.VerifyChecksum())
        {
            Counters.Drop(InterfaceDropReason.BadChecksum);
            return;
        }
        switch (icmp.Type)
        {
            case Icmpv4Type.EchoRequest:
                if (local < 0)
                {
                    Counters.Drop(InterfaceDropReason.BroadcastEcho);
                    return;
                }
                if (!source.IsUnicast)
                {
                    Counters.DropMalformed(WireError.BadAddress);
                    return;
                }
                var data = icmp.Payload;
                var reply = Icmpv4Repr.EchoReply(icmp.Identifier, icmp.SequenceNumber, data.Length);
                if (SendIcmp(_addresses[local].Address, source, reply, data, now)) Counters.EchoRequestsAnsweredField++;
                break;
            case Icmpv4Type.EchoReply:
                if (_echoCount == _echoReplies.Length)
                {
                    Counters.Drop(InterfaceDropReason.EchoReplyQueueFull);
                    return;
                }
                int tail = _echoHead + _echoCount;
                if (tail >= _echoReplies.Length) tail -= _echoReplies.Length;
                _echoReplies[tail] = new EchoReply(source, icmp.Identifier, icmp.SequenceNumber, icmp.Payload.Length, now);
                _echoCount++;
                Counters.EchoRepliesReceivedField++;
                break;
            case Icmpv4Type.DestinationUnreachable:
                Counters.IcmpErrorsReceivedField++;
                if (icmp.Code == (byte)Icmpv4UnreachableCode.FragmentationNeeded) ProcessFragmentationNeeded(icmp, now);
                break;
            case Icmpv4Type.TimeExceeded:
            case Icmpv4Type.ParameterProblem:
            case Icmpv4Type.SourceQuench:
                // Counted only: nothing here keeps per-flow state an error could abort yet.
                Counters.IcmpErrorsReceivedField++;
                break;
            default:
                Counters.Drop(InterfaceDropReason.UnsupportedIcmpType);
                break;
        }
    }

    private void ProcessFragmentationNeeded(Icmpv4Packet icmp, Instant now)
    {
        var error = QuotedIpv4Packet.TryParse(icmp.QuotedDatagram, out var quoted);
        if (error != WireError.None)
        {
            Counters.DropMalformed(error);
            return;
        }
        // Only a report about a packet we sent may narrow a path: anything else is someone else's, or forged.
        if (IndexOfAddress(quoted.Source) < 0 || !quoted.Destination.IsUnicast)
        {
            Counters.Drop(InterfaceDropReason.NotForUs);
            return;
        }
        // Never believe a next-hop MTU at or above the size of the packet it complains about (RFC 1191 section 4).
        int reported = icmp.NextHopMtu;
        if (reported >= quoted.TotalLength && reported != 0) return;
        if (_pathMtu.Update(quoted.Destination, reported, now) != PathMtuUpdateResult.Ignored) Counters.PathMtuUpdatesField++;
    }

    // Routes, resolves and sends one ICMP message; source default means "pick one for the next hop".
    private bool SendIcmp(Ipv4Address source, Ipv4Address destination, in Icmpv4Repr icmp, ReadOnlySpan<byte> payload, Instant now) =>
        SendIpv4(source, destination, IpProtocol.Icmp, icmp.BufferLength, icmp, default, payload, now);

    // Routes, resolves and sends one IPv4 datagram carrying an ICMP message or a UDP datagram (by protocol; the
    // other repr is ignored), fragmenting it when it is larger than the path MTU.
    private bool SendIpv4(Ipv4Address source, Ipv4Address destination, IpProtocol protocol, int upperLength,
        in Icmpv4Repr icmp, in UdpRepr udp, ReadOnlySpan<byte> payload, Instant now)
    {
        if (upperLength > MaxUpperLayerLength)
        {
            Counters.Drop(InterfaceDropReason.PacketTooBig);
            return false;
        }
        if (!_routes.TryLookup(destination, now, out var nextHop))
        {
            Counters.Drop(InterfaceDropReason.NoRoute);
            return false;
        }
        if (source.IsUnspecified) source = SelectSource(nextHop);
        var ip = new Ipv4Repr(source, destination, protocol, upperLength, _timeToLive)
        {
            Identification = _nextIdentification++,
        };
        int packetLength = Ipv4HeaderLength + upperLength;
        // The cache is empty until a router reports a narrower path, and then it answers with at most the link MTU.
        int mtu = _pathMtu.Count == 0 ? _mtu : _pathMtu.GetMtu(destination, now);
        var lookup = _neighbors.Lookup(nextHop, now);
        switch (lookup.Result)
        {
            case NeighborLookupResult.Found:
                if (packetLength > mtu) return SendFragments(lookup.Mac, ip, icmp, udp, payload, mtu);
                if (!TryGetTransmitSlot(out var slot)) return false;
                WriteEthernetHeader(slot, lookup.Mac, EtherType.Ipv4);
                ip.Emit(slot[EthernetHeaderLength..]);
                EmitUpperLayer(slot.Slice(EthernetHeaderLength + Ipv4HeaderLength, upperLength), ip, icmp, udp, payload);
                Commit(slot, EthernetHeaderLength + packetLength);
                return true;
            case NeighborLookupResult.SendRequest:
                SendArpRequest(nextHop, MacAddress.Broadcast);
                return Queue(nextHop, ip, icmp, udp, payload, packetLength, mtu, now);
            case NeighborLookupResult.Pending:
                return Queue(nextHop, ip, icmp, udp, payload, packetLength, mtu, now);
            default:
                Counters.Drop(InterfaceDropReason.NeighborTableFull);
                return false;
        }
    }

    private static void EmitUpperLayer(Span<byte> buffer, in Ipv4Repr ip, in Icmpv4Repr icmp, in UdpRepr udp, ReadOnlySpan<byte> payload)
    {
        if (ip.Protocol == IpProtocol.Udp) udp.Emit(buffer, payload, ip.PseudoHeaderSum());
        else icmp.Emit(buffer, payload);
    }

    // The whole message is built once in a scratch buffer, because its checksum covers every fragment; each
    // fragment is then one header and one copy straight into a transmit slot. All fragments share the datagram's
    // Identification. A fragment that finds the ring full is dropped (and counted), and so is the datagram.
    private bool SendFragments(MacAddress mac, Ipv4Repr ip, in Icmpv4Repr icmp, in UdpRepr udp, ReadOnlySpan<byte> payload, int mtu)
    {
        var message = _datagramScratch.AsSpan(0, ip.PayloadLength);
        EmitUpperLayer(message, ip, icmp, udp, payload);
        foreach (var fragment in Fragmenter.ForIpv4(message.Length, mtu))
        {
            if (!TryGetTransmitSlot(out var slot)) return false;
            ip.PayloadLength = fragment.Length;
            ip.FragmentOffset = fragment.Offset;
            ip.MoreFragments = fragment.MoreFragments;
            WriteEthernetHeader(slot, mac, EtherType.Ipv4);
            ip.Emit(slot[EthernetHeaderLength..]);
            message.Slice(fragment.Offset, fragment.Length).CopyTo(slot[(EthernetHeaderLength + Ipv4HeaderLength)..]);
            Commit(slot, EthernetHeaderLength + Ipv4HeaderLength + fragment.Length);
            Counters.FragmentsSentField++;
        }
        return true;
    }

    private bool Queue(Ipv4Address nextHop, in Ipv4Repr ip, in Icmpv4Repr icmp, in UdpRepr udp, ReadOnlySpan<byte> payload, int packetLength, int mtu, Instant now)
    {
        // Only whole packets wait for resolution: a datagram that needs fragments is dropped (resolution still
        // started, so the next one goes out), which keeps the bounded queue one packet per slot.
        if (packetLength > mtu || packetLength > _scratch.Length)
        {
            Counters.Drop(InterfaceDropReason.PacketTooBig);
            return false;
        }
        var packet = _scratch.AsSpan(0, packetLength);
        ip.Emit(packet);
        EmitUpperLayer(packet[Ipv4HeaderLength..], ip, icmp, udp, payload);
        bool queued = _neighbors.TryQueue(nextHop, packet, now);
        SyncNeighborDrops();
        return queued;
    }

    private void DrainQueue(Ipv4Address neighbor)
    {
        while (_neighbors.TryDequeue(neighbor, out var mac, out var packet))
        {
            // A full ring drops (and counts) this packet; the loop still empties the queue, which is bounded.
            if (!TryGetTransmitSlot(out var slot)) continue;
            WriteEthernetHeader(slot, mac, EtherType.Ipv4);
            packet.CopyTo(slot[EthernetHeaderLength..]);
            Commit(slot, EthernetHeaderLength + packet.Length);
            Counters.QueuedPacketsSentField++;
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
            // Time-exceeded messages for expired datagrams are left for the ICMP-errors slice.
            while (_reassembler.Expire(now, _expired) == _expired.Length) { }
            long timeouts = _reassembler.Ipv4Counters.Timeouts;
            Counters.DroppedField[(int)InterfaceDropReason.ReassemblyTimeout] += timeouts - _seenTimeouts;
            _seenTimeouts = timeouts;
        }
        if (now >= _routes.NextExpiry) _routes.RemoveExpired(now);
        if (now >= _pathMtu.NextExpiry) _pathMtu.RemoveExpired(now);
    }

    private void SyncNeighborDrops()
    {
        var counters = _neighbors.Counters;
        long queueFull = counters.PacketsDroppedQueueFull;
        long unresolved = counters.PacketsDroppedUnresolved;
        long tooLong = counters.PacketsDroppedTooLong;
        Counters.DroppedField[(int)InterfaceDropReason.NeighborQueueFull] += queueFull - _seenQueueFull;
        Counters.DroppedField[(int)InterfaceDropReason.NeighborUnresolved] += unresolved - _seenUnresolved;
        Counters.DroppedField[(int)InterfaceDropReason.PacketTooBig] += tooLong - _seenTooLong;
        _seenQueueFull = queueFull;
        _seenUnresolved = unresolved;
        _seenTooLong = tooLong;
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

    private void WriteEthernetHeader(Span<byte> slot, MacAddress destination, EtherType etherType) =>
        new EthernetRepr { Destination = destination, Source = _mac, EtherType = etherType }.Emit(slot);

    private bool TryGetTransmitSlot(out Span<byte> slot)
    {
        if (_device.TryGetTransmitSlot(out slot)) return true;
        // A full ring is usually just unflushed: publish what is there and try once more.
        _device.Flush();
        if (_device.TryGetTransmitSlot(out slot)) return true;
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
    }

    private int IndexOfAddress(Ipv4Address address)
    {
        var addresses = _addresses;
        for (int i = 0; i < addresses.Length; i++)
            if (addresses[i].Address == address) return i;
        return -1;
    }

    private bool IsBroadcastFor(Ipv4Address address)
    {
        if (address.IsBroadcast) return true;
        var addresses = _addresses;
        for (int i = 0; i < addresses.Length; i++)
            if (addresses[i].PrefixLength < 31 && addresses[i].SubnetBroadcast == address) return true;
        return false;
    }

    private Ipv4Address SelectSource(Ipv4Address nextHop)
    {
        var addresses = _addresses;
        for (int i = 0; i < addresses.Length; i++)
            if (addresses[i].Address.IsInSameSubnet(nextHop, addresses[i].PrefixLength)) return addresses[i].Address;
        return addresses[0].Address;
    }
}
