using Wirestack.Wire;

namespace Wirestack.Tests.Wire;

public class TcpTests
{
    private static TcpSeqNumber Seq(uint value) => new(value);

    private static TcpRepr ParseCapture(string name)
    {
        var capture = TcpCaptures.All[name];
        Assert.Equal(WireError.None, TcpPacket.TryParse(capture.Bytes, out var packet));
        Assert.Equal(WireError.None, TcpRepr.Parse(packet, capture.PseudoHeaderSum(), out var repr));
        return repr;
    }

    // A 20-byte header from 1234 to 80 followed by the given options and payload, checksum filled
    // for 10.0.0.1 -> 10.0.0.2.
    private static byte[] Segment(string optionsHex, string payloadHex = "")
    {
        var options = HexBytes.Parse(optionsHex);
        var payload = HexBytes.Parse(payloadHex);
        var bytes = new byte[20 + options.Length + payload.Length];
        HexBytes.Parse("04d2 0050 00000001 00000000 0002 ffff 0000 0000").CopyTo(bytes, 0);
        bytes[12] = (byte)((20 + options.Length) / 4 << 4);
        options.CopyTo(bytes, 20);
        payload.CopyTo(bytes, 20 + options.Length);
        TcpRepr.FillChecksum(bytes, PseudoSum(bytes.Length));
        return bytes;
    }

    private static uint PseudoSum(int length) =>
        InternetChecksum.PseudoHeaderSum(Ipv4Address.Parse("10.0.0.1"), Ipv4Address.Parse("10.0.0.2"), IpProtocol.Tcp, length);

    [Fact]
    public void ParsesLinuxSyn()
    {
        var capture = TcpCaptures.All["syn"];
        Assert.Equal(WireError.None, TcpPacket.TryParse(capture.Bytes, out var packet));
        Assert.Equal(37368, packet.SourcePort);
        Assert.Equal(5001, packet.DestinationPort);
        Assert.Equal(Seq(0xED999E65), packet.SequenceNumber);
        Assert.Equal(40, packet.HeaderLength);
        Assert.Equal(TcpFlags.Syn, packet.Flags);
        Assert.True(packet.Syn);
        Assert.False(packet.Ack);
        Assert.Equal(64240, packet.WindowSize);
        Assert.Equal(0x0263, packet.Checksum);
        Assert.Equal(0, packet.UrgentPointer);
        Assert.Equal(20, packet.Options.Length);
        Assert.True(packet.Payload.IsEmpty);
        Assert.Equal(1, packet.SequenceLength);
        Assert.True(packet.VerifyChecksum(capture.PseudoHeaderSum()));

        Assert.Equal(WireError.None, TcpRepr.Parse(packet, capture.PseudoHeaderSum(), out var repr));
        Assert.Equal((ushort)1460, repr.MaxSegmentSize);
        Assert.True(repr.SackPermitted);
        Assert.Equal(new TcpTimestamps(0x159EEEED, 0), repr.Timestamps);
        Assert.Equal((byte)10, repr.WindowScale);
        Assert.Equal(0, repr.SackBlocks.Count);
        Assert.False(repr.SkippedUnknownOptions);
        Assert.False(repr.HasAck);
        Assert.Equal(40, repr.HeaderLength);
    }

    [Fact]
    public void ParsesLinuxSynAckAndData()
    {
        var synAck = ParseCapture("syn-ack");
        Assert.Equal(TcpFlags.Syn | TcpFlags.Ack, synAck.Flags);
        Assert.True(synAck.HasAck);
        Assert.Equal(Seq(0xED999E66), synAck.AcknowledgmentNumber);
        Assert.Equal(new TcpTimestamps(0xE2337D25, 0x159EEEED), synAck.Timestamps);

        var capture = TcpCaptures.All["data"];
        TcpPacket.TryParse(capture.Bytes, out var packet);
        Assert.Equal(TcpFlags.Psh | TcpFlags.Ack, packet.Flags);
        Assert.Equal("hello wirestack\n", System.Text.Encoding.ASCII.GetString(packet.Payload));
        Assert.Equal(16, packet.SequenceLength);
        var data = ParseCapture("data");
        Assert.Equal(16, data.PayloadLength);
        Assert.Null(data.MaxSegmentSize);
        Assert.Null(data.WindowScale);
        Assert.False(data.SackPermitted);
        Assert.Equal(63, data.WindowSize); // unscaled: 63 << 10 bytes

        var fin = ParseCapture("fin");
        Assert.Equal(TcpFlags.Fin | TcpFlags.Ack, fin.Flags);
        Assert.Equal(1, fin.SequenceLength);
    }

