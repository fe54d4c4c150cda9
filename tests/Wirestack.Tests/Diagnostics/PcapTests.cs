using System.Diagnostics;
using System.Globalization;
using Wirestack.Diagnostics;
using Wirestack.Testing;
using Wirestack.Tests.Wire;
using Wirestack.Wire;

namespace Wirestack.Tests.Diagnostics;

public class PcapTests
{
    private static readonly string KernelTrafficPath = Path.Combine(AppContext.BaseDirectory, "Fixtures", "kernel-traffic.pcap");

    // 2024-11-22 12:34:56.123456789 UTC: big enough to need every bit of a 32-bit seconds field's low half.
    private const long SomeTime = 1_732_278_896_123_456_789;

    // ---- writer ----

    [Fact]
    public void GlobalHeaderIsNanosecondVersion24LittleEndian()
    {
        var stream = new MemoryStream();
        using (new PcapWriter(stream, PcapLinkType.Raw, snapLength: 1500, leaveOpen: true))
        {
        }
        Assert.Equal(HexBytes.Parse("4d3cb2a1 0200 0400 00000000 00000000 dc050000 65000000"), stream.ToArray());
    }

    [Fact]
    public void DefaultsAreEthernetAndSnapLength256KiB()
    {
        var stream = new MemoryStream();
        using var writer = new PcapWriter(stream, leaveOpen: true);
        Assert.Equal(PcapLinkType.Ethernet, writer.LinkType);
        Assert.Equal(262144, writer.SnapLength);
        Assert.Equal(HexBytes.Parse("4d3cb2a1 0200 0400 00000000 00000000 00000400 01000000"), stream.ToArray());
    }

    [Fact]
    public void RecordHeaderSplitsNanosecondsAndRecordsBothLengths()
    {
        var stream = new MemoryStream();
        using (var writer = new PcapWriter(stream, leaveOpen: true))
        {
            writer.WriteFrame([0xAA, 0xBB, 0xCC], 5_000_000_007);
            Assert.Equal(1, writer.FramesWritten);
        }
        // ts_sec 5, ts_nsec 7, incl_len 3, orig_len 3, then the bytes.
        Assert.Equal(HexBytes.Parse("05000000 07000000 03000000 03000000 aabbcc"), stream.ToArray().AsSpan(24).ToArray());
    }

    [Fact]
    public void WrittenFramesReadBack()
    {
        var frames = new[]
        {
            (Time: 0L, Bytes: Array.Empty<byte>()),
            (Time: 1_500_000_000L, Bytes: Enumerable.Range(0, 60).Select(i => (byte)i).ToArray()),
            (Time: SomeTime, Bytes: Enumerable.Range(0, 1514).Select(i => (byte)(i * 7)).ToArray()),
            (Time: SomeTime + 999_999_999, Bytes: new byte[] { 0xFF }),
        };
        var stream = new MemoryStream();
        using (var writer = new PcapWriter(stream, leaveOpen: true))
        {
            foreach (var (time, bytes) in frames) writer.WriteFrame(bytes, time);
        }

        stream.Position = 0;
        using var reader = new PcapReader(stream);
        Assert.Equal(PcapLinkType.Ethernet, reader.LinkType);
        Assert.Equal(262144, reader.SnapLength);
        Assert.Equal(PcapTimestampPrecision.Nanoseconds, reader.TimestampPrecision);
        Assert.False(reader.IsBigEndian);
        Assert.Equal((ushort)2, reader.VersionMajor);
        Assert.Equal((ushort)4, reader.VersionMinor);
        foreach (var (time, bytes) in frames)
        {
            Assert.True(reader.TryReadFrame(out var record));
            Assert.Equal(time, record.TimestampNanoseconds);
            Assert.Equal(bytes.Length, record.OriginalLength);
            Assert.False(record.IsTruncated);
            Assert.Equal(bytes, record.Data.ToArray());
        }
        Assert.False(reader.TryReadFrame(out _));
        Assert.Equal(frames.Length, reader.FramesRead);
    }

