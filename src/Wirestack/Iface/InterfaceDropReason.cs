namespace Wirestack.Iface;

/// <summary>Why an <see cref="Interface"/> dropped a received frame or a packet it was about to send.</summary>
public enum InterfaceDropReason
{
    /// <summary>A header did not parse; <see cref="InterfaceCounters.Malformed"/> breaks these down by <see cref="Wire.WireError"/>.</summary>
    Malformed,
    /// <summary>An IPv4 header or ICMP checksum did not verify (UDP checksums are <see cref="UdpBadChecksum"/>).</summary>
    BadChecksum,
    /// <summary>Addressed to another host: another MAC, another IPv4 address, or an ARP packet about other hosts.</summary>
    NotForUs,
    /// <summary>An EtherType this interface does not handle (VLAN-tagged frames, IPv6 when it is off, anything else).</summary>
    UnsupportedEtherType,
    /// <summary>An IPv4 payload protocol nothing here handles (an ICMP protocol-unreachable may have been sent).</summary>
    UnsupportedProtocol,
    /// <summary>An ICMP message type nothing here handles.</summary>
    UnsupportedIcmpType,
    /// <summary>An echo request sent to a broadcast address: ignored, as Linux does by default (icmp_echo_ignore_broadcasts).</summary>
    BroadcastEcho,
    /// <summary>A fragment the reassembler rejected (bad length, overlap, inconsistent end, too many fragments).</summary>
    BadFragment,
    /// <summary>A fragment the reassembler had no room for (pool full, datagram larger than its buffers).</summary>
    ReassemblyFull,
    /// <summary>A datagram whose fragments did not all arrive in time.</summary>
    ReassemblyTimeout,
    /// <summary>No route to the destination, or a destination the interface does not send to (ourselves, loopback, a family the binding or interface lacks).</summary>
    NoRoute,
    /// <summary>The neighbour table was full of entries still resolving, so no resolution could start.</summary>
    NeighborTableFull,
    /// <summary>A packet waiting for its neighbour was pushed out of the bounded queue (or found it full).</summary>
    NeighborQueueFull,
    /// <summary>A packet waiting for its neighbour was dropped because resolution failed after its retries.</summary>
    NeighborUnresolved,
    /// <summary>
    /// A packet too large to send: an IPv4 datagram over 65535 bytes, or one that needs fragmenting while its
    /// next hop is still being resolved (only whole packets up to the neighbour queue's packet size wait for ARP).
    /// </summary>
    PacketTooBig,
    /// <summary>The device's transmit ring stayed full after a flush.</summary>
    TransmitRingFull,
    /// <summary>An echo reply arrived while the bounded echo-reply queue was full.</summary>
    EchoReplyQueueFull,
    /// <summary>A UDP datagram to a port nothing is bound to (an ICMP port unreachable may have been sent).</summary>
    NoSocket,
    /// <summary>A UDP datagram for a binding whose receive ring had no room for it.</summary>
    UdpQueueFull,
    /// <summary>A UDP datagram whose length field or checksum did not verify.</summary>
    UdpBadChecksum,
    /// <summary>An incomplete datagram pushed out of the full reassembly pool to make room for a newer one (counted once per datagram).</summary>
    ReassemblyEvicted,
    /// <summary>
    /// A neighbour discovery message that failed RFC 4861 validation: hop limit not 255, a router advertisement from
    /// a non-link-local source, a solicitation from :: to a non-solicited-node group or with a link-layer address.
    /// </summary>
    NdpInvalid,
    /// <summary>An MLD query that failed RFC 3810 validation (hop limit not 1, or a source that is not link-local).</summary>
    MldInvalid,
    /// <summary>An IPv6 option whose type is unknown and whose action bits say discard (a parameter problem may have been sent).</summary>
    UnknownIpv6Option,
    /// <summary>An IPv6 extension header this host does not process (a routing header with segments left; a parameter problem was sent).</summary>
    UnsupportedExtensionHeader,
    /// <summary>A router advertisement offered a prefix for an address, but the interface's IPv6 address table was full.</summary>
    Ipv6AddressTableFull,
    /// <summary>
    /// A UDP datagram to a broadcast address from a binding without <see cref="UdpBindFlags.AllowBroadcast"/> (as
    /// <c>sendto</c> fails with EACCES without SO_BROADCAST).
    /// </summary>
    BroadcastNotAllowed,
    /// <summary>A UDP datagram to a multicast group that no binding on its port has joined.</summary>
    NotJoined,
    /// <summary>
    /// An IGMP message that failed RFC 3376 validation: a general query not sent to 224.0.0.1, a group-specific query
    /// sent elsewhere than its group or 224.0.0.1, or a message type hosts do not handle.
    /// </summary>
    IgmpInvalid,
    /// <summary>A UDP datagram that found the transmit ring full and its binding's send queue without room for it.</summary>
    UdpSendQueueFull,
    /// <summary>A UDP datagram still waiting in its binding's send queue when the binding was closed.</summary>
    UdpSendQueueDiscarded,
    /// <summary>A TCP segment whose checksum did not verify.</summary>
    TcpBadChecksum,
    /// <summary>A TCP segment outside the receive window (a duplicate, or too far ahead); it was answered with an ACK.</summary>
    TcpOutOfWindow,
    /// <summary>A TCP segment with an old timestamp (RFC 7323 PAWS); it was answered with an ACK.</summary>
    TcpPaws,
    /// <summary>A TCP segment without ACK on a synchronized connection.</summary>
    TcpNoAck,
    /// <summary>TCP data beyond a gap that could not be kept: every out-of-order range slot was taken.</summary>
    TcpOutOfOrderFull,
    /// <summary>A SYN for a listener whose SYN and accept queues were full (its backlog).</summary>
    TcpListenQueueFull,
    /// <summary>A SYN or connect that found every connection slot taken.</summary>
    TcpConnectionTableFull,
    /// <summary>A TCP segment to a broadcast or multicast address, or from a source that cannot be answered.</summary>
    TcpBadAddress,
    /// <summary>
    /// A UDP super-datagram (<see cref="Nic.FrameOffload.UdpSegments"/>: the kernel's UDP GSO or GRO) whose datagram
    /// size was 0, so it could not be taken apart into the datagrams it carries.
    /// </summary>
    UdpBadSegmentation,
}
