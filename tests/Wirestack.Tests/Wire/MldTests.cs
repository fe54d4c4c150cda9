using System.Buffers.Binary;
using Wirestack.Wire;

namespace Wirestack.Tests.Wire;

public class MldTests
{
    private static Ipv6Address[] Addresses(AddressList<Ipv6Address> list)
    {
        var array = new Ipv6Address[list.Count];
        list.CopyTo(array);
        var enumerated = new List<Ipv6Address>();
        foreach (var address in list) enumerated.Add(address);
        Assert.Equal(array, enumerated);
        return array;
    }

    // Writes the IPv6 header and Linux's hop-by-hop header for an MLD message of messageLength bytes; returns the pseudo-header sum.
    private static uint EmitHeaders(Ipv6Repr captured, Span<byte> buffer, int messageLength)
    {
        var hopByHop = Ipv6OptionsHeaderRepr.ForMld();
        var ip = new Ipv6Repr(captured.Source, captured.Destination, IpProtocol.HopByHop, hopByHop.HeaderLength + messageLength, 1);
        ip.Emit(buffer);
        hopByHop.Emit(buffer[40..]);
        return ip.PseudoHeaderSum(IpProtocol.Icmpv6, messageLength);
    }

    private static (Ipv6Repr Ip, byte[] Bytes, byte[] Message, uint Pseudo) Capture(string hex, string hopByHop = "3a00050200000100")
    {
        var bytes = HexBytes.Parse(hex);
        var (ip, headers, upper, message) = Ipv6TestPackets.Split(bytes);
        Assert.Equal(IpProtocol.Icmpv6, upper);
        Assert.Equal(1, ip.HopLimit);
        Assert.Equal(HexBytes.Parse(hopByHop), headers[40..]);
        Ipv6OptionsHeader.TryParse(headers.AsSpan(40), out var options);
        Assert.Equal(WireError.None, Ipv6OptionsHeaderRepr.Parse(options, out var optionsRepr));
        Assert.Equal(Ipv6OptionsHeaderRepr.ForMld(), optionsRepr);
        Assert.True(ReferenceChecksum.IsValid(ip.Source, ip.Destination, 58, message));
        return (ip, bytes, message, ip.PseudoHeaderSum(IpProtocol.Icmpv6, message.Length));
    }

    private static List<(MulticastRecordType Type, Ipv6Address Group, int Sources)> ParseAndReEmitReport(string hex)
    {
        var (ip, bytes, message, pseudo) = Capture(hex);
        Assert.Equal(Ipv6Address.AllMldv2Routers, ip.Destination);
        Icmpv6Packet.TryParse(message, out var packet);
        Assert.Equal(WireError.None, Mldv2Report.Parse(packet, pseudo, out var report));

        var records = new List<(MulticastRecordType, Ipv6Address, int)>();
        var again = new byte[bytes.Length];
        var writer = new MulticastReportWriter<Ipv6Address>(again.AsSpan(48));
        foreach (var record in report.Records)
        {
            Assert.Equal(0, record.AuxDataLength);
            Assert.Equal(WireError.None, MulticastRecordRepr<Ipv6Address>.Parse(record, out var recordRepr));
            records.Add((recordRepr.RecordType, recordRepr.MulticastAddress, recordRepr.SourceCount));
            writer.Add(recordRepr, Addresses(record.Sources), record.AuxData);
        }
        Assert.Equal(report.RecordCount, records.Count);
        Assert.Equal(message.Length, writer.Length);
        writer.Finish(EmitHeaders(ip, again, writer.Length));
        Assert.Equal(Convert.ToHexStringLower(bytes), Convert.ToHexStringLower(again));
        return records;
    }