    [Theory]
    [InlineData(65535 + 14)] // the largest IPv4 packet a segmentation offload carries, with its Ethernet header
    [InlineData(65535 + 40 + 14 + 4)] // the largest IPv6 one, VLAN-tagged
    public void OffloadSizedFramesAreKeptWholeByDefault(int length)
    {
        var frame = Enumerable.Range(0, length).Select(i => (byte)(i * 31)).ToArray();
        var stream = new MemoryStream();
        using (var writer = new PcapWriter(stream, leaveOpen: true)) writer.WriteFrame(frame, 1);

        stream.Position = 0;
        using var reader = new PcapReader(stream);
        Assert.True(reader.TryReadFrame(out var record));
        Assert.False(record.IsTruncated);
        Assert.Equal(length, record.OriginalLength);
        Assert.Equal(frame, record.Data.ToArray());
    }

    [Theory]
    [InlineData(1, 2)]
    [InlineData(64, 65)]
    [InlineData(65535, 65535 + 18)]
    [InlineData(262144, 262144 + 1)]
    public void IncludedLengthNeverExceedsSnapLength(int snapLength, int frameLength)
    {
        var frame = new byte[frameLength];
        var stream = new MemoryStream();
        using (var writer = new PcapWriter(stream, snapLength: snapLength, leaveOpen: true)) writer.WriteFrame(frame, 1);

        // The record header's incl_len (offset 8) and orig_len (offset 12), read from the bytes themselves.
        var record = stream.ToArray().AsSpan(24);
        Assert.Equal((uint)snapLength, System.Buffers.Binary.BinaryPrimitives.ReadUInt32LittleEndian(record[8..]));
        Assert.Equal((uint)frameLength, System.Buffers.Binary.BinaryPrimitives.ReadUInt32LittleEndian(record[12..]));
        Assert.Equal(16 + snapLength, record.Length);
    }

    [Fact]
    public void FramesLongerThanSnapLengthAreTruncatedKeepingOriginalLength()
    {
        var frame = Enumerable.Range(0, 200).Select(i => (byte)i).ToArray();
        var stream = new MemoryStream();
        using (var writer = new PcapWriter(stream, snapLength: 64, leaveOpen: true))
        {
            writer.WriteFrame(frame, 1);
            writer.WriteFrame(frame.AsSpan(0, 64), 2);
        }

        stream.Position = 0;
        using var reader = new PcapReader(stream);
        Assert.Equal(64, reader.SnapLength);
        Assert.True(reader.TryReadFrame(out var cut));
        Assert.Equal(200, cut.OriginalLength);
        Assert.True(cut.IsTruncated);
        Assert.Equal(frame.AsSpan(0, 64).ToArray(), cut.Data.ToArray());
        Assert.True(reader.TryReadFrame(out var exact));
        Assert.Equal(64, exact.OriginalLength);
        Assert.False(exact.IsTruncated);
    }

    [Fact]
    public void ExplicitOriginalLengthIsRecorded()
    {
        var stream = new MemoryStream();
        using (var writer = new PcapWriter(stream, leaveOpen: true))
            writer.WriteFrame([1, 2, 3, 4], 10, originalLength: 1514);

        stream.Position = 0;
        using var reader = new PcapReader(stream);
        Assert.True(reader.TryReadFrame(out var record));
        Assert.Equal(1514, record.OriginalLength);
        Assert.Equal(new byte[] { 1, 2, 3, 4 }, record.Data.ToArray());
    }

