using System.Buffers.Binary;

namespace Wirestack.Wire;

/// <summary>
/// The fields of the fixed-size multicast listener discovery messages: MLDv1 query, report and
/// done (RFC 2710, 24 bytes) and the MLDv2 query (RFC 3810 section 5.1, 28 bytes plus its source
/// list). MLDv2 reports are read with <see cref="Mldv2Report"/> and written with
/// <see cref="MulticastReportWriter{TAddress}"/>.
/// </summary>
public struct MldRepr
{
    /// <summary>The length of an MLDv1 message.</summary>
    public const int Mldv1Length = 24;

    /// <summary>The length of an MLDv2 query without sources.</summary>
    public const int Mldv2QueryMinLength = 28;

    /// <summary>Query, report or done.</summary>
    public Icmpv6Type Type { get; set; }

    /// <summary>
    /// The maximum response code: in MLDv1 the maximum response delay in milliseconds, in MLDv2
    /// a code that decodes to it (see <see cref="MaximumResponseDelay"/>). Zero in reports and dones.
    /// </summary>
    public ushort MaximumResponseCode { get; set; }

    /// <summary>The multicast address: :: in a general query, else the group queried, reported or left.</summary>
    public Ipv6Address MulticastAddress { get; set; }

    /// <summary>True for an MLDv2 query (28 bytes or more) rather than an MLDv1 one.</summary>
    public bool IsMldv2Query { get; set; }

    /// <summary>MLDv2 query: the S flag (routers suppress timer updates).</summary>
    public bool SuppressRouterSideProcessing { get; set; }

    /// <summary>MLDv2 query: the querier's robustness variable (3 bits; 0 means use the default).</summary>
    public byte Robustness { get; set; }

    /// <summary>MLDv2 query: the querier's query interval code (see <see cref="QueryIntervalSeconds"/>).</summary>
    public byte QueryIntervalCode { get; set; }

    /// <summary>MLDv2 query: the number of sources (a source-specific query when above 0).</summary>
    public int SourceCount { get; set; }

    /// <summary>An MLDv1 report for <paramref name="group"/>.</summary>
    public static MldRepr Report(Ipv6Address group) => new() { Type = Icmpv6Type.MulticastListenerReport, MulticastAddress = group };

    /// <summary>An MLDv1 done for <paramref name="group"/>.</summary>
    public static MldRepr Done(Ipv6Address group) => new() { Type = Icmpv6Type.MulticastListenerDone, MulticastAddress = group };

    /// <summary>True for the types this repr reads and writes.</summary>
    public static bool Handles(Icmpv6Type type) =>
        type is Icmpv6Type.MulticastListenerQuery or Icmpv6Type.MulticastListenerReport or Icmpv6Type.MulticastListenerDone;

    /// <summary>The number of bytes <see cref="Emit"/> writes.</summary>
    public readonly int BufferLength => IsMldv2Query ? Mldv2QueryMinLength + SourceCount * Ipv6Address.Length : Mldv1Length;

    /// <summary>The maximum response delay in milliseconds, decoded from <see cref="MaximumResponseCode"/> (RFC 3810 section 5.1.3 for MLDv2).</summary>
    public readonly int MaximumResponseDelay => IsMldv2Query ? DecodeMaximumResponseCode(MaximumResponseCode) : MaximumResponseCode;

    /// <summary>The querier's query interval in seconds, decoded from <see cref="QueryIntervalCode"/> (RFC 3810 section 5.1.9).</summary>
    public readonly int QueryIntervalSeconds => DecodeQueryIntervalCode(QueryIntervalCode);

    /// <summary>Decodes an MLDv2 maximum response code to milliseconds.</summary>
    public static int DecodeMaximumResponseCode(ushort code) =>
        code < 0x8000 ? code : ((code & 0xFFF) | 0x1000) << (((code >> 12) & 7) + 3);

    /// <summary>Decodes an MLDv2 query interval code to seconds.</summary>
    public static int DecodeQueryIntervalCode(byte code) =>
        code < 0x80 ? code : ((code & 0xF) | 0x10) << (((code >> 4) & 7) + 3);

    /// <summary>The source list of a checked MLDv2 query (empty for anything else).</summary>
    public static AddressList<Ipv6Address> GetQuerySources(Icmpv6Packet packet)
    {
        var bytes = packet.Buffer;
        if (packet.Type != Icmpv6Type.MulticastListenerQuery || bytes.Length < Mldv2QueryMinLength) return default;
        int count = BinaryPrimitives.ReadUInt16BigEndian(bytes[26..]);
        int end = Mldv2QueryMinLength + count * Ipv6Address.Length;
        return end <= bytes.Length ? new AddressList<Ipv6Address>(bytes[Mldv2QueryMinLength..end]) : default;
    }

