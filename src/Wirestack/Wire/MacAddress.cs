using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;
using System.Globalization;

namespace Wirestack.Wire;

/// <summary>A 48-bit Ethernet (EUI-48) address, held by value in a <see cref="ulong"/>.</summary>
public readonly struct MacAddress : IEquatable<MacAddress>, ISpanFormattable
{
    /// <summary>The length of an address on the wire, in bytes.</summary>
    public const int Length = 6;

    private readonly ulong _value;

    private MacAddress(ulong value) => _value = value & 0xFFFF_FFFF_FFFFUL;

    /// <summary>ff:ff:ff:ff:ff:ff.</summary>
    public static MacAddress Broadcast => new(0xFFFF_FFFF_FFFFUL);

    /// <summary>00:00:00:00:00:00.</summary>
    public static MacAddress Zero => default;

    /// <summary>The address as a 48-bit number, first octet most significant.</summary>
    public ulong Value => _value;

    /// <summary>True for group (multicast or broadcast) addresses: the I/G bit of the first octet.</summary>
    public bool IsMulticast => (_value & 0x0100_0000_0000UL) != 0;

    /// <summary>True for ff:ff:ff:ff:ff:ff.</summary>
    public bool IsBroadcast => _value == 0xFFFF_FFFF_FFFFUL;

    /// <summary>True for an individual (unicast) address.</summary>
    public bool IsUnicast => !IsMulticast;

    /// <summary>Makes an address from its 48-bit numeric value.</summary>
    public static MacAddress FromValue(ulong value) => new(value);

    /// <summary>Reads an address from the first six bytes of <paramref name="bytes"/>.</summary>
    public static MacAddress Read(ReadOnlySpan<byte> bytes) =>
        new(((ulong)BinaryPrimitives.ReadUInt16BigEndian(bytes) << 32) | BinaryPrimitives.ReadUInt32BigEndian(bytes[2..]));

    /// <summary>Writes the address into the first six bytes of <paramref name="destination"/>.</summary>
    public void WriteTo(Span<byte> destination)
    {
        BinaryPrimitives.WriteUInt16BigEndian(destination, (ushort)(_value >> 32));
        BinaryPrimitives.WriteUInt32BigEndian(destination[2..], (uint)_value);
    }

    /// <summary>The multicast MAC an IPv4 group maps to (RFC 1112: 01:00:5e plus the low 23 bits).</summary>
    public static MacAddress FromIpv4Multicast(Ipv4Address group) => new(0x0100_5E00_0000UL | (group.Value & 0x7F_FFFF));

    /// <summary>The multicast MAC an IPv6 group maps to (RFC 2464: 33:33 plus the low 32 bits).</summary>
    public static MacAddress FromIpv6Multicast(Ipv6Address group) => new(0x3333_0000_0000UL | (uint)group.Low);

    /// <summary>Parses "02:00:00:00:00:01" (colons or dashes).</summary>
    public static bool TryParse(ReadOnlySpan<char> text, out MacAddress address)
    {
        address = default;
        if (text.Length != 17) return false;
        ulong value = 0;
        for (int i = 0; i < 6; i++)
        {
            if (i > 0 && text[i * 3 - 1] != ':' && text[i * 3 - 1] != '-') return false;
            if (!byte.TryParse(text.Slice(i * 3, 2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out byte b)) return false;
            value = (value << 8) | b;
        }
        address = new MacAddress(value);
        return true;
    }

    /// <summary>Parses "02:00:00:00:00:01"; throws <see cref="FormatException"/> naming the bad text.</summary>
    public static MacAddress Parse(string text) =>
        TryParse(text, out var address) ? address : throw new FormatException($"'{text}' is not a MAC address; write six hex octets separated by colons, like 02:00:00:00:00:01.");

    /// <inheritdoc />
    public bool TryFormat(Span<char> destination, out int charsWritten, ReadOnlySpan<char> format = default, IFormatProvider? provider = null)
    {
        charsWritten = 0;
        if (destination.Length < 17) return false;
        for (int i = 0; i < 6; i++)
        {
            byte b = (byte)(_value >> (40 - 8 * i));
            if (i > 0) destination[i * 3 - 1] = ':';
            b.TryFormat(destination.Slice(i * 3, 2), out _, "x2", CultureInfo.InvariantCulture);
        }
        charsWritten = 17;
        return true;
    }

    /// <inheritdoc />
    public string ToString(string? format, IFormatProvider? formatProvider) => ToString();

    /// <inheritdoc />
    public override string ToString() => string.Create(17, this, static (span, mac) => mac.TryFormat(span, out _));

    /// <inheritdoc />
    public bool Equals(MacAddress other) => _value == other._value;

    /// <inheritdoc />
    public override bool Equals([NotNullWhen(true)] object? obj) => obj is MacAddress other && Equals(other);

    /// <inheritdoc />
    public override int GetHashCode() => _value.GetHashCode();

    /// <summary>Compares two addresses.</summary>
    public static bool operator ==(MacAddress left, MacAddress right) => left._value == right._value;

    /// <summary>Compares two addresses.</summary>
    public static bool operator !=(MacAddress left, MacAddress right) => left._value != right._value;
}
