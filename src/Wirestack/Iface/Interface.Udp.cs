using Wirestack.Ip;
using Wirestack.Link;
using Wirestack.Nic;
using Wirestack.Wire;

namespace Wirestack.Iface;

// UDP bindings: bind, send, receive, close, and demultiplexing received datagrams to them.
public sealed partial class Interface
{
    /// <summary>
    /// Opens a UDP binding on <paramref name="port"/> for every address of the interface (both families), with a
    /// receive ring of <see cref="InterfaceOptions.UdpReceiveBufferLength"/> bytes taken from memory allocated at
    /// construction. The same as <see cref="TryBindUdp(IpEndpoint, UdpBindFlags, out UdpHandle)"/> with <c>[::]:port</c>
    /// and no flags.
    /// </summary>
    /// <param name="port">The local port; 0 picks a free one from the ephemeral range 49152–65535.</param>
    /// <param name="handle">The binding, for sending, receiving and closing.</param>
    /// <returns>False when the port is taken, no ephemeral port is free, or all bindings are in use.</returns>
    public bool TryBindUdp(ushort port, out UdpHandle handle) =>
        TryBindUdp(new IpEndpoint(IpAddress.AnyIpv6, port), UdpBindFlags.None, out handle);

    /// <summary>
    /// Opens a UDP binding on a local address and port. The address may be <c>::</c> (every address of both
    /// families), <c>0.0.0.0</c> (every IPv4 address), one of the interface's unicast addresses of either family (only
    /// datagrams sent to it), a multicast group (only datagrams to that group, once joined with
    /// <see cref="TryJoinUdpMulticastGroup"/>), or an IPv4 broadcast address (only datagrams sent to it).
    /// </summary>
    /// <param name="local">The local address and port; port 0 picks a free one from the ephemeral range 49152–65535.</param>
    /// <param name="flags">
    /// <see cref="UdpBindFlags.ReuseAddress"/> to share the port with other bindings that ask for it too (several
    /// receivers of one group); <see cref="UdpBindFlags.AllowBroadcast"/> to send to broadcast addresses.
    /// </param>
    /// <param name="handle">The binding, for sending, receiving and closing.</param>
    /// <returns>
    /// False when the address is not one of those above, a binding on the port overlaps it (the same address, or
    /// either is a wildcard that covers the other) and not both ask for <see cref="UdpBindFlags.ReuseAddress"/>, no
    /// ephemeral port is free, or all bindings are in use.
    /// </returns>
    public bool TryBindUdp(IpEndpoint local, UdpBindFlags flags, out UdpHandle handle)
    {
        handle = default;
        var address = local.Address;
        if (!IsBindableUdpAddress(address)) return false;
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
        ushort port = local.Port;
        int head = -1;
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
        else if (_udpPorts.TryGetValue(port, out head))
        {
            bool reuse = (flags & UdpBindFlags.ReuseAddress) != 0;
            for (int i = head; i >= 0; i = _udpBindings[i].NextOnPort)
            {
                var other = _udpBindings[i];
                if (Overlaps(other.LocalAddress, address) && !(reuse && other.ReuseAddress)) return false;
            }
        }
        else
        {
            head = -1;
        }
        var binding = _udpBindings[index];
        binding.Open(new IpEndpoint(address, port), flags, _multicastTimeToLive);
        // The newest binding goes first: among equally specific ones it takes unicast datagrams.
        binding.NextOnPort = head;
        _udpPorts[port] = index;
        handle = new UdpHandle(index, binding.Generation);
        return true;
    }

    /// <summary>
    /// Whether a UDP binding may take <paramref name="address"/>: a wildcard, one of the interface's unicast addresses,
    /// a multicast group, or an IPv4 broadcast address of one of its subnets.
    /// </summary>
    public bool IsBindableUdpAddress(IpAddress address)
    {
        if (address.IsUnspecified || address.IsMulticast) return true;
        if (address.IsIpv4) return IndexOfAddress(address.AsIpv4) >= 0 || IsBroadcastFor(address.AsIpv4);
        return IndexOfIpv6Address(address.AsIpv6) >= 0;
    }

    // Two local addresses overlap when one binding could take a datagram the other could: the same address, or a
    // wildcard that covers the other's family.
    private static bool Overlaps(IpAddress a, IpAddress b) =>
        a == b || a == IpAddress.AnyIpv6 || b == IpAddress.AnyIpv6
        || (a == IpAddress.AnyIpv4 && b.IsIpv4) || (b == IpAddress.AnyIpv4 && a.IsIpv4);