    [Fact]
    public void ParsesLinuxSackBlocks()
    {
        var withTimestamps = ParseCapture("sack3-ts");
        Assert.Equal(3, withTimestamps.SackBlocks.Count);
        Assert.Equal(new TcpSackBlock(Seq(0x0A010199), Seq(0x0A010741)), withTimestamps.SackBlocks[0]);
        Assert.Equal(new TcpSackBlock(Seq(0x0A00DFA9), Seq(0x0A00F0A1)), withTimestamps.SackBlocks[1]);
        Assert.Equal(new TcpSackBlock(Seq(0x0A00D459), Seq(0x0A00DA01)), withTimestamps.SackBlocks[2]);
        Assert.Equal(3, withTimestamps.MaxSackBlocks);
        Assert.Equal(60, withTimestamps.HeaderLength);

        var without = ParseCapture("sack4-nots");
        Assert.Null(without.Timestamps);
        Assert.Equal(4, without.SackBlocks.Count);
        Assert.Equal(new TcpSackBlock(Seq(0x1D443AD7), Seq(0x1D44463F)), without.SackBlocks[3]);
        Assert.Equal(4, without.MaxSackBlocks);
        Assert.Equal(56, without.HeaderLength);
    }

    [Theory]
    [MemberData(nameof(TcpCaptures.Names), MemberType = typeof(TcpCaptures))]
    public void LinuxSegmentsReEmitByteForByte(string name)
    {
        var capture = TcpCaptures.All[name];
        var bytes = capture.Bytes;
        TcpPacket.TryParse(bytes, out var packet);
        Assert.Equal(WireError.None, TcpRepr.Parse(packet, capture.PseudoHeaderSum(), out var repr));
        Assert.Equal(packet.HeaderLength, repr.HeaderLength);
        Assert.Equal(bytes.Length, repr.TotalLength);

        var emitted = new byte[repr.TotalLength];
        repr.Emit(emitted, packet.Payload, capture.PseudoHeaderSum(repr.TotalLength));
        Assert.Equal(Convert.ToHexString(bytes), Convert.ToHexString(emitted));
    }

    [Theory]
    [MemberData(nameof(TcpCaptures.Names), MemberType = typeof(TcpCaptures))]
    public void EmitHeaderThenFillChecksumMatchesEmit(string name)
    {
        var capture = TcpCaptures.All[name];
        var bytes = capture.Bytes;
        TcpPacket.TryParse(bytes, out var packet);
        TcpRepr.Parse(packet, capture.PseudoHeaderSum(), out var repr);
        uint pseudo = capture.PseudoHeaderSum();

        var plain = new byte[repr.TotalLength];
        repr.EmitHeader(plain);
        Assert.Equal(0, plain[16] | plain[17]);
        packet.Payload.CopyTo(plain.AsSpan(repr.HeaderLength));
        TcpRepr.FillChecksum(plain, pseudo);
        Assert.Equal(bytes, plain);

        // Overwriting a stale checksum must give the same result.
        TcpRepr.FillChecksum(plain, pseudo);
        Assert.Equal(bytes, plain);
    }

