using System.Buffers.Binary;

namespace Wirestack.Wire;

/// <summary>
/// A read-only view of one record of a multicast listener report: an IGMPv3 group record
/// (RFC 3376 section 4.2.4) over <see cref="Ipv4Address"/>, or an MLDv2 multicast address record
/// (RFC 3810 section 5.2.4) over <see cref="Ipv6Address"/>. Both are laid out the same: record
/// type, aux data length in 32-bit words, number of sources, the multicast address, the sources,
/// the aux data. Obtain one from <see cref="MulticastRecordReader{TAddress}"/> or <see cref="TryParse"/>.
/// </summary>
/// <typeparam name="TAddress"><see cref="Ipv4Address"/> for IGMPv3, <see cref="Ipv6Address"/> for MLDv2.</typeparam>
public readonly ref struct MulticastRecord<TAddress>
    where TAddress : struct, IIpAddress<TAddress>
{
    private readonly ReadOnlySpan<byte> _buffer;

    private MulticastRecord(ReadOnlySpan<byte> buffer) => _buffer = buffer;

    /// <summary>The fixed part: record type, aux data length, number of sources, multicast address (8 bytes in IGMPv3, 20 in MLDv2).</summary>
    public static int FixedLength => 4 + TAddress.Length;

    /// <summary>The length of a record with <paramref name="sourceCount"/> sources and <paramref name="auxDataLength"/> bytes of auxiliary data.</summary>
    public static int GetLength(int sourceCount, int auxDataLength = 0) => FixedLength + sourceCount * TAddress.Length + auxDataLength;

    /// <summary>
    /// Checks that <paramref name="buffer"/> starts with a whole record (its sources and auxiliary
    /// data included) and makes a view of that record alone.
    /// </summary>
    public static WireError TryParse(ReadOnlySpan<byte> buffer, out MulticastRecord<TAddress> record)
    {
        record = default;
        if (buffer.Length < FixedLength) return WireError.Truncated;
        int length = GetLength(BinaryPrimitives.ReadUInt16BigEndian(buffer[2..]), buffer[1] * 4);
        if (length > buffer.Length) return WireError.Truncated;
        record = new MulticastRecord<TAddress>(buffer[..length]);
        return WireError.None;
    }

    /// <summary>The record's bytes.</summary>
    public ReadOnlySpan<byte> Buffer => _buffer;

    /// <summary>The record length in bytes.</summary>
    public int Length => _buffer.Length;

    /// <summary>
    /// The record type (any value; <see cref="MulticastRecordRepr{TAddress}.Parse"/> accepts the six
    /// the RFCs define, and receivers ignore the others).
    /// </summary>
    public MulticastRecordType RecordType => (MulticastRecordType)_buffer[0];

    /// <summary>The length of the auxiliary data in bytes (the field counts 32-bit words; senders put 0).</summary>
    public int AuxDataLength => _buffer[1] * 4;

    /// <summary>The number of sources.</summary>
    public int SourceCount => BinaryPrimitives.ReadUInt16BigEndian(_buffer[2..]);

    /// <summary>The multicast address the record is about.</summary>
    public TAddress MulticastAddress => TAddress.Read(_buffer[4..]);

    /// <summary>The sources.</summary>
    public AddressList<TAddress> Sources => new(_buffer.Slice(FixedLength, SourceCount * TAddress.Length));

    /// <summary>The auxiliary data (neither RFC defines any; receivers ignore it).</summary>
    public ReadOnlySpan<byte> AuxData => _buffer[GetLength(SourceCount)..];
}
