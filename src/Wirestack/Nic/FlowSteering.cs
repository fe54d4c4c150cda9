using System.Buffers.Binary;
using Wirestack.Wire;

namespace Wirestack.Nic;

/// <summary>
/// Decides which shard (receive queue) a frame belongs to, the way a NIC's receive-side scaling does: TCP and UDP
/// over IPv4 or IPv6 by the Toeplitz hash of the 4-tuple looked up in an indirection table; what has no flow goes to
/// one designated shard, and what every shard needs goes to all of them.
/// </summary>
/// <remarks>
/// <para>
/// The hash input is the NIC's: source address, destination address, source port, destination port, in network
/// order, with Microsoft's key by default, and the indirection table maps the hash's low 7 bits to a shard round
/// robin, as drivers set it up. So with a NIC doing RSS with the same key and table, this class predicts the queue
/// a flow arrives on; that is what lets an outgoing connection pick a local port whose replies come back to the
/// connecting shard (<see cref="ShardOf"/>).
/// </para>
/// <para>
/// <see cref="Symmetric"/> orders the two endpoints before hashing, so both directions of a flow land on the same
/// shard; an endpoint only ever receives one direction, so it is off by default, which keeps the NIC's hash.
/// </para>
/// <para>
/// <see cref="ForKernelQueues"/> makes the other kind: the hash Wirestack's kernel steering program computes for the
/// queues of a multi-queue TAP device or the sockets of an AF_PACKET fanout group (<see cref="FlowHashFunction.SymmetricFold"/>),
/// taken modulo the shard count; frames that program cannot hash (anything but TCP and UDP over IPv4 or over IPv6 without
/// extension headers, fragments, and frames with a VLAN tag) go to <see cref="ControlShard"/>.
/// </para>
/// <para>
/// Frames without a flow: ARP (requests and replies), neighbour solicitations and advertisements, and ICMP errors
/// (unreachable, packet too big, time exceeded, parameter problem) go to every shard: each shard has its own
/// neighbour and path-MTU caches, a reply answers whichever shard asked, and a request fills every shard's cache with
/// the asker, whose flows may land on any shard (a cold cache would cost each shard a round trip and the datagrams it
/// queues meanwhile). Only the control shard answers a request (<see cref="Iface.InterfaceOptions.AnswersNeighborRequests"/>),
/// so the asker gets one reply. Echo, router advertisements, IGMP and MLD queries, IP fragments and
/// IPv6 packets with extension headers go to <see cref="ControlShard"/> only (fragments carry no ports to hash).
/// </para>
/// </remarks>
public sealed class FlowSteering
{
    /// <summary>What <see cref="Classify"/> returns for a frame every shard receives.</summary>
    public const int AllShards = -1;

    /// <summary>Entries in the indirection table (the hash's low 7 bits pick one), as on most NICs.</summary>
    public const int IndirectionTableSize = 128;

    /// <summary>The constant <see cref="FlowHashFunction.SymmetricFold"/> multiplies by: 2^32 over the golden ratio, which spreads every input bit over the upper half.</summary>
    public const uint FoldMultiplier = 0x9E3779B1;

    private readonly ToeplitzHash _hash;
    private readonly byte[] _indirection = new byte[IndirectionTableSize];
    private readonly bool _fold;

    /// <summary>Steers flows over <paramref name="shardCount"/> shards with the standard RSS key and a round-robin table.</summary>
    /// <param name="shardCount">1 to 64.</param>
    /// <param name="hash">The Toeplitz hash with the NIC's key; null for <see cref="ToeplitzHash.Microsoft"/>.</param>
    /// <param name="symmetric">Whether both directions of a flow hash alike (see remarks).</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="shardCount"/> is out of range.</exception>
    public FlowSteering(int shardCount, ToeplitzHash? hash = null, bool symmetric = false)
    {
        if (shardCount is < 1 or > 64)
            throw new ArgumentOutOfRangeException(nameof(shardCount), shardCount, "A sharded stack has 1 to 64 shards.");
        ShardCount = shardCount;
        _hash = hash ?? ToeplitzHash.Microsoft;
        Symmetric = symmetric;
        for (int i = 0; i < IndirectionTableSize; i++) _indirection[i] = (byte)(i % shardCount);
    }

