using System.Buffers.Binary;

namespace Wirestack.Wire;

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
