using System.Buffers.Binary;

namespace Wirestack.Wire;

/// <summary>
/// A read-only view of an MLDv2 report (RFC 3810 section 5.2): ICMPv6 type 143, a record count,
/// then that many multicast address records. <see cref="Parse"/> checks that every record fits,
/// so reading them afterwards cannot fail.
/// </summary>
public readonly ref struct Mldv2Report
{
    /// <summary>The length of the report before its records.</summary>
    public const int HeaderLength = 8;

    private readonly ReadOnlySpan<byte> _buffer;

    private Mldv2Report(ReadOnlySpan<byte> buffer) => _buffer = buffer;

    /// <summary>
    /// Checks a message and makes a view of it; with <paramref name="verifyChecksum"/>, rejects a
    /// checksum that does not verify against <paramref name="pseudoHeaderSum"/>.
    /// </summary>
    /// <returns>
    /// <see cref="WireError.Unrecognized"/> for another type; <see cref="WireError.Truncated"/> when
    /// a record runs past the end of the message.
    /// </returns>
    public static WireError Parse(Icmpv6Packet packet, uint pseudoHeaderSum, out Mldv2Report report, bool verifyChecksum = true)
    {
        report = default;
        if (packet.Type != Icmpv6Type.MulticastListenerReportV2) return WireError.Unrecognized;
        var bytes = packet.Buffer;
        var records = new MulticastRecordReader<Ipv6Address>(bytes[HeaderLength..], BinaryPrimitives.ReadUInt16BigEndian(bytes[6..]));
        while (records.MoveNext()) { }
        if (records.Error != WireError.None) return records.Error;
        if (verifyChecksum && !packet.VerifyChecksum(pseudoHeaderSum)) return WireError.BadChecksum;
        report = new Mldv2Report(bytes);
        return WireError.None;
    }

    /// <summary>The whole message.</summary>
    public ReadOnlySpan<byte> Buffer => _buffer;

    /// <summary>The number of records.</summary>
    public int RecordCount => BinaryPrimitives.ReadUInt16BigEndian(_buffer[6..]);

    /// <summary>A reader over the records.</summary>
    public MulticastRecordReader<Ipv6Address> Records => new(_buffer[HeaderLength..], RecordCount);
}
