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