    [Fact]
    public void PayloadFromAWrappedRingSumsAtEveryOddAndEvenSplit()
    {
        var capture = TcpCaptures.All["data"];
        var bytes = capture.Bytes;
        TcpPacket.TryParse(bytes, out var packet);
        TcpRepr.Parse(packet, capture.PseudoHeaderSum(), out var repr);
        var payload = packet.Payload.ToArray();
        uint pseudo = capture.PseudoHeaderSum();

        for (int split = 0; split <= payload.Length; split++)
        {
            var segment = new byte[repr.TotalLength];
            repr.EmitHeader(segment);
            uint sum = TcpRepr.CopyPayloadAndSum(payload.AsSpan(0, split), payload.AsSpan(split), segment.AsSpan(repr.HeaderLength));
            Assert.Equal(sum, TcpRepr.SumPayload(payload.AsSpan(0, split), payload.AsSpan(split)));
            TcpRepr.FillChecksum(segment, pseudo, sum);
            Assert.Equal(bytes, segment);
        }
    }

    [Fact]
    public void CopyPayloadAndSumChecksTheDestination() =>
        Assert.Throws<ArgumentException>(() => TcpRepr.CopyPayloadAndSum(new byte[3], new byte[3], new byte[5]));

    [Theory]
    [InlineData("", WireError.Truncated)]
    [InlineData("91f81389ed999e6500000000a002faf0026300", WireError.Truncated)]                  // 19 bytes
    [InlineData("91f81389ed999e6500000000 4002faf002630000", WireError.BadHeaderLength)]        // data offset 4
    [InlineData("91f81389ed999e6500000000 0002faf002630000", WireError.BadHeaderLength)]        // data offset 0
    [InlineData("91f81389ed999e6500000000 6002faf002630000", WireError.BadHeaderLength)]        // offset 6, 20 bytes
    [InlineData("91f81389ed999e6500000000 f002faf002630000 0000000000000000", WireError.BadHeaderLength)] // offset 15, 28 bytes
    public void BadHeadersAreRejected(string hex, WireError expected) =>
        Assert.Equal(expected, TcpPacket.TryParse(HexBytes.Parse(hex), out _));

    [Fact]
    public void DataOffsetThatLiesAboutARealSegmentIsRejected()
    {
        var bytes = TcpCaptures.All["ack"].Bytes; // 32 bytes, data offset 8
        bytes[12] = 0x90;                          // claims 36
        Assert.Equal(WireError.BadHeaderLength, TcpPacket.TryParse(bytes, out _));
        bytes[12] = 0x50;                          // claims 20: the options become payload, still parseable
        Assert.Equal(WireError.None, TcpPacket.TryParse(bytes, out var packet));
        Assert.Equal(12, packet.Payload.Length);
    }

    [Fact]
    public void MinimalHeaderParses()
    {
        Assert.Equal(WireError.None, TcpPacket.TryParse(HexBytes.Parse("91f81389ed999e6500000000 5004 0000 00000000"), out var packet));
        Assert.Equal(TcpFlags.Rst, packet.Flags);
        Assert.True(packet.Options.IsEmpty);
        Assert.True(packet.Payload.IsEmpty);
        var reader = packet.GetOptions();
        Assert.False(reader.MoveNext());
        Assert.Equal(WireError.None, reader.Error);
    }

    [Fact]
    public void BadChecksumIsRejectedUnlessOffloaded()
    {
        var capture = TcpCaptures.All["data"];
        var bytes = capture.Bytes;
        bytes[^1] ^= 0x20; // flip a payload bit
        TcpPacket.TryParse(bytes, out var packet);
        Assert.False(packet.VerifyChecksum(capture.PseudoHeaderSum()));
        Assert.Equal(WireError.BadChecksum, TcpRepr.Parse(packet, capture.PseudoHeaderSum(), out _));
        Assert.Equal(WireError.None, TcpRepr.Parse(packet, 0, out _, verifyChecksum: false));

        // The right bytes under the wrong pseudo-header (another destination) fail too.
        var good = capture.Bytes;
        TcpPacket.TryParse(good, out var goodPacket);
        uint wrong = InternetChecksum.PseudoHeaderSum(Ipv4Address.Parse("10.77.0.1"), Ipv4Address.Parse("10.77.0.3"), IpProtocol.Tcp, good.Length);
        Assert.Equal(WireError.BadChecksum, TcpRepr.Parse(goodPacket, wrong, out _));
    }

