using System.Buffers.Binary;
using Wirestack.Wire;

namespace Wirestack.Iface;

/// <summary>
/// One UDP binding's state: its local address and port, its flags, the multicast groups it joined (a table sized
/// once), its multicast TTL, the next binding on the same port, and a receive queue of whole datagrams kept in a byte ring allocated once.
/// Each record is a 20-byte header (payload length, source address in its 16-byte form, source port) and the payload, wrapping at
/// the end of the ring, so a queue of many small datagrams or a few large ones costs the same memory.
/// </summary>
internal sealed class UdpBinding
{
    internal const int RecordHeaderLength = 20;
    private readonly byte[] _ring;
    private readonly IpAddress[] _groups;
    private int _head;
    private int _used;

    internal UdpBinding(int ringLength, int groupCapacity)
    {
        _ring = new byte[ringLength];
        _groups = new IpAddress[groupCapacity];
    }

    internal ushort Port { get; private set; }

    // :: accepts both families (as an IPv6 socket without IPV6_V6ONLY does), 0.0.0.0 IPv4 only.
    internal IpAddress LocalAddress { get; private set; }

    internal UdpBindFlags Flags { get; private set; }

    // The binding after this one on the same port; -1 ends the chain.
    internal int NextOnPort { get; set; } = -1;

    internal byte MulticastTimeToLive { get; set; }

    internal int GroupCount { get; private set; }

    internal bool ReuseAddress => (Flags & UdpBindFlags.ReuseAddress) != 0;

    internal bool AllowBroadcast => (Flags & UdpBindFlags.AllowBroadcast) != 0;

    internal ReadOnlySpan<IpAddress> Groups => _groups.AsSpan(0, GroupCount);

    // True when the binding's address takes datagrams sent to any address of destination's family.
    internal bool IsWildcardFor(IpAddress destination) =>
        LocalAddress == IpAddress.AnyIpv6 || (LocalAddress == IpAddress.AnyIpv4 && destination.IsIpv4);

    internal bool HasJoined(IpAddress group)
    {
        var groups = _groups;
        for (int i = 0; i < GroupCount; i++)
            if (groups[i] == group) return true;
        return false;
    }

    internal bool TryAddGroup(IpAddress group)
    {
        if (GroupCount == _groups.Length) return false;
        _groups[GroupCount++] = group;
        return true;
    }

    internal bool RemoveGroup(IpAddress group)
    {
        for (int i = 0; i < GroupCount; i++)
        {
            if (_groups[i] != group) continue;
            _groups[i] = _groups[--GroupCount];
            _groups[GroupCount] = default;
            return true;
        }
        return false;
    }

    internal bool InUse { get; private set; }

    internal int Generation { get; private set; }

    internal int Count { get; private set; }

    internal void Open(IpEndpoint local, UdpBindFlags flags, byte multicastTimeToLive)
    {
        Port = local.Port;
        LocalAddress = local.Address;
        Flags = flags;
        MulticastTimeToLive = multicastTimeToLive;
        NextOnPort = -1;
        GroupCount = 0;
        InUse = true;
        Generation++;
        if (Generation == 0) Generation = 1;
        _head = 0;
        _used = 0;
        Count = 0;
    }

    // The caller leaves the interface-level groups first (Groups), as they are forgotten here.
    internal void Close()
    {
        InUse = false;
        _groups.AsSpan(0, GroupCount).Clear();
        GroupCount = 0;
        NextOnPort = -1;
        _head = 0;
        _used = 0;
        Count = 0;
    }

    internal bool TryEnqueue(IpAddress source, ushort sourcePort, ReadOnlySpan<byte> payload)
    {
        int needed = RecordHeaderLength + payload.Length;
        if (needed > _ring.Length - _used) return false;
        Span<byte> header = stackalloc byte[RecordHeaderLength];
        BinaryPrimitives.WriteUInt16BigEndian(header, (ushort)payload.Length);
        source.AsIpv6.WriteTo(header[2..]);
        BinaryPrimitives.WriteUInt16BigEndian(header[18..], sourcePort);
        int tail = Wrap(_head + _used);
        tail = Write(tail, header);
        Write(tail, payload);
        _used += needed;
        Count++;
        return true;
    }

    // The payload length of the oldest datagram, or -1 when none is queued.
    internal int PeekLength()
    {
        if (Count == 0) return -1;
        int second = _head + 1 == _ring.Length ? 0 : _head + 1;
        return (_ring[_head] << 8) | _ring[second];
    }

    // A buffer shorter than the datagram gets its first bytes and the rest is discarded, as recv(2) does.
    internal bool TryDequeue(Span<byte> buffer, out int length, out IpAddress source, out ushort sourcePort)
    {
        if (Count == 0)
        {
            length = 0;
            source = default;
            sourcePort = 0;
            return false;
        }
        Span<byte> header = stackalloc byte[RecordHeaderLength];
        int position = Read(_head, header);
        int payloadLength = BinaryPrimitives.ReadUInt16BigEndian(header);
        source = new IpAddress(Ipv6Address.Read(header[2..]));
        sourcePort = BinaryPrimitives.ReadUInt16BigEndian(header[18..]);
        length = Math.Min(payloadLength, buffer.Length);
        Read(position, buffer[..length]);
        _head = Wrap(_head + RecordHeaderLength + payloadLength);
        _used -= RecordHeaderLength + payloadLength;
        Count--;
        if (Count == 0) _head = 0;
        return true;
    }

    private int Wrap(int position) => position >= _ring.Length ? position - _ring.Length : position;

    private int Write(int position, ReadOnlySpan<byte> data)
    {
        int first = Math.Min(data.Length, _ring.Length - position);
        data[..first].CopyTo(_ring.AsSpan(position));
        data[first..].CopyTo(_ring);
        return Wrap(position + data.Length);
    }

    private int Read(int position, Span<byte> data)
    {
        int first = Math.Min(data.Length, _ring.Length - position);
        _ring.AsSpan(position, first).CopyTo(data);
        _ring.AsSpan(0, data.Length - first).CopyTo(data[first..]);
        return Wrap(position + data.Length);
    }
}