    [Fact]
    public void LinuxJoinReportsReEmit()
    {
        Assert.Equal([(MulticastRecordType.ChangeToExcludeMode, Ipv6Address.Parse("ff02::1:ff00:a"), 0)],
            ParseAndReEmitReport(Ipv6Vectors.Mldv2ReportJoinFromUnspecified));
        Assert.Equal(
            [
                (MulticastRecordType.ChangeToExcludeMode, Ipv6Address.Parse("ff02::1:ff00:1"), 0),
                (MulticastRecordType.ChangeToExcludeMode, Ipv6Address.Parse("ff05::2"), 0),
                (MulticastRecordType.ChangeToExcludeMode, Ipv6Address.Parse("ff02::2"), 0),
            ],
            ParseAndReEmitReport(Ipv6Vectors.Mldv2ReportThreeRecords));
        Assert.Equal(4, ParseAndReEmitReport(Ipv6Vectors.Mldv2ReportFourRecords).Count);
    }

    [Fact]
    public void LinuxLeaveAndCurrentStateReportsReEmit()
    {
        Assert.Equal([(MulticastRecordType.ChangeToIncludeMode, Ipv6Address.Parse("ff15::1234"), 0)], ParseAndReEmitReport(Ipv6Vectors.Mldv2ReportLeave));
        Assert.Equal([(MulticastRecordType.ModeIsExclude, Ipv6Address.Parse("ff02::1:ff00:a01"), 0)], ParseAndReEmitReport(Ipv6Vectors.Mldv2ReportCurrentState));
    }

    [Fact]
    public void JoinReportBuiltFromScratchMatchesLinux()
    {
        // What Wirestack's MLD code will do: one CHANGE_TO_EXCLUDE record with no sources, from ::, during DAD.
        var group = Ipv6Address.LinkLocalFromMac(MacAddress.Parse("02:00:00:00:00:0a")).SolicitedNodeMulticast;
        var record = new MulticastRecordRepr<Ipv6Address>(MulticastRecordType.ChangeToExcludeMode, group);
        int length = Mldv2Report.HeaderLength + record.BufferLength;
        var bytes = new byte[48 + length];
        var writer = new MulticastReportWriter<Ipv6Address>(bytes.AsSpan(48));
        writer.Add(record, default);
        Assert.Equal(length, writer.Length);
        var ip = new Ipv6Repr(Ipv6Address.Unspecified, Ipv6Address.AllMldv2Routers, IpProtocol.HopByHop, 0);
        writer.Finish(EmitHeaders(ip, bytes, length));
        Assert.Equal(Ipv6Vectors.Mldv2ReportJoinFromUnspecified, Convert.ToHexStringLower(bytes));
    }

    [Fact]
    public void RecordsWithSourcesAndAuxDataRoundTrip()
    {
        var sources = new[] { Ipv6Address.Parse("2001:db8::1"), Ipv6Address.Parse("2001:db8::2") };
        var aux = HexBytes.Parse("deadbeef");
        var buffer = new byte[200];
        var writer = new MulticastReportWriter<Ipv6Address>(buffer);
        writer.Add(new MulticastRecordRepr<Ipv6Address>(MulticastRecordType.AllowNewSources, Ipv6Address.Parse("ff3e::8000:1"), 2), sources);
        writer.Add(new MulticastRecordRepr<Ipv6Address>(MulticastRecordType.BlockOldSources, Ipv6Address.Parse("ff3e::8000:2"), 1) { AuxDataLength = 4 }, sources.AsSpan(0, 1), aux);
        Assert.Equal(200 - 8 - 52 - 40, writer.Remaining);
        int length = writer.Finish(0x1234);
        Assert.Equal(8 + (20 + 32) + (20 + 16 + 4), length);
        Assert.Equal(2, writer.RecordCount);

        Icmpv6Packet.TryParse(buffer.AsSpan(0, length), out var packet);
        Assert.Equal(WireError.None, Mldv2Report.Parse(packet, 0x1234, out var report));
        var records = report.Records;
        Assert.True(records.MoveNext());
        Assert.Equal(MulticastRecordType.AllowNewSources, records.Current.RecordType);
        Assert.Equal(sources, Addresses(records.Current.Sources));
        Assert.True(records.Current.AuxData.IsEmpty);
        Assert.True(records.MoveNext());
        Assert.Equal(4, records.Current.AuxDataLength);
        Assert.Equal(aux, records.Current.AuxData.ToArray());
        Assert.Equal(sources[0], records.Current.Sources[0]);
        bool threw = false;
        try { _ = records.Current.Sources[1]; }
        catch (ArgumentOutOfRangeException) { threw = true; }
        Assert.True(threw);
        Assert.False(records.MoveNext());

        var record = new MulticastRecordRepr<Ipv6Address>(MulticastRecordType.ModeIsInclude, Ipv6Address.Parse("ff3e::1"));
        Assert.Throws<ArgumentException>(() => new MulticastReportWriter<Ipv6Address>(buffer).Add(record with { AuxDataLength = 3 }, default, new byte[3]));
        Assert.Throws<ArgumentException>(() => new MulticastReportWriter<Ipv6Address>(buffer).Add(record, sources));
        Assert.Throws<ArgumentException>(() => new MulticastReportWriter<Ipv6Address>(buffer.AsSpan(0, 27)).Add(record, default));
    }

