namespace Wirestack.Wire;

/// <summary>
/// The protocol-specific ends of a <see cref="MulticastReportWriter{TAddress}"/>: over IPv4 it
/// writes an IGMPv3 membership report, over IPv6 an MLDv2 report.
/// </summary>
public static class MulticastReportWriterExtensions
{
    /// <summary>
    /// Writes the IGMPv3 report header (type <see cref="IgmpType.MembershipReportV3"/>) and fills
    /// the checksum over the whole report; returns the report length.
    /// </summary>
    public static int Finish(this MulticastReportWriter<Ipv4Address> writer) =>
        writer.WriteHeaderAndChecksum((byte)IgmpType.MembershipReportV3, 0);

    /// <summary>
    /// Writes the MLDv2 report header (type <see cref="Icmpv6Type.MulticastListenerReportV2"/>) and
    /// fills the checksum over the report and <paramref name="pseudoHeaderSum"/> (which must cover
    /// <see cref="MulticastReportWriter{TAddress}.Length"/> bytes); returns the report length.
    /// </summary>
    public static int Finish(this MulticastReportWriter<Ipv6Address> writer, uint pseudoHeaderSum) =>
        writer.WriteHeaderAndChecksum((byte)Icmpv6Type.MulticastListenerReportV2, pseudoHeaderSum);
}
