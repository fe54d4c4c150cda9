using Wirestack.Wire;

namespace Wirestack.Tests.Wire;

public class IgmpTests
{
    // Captured from Linux 6.18 (tcpdump on a veth): the IGMP payloads a host sent while sockets
    // joined and left 239.1.2.3 and source-specific 232.1.1.1, and the queries a Linux bridge
    // (mcast_querier 1, mcast_igmp_version 3 then 2) sent. Checksums rechecked in Python.
    public static readonly TheoryData<string> LinuxV3Reports = new()
    {
        "2200 e8f9 0000 0001  04 00 0000 ef010203",                                           // join: CHANGE_TO_EXCLUDE, no sources
        "2200 e9f9 0000 0001  03 00 0000 ef010203",                                           // leave: CHANGE_TO_INCLUDE, no sources
        "2200 fb93 0000 0001  02 00 0000 e000006a",                                           // answer to a query: MODE_IS_EXCLUDE
        "2200 d5ce 0000 0002  03 00 0000 ef010203  05 00 0002 e8010101 0a090909 0a09090a",   // leave + ALLOW two sources
        "2200 dad0 0000 0002  05 00 0001 e8010101 0a09090a  06 00 0001 e8010101 0a090909",   // ALLOW one, BLOCK one
        "2200 c8d4 0000 0001  06 00 0002 e8010101 0a09090a 0a090909",                         // BLOCK two sources
        "2200 e0e7 0000 0001  01 00 0001 e8010101 0a09090a",                                  // MODE_IS_INCLUDE one source
    };

    public static readonly TheoryData<string, int, int> Queries = new()
    {
        { "1164 ec99 00000000 02 02 0000", 3, 100 },  // Linux bridge: v3 general query, 10 s, QRV 2, QQIC 2
        { "110a f8e8 ef050505 02 02 0000", 3, 10 },   // Linux bridge: v3 group-specific query, 1 s
        { "110a f0e8 ef050505 0a 02 0000", 3, 10 },   // Linux bridge: the same with the S flag
        { "1164 ee9b 00000000", 2, 100 },             // Linux bridge: v2 general query
        { "110a fae9 ef050506", 2, 10 },              // Linux bridge: v2 group-specific query
        { "1100 eeff 00000000", 1, 100 },             // v1 query (RFC 1112), checksum by hand: ~0x1100; RFC 2236 reads it as 10 s
        // v3 group-and-source-specific query, built by hand (checksum d54e computed in Python):
        // 1 s, S set, QRV 2, QQIC 125 s, sources 10.9.9.9 and 10.9.9.10.
        { "110a d54e e8010101 0a 7d 0002 0a090909 0a09090a", 3, 10 },
    };

    public static readonly TheoryData<string, IgmpType> V1V2Messages = new()
    {
        { "1600 f8fa ef010203", IgmpType.MembershipReportV2 }, // Linux, force_igmp_version=2
        { "1700 f7fa ef010203", IgmpType.LeaveGroup },         // Linux, force_igmp_version=2, sent to 224.0.0.2
        { "1200 fcfa ef010203", IgmpType.MembershipReportV1 }, // Linux, force_igmp_version=1
    };

    // The whole frame of the join: Ethernet to 01:00:5e:00:00:16, IPv4 with router alert, TTL 1, to 224.0.0.22.
    private static readonly byte[] JoinFrame = HexBytes.Parse(
        "01005e000016 ae7be399333c 0800 46c00028000040000102f9f70a010001e0000016 94040000 2200e8f90000000104000000ef010203");

    private static IgmpPacket View(byte[] bytes)
    {
        Assert.Equal(WireError.None, IgmpPacket.TryParse(bytes, out var packet));
        return packet;
    }

    private static IgmpRepr Repr(byte[] bytes)
    {
        Assert.Equal(WireError.None, IgmpRepr.Parse(View(bytes), out var repr));
        return repr;
    }

