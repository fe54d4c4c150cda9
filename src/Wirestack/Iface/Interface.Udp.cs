using Wirestack.Ip;
using Wirestack.Link;
using Wirestack.Nic;
using Wirestack.Wire;

namespace Wirestack.Iface;

// UDP bindings: bind, send, receive, close, and demultiplexing received datagrams to them.
public sealed partial class Interface
{
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
    public bool TrySendUdp(UdpHandle handle, IpAddress destination, ushort destinationPort, ReadOnlySpan<byte> data, Instant now)
    {
        if (!TryGetBinding(handle, out var binding)) return false;
        if (destinationPort == 0)
        {
            Counters.Drop(InterfaceDropReason.NoRoute);
            return false;
        }
        if (!SendUdpDatagram(binding, destination, destinationPort, data, now)) return false;
        Counters.UdpDatagramsSentField++;
        return true;
    }

    // Sends one datagram from a binding by the destination's family; the caller has checked the handle and port.
    private bool SendUdpDatagram(UdpBinding binding, IpAddress destination, ushort destinationPort, ReadOnlySpan<byte> data, Instant now)
    {
        if (destination.IsIpv6) return SendUdpIpv6(binding, destination.AsIpv6, destinationPort, data, now);
        var v4 = destination.AsIpv4;
        if (!v4.IsUnicast || v4.IsLoopback || IndexOfAddress(v4) >= 0 || IsBroadcastFor(v4))
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
        return SendIpv4(default, v4, IpProtocol.Udp, udp.BufferLength, default, udp, data, now);
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
        var udp = new UdpRepr(binding.Port, destinationPort, data.Length);
        // Multicast stays on the link unless asked otherwise, as IPV6_MULTICAST_HOPS defaults to 1.
        byte hopLimit = destination.IsMulticast ? (byte)1 : _ipv6HopLimit;
        return SendIpv6(default, destination, IpProtocol.Udp, udp.BufferLength, Ipv6Upper.Udp, default, udp, data, hopLimit, now);
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

    // Validates a received UDP datagram and queues it on the binding for its port. Returns false only when no
    // binding wants it, so that the caller can answer with its family's port unreachable; every other outcome is
    // counted here.
    private bool ProcessUdp(IpAddress source, IpAddress destination, ReadOnlySpan<byte> payload)
    {
        var error = UdpPacket.TryParse(payload, out var packet);
        if (error != WireError.None)
        {
            Counters.DropMalformed(error);
            return true;
        }
        var pseudoHeader = InternetChecksum.PseudoHeaderSum(source, destination, IpProtocol.Udp, packet.Length);
        if (UdpRepr.Parse(packet, pseudoHeader, out var udp) != WireError.None)
        {
            Counters.Drop(InterfaceDropReason.UdpBadChecksum);
            return true;
        }
        if (!_udpPorts.TryGetValue(udp.DestinationPort, out int index))
        {
            Counters.Drop(InterfaceDropReason.NoSocket);
            return false;
        }
        if (!_udpBindings[index].TryEnqueue(source, udp.SourcePort, packet.Payload))
        {
            Counters.Drop(InterfaceDropReason.UdpQueueFull);
            return true;
        }
        Counters.UdpDatagramsReceivedField++;
        return true;
    }
}
