using System.Buffers.Binary;

namespace Wirestack.Wire;

/// <summary>A read-only view of an IPv6 fragment header (RFC 8200 section 4.5), always 8 bytes.</summary>
public readonly ref struct Ipv6FragmentHeader
{
    /// <summary>The header's length.</summary>
    public const int Length = 8;

    private readonly ReadOnlySpan<byte> _buffer;

    private Ipv6FragmentHeader(ReadOnlySpan<byte> buffer) => _buffer = buffer;

    /// <summary>Checks <paramref name="buffer"/> and makes a view of its first 8 bytes.</summary>
    public static WireError TryParse(ReadOnlySpan<byte> buffer, out Ipv6FragmentHeader header)
    {
        header = default;
        if (buffer.Length < Length) return WireError.Truncated;
        header = new Ipv6FragmentHeader(buffer[..Length]);
        return WireError.None;
    }

    /// <summary>The header's bytes.</summary>
    public ReadOnlySpan<byte> Buffer => _buffer;

    /// <summary>The type of the header that starts the fragmentable part of the original packet.</summary>
    public IpProtocol NextHeader => (IpProtocol)_buffer[0];

    /// <summary>The fragment offset in bytes (the field is in units of 8).</summary>
    public int FragmentOffset => BinaryPrimitives.ReadUInt16BigEndian(_buffer[2..]) & 0xFFF8;

    /// <summary>The M flag: more fragments follow.</summary>
    public bool MoreFragments => (_buffer[3] & 1) != 0;

    /// <summary>The identification shared by every fragment of the original packet.</summary>
    public uint Identification => BinaryPrimitives.ReadUInt32BigEndian(_buffer[4..]);

    /// <summary>
    /// True for an atomic fragment (offset 0, M clear): a whole packet that carries a fragment
    /// header anyway, to be processed without reassembly (RFC 6946).
    /// </summary>
    public bool IsAtomic => FragmentOffset == 0 && !MoreFragments;
}

/// <summary>The fields of an IPv6 fragment header, parsed from an <see cref="Ipv6FragmentHeader"/> or to be emitted.</summary>
public struct Ipv6FragmentRepr
{
    /// <summary>The largest fragment offset (13 bits of 8-byte units).</summary>
    public const int MaxFragmentOffset = 0x1FFF * 8;

    /// <summary>The type of the header that starts the fragmentable part.</summary>
    public IpProtocol NextHeader { get; set; }

    /// <summary>The fragment offset in bytes; a multiple of 8.</summary>
    public int FragmentOffset { get; set; }

    /// <summary>The M flag: more fragments follow.</summary>
    public bool MoreFragments { get; set; }

    /// <summary>The identification.</summary>
    public uint Identification { get; set; }

    /// <summary>The number of bytes <see cref="Emit"/> writes (always 8).</summary>
    public readonly int HeaderLength => Ipv6FragmentHeader.Length;

    /// <summary>Reads the fields of a checked header.</summary>
    public static WireError Parse(Ipv6FragmentHeader header, out Ipv6FragmentRepr repr)
    {
        repr = new Ipv6FragmentRepr
        {
            NextHeader = header.NextHeader,
            FragmentOffset = header.FragmentOffset,
            MoreFragments = header.MoreFragments,
            Identification = header.Identification,
        };
        return WireError.None;
    }

    /// <summary>Writes the header into the first 8 bytes of <paramref name="buffer"/> (reserved bits zero).</summary>
    /// <exception cref="ArgumentException">The buffer is too short, or the offset is not a multiple of 8 that fits.</exception>
    public readonly void Emit(Span<byte> buffer)
    {
        EmitGuard.RequireLength(buffer, Ipv6FragmentHeader.Length);
        if (FragmentOffset % 8 != 0 || (uint)FragmentOffset > MaxFragmentOffset)
            throw new ArgumentException($"FragmentOffset {FragmentOffset} must be a multiple of 8 from 0 to {MaxFragmentOffset}.");
        buffer[0] = (byte)NextHeader;
        buffer[1] = 0;
        BinaryPrimitives.WriteUInt16BigEndian(buffer[2..], (ushort)(FragmentOffset | (MoreFragments ? 1 : 0)));
        BinaryPrimitives.WriteUInt32BigEndian(buffer[4..], Identification);
    }
}