    // Re-emits a parsed message the way the IP layer would: records through the writer, query sources through Emit.
    private static byte[] ReEmit(IgmpPacket packet, IgmpRepr repr)
    {
        var buffer = new byte[repr.BufferLength];
        if (repr.Type == IgmpType.MembershipReportV3)
        {
            var writer = new MulticastReportWriter<Ipv4Address>(buffer);
            foreach (var record in packet.GroupRecords)
            {
                Assert.Equal(WireError.None, MulticastRecordRepr<Ipv4Address>.Parse(record, out var recordRepr));
                var sources = new Ipv4Address[record.SourceCount];
                record.Sources.CopyTo(sources);
                writer.Add(recordRepr, sources, record.AuxData);
            }
            Assert.Equal(buffer.Length, writer.Finish());
        }
        else
        {
            var sources = new Ipv4Address[packet.SourceCount];
            packet.Sources.CopyTo(sources);
            repr.Emit(buffer, sources);
        }
        return buffer;
    }

    [Fact]
    public void ParsesCapturedJoinThroughEthernetAndIpv4()
    {
        Assert.Equal(WireError.None, EthernetFrame.TryParse(JoinFrame, out var frame));
        Assert.Equal(MacAddress.FromIpv4Multicast(Ipv4Address.Parse("224.0.0.22")), frame.Destination);
        Assert.Equal(WireError.None, Ipv4Packet.TryParse(frame.Payload, out var ip));
        Assert.Equal(WireError.None, Ipv4Repr.Parse(ip, out var ipRepr));
        Assert.Equal((IpProtocol.Igmp, (byte)1, 24), (ipRepr.Protocol, ipRepr.TimeToLive, ipRepr.HeaderLength));

        var packet = View(ip.Payload.ToArray());
        Assert.Equal(IgmpType.MembershipReportV3, packet.Type);
        Assert.True(packet.VerifyChecksum());
        Assert.Equal(1, packet.GroupRecordCount);
        Assert.Equal(0, packet.QueryVersion);
        Assert.Equal(WireError.None, IgmpRepr.Parse(packet, out var repr));
        Assert.Equal((1, 8, 16), (repr.GroupRecordCount, repr.RecordsLength, repr.BufferLength));

        int count = 0;
        foreach (var record in packet.GroupRecords)
        {
            count++;
            Assert.Equal(MulticastRecordType.ChangeToExcludeMode, record.RecordType);
            Assert.Equal(Ipv4Address.Parse("239.1.2.3"), record.MulticastAddress);
            Assert.Equal(0, record.SourceCount);
            Assert.Equal(0, record.AuxDataLength);
            Assert.Equal(8, record.Length);
        }
        Assert.Equal(1, count);
    }

    [Theory]
    [MemberData(nameof(LinuxV3Reports))]
    public void LinuxV3ReportsReEmitByteForByte(string hex)
    {
        var bytes = HexBytes.Parse(hex);
        var packet = View(bytes);
        Assert.Equal(WireError.None, IgmpRepr.Parse(packet, out var repr));
        Assert.Equal(bytes.Length, repr.BufferLength);
        Assert.Equal(bytes, ReEmit(packet, repr));

        // The low-level path: header, records copied as they are, then the checksum.
        var split = new byte[repr.BufferLength];
        repr.EmitHeader(split);
        bytes.AsSpan(8).CopyTo(split.AsSpan(8));
        IgmpRepr.FillChecksum(split);
        Assert.Equal(bytes, split);
    }

    [Fact]
    public void JoinAndLeaveBuiltFromScratchMatchLinux()
    {
        var group = Ipv4Address.Parse("239.1.2.3");
        var join = new byte[16];
        var writer = new MulticastReportWriter<Ipv4Address>(join);
        writer.Add(new MulticastRecordRepr<Ipv4Address>(MulticastRecordType.ChangeToExcludeMode, group), default);
        Assert.Equal(0, writer.Remaining);
        Assert.Equal(16, writer.Finish());
        Assert.Equal(HexBytes.Parse("2200e8f90000000104000000ef010203"), join);

        var leave = new byte[16];
        writer = new MulticastReportWriter<Ipv4Address>(leave);
        writer.Add(new MulticastRecordRepr<Ipv4Address>(MulticastRecordType.ChangeToIncludeMode, group), default);
        writer.Finish();
        Assert.Equal(HexBytes.Parse("2200e9f90000000103000000ef010203"), leave);
    }