    [Fact]
    public void BadRecordsAreSkippableOneByOne()
    {
        // RFC 3810: ignore an unknown record type or a non-multicast address, not the whole report.
        var buffer = new byte[8 + 3 * 20];
        var writer = new MulticastReportWriter<Ipv6Address>(buffer);
        writer.Add(new MulticastRecordRepr<Ipv6Address>((MulticastRecordType)9, Ipv6Address.Parse("ff3e::1")), default);
        writer.Add(new MulticastRecordRepr<Ipv6Address>(MulticastRecordType.ModeIsExclude, Ipv6Vectors.HostA), default);
        writer.Add(new MulticastRecordRepr<Ipv6Address>(MulticastRecordType.ModeIsExclude, Ipv6Address.Parse("ff3e::3")), default);
        writer.Finish(0);
        Icmpv6Packet.TryParse(buffer, out var packet);
        Assert.Equal(WireError.None, Mldv2Report.Parse(packet, 0, out var report));
        var results = new List<WireError>();
        foreach (var record in report.Records) results.Add(MulticastRecordRepr<Ipv6Address>.Parse(record, out _));
        Assert.Equal([WireError.Unrecognized, WireError.BadAddress, WireError.None], results);
    }

    [Fact]
    public void ReportsThatOverrunAreTruncated()
    {
        var (_, _, message, pseudo) = Capture(Ipv6Vectors.Mldv2ReportThreeRecords);
        Icmpv6Packet.TryParse(message.AsSpan(0, message.Length - 1), out var packet);
        Assert.Equal(WireError.Truncated, Mldv2Report.Parse(packet, pseudo, out _, verifyChecksum: false));
        var reader = new MulticastRecordReader<Ipv6Address>(message.AsSpan(8, message.Length - 9), 3);
        int count = 0;
        while (reader.MoveNext()) count++;
        Assert.Equal((2, WireError.Truncated, 40), (count, reader.Error, reader.BytesRead));
        var claimsSources = (byte[])message.Clone();
        claimsSources[8 + 3] = 1; // the first record claims a source it does not have room for
        Icmpv6Packet.TryParse(claimsSources.AsSpan(0, 8 + 3 * 20), out packet);
        Assert.Equal(WireError.Truncated, Mldv2Report.Parse(packet, pseudo, out _, verifyChecksum: false));
        Icmpv6Packet.TryParse(message, out packet);
        Assert.Equal(WireError.BadChecksum, Mldv2Report.Parse(packet, pseudo + 1, out _));
        var query = HexBytes.Parse(Ipv6Vectors.Mldv2GeneralQuery)[48..];
        Icmpv6Packet.TryParse(query, out packet);
        Assert.Equal(WireError.Unrecognized, Mldv2Report.Parse(packet, 0, out _, verifyChecksum: false));
    }

