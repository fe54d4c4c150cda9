using System.Buffers.Binary;

namespace Wirestack.Wire;

/// <summary>A read-only view of one multicast address record of an MLDv2 report.</summary>
public readonly ref struct Mldv2Record
{
    /// <summary>The length of a record without sources or auxiliary data.</summary>
    public const int FixedLength = 20;

    private readonly ReadOnlySpan<byte> _buffer;

    private Mldv2Record(ReadOnlySpan<byte> buffer) => _buffer = buffer;

    /// <summary>Checks <paramref name="buffer"/> and makes a view of the record at its start.</summary>
    public static WireError TryParse(ReadOnlySpan<byte> buffer, out Mldv2Record record)
    {
        record = default;
        if (buffer.Length < FixedLength) return WireError.Truncated;
        int length = GetLength(BinaryPrimitives.ReadUInt16BigEndian(buffer[2..]), buffer[1] * 4);
        if (length > buffer.Length) return WireError.Truncated;
        record = new Mldv2Record(buffer[..length]);
        return WireError.None;
    }

    /// <summary>The whole record.</summary>
    public ReadOnlySpan<byte> Buffer => _buffer;

    /// <summary>The record's length on the wire.</summary>
    public int Length => _buffer.Length;

    /// <summary>The record type (possibly one RFC 3810 does not define, which receivers ignore).</summary>
    public Mldv2RecordType RecordType => (Mldv2RecordType)_buffer[0];

    /// <summary>The auxiliary data length in bytes (the field is in 32-bit words; MLDv2 senders put 0).</summary>
    public int AuxDataLength => _buffer[1] * 4;

    /// <summary>The number of sources.</summary>
    public int SourceCount => BinaryPrimitives.ReadUInt16BigEndian(_buffer[2..]);

    /// <summary>The multicast address the record is about.</summary>
    public Ipv6Address MulticastAddress => Ipv6Address.Read(_buffer[4..]);

    /// <summary>The source addresses.</summary>
    public Ipv6AddressList Sources => new(_buffer.Slice(FixedLength, SourceCount * Ipv6Address.Length));

    /// <summary>The auxiliary data.</summary>
    public ReadOnlySpan<byte> AuxData => _buffer[(FixedLength + SourceCount * Ipv6Address.Length)..];

    /// <summary>The length of a record with <paramref name="sourceCount"/> sources and <paramref name="auxDataLength"/> bytes of auxiliary data.</summary>
    public static int GetLength(int sourceCount, int auxDataLength = 0) => FixedLength + sourceCount * Ipv6Address.Length + auxDataLength;
}
