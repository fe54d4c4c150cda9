using System.Buffers.Binary;

namespace Wirestack.Wire;

/// <summary>
/// A read-only view of one group record of an IGMPv3 report (RFC 3376 section 4.2.4). Obtain one
/// from <see cref="IgmpGroupRecordReader"/> or <see cref="TryParse"/>.
/// </summary>
public readonly ref struct IgmpGroupRecord
{
    /// <summary>The fixed part: record type, aux data length, number of sources, multicast address.</summary>
    public const int FixedLength = 8;

    private readonly ReadOnlySpan<byte> _buffer;

    private IgmpGroupRecord(ReadOnlySpan<byte> buffer) => _buffer = buffer;

    /// <summary>
    /// Checks that <paramref name="buffer"/> starts with a whole record (its sources and auxiliary
    /// data included) and makes a view of that record alone.
    /// </summary>
    public static WireError TryParse(ReadOnlySpan<byte> buffer, out IgmpGroupRecord record)
    {
        record = default;
        if (buffer.Length < FixedLength) return WireError.Truncated;
        int length = FixedLength + BinaryPrimitives.ReadUInt16BigEndian(buffer[2..]) * Ipv4Address.Length + buffer[1] * 4;
        if (length > buffer.Length) return WireError.Truncated;
        record = new IgmpGroupRecord(buffer[..length]);
        return WireError.None;
    }

    /// <summary>The record's bytes.</summary>
    public ReadOnlySpan<byte> Buffer => _buffer;

    /// <summary>The record length in bytes.</summary>
    public int Length => _buffer.Length;

    /// <summary>The record type (any value; <see cref="IgmpGroupRecordRepr.Parse"/> accepts the six RFC 3376 defines).</summary>
    public IgmpGroupRecordType RecordType => (IgmpGroupRecordType)_buffer[0];

    /// <summary>The length of the auxiliary data in bytes (the field counts 32-bit words).</summary>
    public int AuxDataLength => _buffer[1] * 4;

    /// <summary>The number of sources.</summary>
    public int SourceCount => BinaryPrimitives.ReadUInt16BigEndian(_buffer[2..]);

    /// <summary>The multicast address the record is about.</summary>
    public Ipv4Address MulticastAddress => Ipv4Address.Read(_buffer[4..]);

    /// <summary>The sources.</summary>
    public IgmpSourceList Sources => new(_buffer.Slice(FixedLength, SourceCount * Ipv4Address.Length));

    /// <summary>The auxiliary data (RFC 3376 defines none; receivers ignore it).</summary>
    public ReadOnlySpan<byte> AuxData => _buffer[(FixedLength + SourceCount * Ipv4Address.Length)..];
}
