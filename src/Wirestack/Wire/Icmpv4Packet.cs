using System.Buffers.Binary;

namespace Wirestack.Wire;

/// <summary>
/// A read-only view of an ICMPv4 message (RFC 792). ICMP has no length field: the message is the
/// whole IP payload. <see cref="TryParse"/> accepts any type, known or not, of at least 8 bytes.
/// </summary>
/// <remarks>
/// The second 32-bit word means different things per type; the typed accessors below read it
/// the way their type defines it and return meaningless values for other types.
/// </remarks>
public readonly ref struct Icmpv4Packet
{
    /// <summary>The header length: type, code, checksum and the 4-byte rest of header every type has.</summary>
    public const int HeaderLength = 8;

    private readonly ReadOnlySpan<byte> _buffer;

    private Icmpv4Packet(ReadOnlySpan<byte> buffer) => _buffer = buffer;

    /// <summary>Checks <paramref name="buffer"/> (the IP payload) and makes a view of it.</summary>
    public static WireError TryParse(ReadOnlySpan<byte> buffer, out Icmpv4Packet packet)
    {
        packet = default;
        if (buffer.Length < HeaderLength) return WireError.Truncated;
        packet = new Icmpv4Packet(buffer);
        return WireError.None;
    }

    /// <summary>The whole message.</summary>
    public ReadOnlySpan<byte> Buffer => _buffer;

    /// <summary>The message type.</summary>
    public Icmpv4Type Type => (Icmpv4Type)_buffer[0];

    /// <summary>The message code.</summary>
    public byte Code => _buffer[1];

    /// <summary>The checksum field.</summary>
    public ushort Checksum => BinaryPrimitives.ReadUInt16BigEndian(_buffer[2..]);

    /// <summary>Bytes 4-7 as a number, whatever the type makes of them.</summary>
    public uint RestOfHeader => BinaryPrimitives.ReadUInt32BigEndian(_buffer[4..]);

    /// <summary>Echo request and reply: the identifier.</summary>
    public ushort Identifier => BinaryPrimitives.ReadUInt16BigEndian(_buffer[4..]);

    /// <summary>Echo request and reply: the sequence number.</summary>
    public ushort SequenceNumber => BinaryPrimitives.ReadUInt16BigEndian(_buffer[6..]);

    /// <summary>Destination unreachable, code 4: the MTU of the next hop (RFC 1191); 0 from routers that predate it.</summary>
    public ushort NextHopMtu => BinaryPrimitives.ReadUInt16BigEndian(_buffer[6..]);

    /// <summary>Parameter problem: the offset of the octet in the invoking header where the error was found.</summary>
    public byte Pointer => _buffer[4];

    /// <summary>
    /// Destination unreachable, time exceeded, parameter problem: the length in bytes of the quoted
    /// datagram when an RFC 4884 extension structure follows it (the field counts 32-bit words), or 0.
    /// </summary>
    public int OriginalDatagramLength => _buffer[5] * 4;

    /// <summary>Everything after the 8-byte header: echo data, or the quoted invoking datagram of an error.</summary>
    public ReadOnlySpan<byte> Payload => _buffer[HeaderLength..];

    /// <summary>
    /// For an error message, the quoted invoking datagram: the payload, cut at
    /// <see cref="OriginalDatagramLength"/> when that is set and fits. Read it with <see cref="QuotedIpv4Packet.TryParse"/>.
    /// </summary>
    public ReadOnlySpan<byte> QuotedDatagram
    {
        get
        {
            int length = OriginalDatagramLength;
            var payload = Payload;
            return length != 0 && length <= payload.Length ? payload[..length] : payload;
        }
    }

    /// <summary>True when the checksum over the whole message verifies (ICMPv4 has no pseudo-header).</summary>
    public bool VerifyChecksum() => InternetChecksum.IsValid(_buffer);
}