    [Fact]
    public void RecordsWithSourcesBuiltFromScratchMatchLinux()
    {
        var buffer = new byte[64];
        var writer = new MulticastReportWriter<Ipv4Address>(buffer);
        writer.Add(new MulticastRecordRepr<Ipv4Address>(MulticastRecordType.ChangeToIncludeMode, Ipv4Address.Parse("239.1.2.3")), default);
        writer.Add(new MulticastRecordRepr<Ipv4Address>(MulticastRecordType.AllowNewSources, Ipv4Address.Parse("232.1.1.1"), 2),
            [Ipv4Address.Parse("10.9.9.9"), Ipv4Address.Parse("10.9.9.10")]);
        Assert.Equal(2, writer.RecordCount);
        int length = writer.Finish();
        Assert.Equal(HexBytes.Parse("2200d5ce0000000203000000ef01020305000002e80101010a0909090a09090a"), buffer[..length]);
    }

    [Theory]
    [MemberData(nameof(Queries))]
    public void QueriesParseByVersionAndReEmitByteForByte(string hex, int version, int tenths)
    {
        var bytes = HexBytes.Parse(hex);
        var packet = View(bytes);
        Assert.Equal(version, packet.QueryVersion);
        Assert.Equal(WireError.None, IgmpRepr.Parse(packet, out var repr));
        Assert.Equal(IgmpType.MembershipQuery, repr.Type);
        Assert.Equal(version, repr.QueryVersion);
        Assert.Equal(TimeSpan.FromMilliseconds(100 * tenths), repr.MaxResponseTime);
        Assert.Equal(version == 3 ? 12 : 8, repr.HeaderLength);
        Assert.Equal(bytes.Length, repr.BufferLength);
        Assert.Equal(bytes, ReEmit(packet, repr));
    }

    [Fact]
    public void V3QueryFieldsAndSources()
    {
        var general = Repr(HexBytes.Parse("1164 ec99 00000000 02 02 0000"));
        Assert.Equal((Ipv4Address.Any, false, (byte)2, (byte)2, 0), (general.Group, general.SuppressRouterProcessing, general.Robustness, general.QueryIntervalCode, general.SourceCount));
        Assert.Equal(TimeSpan.FromSeconds(2), general.QueryInterval);
        Assert.True(Repr(HexBytes.Parse("110a f0e8 ef050505 0a 02 0000")).SuppressRouterProcessing);

        var bytes = HexBytes.Parse("110a d54e e8010101 0a 7d 0002 0a090909 0a09090a");
        var packet = View(bytes);
        Assert.True(packet.SuppressRouterProcessing);
        Assert.Equal(2, packet.Robustness);
        Assert.Equal(125, packet.QueryIntervalCode);
        Assert.Equal(12, packet.HeaderLength);
        var sources = packet.Sources;
        Assert.Equal(2, sources.Count);
        Assert.Equal(Ipv4Address.Parse("10.9.9.10"), sources[1]);
        var seen = new List<Ipv4Address>();
        foreach (var source in sources) seen.Add(source);
        Assert.Equal([Ipv4Address.Parse("10.9.9.9"), Ipv4Address.Parse("10.9.9.10")], seen);
        Assert.Throws<ArgumentOutOfRangeException>(() => View(bytes).Sources[2]);

        var repr = new IgmpRepr
        {
            Type = IgmpType.MembershipQuery,
            QueryVersion = 3,
            MaxResponseCode = 10,
            Group = Ipv4Address.Parse("232.1.1.1"),
            SuppressRouterProcessing = true,
            Robustness = 2,
            QueryIntervalCode = IgmpRepr.EncodeTimeCode(125),
            SourceCount = 2,
        };
        var emitted = new byte[repr.BufferLength];
        repr.Emit(emitted, [Ipv4Address.Parse("10.9.9.9"), Ipv4Address.Parse("10.9.9.10")]);
        Assert.Equal(bytes, emitted);
    }

    [Theory]
    [MemberData(nameof(V1V2Messages))]
    public void V1V2MessagesReEmitByteForByte(string hex, IgmpType type)
    {
        var bytes = HexBytes.Parse(hex);
        var repr = Repr(bytes);
        Assert.Equal(type, repr.Type);
        Assert.Equal(Ipv4Address.Parse("239.1.2.3"), repr.Group);
        Assert.Equal(TimeSpan.Zero, repr.MaxResponseTime);
        var emitted = new byte[repr.BufferLength];
        repr.Emit(emitted);
        Assert.Equal(bytes, emitted);
    }