    [Fact]
    public void NsAndReservedBitsAreReadButReservedBitsAreNotReEmitted()
    {
        var bytes = HexBytes.Parse("04d2005000000001000000005f10ffff00000000");
        TcpPacket.TryParse(bytes, out var packet);
        Assert.Equal(TcpFlags.Ns | TcpFlags.Ack, packet.Flags);
        Assert.Equal(7, packet.ReservedBits);
        TcpRepr.Parse(packet, 0, out var repr, verifyChecksum: false);
        var emitted = new byte[20];
        repr.EmitHeader(emitted);
        Assert.Equal(0x51, emitted[12]);
        Assert.Equal(0x10, emitted[13]);
    }

    [Fact]
    public void OptionReaderYieldsLinuxSynOptionsInOrder()
    {
        TcpPacket.TryParse(TcpCaptures.All["syn"].Bytes, out var packet);
        var reader = packet.GetOptions();

        Assert.True(reader.MoveNext());
        Assert.Equal(TcpOptionKind.MaxSegmentSize, reader.Current.Kind);
        Assert.Equal(1460, reader.Current.MaxSegmentSize);
        Assert.True(reader.MoveNext());
        Assert.Equal(TcpOptionKind.SackPermitted, reader.Current.Kind);
        Assert.True(reader.Current.Data.IsEmpty);
        Assert.True(reader.MoveNext());
        Assert.Equal(TcpOptionKind.Timestamps, reader.Current.Kind);
        Assert.Equal(new TcpTimestamps(0x159EEEED, 0), reader.Current.Timestamps);
        Assert.True(reader.MoveNext());
        Assert.Equal(TcpOptionKind.NoOperation, reader.Current.Kind);
        Assert.True(reader.MoveNext());
        Assert.Equal(TcpOptionKind.WindowScale, reader.Current.Kind);
        Assert.Equal(10, reader.Current.WindowScale);
        Assert.False(reader.MoveNext());
        Assert.False(reader.MoveNext());
        Assert.Equal(WireError.None, reader.Error);
    }

    [Fact]
    public void OptionReaderReadsSackBlocksInForeach()
    {
        TcpPacket.TryParse(TcpCaptures.All["sack3-ts"].Bytes, out var packet);
        int sackOptions = 0;
        foreach (var option in packet.GetOptions())
        {
            Assert.Equal(WireError.None, option.Error);
            if (option.Kind != TcpOptionKind.Sack) continue;
            sackOptions++;
            Assert.Equal(3, option.SackBlockCount);
            Assert.Equal(new TcpSackBlock(Seq(0x0A00DFA9), Seq(0x0A00F0A1)), option.GetSackBlock(1));
            Assert.Equal(3, option.GetSackBlocks().Count);
        }
        Assert.Equal(1, sackOptions);
    }

    [Fact]
    public void BytesAfterEndOfListArePadding()
    {
        // MSS, end-of-list, then bytes that would be a malformed option if they were read.
        var bytes = Segment("020405b4 00 ff 01 08");
        TcpPacket.TryParse(bytes, out var packet);
        var reader = packet.GetOptions();
        Assert.True(reader.MoveNext());
        Assert.Equal(TcpOptionKind.MaxSegmentSize, reader.Current.Kind);
        Assert.False(reader.MoveNext());
        Assert.Equal(WireError.None, reader.Error);

        Assert.Equal(WireError.None, TcpRepr.Parse(packet, PseudoSum(bytes.Length), out var repr));
        Assert.Equal((ushort)1460, repr.MaxSegmentSize);
        Assert.False(repr.SkippedUnknownOptions);
        Assert.Equal(24, repr.HeaderLength); // the padding is not re-emitted
    }

