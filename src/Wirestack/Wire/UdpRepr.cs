using System.Buffers.Binary;

namespace Wirestack.Wire;

/// <summary>The fields of a UDP header and the payload length, parsed from a <see cref="UdpPacket"/> or to be emitted.</summary>
public struct UdpRepr
{
    /// <summary>The largest payload whose length still fits the 16-bit length field.</summary>
    public const int MaxPayloadLength = ushort.MaxValue - UdpPacket.HeaderLength;

    /// <summary>A repr for a datagram of <paramref name="payloadLength"/> bytes.</summary>
    public UdpRepr(ushort sourcePort, ushort destinationPort, int payloadLength)
    {
        SourcePort = sourcePort;
        DestinationPort = destinationPort;
        PayloadLength = payloadLength;
    }

    /// <summary>The source port (0 when the sender expects no reply).</summary>
    public ushort SourcePort { get; set; }

    /// <summary>The destination port.</summary>
    public ushort DestinationPort { get; set; }

    /// <summary>The payload length in bytes.</summary>
    public int PayloadLength { get; set; }

    /// <summary>The header length: 8.</summary>
    public readonly int HeaderLength => UdpPacket.HeaderLength;

    /// <summary>The datagram length, header plus payload: the value of the length field, and the length for the pseudo-header.</summary>
    public readonly int BufferLength => UdpPacket.HeaderLength + PayloadLength;

    /// <summary>
    /// Reads a checked datagram. With <paramref name="verifyChecksum"/>, a checksum that fails
    /// against <paramref name="pseudoHeaderSum"/> is <see cref="WireError.BadChecksum"/>; a zero
    /// checksum field passes when <paramref name="allowZeroChecksum"/> is true (IPv4, RFC 768)
    /// and fails otherwise (pass false over IPv6, where RFC 8200 section 8.1 makes it mandatory).
    /// </summary>
    public static WireError Parse(UdpPacket packet, uint pseudoHeaderSum, out UdpRepr repr, bool verifyChecksum = true, bool allowZeroChecksum = true)
    {
        repr = default;
        if (verifyChecksum)
        {
            if (!packet.HasChecksum)
            {
                if (!allowZeroChecksum) return WireError.BadChecksum;
            }
            else if (!packet.VerifyChecksum(pseudoHeaderSum))
            {
                return WireError.BadChecksum;
            }
        }
        repr = new UdpRepr(packet.SourcePort, packet.DestinationPort, packet.Length - UdpPacket.HeaderLength);
        return WireError.None;
    }

    /// <summary>
    /// Writes the header and <paramref name="payload"/> into the first <see cref="BufferLength"/>
    /// bytes of <paramref name="buffer"/>, copying the payload and summing it in one pass, and
    /// fills the checksum over <paramref name="pseudoHeaderSum"/>, header and payload.
    /// </summary>
    /// <exception cref="ArgumentException">The buffer is too short, or the payload length differs from <see cref="PayloadLength"/> or is too long.</exception>
    public readonly void Emit(Span<byte> buffer, ReadOnlySpan<byte> payload, uint pseudoHeaderSum)
    {
        if (payload.Length != PayloadLength)
            throw new ArgumentException($"The payload has {payload.Length} bytes but PayloadLength is {PayloadLength}; set PayloadLength to the payload's length.", nameof(payload));
        EmitGuard.RequireLength(buffer, BufferLength);
        EmitHeader(buffer);
        uint sum = InternetChecksum.CopyAndSum(payload, buffer[UdpPacket.HeaderLength..]);
        sum = InternetChecksum.Add(sum, InternetChecksum.Sum(buffer[..UdpPacket.HeaderLength], pseudoHeaderSum));
        WriteChecksum(buffer, InternetChecksum.Finish(sum));
    }

    /// <summary>
    /// Writes the header alone into the first 8 bytes of <paramref name="buffer"/>, with a zero
    /// checksum field ("no checksum" over IPv4, or a placeholder for <see cref="FillChecksum"/>
    /// once the payload is in place).
    /// </summary>
    /// <exception cref="ArgumentException">The buffer is too short, or <see cref="PayloadLength"/> is out of range.</exception>
    public readonly void EmitHeader(Span<byte> buffer)
    {
        if ((uint)PayloadLength > MaxPayloadLength)
            throw new ArgumentException($"PayloadLength is {PayloadLength}; a UDP payload is 0 to {MaxPayloadLength} bytes.");
        EmitGuard.RequireLength(buffer, UdpPacket.HeaderLength);
        BinaryPrimitives.WriteUInt16BigEndian(buffer, SourcePort);
        BinaryPrimitives.WriteUInt16BigEndian(buffer[2..], DestinationPort);
        BinaryPrimitives.WriteUInt16BigEndian(buffer[4..], (ushort)BufferLength);
        BinaryPrimitives.WriteUInt16BigEndian(buffer[6..], 0);
    }

    /// <summary>
    /// Computes and writes the checksum of <paramref name="datagram"/> (exactly the header and
    /// payload) with <paramref name="pseudoHeaderSum"/>, whatever its checksum field held before.
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="datagram"/> is shorter than a header.</exception>
    public static void FillChecksum(Span<byte> datagram, uint pseudoHeaderSum)
    {
        EmitGuard.RequireLength(datagram, UdpPacket.HeaderLength);
        BinaryPrimitives.WriteUInt16BigEndian(datagram[6..], 0);
        WriteChecksum(datagram, InternetChecksum.Compute(datagram, pseudoHeaderSum));
    }

    // A computed checksum of zero goes out as its ones'-complement twin 0xFFFF, because zero on
    // the wire means "no checksum" (RFC 768).
    private static void WriteChecksum(Span<byte> datagram, ushort checksum) =>
        BinaryPrimitives.WriteUInt16BigEndian(datagram[6..], checksum == 0 ? (ushort)0xFFFF : checksum);
}
