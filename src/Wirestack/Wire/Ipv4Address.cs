using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;
using System.Net;
using System.Net.Sockets;

namespace Wirestack.Wire;

/// <summary>An IPv4 address held by value (no allocation, unlike <see cref="IPAddress"/>).</summary>
public readonly struct Ipv4Address : IIpAddress<Ipv4Address>, IEquatable<Ipv4Address>, IComparable<Ipv4Address>
{
    /// <summary>The length of an address on the wire, in bytes.</summary>
    public const int Length = 4;

    /// <inheritdoc />
    static int IIpAddress<Ipv4Address>.Length => Length;

    /// <summary>The address as a number, first octet most significant.</summary>
    public uint Value { get; }

    /// <summary>Makes an address from its numeric value (first octet most significant).</summary>
    public Ipv4Address(uint value) => Value = value;

    /// <summary>Makes an address from its four octets.</summary>
    public Ipv4Address(byte a, byte b, byte c, byte d) => Value = ((uint)a << 24) | ((uint)b << 16) | ((uint)c << 8) | d;

    /// <summary>0.0.0.0.</summary>
    public static Ipv4Address Any => default;

    /// <summary>255.255.255.255.</summary>
    public static Ipv4Address Broadcast => new(0xFFFF_FFFF);

    /// <summary>True for 0.0.0.0.</summary>
    public bool IsUnspecified => Value == 0;

    /// <summary>True for 224.0.0.0/4.</summary>
    public bool IsMulticast => (Value & 0xF000_0000) == 0xE000_0000;

    /// <summary>True for 255.255.255.255.</summary>
    public bool IsBroadcast => Value == 0xFFFF_FFFF;

    /// <summary>True for 127.0.0.0/8.</summary>
    public bool IsLoopback => (Value & 0xFF00_0000) == 0x7F00_0000;

    /// <summary>True for 169.254.0.0/16.</summary>
    public bool IsLinkLocal => (Value & 0xFFFF_0000) == 0xA9FE_0000;

    /// <summary>True for a unicast address: not unspecified, multicast, broadcast or class E.</summary>
    public bool IsUnicast => Value != 0 && (Value & 0xF000_0000) < 0xE000_0000;

    /// <summary>Reads an address from the first four bytes of <paramref name="bytes"/>.</summary>
    public static Ipv4Address Read(ReadOnlySpan<byte> bytes) => new(BinaryPrimitives.ReadUInt32BigEndian(bytes));

    /// <summary>Writes the address into the first four bytes of <paramref name="destination"/>.</summary>
    public void WriteTo(Span<byte> destination) => BinaryPrimitives.WriteUInt32BigEndian(destination, Value);

    /// <summary>True when both addresses share the first <paramref name="prefixLength"/> bits.</summary>
    public bool IsInSameSubnet(Ipv4Address other, int prefixLength) =>
        prefixLength == 0 || ((Value ^ other.Value) >> (32 - prefixLength)) == 0;

    /// <summary>The address with every bit after the first <paramref name="prefixLength"/> (0 to 32) cleared.</summary>
    // C# masks a uint shift count to five bits, so a shift by 32 would be no shift: /0 is a special case.
    public Ipv4Address Mask(int prefixLength) => prefixLength == 0 ? default : new(Value & (uint.MaxValue << (32 - prefixLength)));

    /// <summary>Converts from <see cref="IPAddress"/>; throws if it is not IPv4.</summary>
    public static Ipv4Address FromIPAddress(IPAddress address)
    {
        ArgumentNullException.ThrowIfNull(address);
        if (address.AddressFamily != AddressFamily.InterNetwork)
            throw new ArgumentException($"'{address}' is not an IPv4 address.", nameof(address));
        Span<byte> bytes = stackalloc byte[4];
        address.TryWriteBytes(bytes, out _);
        return Read(bytes);
    }

    /// <summary>Converts to <see cref="IPAddress"/> (allocates).</summary>
    public IPAddress ToIPAddress()
    {
        Span<byte> bytes = stackalloc byte[4];
        WriteTo(bytes);
        return new IPAddress(bytes);
    }

    /// <summary>Parses dotted-quad text.</summary>
    public static bool TryParse(ReadOnlySpan<char> text, out Ipv4Address address)
    {
        address = default;
        if (!IPAddress.TryParse(text, out var ip) || ip.AddressFamily != AddressFamily.InterNetwork) return false;
        address = FromIPAddress(ip);
        return true;
    }

    /// <summary>Parses dotted-quad text; throws <see cref="FormatException"/> naming the bad text.</summary>
    public static Ipv4Address Parse(string text) =>
        TryParse(text, out var address) ? address : throw new FormatException($"'{text}' is not an IPv4 address; write it dotted, like 192.0.2.1.");

    /// <inheritdoc />
    public override string ToString() => $"{Value >> 24}.{(Value >> 16) & 0xFF}.{(Value >> 8) & 0xFF}.{Value & 0xFF}";

    /// <inheritdoc />
    public bool Equals(Ipv4Address other) => Value == other.Value;

    /// <inheritdoc />
    public int CompareTo(Ipv4Address other) => Value.CompareTo(other.Value);

    /// <inheritdoc />
    public override bool Equals([NotNullWhen(true)] object? obj) => obj is Ipv4Address other && Equals(other);

    /// <inheritdoc />
    public override int GetHashCode() => (int)Value;

    /// <summary>Compares two addresses.</summary>
    public static bool operator ==(Ipv4Address left, Ipv4Address right) => left.Value == right.Value;

    /// <summary>Compares two addresses.</summary>
    public static bool operator !=(Ipv4Address left, Ipv4Address right) => left.Value != right.Value;
}
