using System.Buffers.Binary;

namespace Wirestack.Wire;

/// <summary>The fields of an IPv6 fixed header, parsed from an <see cref="Ipv6Packet"/> or to be emitted.</summary>
public struct Ipv6Repr
{
    /// <summary>The largest flow label (20 bits).</summary>
    public const uint MaxFlowLabel = 0xF_FFFF;

    /// <summary>A repr with the defaults Wirestack sends: hop limit 64, traffic class 0, flow label 0.</summary>
    public Ipv6Repr(Ipv6Address source, Ipv6Address destination, IpProtocol nextHeader, int payloadLength, byte hopLimit = 64)
    {
        Source = source;
        Destination = destination;
        NextHeader = nextHeader;
        PayloadLength = payloadLength;
        HopLimit = hopLimit;
    }

    /// <summary>The source address.</summary>
    public Ipv6Address Source { get; set; }

    /// <summary>The destination address.</summary>
    public Ipv6Address Destination { get; set; }

    /// <summary>The type of the header that follows the fixed header.</summary>
    public IpProtocol NextHeader { get; set; }

    /// <summary>The payload length: every byte after the fixed header, extension headers included.</summary>
    public int PayloadLength { get; set; }

    /// <summary>The hop limit.</summary>
    public byte HopLimit { get; set; }

    /// <summary>Differentiated services code point (6 bits).</summary>
    public byte Dscp { get; set; }

    /// <summary>Explicit congestion notification (2 bits).</summary>
    public byte Ecn { get; set; }

    /// <summary>The flow label (20 bits).</summary>
    public uint FlowLabel { get; set; }

    /// <summary>The traffic class byte: <see cref="Dscp"/> then <see cref="Ecn"/>.</summary>
    public readonly byte TrafficClass => (byte)((Dscp << 2) | (Ecn & 3));

    /// <summary>The number of bytes <see cref="Emit"/> writes (always 40).</summary>
    public readonly int HeaderLength => Ipv6Packet.HeaderLength;

    /// <summary>The whole packet's length: header plus payload.</summary>
    public readonly int TotalLength => Ipv6Packet.HeaderLength + PayloadLength;

    /// <summary>Reads the header fields of a checked packet.</summary>
    public static WireError Parse(Ipv6Packet packet, out Ipv6Repr repr)
    {
        repr = new Ipv6Repr
        {
            Source = packet.Source,
            Destination = packet.Destination,
            NextHeader = packet.NextHeader,
            PayloadLength = packet.PayloadLength,
            HopLimit = packet.HopLimit,
            Dscp = packet.Dscp,
            Ecn = packet.Ecn,
            FlowLabel = packet.FlowLabel,
        };
        return WireError.None;
    }

    /// <summary>
    /// Writes the fixed header into the first 40 bytes of <paramref name="buffer"/>. Extension
    /// headers and the payload are the caller's to write after it.
    /// </summary>
    /// <exception cref="ArgumentException">The buffer is too short, or a field does not fit the header.</exception>
    public readonly void Emit(Span<byte> buffer)
    {
        EmitGuard.RequireLength(buffer, Ipv6Packet.HeaderLength);
        if ((uint)PayloadLength > ushort.MaxValue)
            throw new ArgumentException($"An IPv6 payload of {PayloadLength} bytes does not fit the 16-bit payload length; Wirestack does not send jumbograms.");
        if (FlowLabel > MaxFlowLabel)
            throw new ArgumentException($"FlowLabel 0x{FlowLabel:x} does not fit 20 bits.");
        if (Dscp > 63 || Ecn > 3)
            throw new ArgumentException($"Dscp {Dscp} must fit 6 bits and Ecn {Ecn} 2 bits.");
        BinaryPrimitives.WriteUInt32BigEndian(buffer, (6u << 28) | ((uint)TrafficClass << 20) | FlowLabel);
        BinaryPrimitives.WriteUInt16BigEndian(buffer[4..], (ushort)PayloadLength);
        buffer[6] = (byte)NextHeader;
        buffer[7] = HopLimit;
        Source.WriteTo(buffer[8..]);
        Destination.WriteTo(buffer[24..]);
    }

    /// <summary>
    /// The pseudo-header partial sum for an upper-layer protocol that directly follows the fixed
    /// header (no extension headers): <see cref="NextHeader"/> and <see cref="PayloadLength"/>.
    /// </summary>
    public readonly uint PseudoHeaderSum() => InternetChecksum.PseudoHeaderSum(Source, Destination, NextHeader, PayloadLength);

    /// <summary>
    /// The pseudo-header partial sum for <paramref name="upperLayer"/> carried in
    /// <paramref name="upperLayerLength"/> bytes after extension headers (RFC 8200 section 8.1:
    /// the length excludes the extension headers). With a routing header the destination must be
    /// the final one, which on receipt is <see cref="Destination"/> once segments left is zero.
    /// </summary>
    public readonly uint PseudoHeaderSum(IpProtocol upperLayer, int upperLayerLength) =>
        InternetChecksum.PseudoHeaderSum(Source, Destination, upperLayer, upperLayerLength);
}
