using System.Buffers.Binary;

namespace Wirestack.Wire;

/// <summary>The contents of a prefix information option (RFC 4861 section 4.6.2), always 32 bytes on the wire.</summary>
public struct NdpPrefixInformation : IEquatable<NdpPrefixInformation>
{
    /// <summary>The option's length in bytes.</summary>
    public const int Length = 32;

    /// <summary>The lifetime value meaning "forever".</summary>
    public const uint Infinite = uint.MaxValue;

    /// <summary>The number of leading bits of <see cref="Prefix"/> that are valid (0-128).</summary>
    public byte PrefixLength { get; set; }

    /// <summary>The L flag: the prefix can be used for on-link determination.</summary>
    public bool OnLink { get; set; }

    /// <summary>The A flag: the prefix can be used for stateless address autoconfiguration.</summary>
    public bool Autonomous { get; set; }

    /// <summary>Seconds the prefix stays valid for on-link determination.</summary>
    public uint ValidLifetime { get; set; }

    /// <summary>Seconds addresses made from the prefix stay preferred.</summary>
    public uint PreferredLifetime { get; set; }

    /// <summary>The prefix (bits past <see cref="PrefixLength"/> should be zero).</summary>
    public Ipv6Address Prefix { get; set; }

    /// <summary>
    /// Reads a well-delimited prefix information option: <see cref="WireError.BadOption"/> unless it
    /// is 32 bytes (or when it is not a prefix information option at all).
    /// </summary>
    public static WireError Read(NdpOption option, out NdpPrefixInformation info)
    {
        info = default;
        if (option.Error != WireError.None) return option.Error;
        if (option.Type != NdpOptionType.PrefixInformation || option.Length != Length) return WireError.BadOption;
        var bytes = option.Bytes;
        info = new NdpPrefixInformation
        {
            PrefixLength = bytes[2],
            OnLink = (bytes[3] & 0x80) != 0,
            Autonomous = (bytes[3] & 0x40) != 0,
            ValidLifetime = BinaryPrimitives.ReadUInt32BigEndian(bytes[4..]),
            PreferredLifetime = BinaryPrimitives.ReadUInt32BigEndian(bytes[8..]),
            Prefix = Ipv6Address.Read(bytes[16..]),
        };
        return WireError.None;
    }

    /// <summary>Writes the whole 32-byte option, type and length included.</summary>
    public readonly void WriteTo(Span<byte> buffer)
    {
        EmitGuard.RequireLength(buffer, Length);
        buffer[0] = (byte)NdpOptionType.PrefixInformation;
        buffer[1] = Length / 8;
        buffer[2] = PrefixLength;
        buffer[3] = (byte)((OnLink ? 0x80 : 0) | (Autonomous ? 0x40 : 0));
        BinaryPrimitives.WriteUInt32BigEndian(buffer[4..], ValidLifetime);
        BinaryPrimitives.WriteUInt32BigEndian(buffer[8..], PreferredLifetime);
        BinaryPrimitives.WriteUInt32BigEndian(buffer[12..], 0);
        Prefix.WriteTo(buffer[16..]);
    }

    /// <inheritdoc />
    public readonly bool Equals(NdpPrefixInformation other) =>
        PrefixLength == other.PrefixLength && OnLink == other.OnLink && Autonomous == other.Autonomous
        && ValidLifetime == other.ValidLifetime && PreferredLifetime == other.PreferredLifetime && Prefix == other.Prefix;

    /// <inheritdoc />
    public override readonly bool Equals(object? obj) => obj is NdpPrefixInformation other && Equals(other);

    /// <inheritdoc />
    public override readonly int GetHashCode() => HashCode.Combine(PrefixLength, OnLink, Autonomous, ValidLifetime, PreferredLifetime, Prefix);

    /// <summary>Compares two prefix information options.</summary>
    public static bool operator ==(NdpPrefixInformation left, NdpPrefixInformation right) => left.Equals(right);

    /// <summary>Compares two prefix information options.</summary>
    public static bool operator !=(NdpPrefixInformation left, NdpPrefixInformation right) => !left.Equals(right);
}
