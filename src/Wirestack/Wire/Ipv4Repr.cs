using System.Buffers.Binary;

namespace Wirestack.Wire;

/// <summary>The fields of an IPv4 header, parsed from an <see cref="Ipv4Packet"/> or to be emitted.</summary>
public struct Ipv4Repr
{
    /// <summary>A repr with the defaults Wirestack sends: TTL 64, don't-fragment clear, no options.</summary>
    public Ipv4Repr(Ipv4Address source, Ipv4Address destination, IpProtocol protocol, int payloadLength, byte timeToLive = 64)
    {
        Source = source;
        Destination = destination;
        Protocol = protocol;
        PayloadLength = payloadLength;
        TimeToLive = timeToLive;
    }

    /// <summary>The source address.</summary>
    public Ipv4Address Source { get; set; }

    /// <summary>The destination address.</summary>
    public Ipv4Address Destination { get; set; }

    /// <summary>The protocol of the payload.</summary>
    public IpProtocol Protocol { get; set; }

    /// <summary>The payload length in bytes (total length minus header length).</summary>
    public int PayloadLength { get; set; }

    /// <summary>Time to live.</summary>
    public byte TimeToLive { get; set; }

    /// <summary>Differentiated services code point (6 bits).</summary>
    public byte Dscp { get; set; }

    /// <summary>Explicit congestion notification (2 bits).</summary>
    public byte Ecn { get; set; }

    /// <summary>The identification field.</summary>
    public ushort Identification { get; set; }

    /// <summary>The don't-fragment flag.</summary>
    public bool DontFragment { get; set; }

    /// <summary>The more-fragments flag.</summary>
    public bool MoreFragments { get; set; }

    /// <summary>The fragment offset in bytes; a multiple of 8.</summary>
    public int FragmentOffset { get; set; }

    /// <summary>Option bytes, kept as they were received.</summary>
    public Ipv4Options Options { get; set; }

    /// <summary>The header length: 20 plus the options.</summary>
    public readonly int HeaderLength => Ipv4Packet.MinHeaderLength + Options.Length;

    /// <summary>The total length: header plus payload.</summary>
    public readonly int TotalLength => HeaderLength + PayloadLength;

    /// <summary>Reads the header fields of a checked packet; with <paramref name="verifyChecksum"/>, rejects a bad header checksum.</summary>
    public static WireError Parse(Ipv4Packet packet, out Ipv4Repr repr, bool verifyChecksum = true)
    {
        repr = default;
        if (verifyChecksum && !packet.VerifyChecksum()) return WireError.BadChecksum;
        repr = new Ipv4Repr
        {
            Source = packet.Source,
            Destination = packet.Destination,
            Protocol = packet.Protocol,
            PayloadLength = packet.TotalLength - packet.HeaderLength,
            TimeToLive = packet.TimeToLive,
            Dscp = packet.Dscp,
            Ecn = packet.Ecn,
            Identification = packet.Identification,
            DontFragment = packet.DontFragment,
            MoreFragments = packet.MoreFragments,
            FragmentOffset = packet.FragmentOffset,
            Options = Ipv4Options.FromBytes(packet.Options),
        };
        return WireError.None;
    }

    /// <summary>
    /// Writes the header, checksum included, into the first <see cref="HeaderLength"/> bytes of
    /// <paramref name="buffer"/>. The payload is the caller's to write after it.
    /// </summary>
    /// <exception cref="ArgumentException">The buffer is too short, or a field does not fit the header.</exception>
    public readonly void Emit(Span<byte> buffer, bool fillChecksum = true)
    {
        int headerLength = HeaderLength;
        EmitGuard.RequireLength(buffer, headerLength);
        if (TotalLength > ushort.MaxValue)
            throw new ArgumentException($"An IPv4 packet of {TotalLength} bytes exceeds 65535; fragment it or send less.");
        if (FragmentOffset % 8 != 0 || FragmentOffset > 0x1FFF * 8)
            throw new ArgumentException($"FragmentOffset {FragmentOffset} must be a multiple of 8 no larger than {0x1FFF * 8}.");
        buffer[0] = (byte)(0x40 | (headerLength / 4));
        buffer[1] = (byte)((Dscp << 2) | (Ecn & 3));
        BinaryPrimitives.WriteUInt16BigEndian(buffer[2..], (ushort)TotalLength);
        BinaryPrimitives.WriteUInt16BigEndian(buffer[4..], Identification);
        ushort flags = (ushort)((DontFragment ? 0x4000 : 0) | (MoreFragments ? 0x2000 : 0) | (FragmentOffset / 8));
        BinaryPrimitives.WriteUInt16BigEndian(buffer[6..], flags);
        buffer[8] = TimeToLive;
        buffer[9] = (byte)Protocol;
        BinaryPrimitives.WriteUInt16BigEndian(buffer[10..], 0);
        Source.WriteTo(buffer[12..]);
        Destination.WriteTo(buffer[16..]);
        Options.Bytes.CopyTo(buffer[Ipv4Packet.MinHeaderLength..]);
        if (fillChecksum)
            BinaryPrimitives.WriteUInt16BigEndian(buffer[10..], InternetChecksum.Compute(buffer[..headerLength]));
    }

    /// <summary>The pseudo-header partial sum for the upper-layer protocol of this packet.</summary>
    public readonly uint PseudoHeaderSum() => InternetChecksum.PseudoHeaderSum(Source, Destination, Protocol, PayloadLength);
}
