using Wirestack.Wire;

namespace Wirestack.Iface;

/// <summary>An IPv6 address assigned to an interface, with the prefix length of its on-link prefix.</summary>
public readonly struct Ipv6InterfaceAddress : IEquatable<Ipv6InterfaceAddress>
{
    /// <summary>Assigns <paramref name="address"/> with an on-link prefix of <paramref name="prefixLength"/> bits.</summary>
    public Ipv6InterfaceAddress(Ipv6Address address, int prefixLength)
    {
        Address = address;
        PrefixLength = prefixLength;
    }

    /// <summary>The address.</summary>
    public Ipv6Address Address { get; }

    /// <summary>The on-link prefix length, 0 to 128 (64 for addresses made by SLAAC).</summary>
    public int PrefixLength { get; }

    /// <summary>The on-link prefix: <see cref="Address"/> with the bits after <see cref="PrefixLength"/> cleared.</summary>
    public Ipv6Address Prefix => Address.Mask(PrefixLength);

    /// <summary>Parses "address/n", such as fd00::2/64.</summary>
    /// <exception cref="FormatException">The text is not an IPv6 address and a prefix length.</exception>
    public static Ipv6InterfaceAddress Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        int slash = text.IndexOf('/', StringComparison.Ordinal);
        if (slash < 0 || !Ipv6Address.TryParse(text.AsSpan(0, slash), out var address)
            || !int.TryParse(text.AsSpan(slash + 1), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int prefix)
            || prefix > 128)
            throw new FormatException($"'{text}' is not an IPv6 address with a prefix length, such as fd00::2/64.");
        return new Ipv6InterfaceAddress(address, prefix);
    }

    /// <inheritdoc />
    public bool Equals(Ipv6InterfaceAddress other) => Address == other.Address && PrefixLength == other.PrefixLength;

    /// <inheritdoc />
    public override bool Equals(object? obj) => obj is Ipv6InterfaceAddress other && Equals(other);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(Address, PrefixLength);

    /// <summary>True when both name the same address and prefix length.</summary>
    public static bool operator ==(Ipv6InterfaceAddress left, Ipv6InterfaceAddress right) => left.Equals(right);

    /// <summary>True when they differ in address or prefix length.</summary>
    public static bool operator !=(Ipv6InterfaceAddress left, Ipv6InterfaceAddress right) => !left.Equals(right);

    /// <inheritdoc />
    public override string ToString() => $"{Address}/{PrefixLength}";
}
