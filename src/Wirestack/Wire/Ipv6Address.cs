using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;
using System.Net;
using System.Net.Sockets;

namespace Wirestack.Wire;

/// <summary>An IPv6 address held by value in two <see cref="ulong"/> halves (no allocation).</summary>
public readonly struct Ipv6Address : IIpAddress<Ipv6Address>, IEquatable<Ipv6Address>
{
    /// <summary>The length of an address on the wire, in bytes.</summary>
    public const int Length = 16;

    /// <inheritdoc />
    static int IIpAddress<Ipv6Address>.Length => Length;

    /// <summary>The first 64 bits (the routing prefix half), most significant first.</summary>
    public ulong High { get; }

    /// <summary>The last 64 bits (the interface identifier half).</summary>
    public ulong Low { get; }

    /// <summary>Makes an address from its two halves.</summary>
    public Ipv6Address(ulong high, ulong low)
    {
        High = high;
        Low = low;
    }

    /// <summary>::.</summary>
    public static Ipv6Address Unspecified => default;

    /// <summary>::1.</summary>
    public static Ipv6Address Loopback => new(0, 1);

    /// <summary>ff02::1, all nodes on the link.</summary>
    public static Ipv6Address AllNodes => new(0xFF02_0000_0000_0000UL, 1);

    /// <summary>ff02::2, all routers on the link.</summary>
    public static Ipv6Address AllRouters => new(0xFF02_0000_0000_0000UL, 2);

    /// <summary>ff02::16, where MLDv2 reports go.</summary>
    public static Ipv6Address AllMldv2Routers => new(0xFF02_0000_0000_0000UL, 0x16);

    /// <summary>True for ::.</summary>
    public bool IsUnspecified => High == 0 && Low == 0;

    /// <summary>True for ::1.</summary>
    public bool IsLoopback => High == 0 && Low == 1;

    /// <summary>True for ff00::/8.</summary>
    public bool IsMulticast => (High >> 56) == 0xFF;

    /// <summary>True for fe80::/10.</summary>
    public bool IsLinkLocal => (High >> 54) == (0xFE80UL >> 6);

    /// <summary>True for a unicast address (not unspecified, not multicast).</summary>
    public bool IsUnicast => !IsUnspecified && !IsMulticast;

    /// <summary>The solicited-node multicast group of this address (RFC 4291, ff02::1:ffXX:XXXX).</summary>
    public Ipv6Address SolicitedNodeMulticast => new(0xFF02_0000_0000_0000UL, 0x0000_0001_FF00_0000UL | (Low & 0xFF_FFFF));

    /// <summary>The fe80::/64 address whose interface identifier is the modified EUI-64 of <paramref name="mac"/>.</summary>
    public static Ipv6Address LinkLocalFromMac(MacAddress mac) => new(0xFE80_0000_0000_0000UL, InterfaceIdentifier(mac));

    /// <summary>The modified EUI-64 interface identifier of <paramref name="mac"/> (RFC 4291 appendix A).</summary>
    public static ulong InterfaceIdentifier(MacAddress mac)
    {
        ulong m = mac.Value;
        ulong oui = (m >> 24) ^ 0x02_0000; // flip the universal/local bit
        return (oui << 40) | (0xFFFEUL << 24) | (m & 0xFF_FFFF);
    }

    /// <summary>Reads an address from the first sixteen bytes of <paramref name="bytes"/>.</summary>
    public static Ipv6Address Read(ReadOnlySpan<byte> bytes) =>
        new(BinaryPrimitives.ReadUInt64BigEndian(bytes), BinaryPrimitives.ReadUInt64BigEndian(bytes[8..]));

    /// <summary>Writes the address into the first sixteen bytes of <paramref name="destination"/>.</summary>
    public void WriteTo(Span<byte> destination)
    {
        BinaryPrimitives.WriteUInt64BigEndian(destination, High);
        BinaryPrimitives.WriteUInt64BigEndian(destination[8..], Low);
    }

    /// <summary>True when both addresses share the first <paramref name="prefixLength"/> bits.</summary>
    public bool IsInSameSubnet(Ipv6Address other, int prefixLength)
    {
        if (prefixLength <= 0) return true;
        if (prefixLength < 64) return ((High ^ other.High) >> (64 - prefixLength)) == 0;
        if (High != other.High) return false;
        return prefixLength == 64 || ((Low ^ other.Low) >> (128 - prefixLength)) == 0;
    }

    /// <summary>The address with every bit after the first <paramref name="prefixLength"/> (0 to 128) cleared.</summary>
    public Ipv6Address Mask(int prefixLength)
    {
        // A ulong shift count is masked to six bits, so whole halves (0, 64, 128) are special cases.
        if (prefixLength <= 0) return default;
        if (prefixLength < 64) return new(High & (ulong.MaxValue << (64 - prefixLength)), 0);
        if (prefixLength == 64) return new(High, 0);
        if (prefixLength >= 128) return this;
        return new(High, Low & (ulong.MaxValue << (128 - prefixLength)));
    }

    /// <summary>Converts from <see cref="IPAddress"/>; throws if it is not IPv6.</summary>
    public static Ipv6Address FromIPAddress(IPAddress address)
    {
        ArgumentNullException.ThrowIfNull(address);
        if (address.AddressFamily != AddressFamily.InterNetworkV6)
            throw new ArgumentException($"'{address}' is not an IPv6 address.", nameof(address));
        Span<byte> bytes = stackalloc byte[16];
        address.TryWriteBytes(bytes, out _);
        return Read(bytes);
    }

    /// <summary>Converts to <see cref="IPAddress"/> (allocates).</summary>
    public IPAddress ToIPAddress()
    {
        Span<byte> bytes = stackalloc byte[16];
        WriteTo(bytes);
        return new IPAddress(bytes);
    }

    /// <summary>Parses RFC 5952 text (any valid form).</summary>
    public static bool TryParse(ReadOnlySpan<char> text, out Ipv6Address address)
    {
        address = default;
        if (!IPAddress.TryParse(text, out var ip) || ip.AddressFamily != AddressFamily.InterNetworkV6 || ip.ScopeId != 0) return false;
        address = FromIPAddress(ip);
        return true;
    }

    /// <summary>Parses IPv6 text; throws <see cref="FormatException"/> naming the bad text.</summary>
    public static Ipv6Address Parse(string text) =>
        TryParse(text, out var address) ? address : throw new FormatException($"'{text}' is not an IPv6 address; write it like 2001:db8::1 (without a %scope).");

    /// <inheritdoc />
    public override string ToString() => ToIPAddress().ToString();

    /// <inheritdoc />
    public bool Equals(Ipv6Address other) => High == other.High && Low == other.Low;

    /// <inheritdoc />
    public override bool Equals([NotNullWhen(true)] object? obj) => obj is Ipv6Address other && Equals(other);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(High, Low);

    /// <summary>Compares two addresses.</summary>
    public static bool operator ==(Ipv6Address left, Ipv6Address right) => left.Equals(right);

    /// <summary>Compares two addresses.</summary>
    public static bool operator !=(Ipv6Address left, Ipv6Address right) => !left.Equals(right);
}
