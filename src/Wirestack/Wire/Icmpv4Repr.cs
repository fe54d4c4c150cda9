using System.Buffers.Binary;

namespace Wirestack.Wire;

/// <summary>
/// An ICMPv4 echo request or reply, destination unreachable, time exceeded or parameter problem
/// message: the header fields and the payload length. The payload (echo data, or the quoted
/// invoking datagram of an error) is the caller's, passed to <see cref="Emit"/>.
/// </summary>
/// <remarks>
/// Which fields matter depends on <see cref="Type"/>: <see cref="Identifier"/> and
/// <see cref="SequenceNumber"/> for echo; <see cref="NextHopMtu"/> for destination unreachable;
/// <see cref="Pointer"/> for parameter problem; <see cref="OriginalDatagramLength"/> for the three
/// error types. The others are ignored by <see cref="Emit"/> and zero after <see cref="Parse"/>.
/// </remarks>
public struct Icmpv4Repr
{
    /// <summary>The message type: one of the five this repr covers.</summary>
    public Icmpv4Type Type { get; set; }

    /// <summary>
    /// The message code: 0 for echo, an <see cref="Icmpv4UnreachableCode"/>, an
    /// <see cref="Icmpv4TimeExceededCode"/> or an <see cref="Icmpv4ParameterProblemCode"/>.
    /// </summary>
    public byte Code { get; set; }

    /// <summary>Echo: the identifier.</summary>
    public ushort Identifier { get; set; }

    /// <summary>Echo: the sequence number.</summary>
    public ushort SequenceNumber { get; set; }

    /// <summary>
    /// Destination unreachable: the next-hop MTU (RFC 1191), meaningful for
    /// <see cref="Icmpv4UnreachableCode.FragmentationNeeded"/>; senders put 0 for other codes.
    /// </summary>
    public ushort NextHopMtu { get; set; }

    /// <summary>Parameter problem: the offset of the bad octet in the invoking header.</summary>
    public byte Pointer { get; set; }

    /// <summary>
    /// Error messages: the length in bytes of the quoted datagram when an RFC 4884 extension
    /// structure follows it (a multiple of 4, at most 1020), else 0. The extension itself is part of the payload.
    /// </summary>
    public int OriginalDatagramLength { get; set; }

    /// <summary>The payload length: echo data, or the quote (and any extension) of an error.</summary>
    public int PayloadLength { get; set; }

    /// <summary>The header length: 8.</summary>
    public readonly int HeaderLength => Icmpv4Packet.HeaderLength;

    /// <summary>The message length: header plus payload.</summary>
    public readonly int BufferLength => Icmpv4Packet.HeaderLength + PayloadLength;

    /// <summary>True for destination unreachable, time exceeded and parameter problem.</summary>
    public readonly bool IsError => IsErrorType(Type);

    /// <summary>An echo request carrying <paramref name="payloadLength"/> bytes of data.</summary>
    public static Icmpv4Repr EchoRequest(ushort identifier, ushort sequenceNumber, int payloadLength) =>
        new() { Type = Icmpv4Type.EchoRequest, Identifier = identifier, SequenceNumber = sequenceNumber, PayloadLength = payloadLength };

    /// <summary>An echo reply carrying <paramref name="payloadLength"/> bytes of data.</summary>
    public static Icmpv4Repr EchoReply(ushort identifier, ushort sequenceNumber, int payloadLength) =>
        new() { Type = Icmpv4Type.EchoReply, Identifier = identifier, SequenceNumber = sequenceNumber, PayloadLength = payloadLength };

    /// <summary>A destination unreachable quoting <paramref name="quoteLength"/> bytes of the invoking datagram.</summary>
    public static Icmpv4Repr DestinationUnreachable(Icmpv4UnreachableCode code, int quoteLength, ushort nextHopMtu = 0) =>
        new() { Type = Icmpv4Type.DestinationUnreachable, Code = (byte)code, NextHopMtu = nextHopMtu, PayloadLength = quoteLength };

    /// <summary>A time exceeded quoting <paramref name="quoteLength"/> bytes of the invoking datagram.</summary>
    public static Icmpv4Repr TimeExceeded(Icmpv4TimeExceededCode code, int quoteLength) =>
        new() { Type = Icmpv4Type.TimeExceeded, Code = (byte)code, PayloadLength = quoteLength };

    /// <summary>A parameter problem pointing at octet <paramref name="pointer"/> of the quoted header.</summary>
    public static Icmpv4Repr ParameterProblem(byte pointer, int quoteLength, Icmpv4ParameterProblemCode code = Icmpv4ParameterProblemCode.PointerIndicatesError) =>
        new() { Type = Icmpv4Type.ParameterProblem, Code = (byte)code, Pointer = pointer, PayloadLength = quoteLength };