    /// <summary>The local address and port of an open binding; <c>default</c> when <paramref name="handle"/> is closed or not one of ours.</summary>
    public IpEndpoint GetUdpLocalEndpoint(UdpHandle handle) =>
        TryGetBinding(handle, out var binding) ? new IpEndpoint(binding.LocalAddress, binding.Port) : default;

    /// <summary>The local port of an open binding; 0 when <paramref name="handle"/> is closed or not one of ours.</summary>
    public ushort GetUdpPort(UdpHandle handle) => TryGetBinding(handle, out var binding) ? binding.Port : (ushort)0;

    /// <summary>Datagrams waiting on an open binding; 0 when <paramref name="handle"/> is closed or not one of ours.</summary>
    public int PendingUdpDatagrams(UdpHandle handle) => TryGetBinding(handle, out var binding) ? binding.Count : 0;

    /// <summary>
    /// Closes a binding: its port is free again (unless other bindings share it), datagrams still queued on it are
    /// discarded, and the multicast groups it joined are left (the interface announces a leave at the next poll for
    /// each group no other binding holds).
    /// </summary>
    /// <returns>False when <paramref name="handle"/> was already closed or is not one of ours.</returns>
    public bool CloseUdp(UdpHandle handle)
    {
        if (!TryGetBinding(handle, out var binding)) return false;
        var groups = binding.Groups;
        for (int i = 0; i < groups.Length; i++) LeaveMulticastGroup(groups[i], _lastPoll);
        UnlinkFromPort(handle.Index, binding);
        DiscardSendQueue(handle.Index);
        binding.Close();
        return true;
    }

    private void UnlinkFromPort(int index, UdpBinding binding)
    {
        ref int head = ref System.Runtime.InteropServices.CollectionsMarshal.GetValueRefOrNullRef(_udpPorts, binding.Port);
        if (head == index)
        {
            if (binding.NextOnPort < 0) _udpPorts.Remove(binding.Port);
            else head = binding.NextOnPort;
            return;
        }
        for (int i = head; i >= 0; i = _udpBindings[i].NextOnPort)
        {
            if (_udpBindings[i].NextOnPort != index) continue;
            _udpBindings[i].NextOnPort = binding.NextOnPort;
            return;
        }
    }

    /// <summary>
    /// Sends a UDP datagram from the binding's port: routes and resolves <paramref name="destination"/> and writes
    /// the headers straight into a transmit slot, copying <paramref name="data"/> once with the checksum (over the
    /// pseudo-header) folded into the copy. A datagram larger than the path MTU is built once and sent in IPv4
    /// fragments. While the next hop is being resolved an unfragmented datagram waits in the ARP cache's queue.
    /// A multicast datagram goes to the group's Ethernet address (01:00:5e… or 33:33…) without resolution, with the
    /// binding's multicast TTL; a broadcast one to ff:ff:ff:ff:ff:ff, only from a binding with
    /// <see cref="UdpBindFlags.AllowBroadcast"/>. Either is also queued on this interface's own bindings that would
    /// take it off the wire (those that joined the group, or wildcard bindings for a broadcast), the sender
    /// included, as Linux loops them back by default.
    /// </summary>
    /// <param name="handle">An open binding.</param>
    /// <param name="destination">A unicast address that is not ours, a multicast group, or an IPv4 broadcast address.</param>
    /// <param name="destinationPort">The destination port (not 0).</param>
    /// <param name="data">The payload; at most 65507 bytes.</param>
    /// <param name="now">The current time.</param>
    /// <returns>True when the datagram was written or queued; false when it was dropped (and counted) or the handle is closed.</returns>
    public bool TrySendUdp(UdpHandle handle, IpAddress destination, ushort destinationPort, ReadOnlySpan<byte> data, Instant now)
    {
        if (!TryGetBinding(handle, out var binding)) return false;
        if (destinationPort == 0)
        {
            Counters.Drop(InterfaceDropReason.NoRoute);
            return false;
        }
        return SendOrQueueUdp(handle.Index, binding, destination, destinationPort, data, now);
    }