    [Fact]
    public void LongerV2MessagesAreAcceptedAndTheExtraIgnored()
    {
        // RFC 2236 section 2.5: the message may be longer than 8 bytes; the checksum covers it all.
        var bytes = HexBytes.Parse("1600 0000 ef010203 deadbeef");
        IgmpRepr.FillChecksum(bytes);
        var repr = Repr(bytes);
        Assert.Equal((IgmpType.MembershipReportV2, Ipv4Address.Parse("239.1.2.3"), 8), (repr.Type, repr.Group, repr.BufferLength));
        bytes[^1] ^= 1;
        Assert.Equal(WireError.BadChecksum, IgmpRepr.Parse(View(bytes), out _));
    }

    [Theory]
    [InlineData("1164 0000 00000000 02")]
    [InlineData("1164 0000 00000000 0202")]
    [InlineData("1164 0000 00000000 020200")]
    public void QueriesOfNineToElevenBytesAreBadLength(string hex)
    {
        // RFC 3376 section 7.1: neither an 8-byte v1/v2 query nor a 12-byte v3 one: ignore it.
        var bytes = HexBytes.Parse(hex);
        IgmpRepr.FillChecksum(bytes);
        var packet = View(bytes);
        Assert.Equal(0, packet.QueryVersion);
        Assert.Equal(WireError.BadLength, IgmpRepr.Parse(packet, out _));
    }

    [Theory]
    [InlineData("")]
    [InlineData("1164ec99000000")]
    [InlineData("1164 ec99 00000000 02 02 0001")]                       // one source promised, none there
    [InlineData("110a d54e e8010101 0a 7d 0003 0a090909 0a09090a")]     // three promised, two there
    public void TruncatedMessagesAreRejected(string hex) =>
        Assert.Equal(WireError.Truncated, IgmpPacket.TryParse(HexBytes.Parse(hex), out _));

    [Theory]
    [InlineData("2200 0000 0000 0002  04 00 0000 ef010203")]                      // two records counted, one there
    [InlineData("2200 0000 0000 0001  05 00 0002 e8010101 0a090909")]             // record's second source missing
    [InlineData("2200 0000 0000 0001  05 01 0001 e8010101 0a090909")]             // aux data (4 bytes) missing
    [InlineData("2200 0000 0000 0001  04 00 00")]                                 // record header cut short
    public void RecordsRunningPastTheMessageAreTruncated(string hex)
    {
        var bytes = HexBytes.Parse(hex);
        IgmpRepr.FillChecksum(bytes);
        var packet = View(bytes);
        Assert.Equal(WireError.Truncated, IgmpRepr.Parse(packet, out _));

        var reader = packet.GroupRecords;
        int read = 0;
        while (reader.MoveNext()) read++;
        Assert.Equal(WireError.Truncated, reader.Error);
        Assert.Equal(bytes.Length >= 16 && bytes[8] == 4 ? 1 : 0, read);
    }

    [Fact]
    public void AuxDataIsCarriedThrough()
    {
        var bytes = HexBytes.Parse("2200 0000 0000 0001  05 01 0001 e8010101 0a090909 cafef00d");
        IgmpRepr.FillChecksum(bytes);
        var packet = View(bytes);
        var repr = Repr(bytes);
        var reader = packet.GroupRecords;
        Assert.True(reader.MoveNext());
        Assert.Equal(4, reader.Current.AuxDataLength);
        Assert.Equal(HexBytes.Parse("cafef00d"), reader.Current.AuxData.ToArray());
        Assert.Equal(WireError.None, MulticastRecordRepr<Ipv4Address>.Parse(reader.Current, out var record));
        Assert.Equal(16, record.BufferLength);
        Assert.False(reader.MoveNext());
        Assert.Equal(WireError.None, reader.Error);
        Assert.Equal(bytes, ReEmit(packet, repr));
    }

    [Fact]
    public void BadRecordsAreReportedPerRecordNotPerReport()
    {
        // RFC 3376 section 4.2.12 and 4.2.13: ignore an unknown record type or a non-multicast
        // address, and keep the rest of the report.
        var bytes = HexBytes.Parse("2200 0000 0000 0003  07 00 0000 ef010203  04 00 0000 0a000001  04 00 0000 ef010204");
        IgmpRepr.FillChecksum(bytes);
        var packet = View(bytes);
        Assert.Equal(WireError.None, IgmpRepr.Parse(packet, out var repr));
        Assert.Equal(3, repr.GroupRecordCount);
        var results = new List<WireError>();
        foreach (var record in packet.GroupRecords) results.Add(MulticastRecordRepr<Ipv4Address>.Parse(record, out _));
        Assert.Equal([WireError.Unrecognized, WireError.BadAddress, WireError.None], results);
    }