    private FlowSteering(int shardCount)
        : this(shardCount, null, symmetric: true)
    {
        _fold = true;
    }

    /// <summary>
    /// Steers flows over <paramref name="shardCount"/> kernel queues as Wirestack's steering program does
    /// (<see cref="FlowHashFunction.SymmetricFold"/>): the queues of a multi-queue TAP device, or the sockets of an
    /// AF_PACKET fanout group. The shard is the hash modulo <paramref name="shardCount"/>; there is no indirection table.
    /// </summary>
    /// <param name="shardCount">1 to 64.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="shardCount"/> is out of range.</exception>
    public static FlowSteering ForKernelQueues(int shardCount) => new(shardCount);

    /// <summary>Which hash this steering computes, and so whether shards come from the indirection table or the hash modulo the count.</summary>
    public FlowHashFunction HashFunction => _fold ? FlowHashFunction.SymmetricFold : FlowHashFunction.Toeplitz;

    /// <summary>How many shards flows are spread over.</summary>
    public int ShardCount { get; }

    /// <summary>Whether the endpoints are ordered before hashing, so both directions of a flow agree.</summary>
    public bool Symmetric { get; }

    /// <summary>The shard that takes frames without a flow (ARP and neighbour requests, echo, fragments).</summary>
    public int ControlShard => 0;

    /// <summary>
    /// Replaces the indirection table, for example with the one a NIC reports (<c>ethtool -x</c>). Call it before
    /// traffic flows: the steering is read without locks.
    /// </summary>
    /// <exception cref="ArgumentException">The table is not <see cref="IndirectionTableSize"/> entries, or names a shard that does not exist.</exception>
    /// <exception cref="InvalidOperationException">The steering is <see cref="FlowHashFunction.SymmetricFold"/>, which has no table.</exception>
    public void SetIndirectionTable(ReadOnlySpan<byte> table)
    {
        if (_fold)
            throw new InvalidOperationException("Steering for kernel queues picks the shard as the hash modulo the shard count; it has no indirection table to set.");
        if (table.Length != IndirectionTableSize)
            throw new ArgumentException($"The indirection table has {table.Length} entries; it needs {IndirectionTableSize}.", nameof(table));
        for (int i = 0; i < table.Length; i++)
            if (table[i] >= ShardCount)
                throw new ArgumentException($"Indirection table entry {i} names shard {table[i]}, but there are {ShardCount}.", nameof(table));
        table.CopyTo(_indirection);
    }

    /// <summary>
    /// The hash of a flow as a frame from <paramref name="source"/> to <paramref name="destination"/> carries it: the
    /// Toeplitz hash, or for <see cref="FlowHashFunction.SymmetricFold"/> the 16-bit fold (the same both ways).
    /// </summary>
    /// <exception cref="ArgumentException">The addresses are of different families.</exception>
    public uint Hash(IpAddress source, ushort sourcePort, IpAddress destination, ushort destinationPort)
    {
        if (source.IsIpv4 != destination.IsIpv4)
            throw new ArgumentException($"A flow's addresses share a family: {source} and {destination} do not.", nameof(destination));
        Span<byte> tuple = stackalloc byte[ToeplitzHash.MaxInputLength];
        int length;
        if (source.IsIpv4)
        {
            source.AsIpv4.WriteTo(tuple);
            destination.AsIpv4.WriteTo(tuple[4..]);
            length = 8;
        }
        else
        {
            source.AsIpv6.WriteTo(tuple);
            destination.AsIpv6.WriteTo(tuple[16..]);
            length = 32;
        }
        if (_fold) return Fold(tuple[..length], sourcePort, destinationPort);
        BinaryPrimitives.WriteUInt16BigEndian(tuple[length..], sourcePort);
        BinaryPrimitives.WriteUInt16BigEndian(tuple[(length + 2)..], destinationPort);
        return HashTuple(tuple[..(length + 4)], length / 2);
    }

