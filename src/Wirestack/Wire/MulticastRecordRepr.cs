using System.Buffers.Binary;

namespace Wirestack.Wire;

/// <summary>
/// The fields of one IGMPv3 group record or MLDv2 multicast address record, parsed from a
/// <see cref="MulticastRecord{TAddress}"/> or to be emitted (through
/// <see cref="MulticastReportWriter{TAddress}"/>, or <see cref="Emit"/> directly). The sources are
/// the caller's, passed to <see cref="Emit"/>.
/// </summary>
/// <typeparam name="TAddress"><see cref="Ipv4Address"/> for IGMPv3, <see cref="Ipv6Address"/> for MLDv2.</typeparam>
public struct MulticastRecordRepr<TAddress>
    where TAddress : struct, IIpAddress<TAddress>
{
    /// <summary>A record about <paramref name="multicastAddress"/> listing <paramref name="sourceCount"/> sources.</summary>
    public MulticastRecordRepr(MulticastRecordType recordType, TAddress multicastAddress, int sourceCount = 0)
    {
        RecordType = recordType;
        MulticastAddress = multicastAddress;
        SourceCount = sourceCount;
    }

    /// <summary>The record type.</summary>
    public MulticastRecordType RecordType { get; set; }

    /// <summary>The multicast address the record is about.</summary>
    public TAddress MulticastAddress { get; set; }

    /// <summary>The number of sources.</summary>
    public int SourceCount { get; set; }

    /// <summary>The auxiliary data length in bytes: a multiple of 4, at most 1020; 0 in IGMPv3 and MLDv2 as RFC 3376 and RFC 3810 define them.</summary>
    public int AuxDataLength { get; set; }

    /// <summary>The record length: the fixed part (8 bytes in IGMPv3, 20 in MLDv2), plus an address per source, plus the auxiliary data.</summary>
    public readonly int BufferLength => MulticastRecord<TAddress>.GetLength(SourceCount, AuxDataLength);

    /// <summary>
    /// Reads a checked record. A record type the RFCs do not define is
    /// <see cref="WireError.Unrecognized"/>, and a non-multicast address is
    /// <see cref="WireError.BadAddress"/>: the RFCs say to ignore such a record, not the whole report.
    /// </summary>
    public static WireError Parse(MulticastRecord<TAddress> record, out MulticastRecordRepr<TAddress> repr)
    {
        repr = default;
        var type = record.RecordType;
        if (type < MulticastRecordType.ModeIsInclude || type > MulticastRecordType.BlockOldSources) return WireError.Unrecognized;
        var address = record.MulticastAddress;
        if (!address.IsMulticast) return WireError.BadAddress;
        repr = new MulticastRecordRepr<TAddress>(type, address, record.SourceCount) { AuxDataLength = record.AuxDataLength };
        return WireError.None;
    }

    /// <summary>
    /// Writes the record, <paramref name="sources"/> and <paramref name="auxData"/> into the first
    /// <see cref="BufferLength"/> bytes of <paramref name="buffer"/>.
    /// </summary>
    /// <exception cref="ArgumentException">The buffer is too short, or the sources or aux data disagree with the counts.</exception>
    public readonly void Emit(Span<byte> buffer, ReadOnlySpan<TAddress> sources, ReadOnlySpan<byte> auxData = default)
    {
        if (sources.Length != SourceCount)
            throw new ArgumentException($"{sources.Length} sources were passed but SourceCount is {SourceCount}; set SourceCount to the number of sources.", nameof(sources));
        if ((uint)SourceCount > ushort.MaxValue)
            throw new ArgumentException($"SourceCount is {SourceCount}; a record lists at most {ushort.MaxValue} sources.");
        if (auxData.Length != AuxDataLength)
            throw new ArgumentException($"The aux data has {auxData.Length} bytes but AuxDataLength is {AuxDataLength}; set AuxDataLength to its length.", nameof(auxData));
        if (AuxDataLength % 4 != 0 || AuxDataLength > 255 * 4)
            throw new ArgumentException($"AuxDataLength is {AuxDataLength}; it must be a multiple of 4 no larger than 1020.");
        EmitGuard.RequireLength(buffer, BufferLength);
        buffer[0] = (byte)RecordType;
        buffer[1] = (byte)(AuxDataLength / 4);
        BinaryPrimitives.WriteUInt16BigEndian(buffer[2..], (ushort)SourceCount);
        MulticastAddress.WriteTo(buffer[4..]);
        AddressList<TAddress>.Write(sources, buffer[MulticastRecord<TAddress>.FixedLength..]);
        auxData.CopyTo(buffer[MulticastRecord<TAddress>.GetLength(SourceCount)..]);
    }
}