    [Fact]
    public void LinuxBridgeGeneralQuery()
    {
        // The bridge pads its router alert with two Pad1 options where the host MLD code uses one empty PadN.
        var (ip, bytes, message, pseudo) = Capture(Ipv6Vectors.Mldv2GeneralQuery, hopByHop: "3a00050200000000");
        Assert.Equal(Ipv6Address.AllNodes, ip.Destination);
        Icmpv6Packet.TryParse(message, out var packet);
        Assert.Equal(WireError.None, MldRepr.Parse(packet, pseudo, out var repr));
        Assert.Equal(Icmpv6Type.MulticastListenerQuery, repr.Type);
        Assert.True(repr.IsMldv2Query);
        Assert.True(repr.MulticastAddress.IsUnspecified);
        Assert.Equal(10000, repr.MaximumResponseCode);
        Assert.Equal(10000, repr.MaximumResponseDelay);
        Assert.False(repr.SuppressRouterSideProcessing);
        Assert.Equal(2, repr.Robustness);
        Assert.Equal(2, repr.QueryIntervalSeconds); // the bridge's mcast_query_interval of 200 centiseconds
        Assert.Equal(0, repr.SourceCount);
        Assert.Equal(0, MldRepr.GetQuerySources(packet).Count);

        var again = new byte[bytes.Length];
        repr.Emit(again.AsSpan(48), EmitHeaders(ip, again, repr.BufferLength));
        Assert.Equal(Convert.ToHexStringLower(message), Convert.ToHexStringLower(again[48..]));
        Assert.Equal(Convert.ToHexStringLower(bytes[..44]), Convert.ToHexStringLower(again[..44])); // all but the padding
    }

    [Fact]
    public void SourceSpecificQueryRoundTrips()
    {
        var sources = new[] { Ipv6Address.Parse("2001:db8::1"), Ipv6Address.Parse("2001:db8::5") };
        var repr = new MldRepr
        {
            Type = Icmpv6Type.MulticastListenerQuery,
            IsMldv2Query = true,
            MaximumResponseCode = 0x8000, // exponent 0, mantissa 0: 0x1000 << 3
            MulticastAddress = Ipv6Address.Parse("ff3e::8000:1"),
            SuppressRouterSideProcessing = true,
            Robustness = 7,
            QueryIntervalCode = 0x80, // 0x10 << 3
            SourceCount = 2,
        };
        var bytes = new byte[repr.BufferLength];
        Assert.Equal(28 + 32, bytes.Length);
        repr.Emit(bytes, 0, sources);
        Assert.Equal(0x0F, bytes[24]);
        Icmpv6Packet.TryParse(bytes, out var packet);
        Assert.Equal(WireError.None, MldRepr.Parse(packet, 0, out var parsed));
        Assert.Equal(repr, parsed);
        Assert.Equal(32768, parsed.MaximumResponseDelay);
        Assert.Equal(128, parsed.QueryIntervalSeconds);
        Assert.Equal(sources, Addresses(MldRepr.GetQuerySources(packet)));

        Assert.Throws<ArgumentException>(() => repr.Emit(bytes, 0, sources[..1]));
        Assert.Throws<ArgumentException>(() => (repr with { Robustness = 8 }).Emit(bytes, 0, sources));
    }

    [Theory]
    [InlineData(0x7FFF, 0x7FFF)]
    [InlineData(0x8000, 0x1000 << 3)]
    [InlineData(0xFFFF, 0x1FFF << 10)]
    public void MaximumResponseCodesDecode(int code, int milliseconds) =>
        Assert.Equal(milliseconds, MldRepr.DecodeMaximumResponseCode((ushort)code));