    [Fact]
    public void UnknownOptionsAreSkippedByLengthAndFlagged()
    {
        // Kind 254 (RFC 6994 experimental) with two value bytes, then MSS, then kind 30 with none.
        var bytes = Segment("fe04abcd 020405b4 1e020101");
        TcpPacket.TryParse(bytes, out var packet);
        var reader = packet.GetOptions();
        Assert.True(reader.MoveNext());
        Assert.Equal((TcpOptionKind)254, reader.Current.Kind);
        Assert.True(reader.Current.IsUnknown);
        Assert.Equal(new byte[] { 0xAB, 0xCD }, reader.Current.Data.ToArray());
        Assert.True(reader.MoveNext());
        Assert.Equal(1460, reader.Current.MaxSegmentSize);
        Assert.False(reader.Current.IsUnknown);
        Assert.True(reader.MoveNext());
        Assert.Equal((TcpOptionKind)30, reader.Current.Kind);
        Assert.True(reader.Current.Data.IsEmpty);

        Assert.Equal(WireError.None, TcpRepr.Parse(packet, PseudoSum(bytes.Length), out var repr));
        Assert.True(repr.SkippedUnknownOptions);
        Assert.Equal((ushort)1460, repr.MaxSegmentSize);
        var emitted = new byte[repr.HeaderLength];
        repr.EmitHeader(emitted);
        Assert.Equal("020405B4", Convert.ToHexString(emitted.AsSpan(20)));
    }

    [Theory]
    [InlineData("01010103", WireError.BadOptionLength)]                 // length byte missing
    [InlineData("02000000", WireError.BadOptionLength)]                 // length 0
    [InlineData("02010000", WireError.BadOptionLength)]                 // length 1
    [InlineData("fe000000", WireError.BadOptionLength)]                 // unknown kind, length 0
    [InlineData("fe080000", WireError.BadOptionLength)]                 // unknown kind past the header
    [InlineData("0101080a00000000", WireError.BadOptionLength)]         // timestamps cut off by the header
    [InlineData("0101051200000001000000020000", WireError.BadOptionLength)] // SACK claims 2 blocks, has 1.5
    [InlineData("02030500", WireError.BadOption)]                       // MSS length 3
    [InlineData("0205000000000000", WireError.BadOption)]               // MSS length 5
    [InlineData("03020101", WireError.BadOption)]                       // window scale length 2
    [InlineData("03040700", WireError.BadOption)]                       // window scale length 4
    [InlineData("04030001", WireError.BadOption)]                       // SACK-permitted length 3
    [InlineData("0808000000000000", WireError.BadOption)]               // timestamps length 8
    [InlineData("080b0000000000000000000000000000", WireError.BadOption)] // timestamps length 11
    [InlineData("05020101", WireError.BadOption)]                       // SACK with no blocks
    [InlineData("050b000000010000000200000000", WireError.BadOption)]     // SACK length 11
    public void MalformedOptionsYieldTheirError(string optionsHex, WireError expected)
    {
        var bytes = Segment(optionsHex.PadRight((optionsHex.Length + 7) / 8 * 8, '0'));
        Assert.Equal(WireError.None, TcpPacket.TryParse(bytes, out var packet));

        var reader = packet.GetOptions();
        var last = WireError.None;
        int yielded = 0;
        while (reader.MoveNext())
        {
            last = reader.Current.Error;
            Assert.True(++yielded < 40);
        }
        Assert.Equal(expected, last);
        Assert.Equal(expected, reader.Error);

        Assert.Equal(expected, TcpRepr.Parse(packet, PseudoSum(bytes.Length), out var repr));
        Assert.Equal(default(TcpRepr).HeaderLength, repr.HeaderLength);
    }

    [Fact]
    public void MalformedOptionReportsItsKindAndRefusesTypedReads()
    {
        var reader = new TcpOptionReader(HexBytes.Parse("02030500"));
        Assert.True(reader.MoveNext());
        var option = reader.Current;
        Assert.Equal(TcpOptionKind.MaxSegmentSize, option.Kind);
        Assert.Equal(WireError.BadOption, option.Error);
        Assert.True(option.Data.IsEmpty);
        var ex = Assert.Throws<InvalidOperationException>(() => new TcpOptionReader(HexBytes.Parse("02030500")).ReadMssOfFirst());
        Assert.Contains("Error", ex.Message, StringComparison.Ordinal);
        Assert.False(reader.MoveNext());
    }

