using System.Buffers.Binary;

namespace Wirestack.Wire;

/// <summary>
/// An RFC 4443 ICMPv6 message: echo request and reply, destination unreachable, packet too big,
/// time exceeded and parameter problem: the header fields and the payload length. The payload
/// (echo data, or for an error as much of the invoking packet as fits the minimum MTU) is
/// <see cref="Icmpv6Packet.Payload"/> on receipt and the caller's, passed to <see cref="Emit"/>,
/// on sending. NDP and MLD messages have their own reprs (<see cref="NdpRepr"/>, <see cref="MldRepr"/>).
/// </summary>
/// <remarks>
/// Which fields matter depends on <see cref="Type"/>: <see cref="Identifier"/> and
/// <see cref="SequenceNumber"/> for echo, <see cref="Mtu"/> for packet too big,
/// <see cref="Pointer"/> for parameter problem. The others are ignored by <see cref="Emit"/> and
/// zero after <see cref="Parse"/>.
/// </remarks>
public struct Icmpv6Repr
{
    /// <summary>
    /// The most invoking-packet bytes an error may quote so the whole error fits the IPv6 minimum
    /// MTU (1280 - 40 - 8), assuming no extension headers in front of it. Linux quotes exactly this much.
    /// </summary>
    public const int MaxErrorPayload = Ipv6Packet.MinimumMtu - Ipv6Packet.HeaderLength - Icmpv6Packet.HeaderLength;

    /// <summary>The message type: one of the six this repr covers.</summary>
    public Icmpv6Type Type { get; set; }

    /// <summary>
    /// The message code: 0 for echo and packet too big, else an
    /// <see cref="Icmpv6DestinationUnreachableCode"/>, <see cref="Icmpv6TimeExceededCode"/> or
    /// <see cref="Icmpv6ParameterProblemCode"/>.
    /// </summary>
    public byte Code { get; set; }

    /// <summary>Echo: the identifier.</summary>
    public ushort Identifier { get; set; }

    /// <summary>Echo: the sequence number.</summary>
    public ushort SequenceNumber { get; set; }

    /// <summary>Packet too big: the MTU of the next-hop link.</summary>
    public uint Mtu { get; set; }

    /// <summary>Parameter problem: the offset of the offending byte in the invoking packet.</summary>
    public uint Pointer { get; set; }

    /// <summary>The payload length: echo data, or the quote of an error.</summary>
    public int PayloadLength { get; set; }

    /// <summary>The header length: 8.</summary>
    public readonly int HeaderLength => Icmpv6Packet.HeaderLength;

    /// <summary>The message length: header plus payload (the length for the pseudo-header).</summary>
    public readonly int BufferLength => Icmpv6Packet.HeaderLength + PayloadLength;

    /// <summary>True for the four error types.</summary>
    public readonly bool IsError => (byte)Type < 128;

    /// <summary>An echo request carrying <paramref name="payloadLength"/> bytes of data.</summary>
    public static Icmpv6Repr EchoRequest(ushort identifier, ushort sequenceNumber, int payloadLength) =>
        new() { Type = Icmpv6Type.EchoRequest, Identifier = identifier, SequenceNumber = sequenceNumber, PayloadLength = payloadLength };

    /// <summary>An echo reply carrying <paramref name="payloadLength"/> bytes of data.</summary>
    public static Icmpv6Repr EchoReply(ushort identifier, ushort sequenceNumber, int payloadLength) =>
        new() { Type = Icmpv6Type.EchoReply, Identifier = identifier, SequenceNumber = sequenceNumber, PayloadLength = payloadLength };

    /// <summary>A destination unreachable quoting <paramref name="quoteLength"/> bytes of the invoking packet.</summary>
    public static Icmpv6Repr DestinationUnreachable(Icmpv6DestinationUnreachableCode code, int quoteLength) =>
        new() { Type = Icmpv6Type.DestinationUnreachable, Code = (byte)code, PayloadLength = quoteLength };

    /// <summary>A packet too big quoting <paramref name="quoteLength"/> bytes of the invoking packet.</summary>
    public static Icmpv6Repr PacketTooBig(uint mtu, int quoteLength) =>
        new() { Type = Icmpv6Type.PacketTooBig, Mtu = mtu, PayloadLength = quoteLength };

    /// <summary>A time exceeded quoting <paramref name="quoteLength"/> bytes of the invoking packet.</summary>
    public static Icmpv6Repr TimeExceeded(Icmpv6TimeExceededCode code, int quoteLength) =>
        new() { Type = Icmpv6Type.TimeExceeded, Code = (byte)code, PayloadLength = quoteLength };

    /// <summary>A parameter problem pointing at byte <paramref name="pointer"/> of the invoking packet.</summary>
    public static Icmpv6Repr ParameterProblem(Icmpv6ParameterProblemCode code, uint pointer, int quoteLength) =>
        new() { Type = Icmpv6Type.ParameterProblem, Code = (byte)code, Pointer = pointer, PayloadLength = quoteLength };

    /// <summary>True for the types this repr reads and writes.</summary>
    public static bool Handles(Icmpv6Type type) => type is Icmpv6Type.EchoRequest or Icmpv6Type.EchoReply
        or Icmpv6Type.DestinationUnreachable or Icmpv6Type.PacketTooBig or Icmpv6Type.TimeExceeded or Icmpv6Type.ParameterProblem;

