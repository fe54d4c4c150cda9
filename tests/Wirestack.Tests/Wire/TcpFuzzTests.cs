using Wirestack.Testing;
using Wirestack.Wire;

namespace Wirestack.Tests.Wire;

public class TcpFuzzTests
{
    private static readonly string[] Names = [.. TcpCaptures.All.Keys];

    [Fact]
    public void MutatedSegmentsNeverThrow()
    {
        var random = new Random(9293);
        int parsed = 0, optionErrors = 0, reprs = 0, reEmitted = 0;
        var scratch = new byte[128];
        for (int i = 0; i < 50_000; i++)
        {
            var capture = TcpCaptures.All[Names[random.Next(Names.Length)]];
            var bytes = Mutate(capture.Bytes, random);
            var error = TcpPacket.TryParse(bytes, out var packet);
            if (error != WireError.None)
            {
                Assert.True(error is WireError.Truncated or WireError.BadHeaderLength, error.ToString());
                continue;
            }
            parsed++;
            Touch(packet);
            var optionError = WalkOptions(packet);
            if (optionError != WireError.None) optionErrors++;

            uint pseudo = capture.PseudoHeaderSum(bytes.Length);
            var checkedError = TcpRepr.Parse(packet, pseudo, out _);
            var repr = default(TcpRepr);
            var uncheckedError = TcpRepr.Parse(packet, pseudo, out repr, verifyChecksum: false);
            Assert.Equal(optionError, uncheckedError);
            if (checkedError != WireError.None && checkedError != uncheckedError) Assert.Equal(WireError.BadChecksum, checkedError);
            if (uncheckedError != WireError.None) continue;
            reprs++;

            // Options packed tighter than Linux packs them may not fit its layout: that is the only refusal.
            if (repr.OptionsLength > TcpPacket.MaxOptionsLength) continue;
            var emitted = scratch.AsSpan(0, repr.TotalLength);
            uint emittedPseudo = capture.PseudoHeaderSum(repr.TotalLength);
            repr.Emit(emitted, packet.Payload, emittedPseudo);
            Assert.Equal(WireError.None, TcpPacket.TryParse(emitted, out var again));
            Assert.Equal(WireError.None, TcpRepr.Parse(again, emittedPseudo, out var reparsed));
            AssertSame(repr, reparsed);
            reEmitted++;
        }
        // The loop must reach every stage often, or it proves nothing.
        Assert.True(parsed > 20_000, $"parsed {parsed}");
        Assert.True(optionErrors > 3_000, $"option errors {optionErrors}");
        Assert.True(reprs > 10_000, $"reprs {reprs}");
        Assert.True(reEmitted > 10_000, $"re-emitted {reEmitted}");
    }

    [Fact]
    public void RandomBytesNeverThrow()
    {
        var random = new Random(7323);
        var buffer = new byte[80];
        for (int i = 0; i < 20_000; i++)
        {
            var bytes = buffer.AsSpan(0, random.Next(buffer.Length + 1));
            random.NextBytes(bytes);
            if (TcpPacket.TryParse(bytes, out var packet) != WireError.None) continue;
            Touch(packet);
            WalkOptions(packet);
            TcpRepr.Parse(packet, (uint)random.Next(0x10000), out _);
            TcpRepr.Parse(packet, 0, out _, verifyChecksum: false);
        }
    }

    [Fact]
    public void ParseAndEmitDoNotAllocate()
    {
        var sack = TcpCaptures.All["sack3-ts"];
        var data = TcpCaptures.All["data"];
        byte[] sackBytes = sack.Bytes, dataBytes = data.Bytes;
        uint sackPseudo = sack.PseudoHeaderSum(), dataPseudo = data.PseudoHeaderSum();
        var output = new byte[64];
        long allocated = AllocationMeter.Measure(() =>
        {
            RoundTrip(sackBytes, sackPseudo, output);
            RoundTrip(dataBytes, dataPseudo, output);
        });
        Assert.Equal(0, allocated);
        Assert.Equal(dataBytes, output[..dataBytes.Length]);
    }

    private static void RoundTrip(byte[] bytes, uint pseudo, byte[] output)
    {
        TcpPacket.TryParse(bytes, out var packet);
        foreach (var option in packet.GetOptions()) _ = option.Kind;
        TcpRepr.Parse(packet, pseudo, out var repr);
        repr.Emit(output, packet.Payload, pseudo);
        // The TCP layer's path: header, then the payload from a ring that wraps, then the checksum.
        repr.EmitHeader(output);
        var payload = packet.Payload;
        int split = payload.Length / 3;
        uint sum = TcpRepr.CopyPayloadAndSum(payload[..split], payload[split..], output.AsSpan(repr.HeaderLength));
        TcpRepr.FillChecksum(output.AsSpan(0, repr.TotalLength), pseudo, sum);
    }