    [Theory]
    [InlineData("1600 0000 0a000001")] // v2 report of a unicast address
    [InlineData("1700 0000 00000000")] // leave of nothing
    [InlineData("1164 0000 0a000001")] // query of a unicast address
    public void NonMulticastGroupsAreBadAddress(string hex)
    {
        var bytes = HexBytes.Parse(hex);
        IgmpRepr.FillChecksum(bytes);
        Assert.Equal(WireError.BadAddress, IgmpRepr.Parse(View(bytes), out _));
    }

    [Theory]
    [InlineData("1300 ecff 00000000")] // DVMRP
    [InlineData("1e00 e1ff 00000000")] // multicast traceroute response
    [InlineData("ff00 00ff 00000000")]
    public void UnknownTypesParseAsViewsButNotAsReprs(string hex)
    {
        var packet = View(HexBytes.Parse(hex));
        Assert.True(packet.VerifyChecksum());
        Assert.Equal(WireError.Unrecognized, IgmpRepr.Parse(packet, out _));
    }

    [Fact]
    public void BadChecksumIsRejectedUnlessOffloaded()
    {
        var bytes = HexBytes.Parse("2200 e8f9 0000 0001 04000000 ef010204");
        Assert.Equal(WireError.BadChecksum, IgmpRepr.Parse(View(bytes), out _));
        Assert.Equal(WireError.None, IgmpRepr.Parse(View(bytes), out _, verifyChecksum: false));
    }

    [Fact]
    public void TimeCodesFollowRfc3376()
    {
        Assert.Equal(127, IgmpRepr.DecodeTimeCode(127));
        Assert.Equal(128, IgmpRepr.DecodeTimeCode(0x80));
        Assert.Equal(248, IgmpRepr.DecodeTimeCode(0x8F));
        Assert.Equal(256, IgmpRepr.DecodeTimeCode(0x90));
        Assert.Equal(31744, IgmpRepr.DecodeTimeCode(0xFF));
        for (int code = 0; code < 256; code++)
            Assert.Equal(code, IgmpRepr.EncodeTimeCode(IgmpRepr.DecodeTimeCode((byte)code)));
        Assert.Equal(0x80, IgmpRepr.EncodeTimeCode(135));   // rounds down to 128
        Assert.Equal(0xFF, IgmpRepr.EncodeTimeCode(100_000));
        Assert.Throws<ArgumentOutOfRangeException>(() => IgmpRepr.EncodeTimeCode(-1));
        // A v3 query's 0xFF max response code is 3174.4 s.
        var repr = new IgmpRepr { Type = IgmpType.MembershipQuery, QueryVersion = 3, MaxResponseCode = 0xFF };
        Assert.Equal(TimeSpan.FromMilliseconds(3_174_400), repr.MaxResponseTime);
    }