    /// <summary>
    /// Reads a checked message. With <paramref name="verifyChecksum"/>, a bad checksum is
    /// <see cref="WireError.BadChecksum"/>. A type this repr does not cover, or an error code its
    /// type does not define, is <see cref="WireError.Unrecognized"/> (the view still reads it).
    /// </summary>
    public static WireError Parse(Icmpv4Packet packet, out Icmpv4Repr repr, bool verifyChecksum = true)
    {
        repr = default;
        if (verifyChecksum && !packet.VerifyChecksum()) return WireError.BadChecksum;
        var type = packet.Type;
        byte code = packet.Code;
        var result = new Icmpv4Repr { Type = type, Code = code, PayloadLength = packet.Payload.Length };
        switch (type)
        {
            case Icmpv4Type.EchoRequest:
            case Icmpv4Type.EchoReply:
                // RFC 792 says code 0, but Linux echoes whatever code the request had, so keep it.
                result.Identifier = packet.Identifier;
                result.SequenceNumber = packet.SequenceNumber;
                break;
            case Icmpv4Type.DestinationUnreachable:
                if (code > (byte)Icmpv4UnreachableCode.PrecedenceCutoff) return WireError.Unrecognized;
                result.NextHopMtu = packet.NextHopMtu;
                result.OriginalDatagramLength = packet.OriginalDatagramLength;
                break;
            case Icmpv4Type.TimeExceeded:
                if (code > (byte)Icmpv4TimeExceededCode.ReassemblyTimeExceeded) return WireError.Unrecognized;
                result.OriginalDatagramLength = packet.OriginalDatagramLength;
                break;
            case Icmpv4Type.ParameterProblem:
                if (code > (byte)Icmpv4ParameterProblemCode.BadLength) return WireError.Unrecognized;
                result.Pointer = packet.Pointer;
                result.OriginalDatagramLength = packet.OriginalDatagramLength;
                break;
            default:
                return WireError.Unrecognized;
        }
        repr = result;
        return WireError.None;
    }

    /// <summary>
    /// Writes the header and <paramref name="payload"/> into the first <see cref="BufferLength"/>
    /// bytes of <paramref name="buffer"/>, copying and summing the payload in one pass, and fills the checksum.
    /// </summary>
    /// <exception cref="ArgumentException">The buffer is too short, the payload length differs from <see cref="PayloadLength"/>, or a field is out of range.</exception>
    public readonly void Emit(Span<byte> buffer, ReadOnlySpan<byte> payload)
    {
        if (payload.Length != PayloadLength)
            throw new ArgumentException($"The payload has {payload.Length} bytes but PayloadLength is {PayloadLength}; set PayloadLength to the payload's length.", nameof(payload));
        EmitGuard.RequireLength(buffer, BufferLength);
        EmitHeader(buffer);
        uint sum = InternetChecksum.CopyAndSum(payload, buffer[Icmpv4Packet.HeaderLength..]);
        sum = InternetChecksum.Add(sum, InternetChecksum.Sum(buffer[..Icmpv4Packet.HeaderLength]));
        BinaryPrimitives.WriteUInt16BigEndian(buffer[2..], InternetChecksum.Finish(sum));
    }

    /// <summary>
    /// Writes the 8-byte header alone, with a zero checksum field, for a payload the caller puts
    /// in place before calling <see cref="FillChecksum"/>.
    /// </summary>
    /// <exception cref="ArgumentException">The buffer is too short, or a field is out of range.</exception>
    public readonly void EmitHeader(Span<byte> buffer)
    {
        if (!IsErrorType(Type) && Type is not (Icmpv4Type.EchoRequest or Icmpv4Type.EchoReply))
            throw new ArgumentException($"Type is {(byte)Type}; this repr emits echo request and reply, destination unreachable, time exceeded and parameter problem.");
        if (PayloadLength < 0)
            throw new ArgumentException($"PayloadLength is {PayloadLength}; it cannot be negative.");
        if (OriginalDatagramLength % 4 != 0 || (uint)OriginalDatagramLength > 255 * 4)
            throw new ArgumentException($"OriginalDatagramLength is {OriginalDatagramLength}; it must be a multiple of 4 no larger than 1020 (0 without an RFC 4884 extension).");
        EmitGuard.RequireLength(buffer, Icmpv4Packet.HeaderLength);
        buffer[0] = (byte)Type;
        buffer[1] = Code;
        BinaryPrimitives.WriteUInt16BigEndian(buffer[2..], 0);
        switch (Type)
        {
            case Icmpv4Type.EchoRequest:
            case Icmpv4Type.EchoReply:
                BinaryPrimitives.WriteUInt16BigEndian(buffer[4..], Identifier);
                BinaryPrimitives.WriteUInt16BigEndian(buffer[6..], SequenceNumber);
                break;
            default:
                buffer[4] = Type == Icmpv4Type.ParameterProblem ? Pointer : (byte)0;
                buffer[5] = (byte)(OriginalDatagramLength / 4);
                BinaryPrimitives.WriteUInt16BigEndian(buffer[6..], Type == Icmpv4Type.DestinationUnreachable ? NextHopMtu : (ushort)0);
                break;
        }
    }

    /// <summary>Computes and writes the checksum of <paramref name="message"/> (exactly the header and payload).</summary>
    /// <exception cref="ArgumentException"><paramref name="message"/> is shorter than a header.</exception>
    public static void FillChecksum(Span<byte> message)
    {
        EmitGuard.RequireLength(message, Icmpv4Packet.HeaderLength);
        BinaryPrimitives.WriteUInt16BigEndian(message[2..], 0);
        BinaryPrimitives.WriteUInt16BigEndian(message[2..], InternetChecksum.Compute(message));
    }

    private static bool IsErrorType(Icmpv4Type type) =>
        type is Icmpv4Type.DestinationUnreachable or Icmpv4Type.TimeExceeded or Icmpv4Type.ParameterProblem;
}