    /// <summary>
    /// Reads a checked message. With <paramref name="verifyChecksum"/>, a checksum that fails
    /// against <paramref name="pseudoHeaderSum"/> is <see cref="WireError.BadChecksum"/>. A type
    /// this repr does not cover is <see cref="WireError.Unrecognized"/> (the view still reads it).
    /// </summary>
    /// <remarks>
    /// Codes are kept as received. RFC 4443 wants 0 for echo, but Linux echoes whatever code the
    /// request had; and an error with a code Wirestack does not know is still an error about the
    /// quoted packet, to be passed to its upper layer (RFC 4443 section 2.4).
    /// </remarks>
    public static WireError Parse(Icmpv6Packet packet, uint pseudoHeaderSum, out Icmpv6Repr repr, bool verifyChecksum = true)
    {
        repr = default;
        if (!Handles(packet.Type)) return WireError.Unrecognized;
        if (verifyChecksum && !packet.VerifyChecksum(pseudoHeaderSum)) return WireError.BadChecksum;
        var result = new Icmpv6Repr { Type = packet.Type, Code = packet.Code, PayloadLength = packet.Payload.Length };
        switch (packet.Type)
        {
            case Icmpv6Type.EchoRequest:
            case Icmpv6Type.EchoReply:
                result.Identifier = packet.Identifier;
                result.SequenceNumber = packet.SequenceNumber;
                break;
            case Icmpv6Type.PacketTooBig:
                result.Mtu = packet.Mtu;
                break;
            case Icmpv6Type.ParameterProblem:
                result.Pointer = packet.Pointer;
                break;
        }
        repr = result;
        return WireError.None;
    }

    /// <summary>
    /// Writes the header and <paramref name="payload"/> into the first <see cref="BufferLength"/>
    /// bytes of <paramref name="buffer"/>, copying and summing the payload in one pass, and fills the
    /// checksum over <paramref name="pseudoHeaderSum"/> (which must cover <see cref="BufferLength"/>),
    /// header and payload.
    /// </summary>
    /// <exception cref="ArgumentException">The buffer is too short, the payload length differs from <see cref="PayloadLength"/>, or the type is not one this repr writes.</exception>
    public readonly void Emit(Span<byte> buffer, ReadOnlySpan<byte> payload, uint pseudoHeaderSum)
    {
        if (payload.Length != PayloadLength)
            throw new ArgumentException($"The payload has {payload.Length} bytes but PayloadLength is {PayloadLength}; set PayloadLength to the payload's length.", nameof(payload));
        EmitGuard.RequireLength(buffer, BufferLength);
        EmitHeader(buffer);
        var destination = buffer[Icmpv6Packet.HeaderLength..BufferLength];
        uint sum;
        if (payload.Overlaps(destination))
        {
            payload.CopyTo(destination); // a memmove: a payload already (nearly) in place is safe
            sum = InternetChecksum.Sum(destination);
        }
        else
        {
            sum = InternetChecksum.CopyAndSum(payload, destination);
        }
        sum = InternetChecksum.Add(sum, InternetChecksum.Sum(buffer[..Icmpv6Packet.HeaderLength], pseudoHeaderSum));
        BinaryPrimitives.WriteUInt16BigEndian(buffer[2..], InternetChecksum.Finish(sum));
    }

    /// <summary>
    /// Writes the 8-byte header alone, with a zero checksum field, for a payload the caller puts
    /// in place before calling <see cref="FillChecksum"/>.
    /// </summary>
    /// <exception cref="ArgumentException">The buffer is too short, the type is not one this repr writes, or <see cref="PayloadLength"/> is negative.</exception>
    public readonly void EmitHeader(Span<byte> buffer)
    {
        if (!Handles(Type))
            throw new ArgumentException($"Type is {(byte)Type}; this repr writes echo and RFC 4443 error messages (NdpRepr and MldRepr write the others).");
        if (PayloadLength < 0)
            throw new ArgumentException($"PayloadLength is {PayloadLength}; it cannot be negative.");
        EmitGuard.RequireLength(buffer, Icmpv6Packet.HeaderLength);
        buffer[0] = (byte)Type;
        buffer[1] = Code;
        BinaryPrimitives.WriteUInt16BigEndian(buffer[2..], 0);
        uint field = Type switch
        {
            Icmpv6Type.EchoRequest or Icmpv6Type.EchoReply => ((uint)Identifier << 16) | SequenceNumber,
            Icmpv6Type.PacketTooBig => Mtu,
            Icmpv6Type.ParameterProblem => Pointer,
            _ => 0,
        };
        BinaryPrimitives.WriteUInt32BigEndian(buffer[4..], field);
    }

    /// <summary>
    /// Computes and writes the checksum of <paramref name="message"/> (exactly the header and
    /// payload) with <paramref name="pseudoHeaderSum"/>, whatever its checksum field held before.
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="message"/> is shorter than a header.</exception>
    public static void FillChecksum(Span<byte> message, uint pseudoHeaderSum)
    {
        EmitGuard.RequireLength(message, Icmpv6Packet.HeaderLength);
        BinaryPrimitives.WriteUInt16BigEndian(message[2..], 0);
        BinaryPrimitives.WriteUInt16BigEndian(message[2..], InternetChecksum.Compute(message, pseudoHeaderSum));
    }
}