    [Fact]
    public void EmitRejectsCallerBugs()
    {
        var v1 = new IgmpRepr { Type = IgmpType.MembershipQuery, QueryVersion = 1, MaxResponseCode = 100 };
        Assert.Contains("IGMPv1", Assert.Throws<ArgumentException>(() => v1.Emit(new byte[8])).Message, StringComparison.Ordinal);
        var v2 = new IgmpRepr { Type = IgmpType.MembershipQuery, QueryVersion = 2 };
        Assert.Throws<ArgumentException>(() => v2.Emit(new byte[8]));
        var v4 = new IgmpRepr { Type = IgmpType.MembershipQuery, QueryVersion = 4, MaxResponseCode = 1 };
        Assert.Throws<ArgumentException>(() => v4.Emit(new byte[12]));
        var v3 = new IgmpRepr { Type = IgmpType.MembershipQuery, QueryVersion = 3, Robustness = 8 };
        Assert.Throws<ArgumentException>(() => v3.Emit(new byte[12]));
        v3.Robustness = 2;
        v3.SourceCount = 1;
        Assert.Throws<ArgumentException>(() => v3.Emit(new byte[16]));                     // no sources passed
        Assert.Throws<ArgumentException>(() => v3.Emit(new byte[15], [Ipv4Address.Any])); // short buffer
        var report = new IgmpRepr { Type = IgmpType.MembershipReportV2, Group = Ipv4Address.Parse("239.1.2.3") };
        Assert.Throws<ArgumentException>(() => report.Emit(new byte[8], [Ipv4Address.Any])); // sources on a v2 report
        var v3Report = new IgmpRepr { Type = IgmpType.MembershipReportV3, GroupRecordCount = 1, RecordsLength = 8 };
        Assert.Contains("MulticastReportWriter<Ipv4Address>", Assert.Throws<ArgumentException>(() => v3Report.Emit(new byte[16])).Message, StringComparison.Ordinal);
        var unknown = new IgmpRepr { Type = (IgmpType)0x13 };
        Assert.Throws<ArgumentException>(() => unknown.Emit(new byte[8]));

        var record = new MulticastRecordRepr<Ipv4Address>(MulticastRecordType.AllowNewSources, Ipv4Address.Parse("232.1.1.1"), 2);
        Assert.Throws<ArgumentException>(() => record.Emit(new byte[16], [Ipv4Address.Any]));        // one source for two
        Assert.Throws<ArgumentException>(() => record.Emit(new byte[15], [Ipv4Address.Any, Ipv4Address.Any]));
        record.AuxDataLength = 3;
        Assert.Throws<ArgumentException>(() => record.Emit(new byte[19], [Ipv4Address.Any, Ipv4Address.Any], new byte[3]));

        Assert.Throws<ArgumentException>(() => new MulticastReportWriter<Ipv4Address>(new byte[7]));
        var buffer = new byte[15];
        Assert.Throws<ArgumentException>(() =>
        {
            var writer = new MulticastReportWriter<Ipv4Address>(buffer);
            writer.Add(new MulticastRecordRepr<Ipv4Address>(MulticastRecordType.ChangeToExcludeMode, Ipv4Address.Parse("239.1.2.3")), default);
        });
    }

    [Theory]
    [InlineData("2200 d5ce 0000 0002  03 00 0000 ef010203  05 00 0002 e8010101 0a090909 0a09090a")]
    [InlineData("110a d54e e8010101 0a 7d 0002 0a090909 0a09090a")]
    [InlineData("1600 f8fa ef010203")]
    public void MutatedMessagesNeverThrowAndReEmitConsistently(string hex)
    {
        var seed = HexBytes.Parse(hex);
        int parsed = 0;
        foreach (var bytes in Mutations.Of(seed, 20_000, 3376 + seed[0]))
        {
            if (Check(bytes)) parsed++;
        }
        Assert.InRange(parsed, 2_000, 19_900);
    }

    private static bool Check(byte[] bytes)
    {
        if (IgmpPacket.TryParse(bytes, out var packet) != WireError.None) return false;
        _ = (packet.Type, packet.MaxResponseCode, packet.Checksum, packet.GroupAddress, packet.QueryVersion, packet.HeaderLength);
        _ = (packet.SuppressRouterProcessing, packet.Robustness, packet.QueryIntervalCode, packet.GroupRecordCount);
        Assert.Equal(packet.SourceCount, packet.Sources.Count);
        foreach (var source in packet.Sources) _ = source.Value;
        var reader = packet.GroupRecords;
        bool recordsOk = true;
        while (reader.MoveNext())
        {
            var record = reader.Current;
            _ = (record.RecordType, record.AuxDataLength, record.MulticastAddress, record.AuxData.Length);
            Assert.Equal(record.SourceCount, record.Sources.Count);
            foreach (var source in record.Sources) _ = source.Value;
            recordsOk &= MulticastRecordRepr<Ipv4Address>.Parse(record, out _) == WireError.None;
        }

        // Checksums are checked on the way, but not required, so that mutations reach the repr.
        var verified = IgmpRepr.Parse(packet, out _);
        var error = IgmpRepr.Parse(packet, out var repr, verifyChecksum: false);
        Assert.True(verified == error || verified == WireError.BadChecksum);
        if (error != WireError.None) return false;
        _ = (repr.MaxResponseTime, repr.QueryInterval);
        if (!recordsOk) return true; // a report with a record the RFC says to skip: nothing to re-emit as is
        var emitted = ReEmit(packet, repr);
        Assert.Equal(WireError.None, IgmpRepr.Parse(View(emitted), out var again));
        Assert.Equal(repr, again);
        return true;
    }
}
