using System.Diagnostics.CodeAnalysis;
using System.Net;
using System.Net.Sockets;

namespace Wirestack.Wire;

/// <summary>
/// An IPv4 or IPv6 address in one 16-byte value, for the layers that serve both families (UDP and TCP endpoints,
/// socket tables). IPv4 is held in its IPv4-mapped form (<c>::ffff:a.b.c.d</c>, RFC 4291 section 2.5.5.2), so
/// equality and hashing are the same two 64-bit compares for both families and nothing boxes.
/// </summary>
public readonly struct IpAddress : IEquatable<IpAddress>
{
    private const ulong MappedPrefix = 0x0000_FFFF_0000_0000UL;
    private readonly Ipv6Address _value;

    /// <summary>Wraps an IPv4 address.</summary>
    public IpAddress(Ipv4Address address) => _value = new Ipv6Address(0, MappedPrefix | address.Value);

    /// <summary>Wraps an IPv6 address. An IPv4-mapped IPv6 address is taken as the IPv4 address it maps.</summary>
    public IpAddress(Ipv6Address address) => _value = address;

    /// <summary>The unspecified IPv4 address 0.0.0.0 (binding to it means "any IPv4 address").</summary>
    public static IpAddress AnyIpv4 => new(Ipv4Address.Any);

    /// <summary>The unspecified IPv6 address :: (binding to it means "any address").</summary>
    public static IpAddress AnyIpv6 => default;

    /// <summary>True when the address is IPv4 (held as IPv4-mapped).</summary>
    public bool IsIpv4 => _value.High == 0 && (_value.Low & 0xFFFF_FFFF_0000_0000UL) == MappedPrefix;

    /// <summary>True when the address is IPv6.</summary>
    public bool IsIpv6 => !IsIpv4;

    /// <summary>The IPv4 address; meaningful only when <see cref="IsIpv4"/>.</summary>
    public Ipv4Address AsIpv4 => new((uint)_value.Low);

    /// <summary>The address as IPv6 (IPv4 addresses in their mapped form).</summary>
    public Ipv6Address AsIpv6 => _value;

    /// <summary>True for 0.0.0.0 and ::.</summary>
    public bool IsUnspecified => IsIpv4 ? AsIpv4.IsUnspecified : _value.IsUnspecified;

    /// <summary>True for a multicast address of either family.</summary>
    public bool IsMulticast => IsIpv4 ? AsIpv4.IsMulticast : _value.IsMulticast;

    /// <summary>The length of the address on the wire: 4 or 16.</summary>
    public int WireLength => IsIpv4 ? Ipv4Address.Length : Ipv6Address.Length;

    /// <summary>Wraps an IPv4 address.</summary>
    public static implicit operator IpAddress(Ipv4Address address) => new(address);

    /// <summary>Wraps an IPv6 address.</summary>
    public static implicit operator IpAddress(Ipv6Address address) => new(address);

    /// <summary>Converts from <see cref="IPAddress"/> (IPv4-mapped IPv6 becomes IPv4); throws for a scoped IPv6 address.</summary>
    public static IpAddress FromIPAddress(IPAddress address)
    {
        ArgumentNullException.ThrowIfNull(address);
        if (address.AddressFamily == AddressFamily.InterNetwork) return new(Ipv4Address.FromIPAddress(address));
        if (address.ScopeId != 0)
            throw new ArgumentException($"'{address}' has a scope; Wirestack addresses belong to one interface, so write it without %scope.", nameof(address));
        return new(Ipv6Address.FromIPAddress(address));
    }

    /// <summary>Converts to <see cref="IPAddress"/> (allocates).</summary>
    public IPAddress ToIPAddress() => IsIpv4 ? AsIpv4.ToIPAddress() : _value.ToIPAddress();

    /// <summary>Parses IPv4 dotted-quad or IPv6 text.</summary>
    public static bool TryParse(ReadOnlySpan<char> text, out IpAddress address)
    {
        if (Ipv4Address.TryParse(text, out var v4))
        {
            address = v4;
            return true;
        }
        if (Ipv6Address.TryParse(text, out var v6))
        {
            address = v6;
            return true;
        }
        address = default;
        return false;
    }

    /// <summary>Parses IPv4 or IPv6 text; throws <see cref="FormatException"/> naming the bad text.</summary>
    public static IpAddress Parse(string text) =>
        TryParse(text, out var address) ? address : throw new FormatException($"'{text}' is not an IP address; write it like 192.0.2.1 or 2001:db8::1.");

    /// <inheritdoc />
    public override string ToString() => IsIpv4 ? AsIpv4.ToString() : _value.ToString();

    /// <inheritdoc />
    public bool Equals(IpAddress other) => _value.Equals(other._value);

    /// <inheritdoc />
    public override bool Equals([NotNullWhen(true)] object? obj) => obj is IpAddress other && Equals(other);

    /// <inheritdoc />
    public override int GetHashCode() => _value.GetHashCode();

    /// <summary>Compares two addresses.</summary>
    public static bool operator ==(IpAddress left, IpAddress right) => left.Equals(right);

    /// <summary>Compares two addresses.</summary>
    public static bool operator !=(IpAddress left, IpAddress right) => !left.Equals(right);
}