    private static byte[] Mutate(byte[] bytes, Random random)
    {
        switch (random.Next(6))
        {
            case 0: // a few random bytes anywhere
                for (int n = random.Next(1, 5); n > 0; n--) bytes[random.Next(bytes.Length)] = (byte)random.Next(256);
                break;
            case 1: // the data offset nibble
                bytes[12] = (byte)((random.Next(16) << 4) | (bytes[12] & 0xF));
                break;
            case 2: // a kind or length byte inside the options
            case 3:
                int options = (bytes[12] >> 4) * 4 - 20;
                if (options <= 0) goto case 0;
                int at = 20 + random.Next(options);
                bytes[at] = random.Next(3) switch { 0 => (byte)random.Next(12), 1 => (byte)random.Next(44), _ => (byte)random.Next(256) };
                break;
            case 4: // truncation
                return bytes[..random.Next(bytes.Length + 1)];
            default: // random options over the whole option area
                int length = (bytes[12] >> 4) * 4 - 20;
                if (length <= 0) goto case 0;
                random.NextBytes(bytes.AsSpan(20, length));
                for (int k = 20; k < 20 + length; k++) if (random.Next(3) == 0) bytes[k] = (byte)random.Next(11);
                break;
        }
        return bytes;
    }

    private static void Touch(TcpPacket packet)
    {
        long sink = packet.SourcePort + packet.DestinationPort + packet.SequenceNumber.Value + packet.AcknowledgmentNumber.Value
            + packet.HeaderLength + (int)packet.Flags + packet.ReservedBits + packet.WindowSize + packet.Checksum + packet.UrgentPointer
            + packet.Options.Length + packet.Header.Length + packet.Payload.Length + packet.SequenceLength
            + (packet.Fin ? 1 : 0) + (packet.Syn ? 1 : 0) + (packet.Rst ? 1 : 0) + (packet.Psh ? 1 : 0)
            + (packet.Ack ? 1 : 0) + (packet.Urg ? 1 : 0) + (packet.Ece ? 1 : 0) + (packet.Cwr ? 1 : 0);
        Assert.True(sink >= 0);
        Assert.Equal(packet.Buffer.Length, packet.Header.Length + packet.Payload.Length);
    }

    // Reads every option the way a TCP layer would; returns the reader's error.
    private static WireError WalkOptions(TcpPacket packet)
    {
        var reader = packet.GetOptions();
        int count = 0;
        while (reader.MoveNext())
        {
            Assert.True(++count <= 40);
            var option = reader.Current;
            if (option.Error != WireError.None)
            {
                Assert.True(option.Error is WireError.BadOption or WireError.BadOptionLength);
                Assert.False(reader.MoveNext());
                break;
            }
            switch (option.Kind)
            {
                case TcpOptionKind.MaxSegmentSize: _ = option.MaxSegmentSize; break;
                case TcpOptionKind.WindowScale: _ = option.WindowScale; break;
                case TcpOptionKind.Timestamps: _ = option.Timestamps; break;
                case TcpOptionKind.Sack:
                    for (int b = 0; b < option.SackBlockCount; b++) _ = option.GetSackBlock(b);
                    Assert.InRange(option.GetSackBlocks().Count, 1, 4);
                    break;
                default: _ = option.Data.Length; break;
            }
        }
        return reader.Error;
    }

    private static void AssertSame(TcpRepr expected, TcpRepr actual)
    {
        Assert.Equal(
            (expected.SourcePort, expected.DestinationPort, expected.SequenceNumber, expected.AcknowledgmentNumber, expected.Flags,
             expected.WindowSize, expected.UrgentPointer, expected.PayloadLength),
            (actual.SourcePort, actual.DestinationPort, actual.SequenceNumber, actual.AcknowledgmentNumber, actual.Flags,
             actual.WindowSize, actual.UrgentPointer, actual.PayloadLength));
        Assert.Equal((expected.MaxSegmentSize, expected.WindowScale, expected.SackPermitted, expected.Timestamps),
            (actual.MaxSegmentSize, actual.WindowScale, actual.SackPermitted, actual.Timestamps));
        Assert.Equal(expected.SackBlocks.AsSpan().ToArray(), actual.SackBlocks.AsSpan().ToArray());
        Assert.False(actual.SkippedUnknownOptions);
    }
}