    [Theory]
    [InlineData(125, 125)]
    [InlineData(0x80, 0x10 << 3)]
    [InlineData(0xFF, 0x1F << 10)]
    public void QueryIntervalCodesDecode(int code, int seconds) =>
        Assert.Equal(seconds, MldRepr.DecodeQueryIntervalCode((byte)code));

    [Fact]
    public void LinuxMldv1ReportAndDoneReEmit()
    {
        foreach (var (hex, type, destination) in new[]
        {
            (Ipv6Vectors.Mldv1Report, Icmpv6Type.MulticastListenerReport, Ipv6Address.Parse("ff15::5678")),
            (Ipv6Vectors.Mldv1Done, Icmpv6Type.MulticastListenerDone, Ipv6Address.AllRouters),
        })
        {
            var (ip, bytes, message, pseudo) = Capture(hex);
            Assert.Equal(destination, ip.Destination);
            Icmpv6Packet.TryParse(message, out var packet);
            Assert.Equal(WireError.None, MldRepr.Parse(packet, pseudo, out var repr));
            var expected = type == Icmpv6Type.MulticastListenerReport ? MldRepr.Report(Ipv6Address.Parse("ff15::5678")) : MldRepr.Done(Ipv6Address.Parse("ff15::5678"));
            Assert.Equal(expected, repr);
            Assert.Equal(24, repr.BufferLength);
            var again = new byte[bytes.Length];
            repr.Emit(again.AsSpan(48), EmitHeaders(ip, again, repr.BufferLength));
            Assert.Equal(Convert.ToHexStringLower(bytes), Convert.ToHexStringLower(again));
        }
    }

    [Fact]
    public void Mldv1QueryIsTwentyFourBytes()
    {
        var repr = new MldRepr { Type = Icmpv6Type.MulticastListenerQuery, MaximumResponseCode = 10000 };
        var bytes = new byte[repr.BufferLength];
        repr.Emit(bytes, 0);
        Icmpv6Packet.TryParse(bytes, out var packet);
        Assert.Equal(WireError.None, MldRepr.Parse(packet, 0, out var parsed));
        Assert.False(parsed.IsMldv2Query);
        Assert.Equal(10000, parsed.MaximumResponseDelay);
    }

    [Theory]
    [InlineData("8200000000000000ff020000000000000000000000000001", WireError.None)]
    [InlineData("8200000000000000ff02000000000000000000000000000100", WireError.BadLength)]       // 25 bytes: neither version
    [InlineData("8200000000000000ff0200000000000000000000000000010000000100", WireError.Truncated)] // one source promised, none there
    [InlineData("83000000000000002001000000000000000000000000000001", WireError.BadAddress)]     // a report for a unicast address
    [InlineData("8400000000000000ff02000000000000000000000000", WireError.Truncated)]           // a done cut short
    [InlineData("8f00000000000000ff020000000000000000000000000001", WireError.Unrecognized)]    // MLDv2 report: not this repr's
    public void MessagesAreChecked(string hex, WireError expected)
    {
        Icmpv6Packet.TryParse(HexBytes.Parse(hex), out var packet);
        Assert.Equal(expected, MldRepr.Parse(packet, 0, out _, verifyChecksum: false));
    }

    [Fact]
    public void MldPacketsVerifyWithTheReferenceChecksum()
    {
        var repr = MldRepr.Report(Ipv6Address.Parse("ff15::5678"));
        var source = Ipv6Address.Parse("fe80::ff:fe00:c");
        var destination = repr.MulticastAddress;
        var bytes = new byte[repr.BufferLength];
        repr.Emit(bytes, InternetChecksum.PseudoHeaderSum(source, destination, IpProtocol.Icmpv6, bytes.Length));
        Assert.True(ReferenceChecksum.IsValid(source, destination, 58, bytes));
        Assert.Equal(0xD403, BinaryPrimitives.ReadUInt16BigEndian(bytes.AsSpan(2))); // what Linux put there
    }
}