    /// <summary>
    /// Reads a checked message; with <paramref name="verifyChecksum"/>, rejects a checksum that does
    /// not verify against <paramref name="pseudoHeaderSum"/>. The code is ignored, as RFC 2710 says.
    /// </summary>
    /// <returns>
    /// <see cref="WireError.Unrecognized"/> for another type; <see cref="WireError.Truncated"/> for a
    /// message shorter than 24 bytes or a source list past the end; <see cref="WireError.BadLength"/>
    /// for a query of 25 to 27 bytes (neither version); <see cref="WireError.BadAddress"/> for a
    /// report or done whose address is not multicast, or a query for a unicast address.
    /// </returns>
    public static WireError Parse(Icmpv6Packet packet, uint pseudoHeaderSum, out MldRepr repr, bool verifyChecksum = true)
    {
        repr = default;
        if (!Handles(packet.Type)) return WireError.Unrecognized;
        var bytes = packet.Buffer;
        if (bytes.Length < Mldv1Length) return WireError.Truncated;
        var result = new MldRepr
        {
            Type = packet.Type,
            MaximumResponseCode = BinaryPrimitives.ReadUInt16BigEndian(bytes[4..]),
            MulticastAddress = Ipv6Address.Read(bytes[8..]),
        };
        if (packet.Type == Icmpv6Type.MulticastListenerQuery && bytes.Length > Mldv1Length)
        {
            if (bytes.Length < Mldv2QueryMinLength) return WireError.BadLength;
            result.IsMldv2Query = true;
            result.SuppressRouterSideProcessing = (bytes[24] & 0x08) != 0;
            result.Robustness = (byte)(bytes[24] & 7);
            result.QueryIntervalCode = bytes[25];
            result.SourceCount = BinaryPrimitives.ReadUInt16BigEndian(bytes[26..]);
            if (Mldv2QueryMinLength + result.SourceCount * Ipv6Address.Length > bytes.Length) return WireError.Truncated;
        }
        bool addressOk = packet.Type == Icmpv6Type.MulticastListenerQuery
            ? result.MulticastAddress.IsUnspecified || result.MulticastAddress.IsMulticast
            : result.MulticastAddress.IsMulticast;
        if (!addressOk) return WireError.BadAddress;
        if (verifyChecksum && !packet.VerifyChecksum(pseudoHeaderSum)) return WireError.BadChecksum;
        repr = result;
        return WireError.None;
    }

    /// <summary>
    /// Writes the message into the first <see cref="BufferLength"/> bytes of <paramref name="buffer"/> and
    /// fills the checksum over it and <paramref name="pseudoHeaderSum"/>. An MLDv2 query takes its
    /// source list from <paramref name="sources"/>, which must hold <see cref="SourceCount"/> addresses.
    /// </summary>
    /// <exception cref="ArgumentException">The buffer is too short, the type is not an MLD type this repr writes, or the sources do not match.</exception>
    public readonly void Emit(Span<byte> buffer, uint pseudoHeaderSum, ReadOnlySpan<Ipv6Address> sources = default)
    {
        if (!Handles(Type)) throw new ArgumentException($"MldRepr writes MLD queries, MLDv1 reports and dones, not type {(byte)Type}; write MLDv2 reports with MulticastReportWriter<Ipv6Address>.");
        if (IsMldv2Query && Type != Icmpv6Type.MulticastListenerQuery) throw new ArgumentException("Only a query can be an MLDv2 query.");
        int expectedSources = IsMldv2Query ? SourceCount : 0;
        if (sources.Length != expectedSources || expectedSources > ushort.MaxValue)
            throw new ArgumentException($"The message lists {expectedSources} sources but {sources.Length} were given.", nameof(sources));
        if (Robustness > 7) throw new ArgumentException($"Robustness {Robustness} does not fit 3 bits.");
        int length = BufferLength;
        EmitGuard.RequireLength(buffer, length);
        var message = buffer[..length];
        message[0] = (byte)Type;
        message[1] = 0;
        BinaryPrimitives.WriteUInt16BigEndian(message[2..], 0);
        BinaryPrimitives.WriteUInt16BigEndian(message[4..], MaximumResponseCode);
        BinaryPrimitives.WriteUInt16BigEndian(message[6..], 0);
        MulticastAddress.WriteTo(message[8..]);
        if (IsMldv2Query)
        {
            message[24] = (byte)((SuppressRouterSideProcessing ? 0x08 : 0) | Robustness);
            message[25] = QueryIntervalCode;
            BinaryPrimitives.WriteUInt16BigEndian(message[26..], (ushort)SourceCount);
            AddressList<Ipv6Address>.Write(sources, message[Mldv2QueryMinLength..]);
        }
        BinaryPrimitives.WriteUInt16BigEndian(message[2..], InternetChecksum.Compute(message, pseudoHeaderSum));
    }
}