    [Fact]
    public void OriginalLengthShorterThanFrameIsRejected()
    {
        using var writer = new PcapWriter(new MemoryStream());
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => writer.WriteFrame(new byte[10], 0, originalLength: 9));
        Assert.Equal("originalLength", e.ParamName);
        Assert.Contains("at least the captured length", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(-1L)]
    [InlineData(long.MinValue)]
    [InlineData(4_294_967_296_000_000_000L)] // 2^32 seconds: past pcap's 32-bit seconds field
    public void TimestampsOutsidePcapRangeAreRejected(long timestamp)
    {
        using var writer = new PcapWriter(new MemoryStream());
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => writer.WriteFrame([1], timestamp));
        Assert.Equal("timestampNanoseconds", e.ParamName);
        Assert.Equal(0, writer.FramesWritten);
    }

    [Fact]
    public void LastRepresentableTimestampRoundTrips()
    {
        const long last = 4_294_967_295_999_999_999L;
        var stream = new MemoryStream();
        using (var writer = new PcapWriter(stream, leaveOpen: true)) writer.WriteFrame([1], last);
        stream.Position = 0;
        using var reader = new PcapReader(stream);
        Assert.True(reader.TryReadFrame(out var record));
        Assert.Equal(last, record.TimestampNanoseconds);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    [InlineData(262_145)]
    public void SnapLengthOutOfRangeIsRejected(int snapLength)
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => new PcapWriter(new MemoryStream(), snapLength: snapLength));
        Assert.Equal("snapLength", e.ParamName);
    }

    [Fact]
    public void ReadOnlyStreamIsRejected()
    {
        var e = Assert.Throws<ArgumentException>(() => new PcapWriter(new MemoryStream(new byte[64], writable: false)));
        Assert.Contains("cannot be written", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void WriteFrameAllocatesNothing()
    {
        var frame = new byte[1514];
        var stream = new MemoryStream(capacity: 24 + 1100 * (16 + frame.Length));
        using var writer = new PcapWriter(stream, leaveOpen: true);
        long time = SomeTime;
        var allocated = AllocationMeter.Measure(() => writer.WriteFrame(frame, time++));

        Assert.Equal(0, allocated);
        Assert.Equal(1100, writer.FramesWritten);
    }

    [Fact]
    public void DisposeClosesTheStreamUnlessLeftOpen()
    {
        var owned = new MemoryStream();
        new PcapWriter(owned).Dispose();
        Assert.False(owned.CanWrite);

        var kept = new MemoryStream();
        var writer = new PcapWriter(kept, leaveOpen: true);
        writer.Dispose();
        writer.Dispose(); // twice is harmless
        Assert.True(kept.CanWrite);
        Assert.Throws<ObjectDisposedException>(() => writer.WriteFrame([1], 0));
        Assert.Throws<ObjectDisposedException>(writer.Flush);
    }

    [Fact]
    public async Task DisposeAsyncClosesTheStreamUnlessLeftOpen()
    {
        var owned = new MemoryStream();
        await new PcapWriter(owned).DisposeAsync();
        Assert.False(owned.CanWrite);

        var kept = new MemoryStream();
        await using (var writer = new PcapWriter(kept, leaveOpen: true))
        {
            writer.WriteFrame([1, 2], 3);
            await writer.FlushAsync(TestContext.Current.CancellationToken);
        }
        Assert.True(kept.CanWrite);
        Assert.Equal(24 + 16 + 2, kept.Length);
    }

    [Fact]
    public void CreateAndOpenUseFiles()
    {
        var path = Path.Combine(Path.GetTempPath(), $"wirestack-pcap-{Guid.NewGuid():N}.pcap");
        try
        {
            using (var writer = PcapWriter.Create(path, PcapLinkType.Raw, snapLength: 2000))
                writer.WriteFrame([0x45, 0, 0, 20], SomeTime);
            using var reader = PcapReader.Open(path);
            Assert.Equal(PcapLinkType.Raw, reader.LinkType);
            Assert.Equal(2000, reader.SnapLength);
            Assert.True(reader.TryReadFrame(out var record));
            Assert.Equal(SomeTime, record.TimestampNanoseconds);
            Assert.False(reader.TryReadFrame(out _));
        }
        finally
        {
            File.Delete(path);
        }
    }

    // ---- reader: hand-built files ----

    [Theory]
    [InlineData(false, false)]
    [InlineData(false, true)]
    [InlineData(true, false)]
    [InlineData(true, true)]
    public void ReadsBothMagicsInBothByteOrders(bool nanoseconds, bool bigEndian)
    {
        var magic = nanoseconds ? PcapFileBuilder.NanosecondMagic : PcapFileBuilder.MicrosecondMagic;
        var bytes = new PcapFileBuilder(bigEndian)
            .GlobalHeader(magic, minor: 4, snapLength: 1600, linkType: 229)
            .Record(1_700_000_000, 123_456, [0x60, 0, 0, 0], originalLength: 1280)
            .Record(1_700_000_001, 999_999, [0xDE, 0xAD, 0xBE, 0xEF, 0x01])
            .ToStream();

        using var reader = new PcapReader(bytes);
        Assert.Equal(bigEndian, reader.IsBigEndian);
        Assert.Equal(nanoseconds ? PcapTimestampPrecision.Nanoseconds : PcapTimestampPrecision.Microseconds, reader.TimestampPrecision);
        Assert.Equal(PcapLinkType.Ipv6, reader.LinkType);
        Assert.Equal(1600, reader.SnapLength);
        Assert.Equal((ushort)2, reader.VersionMajor);
        Assert.Equal((ushort)4, reader.VersionMinor);

        var unit = nanoseconds ? 1L : 1000L;
        Assert.True(reader.TryReadFrame(out var first));
        Assert.Equal(1_700_000_000 * 1_000_000_000L + 123_456 * unit, first.TimestampNanoseconds);
        Assert.Equal(1280, first.OriginalLength);
        Assert.True(first.IsTruncated);
        Assert.Equal(new byte[] { 0x60, 0, 0, 0 }, first.Data.ToArray());

        Assert.True(reader.TryReadFrame(out var second));
        Assert.Equal(1_700_000_001 * 1_000_000_000L + 999_999 * unit, second.TimestampNanoseconds);
        Assert.Equal(5, second.OriginalLength);
        Assert.Equal(new byte[] { 0xDE, 0xAD, 0xBE, 0xEF, 0x01 }, second.Data.ToArray());

        Assert.False(reader.TryReadFrame(out _));
        Assert.False(reader.TryReadFrame(out _)); // the end stays the end
    }

    [Fact]
    public void FcsBitsAboveTheLinkTypeAreIgnored()
    {
        // Bits 28-31 carry an FCS length and bit 26 says it is present; the link type is the low 16 bits.
        var bytes = new PcapFileBuilder(false).GlobalHeader(linkType: 0x2400_0001).ToStream();
        using var reader = new PcapReader(bytes);
        Assert.Equal(PcapLinkType.Ethernet, reader.LinkType);
    }

    [Fact]
    public void HeaderOnlyFileHasNoFrames()
    {
        using var reader = new PcapReader(new PcapFileBuilder(false).GlobalHeader().ToStream());
        Assert.False(reader.TryReadFrame(out var record));
        Assert.Equal(0, record.Data.Length);
        Assert.Equal(0, reader.FramesRead);
    }

    [Fact]
    public void ZeroSnapLengthAllowsRecordsUpTo256KiB()
    {
        var big = new byte[262_144];
        big[^1] = 0x5A;
        var bytes = new PcapFileBuilder(false).GlobalHeader(snapLength: 0).Record(1, 2, big).ToStream();
        using var reader = new PcapReader(bytes);
        Assert.Equal(0, reader.SnapLength);
        Assert.True(reader.TryReadFrame(out var record));
        Assert.Equal(big.Length, record.Data.Length);
        Assert.Equal(0x5A, record.Data[^1]);
    }

    [Fact]
    public void BufferIsReusedAndGrows()
    {
        var bytes = new PcapFileBuilder(false).GlobalHeader()
            .Record(1, 0, [1, 2, 3])
            .Record(2, 0, Enumerable.Repeat((byte)9, 5000).ToArray())
            .Record(3, 0, [4])
            .ToStream();
        using var reader = new PcapReader(bytes);
        Assert.True(reader.TryReadFrame(out var a));
        Assert.Equal(new byte[] { 1, 2, 3 }, a.Data.ToArray());
        Assert.True(reader.TryReadFrame(out var b));
        Assert.Equal(5000, b.Data.Length);
        Assert.All(b.Data.ToArray(), x => Assert.Equal(9, x));
        Assert.True(reader.TryReadFrame(out var c));
        Assert.Equal(new byte[] { 4 }, c.Data.ToArray());
    }

    // ---- reader: malformed files ----

    [Theory]
    [InlineData("", "ends after 0 bytes")]
    [InlineData("d4c3", "ends after 2 bytes")]
    [InlineData("00000000 00000000", "Bad magic at offset 0")]
    [InlineData("0a0d0d0a 1c000000", "pcapng")]
    [InlineData("34cdb2a1", "modified pcap")]
    [InlineData("4d3cb2a1 0200 0400 00000000", "Truncated pcap global header: the stream ends at offset 12")]
    [InlineData("d4c3b2a1 0300 0000 00000000 00000000 ffff0000 01000000", "Unsupported pcap version 3.0 at offset 4")]
    public void MalformedGlobalHeadersSayWhatAndWhere(string hex, string expected)
    {
        var e = Assert.Throws<InvalidDataException>(() => new PcapReader(new MemoryStream(HexBytes.Parse(hex))));
        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void BadMagicShowsTheBytesInFileOrder()
    {
        var e = Assert.Throws<InvalidDataException>(() => new PcapReader(new MemoryStream(HexBytes.Parse("12345678 0000 0000"))));
        Assert.Contains("12345678", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void TruncatedRecordHeaderNamesItsOffset(bool bigEndian)
    {
        var bytes = new PcapFileBuilder(bigEndian).GlobalHeader().Record(1, 0, [1, 2]).Raw(0, 0, 0, 0, 0).ToStream();
        using var reader = new PcapReader(bytes);
        Assert.True(reader.TryReadFrame(out _));
        var e = Assert.Throws<InvalidDataException>(() => reader.TryReadFrame(out _));
        Assert.Contains("Truncated record header for frame 2 at offset 42", e.Message, StringComparison.Ordinal);
        Assert.Contains("5 of its 16 bytes", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void RecordRunningPastTheEndNamesItsOffset()
    {
        var bytes = new PcapFileBuilder(false).GlobalHeader().Record(1, 0, [1, 2, 3], capturedLength: 100, originalLength: 100).ToStream();
        using var reader = new PcapReader(bytes);
        var e = Assert.Throws<InvalidDataException>(() => reader.TryReadFrame(out _));
        Assert.Contains("frame 1 at offset 24", e.Message, StringComparison.Ordinal);
        Assert.Contains("claims 100 captured bytes from offset 40", e.Message, StringComparison.Ordinal);
        Assert.Contains("after 3 of them", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void CapturedLengthOverSnapLengthIsRejected()
    {
        var bytes = new PcapFileBuilder(true).GlobalHeader(snapLength: 96).Record(1, 0, new byte[97]).ToStream();
        using var reader = new PcapReader(bytes);
        var e = Assert.Throws<InvalidDataException>(() => reader.TryReadFrame(out _));
        Assert.Contains("Frame 1 at offset 24: the captured length 97 exceeds the file's snapshot length 96", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void CapturedLengthOver256KiBIsRejectedWhateverTheSnapLength()
    {
        // The header claims a huge snapshot length and the record a 1 MiB capture, but no bytes follow:
        // the reader must refuse before trying to allocate or read them.
        var bytes = new PcapFileBuilder(false).GlobalHeader(snapLength: uint.MaxValue).Record(1, 0, [], capturedLength: 1 << 20, originalLength: 1 << 20).ToStream();
        using var reader = new PcapReader(bytes);
        Assert.Equal(int.MaxValue, reader.SnapLength);
        var e = Assert.Throws<InvalidDataException>(() => reader.TryReadFrame(out _));
        Assert.Contains("Frame 1 at offset 24: the captured length 1048576 exceeds the 262144-byte (256 KiB) limit", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void OriginalLengthShorterThanCapturedIsRejected()
    {
        var bytes = new PcapFileBuilder(false).GlobalHeader().Record(1, 0, [1, 2, 3], originalLength: 2).ToStream();
        using var reader = new PcapReader(bytes);
        var e = Assert.Throws<InvalidDataException>(() => reader.TryReadFrame(out _));
        Assert.Contains("original length 2 is shorter than the captured length 3", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(PcapFileBuilder.MicrosecondMagic, 1_000_000u)]
    [InlineData(PcapFileBuilder.NanosecondMagic, 1_000_000_000u)]
    public void FractionOfASecondOrMoreIsRejected(uint magic, uint fraction)
    {
        var bytes = new PcapFileBuilder(false).GlobalHeader(magic).Record(1, fraction, [1]).ToStream();
        using var reader = new PcapReader(bytes);
        var e = Assert.Throws<InvalidDataException>(() => reader.TryReadFrame(out _));
        Assert.Contains("at offset 28", e.Message, StringComparison.Ordinal);
        Assert.Contains("a second or more", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ReaderDisposeClosesTheStreamUnlessLeftOpen()
    {
        var owned = new PcapFileBuilder(false).GlobalHeader().ToStream();
        new PcapReader(owned).Dispose();
        Assert.False(owned.CanRead);

        var kept = new PcapFileBuilder(false).GlobalHeader().ToStream();
        var reader = new PcapReader(kept, leaveOpen: true);
        reader.Dispose();
        Assert.True(kept.CanRead);
        Assert.Throws<ObjectDisposedException>(() => reader.TryReadFrame(out _));
    }

    // ---- real captures ----

    [Fact]
    public void ReadsTheKernelTrafficFixtureWrittenByTcpdump()
    {
        using var reader = PcapReader.Open(KernelTrafficPath);
        Assert.Equal(PcapLinkType.Ethernet, reader.LinkType);
        Assert.Equal(PcapTimestampPrecision.Nanoseconds, reader.TimestampPrecision);

        int arp = 0, ipv4 = 0, ipv6 = 0;
        long previous = 0;
        while (reader.TryReadFrame(out var record))
        {
            Assert.False(record.IsTruncated); // captured with -s 0
            Assert.True(record.TimestampNanoseconds >= previous, $"frame {reader.FramesRead} goes back in time");
            Assert.True(record.TimestampNanoseconds > 1_600_000_000L * 1_000_000_000, $"frame {reader.FramesRead} has a timestamp before 2020");
            previous = record.TimestampNanoseconds;

            Assert.Equal(WireError.None, EthernetFrame.TryParse(record.Data, out var frame));
            if (frame.EtherType == EtherType.Arp) arp++;
            else if (frame.EtherType == EtherType.Ipv4) ipv4++;
            else if (frame.EtherType == EtherType.Ipv6) ipv6++;
        }

        // The script's exchanges produce about 120 frames; a regenerated capture varies a little (MLD and RS repeats).
        Assert.InRange(reader.FramesRead, 80, 400);
        Assert.True(arp >= 2, $"expected an ARP request and reply, found {arp} ARP frames");
        Assert.True(ipv4 >= 30, $"expected ICMP, fragments, TCP, UDP and IGMP over IPv4, found {ipv4} IPv4 frames");
        Assert.True(ipv6 >= 40, $"expected NDP, MLD, ICMPv6, fragments, TCP and UDP over IPv6, found {ipv6} IPv6 frames");
    }

    [Fact]
    public void CopyingTheFixtureThroughPcapWriterKeepsEveryRecord()
    {
        var copy = new MemoryStream();
        using (var source = PcapReader.Open(KernelTrafficPath))
        using (var writer = new PcapWriter(copy, source.LinkType, leaveOpen: true))
        {
            while (source.TryReadFrame(out var record))
                writer.WriteFrame(record.Data, record.TimestampNanoseconds, record.OriginalLength);
        }

        copy.Position = 0;
        using var original = PcapReader.Open(KernelTrafficPath);
        using var reread = new PcapReader(copy);
        while (original.TryReadFrame(out var expected))
        {
            Assert.True(reread.TryReadFrame(out var actual));
            Assert.Equal(expected.TimestampNanoseconds, actual.TimestampNanoseconds);
            Assert.Equal(expected.OriginalLength, actual.OriginalLength);
            Assert.True(expected.Data.SequenceEqual(actual.Data), $"frame {original.FramesRead} differs");
        }
        Assert.False(reread.TryReadFrame(out _));
    }

    [Fact]
    public void TsharkReadsWhatPcapWriterWrote()
    {
        string tshark = Prerequisites.RequireTool("tshark", "tshark");
        var frames = new (long Time, byte[] Bytes)[]
        {
            (SomeTime, HexBytes.Parse("ffffffffffff 02000000000a 0806 0001 0800 06 04 0001 02000000000a 0a000001 000000000000 0a000002")),
            (SomeTime + 1, new byte[60]),
            (SomeTime + 1_000_000_001, new byte[1514]),
        };
        var path = Path.Combine(Path.GetTempPath(), $"wirestack-pcap-{Guid.NewGuid():N}.pcap");
        try
        {
            using (var writer = PcapWriter.Create(path, snapLength: 1000))
            {
                foreach (var (time, bytes) in frames) writer.WriteFrame(bytes, time);
            }

            var lines = RunTshark(tshark, path, "-T", "fields", "-E", "separator=,", "-e", "frame.time_epoch", "-e", "frame.len", "-e", "frame.cap_len", "-e", "frame.protocols");
            Assert.Equal(frames.Length, lines.Length);
            for (var i = 0; i < frames.Length; i++)
            {
                var fields = lines[i].Split(',');
                var (time, bytes) = frames[i];
                var expectedTime = string.Create(CultureInfo.InvariantCulture, $"{time / 1_000_000_000}.{time % 1_000_000_000:D9}");
                Assert.Equal(expectedTime, fields[0]);
                Assert.Equal(bytes.Length.ToString(CultureInfo.InvariantCulture), fields[1]);
                Assert.Equal(Math.Min(bytes.Length, 1000).ToString(CultureInfo.InvariantCulture), fields[2]);
            }
            Assert.Equal("eth:ethertype:arp", lines[0].Split(',')[3]);
        }
        finally
        {
            File.Delete(path);
        }
    }

    private static string[] RunTshark(string tshark, string path, params string[] arguments)
    {
        var result = ProcessRunner.Run(tshark, ["-r", path, .. arguments]).EnsureSuccess("tshark");
        return result.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries);
    }
}