    [Fact]
    public void TypedReadOfAnotherKindThrows()
    {
        var ex = Assert.Throws<InvalidOperationException>(() => new TcpOptionReader(HexBytes.Parse("01030307")).ReadMssOfFirst());
        Assert.Contains("Kind", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void SackWithMoreThanFourBlocksIsBadEvenWhenTheSpanHoldsIt()
    {
        // Only reachable through a reader over more than 40 bytes: 5 blocks never fit a header.
        var options = new byte[42];
        options[0] = 5;
        options[1] = 42;
        var reader = new TcpOptionReader(options);
        Assert.True(reader.MoveNext());
        Assert.Equal(WireError.BadOption, reader.Current.Error);
    }

    [Fact]
    public void OptionsLengthFollowsLinuxLayout()
    {
        var repr = new TcpRepr();
        Assert.Equal(0, repr.OptionsLength);
        Assert.Equal(4, repr.MaxSackBlocks);
        repr.SackPermitted = true;
        Assert.Equal(4, repr.OptionsLength);
        repr.Timestamps = new TcpTimestamps(1, 2);
        Assert.Equal(12, repr.OptionsLength); // SACK-permitted rides in the timestamps' padding
        repr.SackPermitted = false;
        Assert.Equal(12, repr.OptionsLength);
        Assert.Equal(3, repr.MaxSackBlocks);
        repr.MaxSegmentSize = 1460;
        repr.WindowScale = 7;
        Assert.Equal(20, repr.OptionsLength);
        Assert.Equal(2, repr.MaxSackBlocks);
        repr.SackBlocks = new TcpSackBlocks(new TcpSackBlock(Seq(1), Seq(2)), new TcpSackBlock(Seq(3), Seq(4)));
        Assert.Equal(40, repr.OptionsLength);
        Assert.Equal(60, repr.HeaderLength);
    }

    [Fact]
    public void EmitsSackBlocksWithoutTimestampsAsLinuxDoes()
    {
        var repr = new TcpRepr
        {
            SourcePort = 5003,
            DestinationPort = 51912,
            SequenceNumber = Seq(0xD5BF9A43),
            AcknowledgmentNumber = Seq(0x1D443523),
            Flags = TcpFlags.Ack,
            WindowSize = 79,
            SackBlocks = new TcpSackBlocks(
                new TcpSackBlock(Seq(0x1D4462C3), Seq(0x1D446877)),
                new TcpSackBlock(Seq(0x1D44575B), Seq(0x1D445D0F)),
                new TcpSackBlock(Seq(0x1D444BF3), Seq(0x1D4451A7)),
                new TcpSackBlock(Seq(0x1D443AD7), Seq(0x1D44463F))),
        };
        var capture = TcpCaptures.All["sack4-nots"];
        var emitted = new byte[repr.TotalLength];
        repr.Emit(emitted, default, capture.PseudoHeaderSum(repr.TotalLength));
        Assert.Equal(capture.Bytes, emitted);
    }

    [Fact]
    public void EmittedSegmentParsesBack()
    {
        var repr = new TcpRepr
        {
            SourcePort = 443,
            DestinationPort = 60000,
            SequenceNumber = Seq(0xFFFF_FFF0),
            AcknowledgmentNumber = Seq(7),
            Flags = TcpFlags.Ack | TcpFlags.Psh | TcpFlags.Urg | TcpFlags.Ece | TcpFlags.Cwr,
            WindowSize = 0xBEEF,
            UrgentPointer = 3,
            PayloadLength = 5,
            SackPermitted = true,
            WindowScale = 14,
            SackBlocks = new TcpSackBlocks(new TcpSackBlock(Seq(100), Seq(200))),
        };
        var payload = "abcde"u8.ToArray();
        var bytes = new byte[repr.TotalLength + 3]; // room to spare is left alone
        repr.Emit(bytes, payload, PseudoSum(repr.TotalLength));
        Assert.Equal(new byte[3], bytes[^3..]);
        var segment = bytes[..repr.TotalLength];
        Assert.Equal(WireError.None, TcpPacket.TryParse(segment, out var packet));
        Assert.Equal(WireError.None, TcpRepr.Parse(packet, PseudoSum(segment.Length), out var parsed));
        Assert.Equal(repr.SourcePort, parsed.SourcePort);
        Assert.Equal(repr.DestinationPort, parsed.DestinationPort);
        Assert.Equal(repr.SequenceNumber, parsed.SequenceNumber);
        Assert.Equal(repr.AcknowledgmentNumber, parsed.AcknowledgmentNumber);
        Assert.Equal(repr.Flags, parsed.Flags);
        Assert.Equal(repr.WindowSize, parsed.WindowSize);
        Assert.Equal(repr.UrgentPointer, parsed.UrgentPointer);
        Assert.Equal(repr.WindowScale, parsed.WindowScale);
        Assert.True(parsed.SackPermitted);
        Assert.Null(parsed.Timestamps);
        Assert.Null(parsed.MaxSegmentSize);
        Assert.Equal(repr.SackBlocks.AsSpan().ToArray(), parsed.SackBlocks.AsSpan().ToArray());
        Assert.Equal(payload, packet.Payload.ToArray());
        // SACK-permitted alone, window scale, one SACK block: each NOP-aligned as Linux does.
        Assert.Equal("01010402" + "0103030e" + "0101050a" + "00000064000000c8", Convert.ToHexString(segment.AsSpan(20, repr.OptionsLength)).ToLowerInvariant());
    }

    [Fact]
    public void EmitIntoShortBufferSaysHowToFix()
    {
        var repr = new TcpRepr { MaxSegmentSize = 1460, PayloadLength = 4 };
        var header = Assert.Throws<ArgumentException>(() => repr.EmitHeader(new byte[23]));
        Assert.Contains("needs 24", header.Message, StringComparison.Ordinal);
        var whole = Assert.Throws<ArgumentException>(() => repr.Emit(new byte[27], new byte[4], 0));
        Assert.Contains("needs 28", whole.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void EmitRejectsCallerBugs()
    {
        var payloadMismatch = new TcpRepr { PayloadLength = 3 };
        Assert.Contains("PayloadLength", Assert.Throws<ArgumentException>(() => payloadMismatch.Emit(new byte[64], new byte[4], 0)).Message, StringComparison.Ordinal);

        var tooManyBlocks = new TcpRepr
        {
            Timestamps = new TcpTimestamps(1, 2),
            SackBlocks = new TcpSackBlocks(new TcpSackBlock[4]),
        };
        Assert.Equal(48, tooManyBlocks.OptionsLength);
        Assert.Contains("MaxSackBlocks (3)", Assert.Throws<ArgumentException>(() => tooManyBlocks.EmitHeader(new byte[20])).Message, StringComparison.Ordinal);

        var badFlags = new TcpRepr { Flags = (TcpFlags)0x0800 };
        Assert.Throws<ArgumentException>(() => badFlags.EmitHeader(new byte[20]));

        var negative = new TcpRepr { PayloadLength = -1 };
        Assert.Throws<ArgumentException>(() => negative.EmitHeader(new byte[20]));

        Assert.Throws<ArgumentException>(() => TcpRepr.FillChecksum(new byte[19], 0));
        var lying = new byte[24];
        lying[12] = 0x60; // a 24-byte header claimed in 24 bytes is fine...
        TcpRepr.FillChecksum(lying, 0);
        lying[12] = 0x70; // ...28 is not
        Assert.Throws<ArgumentException>(() => TcpRepr.FillChecksum(lying, 0));
    }

    [Fact]
    public void SackBlocksHoldAtMostFour()
    {
        Assert.Throws<ArgumentException>(() => new TcpSackBlocks(new TcpSackBlock[5]));
        var blocks = new TcpSackBlocks(new TcpSackBlock(Seq(1), Seq(2)));
        Assert.Equal(1, blocks.Count);
        Assert.Throws<ArgumentOutOfRangeException>(() => blocks[1]);
        Assert.Equal(0, default(TcpSackBlocks).Count);
    }
}

internal static class TcpOptionReaderTestExtensions
{
    // Lambdas cannot capture ref structs, so the typed read happens in here.
    public static ushort ReadMssOfFirst(this TcpOptionReader reader)
    {
        reader.MoveNext();
        return reader.Current.MaxSegmentSize;
    }
}
