using Wirestack.Wire;

namespace Wirestack.Iface;

/// <summary>An IPv4 address assigned to an interface, with the prefix length of its on-link subnet.</summary>
public readonly struct Ipv4InterfaceAddress : IEquatable<Ipv4InterfaceAddress>
{
    /// <summary>Assigns <paramref name="address"/> with a subnet of <paramref name="prefixLength"/> bits.</summary>
    public Ipv4InterfaceAddress(Ipv4Address address, int prefixLength)
    {
        Address = address;
        PrefixLength = prefixLength;
    }

    /// <summary>The address.</summary>
    public Ipv4Address Address { get; }

    /// <summary>The subnet's prefix length, 0 to 32.</summary>
    public int PrefixLength { get; }

    /// <summary>The subnet-directed broadcast address; equal to <see cref="Address"/> for /31 and /32, which have none.</summary>
    public Ipv4Address SubnetBroadcast =>
        PrefixLength >= 31 ? Address : new Ipv4Address(Address.Value | (uint.MaxValue >> PrefixLength));

    /// <summary>Parses "a.b.c.d/n".</summary>
    /// <exception cref="FormatException">The text is not an IPv4 address and a prefix length.</exception>
    public static Ipv4InterfaceAddress Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        int slash = text.IndexOf('/', StringComparison.Ordinal);
        if (slash < 0 || !Ipv4Address.TryParse(text.AsSpan(0, slash), out var address)
            || !int.TryParse(text.AsSpan(slash + 1), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int prefix)
            || prefix > 32)
            throw new FormatException($"'{text}' is not an IPv4 address with a prefix length, such as 10.0.0.2/24.");
        return new Ipv4InterfaceAddress(address, prefix);
    }

    /// <inheritdoc />
    public bool Equals(Ipv4InterfaceAddress other) => Address == other.Address && PrefixLength == other.PrefixLength;

    /// <inheritdoc />
    public override bool Equals(object? obj) => obj is Ipv4InterfaceAddress other && Equals(other);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(Address, PrefixLength);

    /// <summary>True when both name the same address and prefix length.</summary>
    public static bool operator ==(Ipv4InterfaceAddress left, Ipv4InterfaceAddress right) => left.Equals(right);

    /// <summary>True when they differ in address or prefix length.</summary>
    public static bool operator !=(Ipv4InterfaceAddress left, Ipv4InterfaceAddress right) => !left.Equals(right);

    /// <inheritdoc />
    public override string ToString() => $"{Address}/{PrefixLength}";
}