    /// <summary>
    /// <see cref="FlowHashFunction.SymmetricFold"/> of a flow: every 32-bit word of the two addresses
    /// (<paramref name="addresses"/>, source then destination, network order) and the two ports exclusive-ored, times
    /// <see cref="FoldMultiplier"/> modulo 2^32, upper 16 bits. Exclusive-or does not care about order, so both
    /// directions agree; 16 bits because the TAP driver truncates the program's answer to 16 bits before its modulo.
    /// </summary>
    /// <param name="addresses">8 bytes (IPv4) or 32 bytes (IPv6).</param>
    /// <param name="sourcePort">One port.</param>
    /// <param name="destinationPort">The other port.</param>
    public static uint Fold(ReadOnlySpan<byte> addresses, ushort sourcePort, ushort destinationPort)
    {
        uint x = (uint)(sourcePort ^ destinationPort);
        for (int i = 0; i + 4 <= addresses.Length; i += 4) x ^= BinaryPrimitives.ReadUInt32BigEndian(addresses[i..]);
        return (x * FoldMultiplier) >> 16;
    }

    /// <summary>
    /// The shard that receives the frames of a flow from <paramref name="source"/> to <paramref name="destination"/>:
    /// for a connection we open, the source is the peer and the destination is us.
    /// </summary>
    public int ShardOf(IpAddress source, ushort sourcePort, IpAddress destination, ushort destinationPort)
    {
        uint hash = Hash(source, sourcePort, destination, destinationPort);
        return _fold ? (int)(hash % (uint)ShardCount) : _indirection[hash & (IndirectionTableSize - 1)];
    }

    /// <summary>The shard <paramref name="frame"/> (an Ethernet frame) goes to, or <see cref="AllShards"/>.</summary>
    /// <remarks>Never throws: a frame too short or malformed to classify goes to <see cref="ControlShard"/>, whose stack drops and counts it.</remarks>
    public int Classify(ReadOnlySpan<byte> frame)
    {
        if (frame.Length < 14) return ControlShard;
        int offset = 12;
        ushort etherType = BinaryPrimitives.ReadUInt16BigEndian(frame[offset..]);
        if (etherType == 0x8100 && frame.Length >= 18)
        {
            // The kernel's steering program sends tagged frames to queue 0 (it hashes no VLAN).
            if (_fold) return ControlShard;
            offset += 4;
            etherType = BinaryPrimitives.ReadUInt16BigEndian(frame[offset..]);
        }
        offset += 2;
        var packet = frame[offset..];
        switch (etherType)
        {
            case 0x0800:
                return ClassifyIpv4(packet);
            case 0x86DD:
                return ClassifyIpv6(packet);
            case 0x0806:
                // Requests and replies alike: each shard learns the sender from either (see remarks).
                return AllShards;
            default:
                return ControlShard;
        }
    }

    /// <summary>
    /// Whether <paramref name="frame"/> is one every shard needs (ARP, neighbour discovery, ICMP errors), without
    /// hashing: what a shard that received it from a NIC queue passes on to the others.
    /// </summary>
    public bool IsForAllShards(ReadOnlySpan<byte> frame)
    {
        if (frame.Length < 14) return false;
        int offset = 12;
        ushort etherType = BinaryPrimitives.ReadUInt16BigEndian(frame[offset..]);
        if (etherType == 0x8100 && frame.Length >= 18)
        {
            offset += 4;
            etherType = BinaryPrimitives.ReadUInt16BigEndian(frame[offset..]);
        }
        var packet = frame[(offset + 2)..];
        return etherType switch
        {
            0x0806 => true,
            0x0800 => packet.Length >= 20 && packet[9] == 1 && ClassifyIpv4(packet) == AllShards,
            0x86DD => packet.Length >= 44 && packet[6] == 58 && ClassifyIpv6(packet) == AllShards,
            _ => false,
        };
    }

