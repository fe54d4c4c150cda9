using System.Buffers.Binary;

namespace Wirestack.Wire;

/// <summary>
/// A read-only view of a UDP datagram (RFC 768). <see cref="TryParse"/> checks the length field
/// against the buffer and trims anything past it.
/// </summary>
public readonly ref struct UdpPacket
{
    /// <summary>The header length.</summary>
    public const int HeaderLength = 8;

    private readonly ReadOnlySpan<byte> _buffer;

    private UdpPacket(ReadOnlySpan<byte> buffer) => _buffer = buffer;

    /// <summary>Checks <paramref name="buffer"/> (the IP payload) and makes a view of its first <see cref="Length"/> bytes.</summary>
    public static WireError TryParse(ReadOnlySpan<byte> buffer, out UdpPacket packet)
    {
        packet = default;
        if (buffer.Length < HeaderLength) return WireError.Truncated;
        int length = BinaryPrimitives.ReadUInt16BigEndian(buffer[4..]);
        if (length < HeaderLength) return WireError.BadLength;
        if (length > buffer.Length) return WireError.Truncated;
        packet = new UdpPacket(buffer[..length]);
        return WireError.None;
    }

    /// <summary>The datagram, header and payload, as long as the length field says.</summary>
    public ReadOnlySpan<byte> Buffer => _buffer;

    /// <summary>The source port.</summary>
    public ushort SourcePort => BinaryPrimitives.ReadUInt16BigEndian(_buffer);

    /// <summary>The destination port.</summary>
    public ushort DestinationPort => BinaryPrimitives.ReadUInt16BigEndian(_buffer[2..]);

    /// <summary>The length field: header plus payload.</summary>
    public int Length => BinaryPrimitives.ReadUInt16BigEndian(_buffer[4..]);

    /// <summary>The checksum field.</summary>
    public ushort Checksum => BinaryPrimitives.ReadUInt16BigEndian(_buffer[6..]);

    /// <summary>
    /// False when the checksum field is zero: over IPv4 the sender computed no checksum (RFC 768).
    /// A computed checksum of zero is sent as 0xFFFF, so zero never means a real checksum.
    /// </summary>
    public bool HasChecksum => Checksum != 0;

    /// <summary>The payload.</summary>
    public ReadOnlySpan<byte> Payload => _buffer[HeaderLength..];

    /// <summary>
    /// True when the checksum verifies against <paramref name="pseudoHeaderSum"/> (see
    /// <see cref="InternetChecksum.PseudoHeaderSum(Ipv4Address, Ipv4Address, IpProtocol, int)"/>).
    /// This is the arithmetic alone: a zero checksum field (see <see cref="HasChecksum"/>) does not verify.
    /// </summary>
    public bool VerifyChecksum(uint pseudoHeaderSum) => InternetChecksum.IsValid(_buffer, pseudoHeaderSum);
}
