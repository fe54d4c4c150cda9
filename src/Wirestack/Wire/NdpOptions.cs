using System.Buffers.Binary;

namespace Wirestack.Wire;

/// <summary>Neighbor discovery option types that Wirestack knows (RFC 4861 section 4.6 and later).</summary>
public enum NdpOptionType : byte
{
    /// <summary>Source link-layer address.</summary>
    SourceLinkLayerAddress = 1,

    /// <summary>Target link-layer address.</summary>
    TargetLinkLayerAddress = 2,

    /// <summary>Prefix information (router advertisements).</summary>
    PrefixInformation = 3,

    /// <summary>Redirected header (redirects).</summary>
    RedirectedHeader = 4,

    /// <summary>MTU (router advertisements).</summary>
    Mtu = 5,

    /// <summary>Nonce (RFC 3971); Linux puts one in duplicate address detection probes (RFC 7527).</summary>
    Nonce = 14,

    /// <summary>Route information (RFC 4191).</summary>
    RouteInformation = 24,

    /// <summary>Recursive DNS server (RFC 8106).</summary>
    RecursiveDnsServer = 25,

    /// <summary>DNS search list (RFC 8106).</summary>
    DnsSearchList = 31,
}

/// <summary>One neighbor discovery option: type, length in units of 8 bytes, data.</summary>
public readonly ref struct NdpOption
{
    internal NdpOption(NdpOptionType type, ReadOnlySpan<byte> bytes, int offset, WireError error)
    {
        Type = type;
        Bytes = bytes;
        Offset = offset;
        Error = error;
    }

    /// <summary>The option type (possibly one not named in <see cref="NdpOptionType"/>).</summary>
    public NdpOptionType Type { get; }

    /// <summary>
    /// <see cref="WireError.None"/> for a well-delimited option; otherwise
    /// <see cref="WireError.BadOptionLength"/> (a zero length, a missing length byte, or a length past
    /// the end), in which case <see cref="Bytes"/> is empty and no option follows.
    /// </summary>
    public WireError Error { get; }

    /// <summary>The whole option, type and length bytes included (empty for a malformed option).</summary>
    public ReadOnlySpan<byte> Bytes { get; }

    /// <summary>The option's length in bytes (a non-zero multiple of 8, or 0 for a malformed option).</summary>
    public int Length => Bytes.Length;

    /// <summary>The option after its type and length bytes.</summary>
    public ReadOnlySpan<byte> Data => Bytes.IsEmpty ? default : Bytes[2..];

    /// <summary>Where the option starts, counted from the start of the options.</summary>
    public int Offset { get; }

    /// <summary>The Ethernet address of a source or target link-layer address option (its first six data bytes).</summary>
    /// <exception cref="InvalidOperationException">The option is malformed.</exception>
    public MacAddress LinkLayerAddress => Error == WireError.None
        ? MacAddress.Read(Data)
        : throw new InvalidOperationException("A malformed option has no link-layer address.");

    /// <summary>The value of an MTU option (bytes 4-7).</summary>
    /// <exception cref="InvalidOperationException">The option is malformed.</exception>
    public uint Mtu => Error == WireError.None
        ? BinaryPrimitives.ReadUInt32BigEndian(Bytes[4..])
        : throw new InvalidOperationException("A malformed option has no MTU.");
}

/// <summary>
/// Reads neighbor discovery options, for use in <c>foreach</c>. Every option is yielded, known or
/// not, delimited by its length.
/// </summary>
/// <remarks>
/// A malformed option never throws: the reader yields one last <see cref="NdpOption"/> whose
/// <see cref="NdpOption.Error"/> is <see cref="WireError.BadOptionLength"/>, sets
/// <see cref="Error"/>, and stops. That covers a length of zero (RFC 4861 section 4.6: the whole
/// message must be discarded), a type byte with no length byte, and an option past the end.
/// </remarks>
public ref struct NdpOptionReader
{
    private readonly ReadOnlySpan<byte> _options;
    private int _offset;

    /// <summary>A reader over <paramref name="options"/>: the bytes after a message's fixed part.</summary>
    public NdpOptionReader(ReadOnlySpan<byte> options) => _options = options;

    /// <summary>The option <see cref="MoveNext"/> last moved to.</summary>
    public NdpOption Current { get; private set; }

    /// <summary>Why the walk stopped early, or <see cref="WireError.None"/>.</summary>
    public WireError Error { get; private set; }

    /// <summary>Returns this reader, so that it can be used in <c>foreach</c>.</summary>
    public readonly NdpOptionReader GetEnumerator() => this;

    /// <summary>Moves to the next option; false at the end or after a malformed option.</summary>
    public bool MoveNext()
    {
        if (_offset >= _options.Length) return false;
        var rest = _options[_offset..];
        var type = (NdpOptionType)rest[0];
        if (rest.Length < 2 || rest[1] == 0 || rest[1] * 8 > rest.Length)
        {
            Error = WireError.BadOptionLength;
            Current = new NdpOption(type, default, _offset, WireError.BadOptionLength);
            _offset = _options.Length;
            return true;
        }
        int length = rest[1] * 8;
        Current = new NdpOption(type, rest[..length], _offset, WireError.None);
        _offset += length;
        return true;
    }

    /// <summary>Checks every option's length without looking inside.</summary>
    public static WireError Validate(ReadOnlySpan<byte> options)
    {
        var reader = new NdpOptionReader(options);
        while (reader.MoveNext()) { }
        return reader.Error;
    }
}

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