    // Sends one datagram from a binding by the destination's family; the caller has checked the handle and port.
    // A binding on one of our unicast addresses sends from it; a wildcard (or group) binding lets the route choose.
    private bool SendUdpDatagram(UdpBinding binding, IpAddress destination, ushort destinationPort, ReadOnlySpan<byte> data, Instant now)
    {
        var local = binding.LocalAddress;
        if (!binding.IsWildcardFor(destination) && local.IsIpv4 != destination.IsIpv4)
        {
            Counters.Drop(InterfaceDropReason.NoRoute);
            return false;
        }
        if (destination.IsIpv6) return SendUdpIpv6(binding, destination.AsIpv6, destinationPort, data, now);
        var v4 = destination.AsIpv4;
        byte timeToLive = 0;
        if (v4.IsMulticast)
        {
            timeToLive = binding.MulticastTimeToLive;
        }
        else if (IsBroadcastFor(v4))
        {
            if (!binding.AllowBroadcast)
            {
                Counters.Drop(InterfaceDropReason.BroadcastNotAllowed);
                return false;
            }
        }
        else if (!v4.IsUnicast || v4.IsLoopback || IndexOfAddress(v4) >= 0)
        {
            Counters.Drop(InterfaceDropReason.NoRoute);
            return false;
        }
        if (data.Length > MaxUpperLayerLength - UdpPacket.HeaderLength)
        {
            Counters.Drop(InterfaceDropReason.PacketTooBig);
            return false;
        }
        var source = local.IsIpv4 && IndexOfAddress(local.AsIpv4) >= 0 ? local.AsIpv4 : default;
        var udp = new UdpRepr(binding.Port, destinationPort, data.Length);
        bool loop = v4.IsMulticast || IsBroadcastFor(v4);
        // A group or broadcast datagram also reaches our own bindings (IP_MULTICAST_LOOP's default, and Linux's
        // broadcast loopback): the source it carries is chosen here so that the looped copy names it too.
        if (loop && source.IsUnspecified && _addresses.Length > 0) source = SelectDirectSource(v4);
        if (!SendIpv4(source, v4, IpProtocol.Udp, udp.BufferLength, default, udp, data, now, timeToLive)) return false;
        if (loop) LoopBackUdp(source, binding.Port, v4, destinationPort, data);
        return true;
    }

    private bool SendUdpIpv6(UdpBinding binding, Ipv6Address destination, ushort destinationPort, ReadOnlySpan<byte> data, Instant now)
    {
        if (!_ipv6Enabled || destination.IsUnspecified || destination.IsLoopback || IndexOfIpv6Address(destination) >= 0)
        {
            Counters.Drop(InterfaceDropReason.NoRoute);
            return false;
        }
        if (data.Length > MaxUpperLayerLength - UdpPacket.HeaderLength)
        {
            Counters.Drop(InterfaceDropReason.PacketTooBig);
            return false;
        }
        var local = binding.LocalAddress;
        var source = local.IsIpv6 && !local.IsUnspecified && !local.IsMulticast ? local.AsIpv6 : default;
        var udp = new UdpRepr(binding.Port, destinationPort, data.Length);
        bool multicast = destination.IsMulticast;
        if (multicast && source.IsUnspecified) source = SelectIpv6Source(destination, now);
        // Multicast stays on the link unless asked otherwise, as IPV6_MULTICAST_HOPS defaults to 1.
        byte hopLimit = multicast ? binding.MulticastTimeToLive : _ipv6HopLimit;
        if (!SendIpv6(source, destination, IpProtocol.Udp, udp.BufferLength, Ipv6Upper.Udp, default, udp, data, hopLimit, now)) return false;
        if (multicast) LoopBackUdp(source, binding.Port, destination, destinationPort, data);
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
    public bool TryReceiveUdp(UdpHandle handle, Span<byte> buffer, out int length, out IpAddress source, out ushort sourcePort)
    {
        if (TryGetBinding(handle, out var binding)) return binding.TryDequeue(buffer, out length, out source, out sourcePort);
        length = 0;
        source = default;
        sourcePort = 0;
        return false;
    }

    /// <summary>
    /// The payload length of the oldest datagram queued on a binding, so a caller can make room before
    /// <see cref="TryReceiveUdp"/>; -1 when nothing is waiting or the handle is closed.
    /// </summary>
    public int PeekUdpLength(UdpHandle handle) => TryGetBinding(handle, out var binding) ? binding.PeekLength() : -1;

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
}