    private int ClassifyIpv4(ReadOnlySpan<byte> packet)
    {
        if (packet.Length < 20 || packet[0] >> 4 != 4) return ControlShard;
        int headerLength = (packet[0] & 0xF) * 4;
        if (headerLength < 20 || packet.Length < headerLength + 4) return ControlShard;
        byte protocol = packet[9];
        // More fragments, or an offset: only the first fragment has ports, so fragments go to one shard whole.
        bool fragment = (BinaryPrimitives.ReadUInt16BigEndian(packet[6..]) & 0x3FFF) != 0;
        if (fragment) return ControlShard;
        if (protocol is 6 or 17)
        {
            if (_fold) return FoldShard(packet.Slice(12, 8), packet[headerLength..]);
            Span<byte> tuple = stackalloc byte[12];
            packet.Slice(12, 8).CopyTo(tuple);
            packet.Slice(headerLength, 4).CopyTo(tuple[8..]);
            return Lookup(HashTuple(tuple, 4));
        }
        if (protocol == 1)
        {
            byte type = packet[headerLength];
            return type is 3 or 11 or 12 ? AllShards : ControlShard;
        }
        return ControlShard;
    }

    private int ClassifyIpv6(ReadOnlySpan<byte> packet)
    {
        if (packet.Length < 44 || packet[0] >> 4 != 6) return ControlShard;
        byte next = packet[6];
        if (next is 6 or 17)
        {
            if (_fold) return FoldShard(packet.Slice(8, 32), packet[40..]);
            Span<byte> tuple = stackalloc byte[36];
            packet.Slice(8, 32).CopyTo(tuple);
            packet.Slice(40, 4).CopyTo(tuple[32..]);
            return Lookup(HashTuple(tuple, 16));
        }
        if (next == 58)
        {
            byte type = packet[40];
            // Errors (1-4) concern a flow's path; neighbour solicitations (135) and advertisements (136) fill every
            // shard's neighbour cache.
            return type is >= 1 and <= 4 or 135 or 136 ? AllShards : ControlShard;
        }
        return ControlShard;
    }

    private int FoldShard(ReadOnlySpan<byte> addresses, ReadOnlySpan<byte> ports) =>
        (int)(Fold(addresses, BinaryPrimitives.ReadUInt16BigEndian(ports), BinaryPrimitives.ReadUInt16BigEndian(ports[2..])) % (uint)ShardCount);

    private int Lookup(uint hash) => _indirection[hash & (IndirectionTableSize - 1)];

    // tuple: source address, destination address (addressLength bytes each), source port, destination port.
    private uint HashTuple(Span<byte> tuple, int addressLength)
    {
        if (Symmetric && Greater(tuple, addressLength))
        {
            // Swap the endpoints in place, so (a, b) and (b, a) hash alike.
            var source = tuple[..addressLength];
            var destination = tuple.Slice(addressLength, addressLength);
            Span<byte> saved = stackalloc byte[16];
            source.CopyTo(saved);
            destination.CopyTo(source);
            saved[..addressLength].CopyTo(destination);
            var ports = tuple.Slice(addressLength * 2, 4);
            (ports[0], ports[1], ports[2], ports[3]) = (ports[2], ports[3], ports[0], ports[1]);
        }
        return _hash.Compute(tuple);
    }

    // Whether the source endpoint orders after the destination (address first, then port).
    private static bool Greater(ReadOnlySpan<byte> tuple, int addressLength)
    {
        int order = tuple[..addressLength].SequenceCompareTo(tuple.Slice(addressLength, addressLength));
        if (order != 0) return order > 0;
        return tuple.Slice(addressLength * 2, 2).SequenceCompareTo(tuple.Slice(addressLength * 2 + 2, 2)) > 0;
    }
}
