using System.Diagnostics.CodeAnalysis;
using Wirestack.Wire;

namespace Wirestack.Ip;

/// <summary>
/// What makes fragments belong to one original datagram: (source, destination, identification, protocol) for IPv4
/// (RFC 791) and (source, destination, identification) for IPv6 (RFC 8200 section 4.5). One key type serves both
/// families so that one reassembler and one pool serve both; IPv4 addresses are held in their IPv4-mapped IPv6 form.
/// </summary>
public readonly struct FragmentKey : IEquatable<FragmentKey>
{
    // ::ffff:0:0/96, the IPv4-mapped prefix: how an IPv4 address sits in the IPv6-sized fields.
    private const ulong MappedLow = 0x0000_FFFF_0000_0000UL;

    private readonly Ipv6Address _source;
    private readonly Ipv6Address _destination;

    private FragmentKey(Ipv6Address source, Ipv6Address destination, uint identification, IpProtocol protocol, bool isIpv6)
    {
        _source = source;
        _destination = destination;
        Identification = identification;
        Protocol = protocol;
        IsIpv6 = isIpv6;
    }

    /// <summary>The key of an IPv4 fragment.</summary>
    public static FragmentKey ForIpv4(Ipv4Address source, Ipv4Address destination, ushort identification, IpProtocol protocol) =>
        new(new Ipv6Address(0, MappedLow | source.Value), new Ipv6Address(0, MappedLow | destination.Value), identification, protocol, isIpv6: false);

    /// <summary>The key of an IPv6 fragment (the next header is not part of it: fragments of one packet may differ there).</summary>
    public static FragmentKey ForIpv6(Ipv6Address source, Ipv6Address destination, uint identification) =>
        new(source, destination, identification, default, isIpv6: true);

    /// <summary>True for an IPv6 key, false for IPv4.</summary>
    public bool IsIpv6 { get; }

    /// <summary>The fragment's identification (16 bits for IPv4, 32 for IPv6).</summary>
    public uint Identification { get; }

    /// <summary>The IPv4 protocol field; <see cref="IpProtocol.HopByHop"/> (0) for IPv6, whose key has no protocol.</summary>
    public IpProtocol Protocol { get; }

    /// <summary>The IPv6 source; for an IPv4 key its IPv4-mapped form (::ffff:a.b.c.d).</summary>
    public Ipv6Address Source => _source;

    /// <summary>The IPv6 destination; for an IPv4 key its IPv4-mapped form (::ffff:a.b.c.d).</summary>
    public Ipv6Address Destination => _destination;

    /// <summary>The IPv4 source (meaningful for an IPv4 key only).</summary>
    public Ipv4Address Ipv4Source => new((uint)_source.Low);

    /// <summary>The IPv4 destination (meaningful for an IPv4 key only).</summary>
    public Ipv4Address Ipv4Destination => new((uint)_destination.Low);

    /// <inheritdoc />
    public bool Equals(FragmentKey other) =>
        Identification == other.Identification && _source == other._source && _destination == other._destination
        && Protocol == other.Protocol && IsIpv6 == other.IsIpv6;

    /// <inheritdoc />
    public override bool Equals([NotNullWhen(true)] object? obj) => obj is FragmentKey other && Equals(other);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(_source, _destination, Identification, Protocol, IsIpv6);

    /// <summary>Compares two keys.</summary>
    public static bool operator ==(FragmentKey left, FragmentKey right) => left.Equals(right);

    /// <summary>Compares two keys.</summary>
    public static bool operator !=(FragmentKey left, FragmentKey right) => !left.Equals(right);

    /// <inheritdoc />
    public override string ToString() => IsIpv6
        ? $"{_source} -> {_destination} id 0x{Identification:x8}"
        : $"{Ipv4Source} -> {Ipv4Destination} id 0x{Identification:x4} proto {(byte)Protocol}";
}
