using System.Buffers.Binary;

namespace Wirestack.Wire;

/// <summary>
/// A read-only view of an ICMPv6 message (RFC 4443). <see cref="TryParse"/> checks for the eight
/// bytes every message has (type, code, checksum and a 32-bit type-specific field); the length a
/// particular type needs is checked by the repr that reads it.
/// </summary>
public readonly ref struct Icmpv6Packet
{
    /// <summary>The length of the part every message has.</summary>
    public const int HeaderLength = 8;

    private readonly ReadOnlySpan<byte> _buffer;

    private Icmpv6Packet(ReadOnlySpan<byte> buffer) => _buffer = buffer;

    /// <summary>Checks <paramref name="buffer"/> (the whole upper-layer payload) and makes a view of it.</summary>
    public static WireError TryParse(ReadOnlySpan<byte> buffer, out Icmpv6Packet packet)
    {
        packet = default;
        if (buffer.Length < HeaderLength) return WireError.Truncated;
        packet = new Icmpv6Packet(buffer);
        return WireError.None;
    }

    /// <summary>The whole message.</summary>
    public ReadOnlySpan<byte> Buffer => _buffer;

    /// <summary>The message type.</summary>
    public Icmpv6Type Type => (Icmpv6Type)_buffer[0];

    /// <summary>The message code.</summary>
    public byte Code => _buffer[1];

    /// <summary>The checksum field.</summary>
    public ushort Checksum => BinaryPrimitives.ReadUInt16BigEndian(_buffer[2..]);

    /// <summary>True for error messages (types below 128).</summary>
    public bool IsError => _buffer[0] < 128;

    /// <summary>The echo identifier (bytes 4-5).</summary>
    public ushort Identifier => BinaryPrimitives.ReadUInt16BigEndian(_buffer[4..]);

    /// <summary>The echo sequence number (bytes 6-7).</summary>
    public ushort SequenceNumber => BinaryPrimitives.ReadUInt16BigEndian(_buffer[6..]);

    /// <summary>The MTU of a packet too big message (bytes 4-7).</summary>
    public uint Mtu => BinaryPrimitives.ReadUInt32BigEndian(_buffer[4..]);

    /// <summary>The pointer of a parameter problem message (bytes 4-7).</summary>
    public uint Pointer => BinaryPrimitives.ReadUInt32BigEndian(_buffer[4..]);

    /// <summary>
    /// Everything after the first eight bytes: echo data, the invoking packet of an error, or the
    /// rest of an NDP or MLD message.
    /// </summary>
    public ReadOnlySpan<byte> Payload => _buffer[HeaderLength..];

    /// <summary>
    /// True when the checksum verifies over the message and <paramref name="pseudoHeaderSum"/>
    /// (from <see cref="Ipv6Repr.PseudoHeaderSum(IpProtocol, int)"/> with this message's length).
    /// </summary>
    public bool VerifyChecksum(uint pseudoHeaderSum) => InternetChecksum.IsValid(_buffer, pseudoHeaderSum);
}
