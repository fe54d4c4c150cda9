using Wirestack.Wire;

namespace Wirestack.Tests.Wire;

public class Icmpv4Tests
{
    // Every vector below but the last few was captured from Linux 6.18 (veth pairs and a router
    // namespace, tcpdump on the host) and its checksum rechecked with an independent
    // ones'-complement sum in Python.

    // ping -p a5 -s 24 10.1.0.2: echo request id 0x265c seq 1, and the reply.
    private static readonly byte[] EchoRequest = HexBytes.Parse("0800 2f2c 265c 0001 e250026b00000000 18240f0000000000 a5a5a5a5a5a5a5a5");
    private static readonly byte[] EchoReply = HexBytes.Parse("0000 372c 265c 0001 e250026b00000000 18240f0000000000 a5a5a5a5a5a5a5a5");

    // UDP to a closed port: port unreachable quoting the whole 42-byte datagram.
    private static readonly byte[] PortUnreachable = HexBytes.Parse(
        "0303 1129 00000000 4500002a27c940004011fef50a0100010a010002 a7df829a0016b20d77697265737461636b207564700a");

    // ping -t 1 through the router: TTL exceeded in transit, quoting the whole 84-byte echo request.
    private static readonly byte[] TimeExceeded = HexBytes.Parse(
        "0b00 f4ff 00000000 45000054c5e7400001019fbc0a0100010a020002 0800793f26860001 e350026b00000000 afaa040000000000"
        + "101112131415161718191a1b1c1d1e1f202122232425262728292a2b2c2d2e2f3031323334353637");

    // A raw IPv4 packet whose record-route option claims 9 bytes where 4 remain: the router answers
    // parameter problem, pointer 20 (the option's first octet), quoting the 24-byte header.
    private static readonly byte[] ParameterProblem = HexBytes.Parse(
        "0c00 dfff 14000000 46000020123400004001489c0a0100010a010002 07090400 0800f7ff00000000");

    // ping -M do -s 1400 towards a 1280-byte link: fragmentation needed, next-hop MTU 1280,
    // quoting the first 548 bytes of the 1428-byte datagram (Linux fills the error to 576 bytes).
    // The quoted echo data is ping's 16-byte timestamp followed by the byte pattern 0x10, 0x11, ...
    private static byte[] FragmentationNeeded()
    {
        var header = HexBytes.Parse("0304 0ec9 0000 0500 4500059400004000400121640a0100010a020002 080037ea26870001 e350026b00000000 44b5040000000000");
        var bytes = new byte[8 + 548];
        header.CopyTo(bytes, 0);
        for (int k = 16; k < 520; k++) bytes[header.Length + k - 16] = (byte)k;
        return bytes;
    }

    private static Icmpv4Packet View(byte[] bytes)
    {
        Assert.Equal(WireError.None, Icmpv4Packet.TryParse(bytes, out var packet));
        return packet;
    }

    [Fact]
    public void ParsesCapturedEchoRequestThroughIpv4()
    {
        var ip = HexBytes.Parse("450000347e40400040 01a8840a0100010a010002").Concat(EchoRequest).ToArray();
        Assert.Equal(WireError.None, Ipv4Packet.TryParse(ip, out var ipPacket));
        Assert.Equal(IpProtocol.Icmp, ipPacket.Protocol);
        var packet = View(ipPacket.Payload.ToArray());
        Assert.Equal(Icmpv4Type.EchoRequest, packet.Type);
        Assert.Equal(0, packet.Code);
        Assert.Equal(0x2F2C, packet.Checksum);
        Assert.True(packet.VerifyChecksum());
        Assert.Equal(WireError.None, Icmpv4Repr.Parse(packet, out var repr));
        Assert.Equal(Icmpv4Repr.EchoRequest(0x265C, 1, 24), repr);
        Assert.Equal(EchoRequest[8..], packet.Payload.ToArray());
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    [InlineData(5)]
    public void CapturedMessagesReEmitByteForByte(int which)
    {
        var bytes = which switch
        {
            0 => EchoRequest,
            1 => EchoReply,
            2 => PortUnreachable,
            3 => TimeExceeded,
            4 => ParameterProblem,
            _ => FragmentationNeeded(),
        };
        var packet = View(bytes);
        Assert.Equal(WireError.None, Icmpv4Repr.Parse(packet, out var repr));
        Assert.Equal(bytes.Length, repr.BufferLength);
        var emitted = new byte[repr.BufferLength];
        repr.Emit(emitted, packet.Payload);
        Assert.Equal(bytes, emitted);
    }

    [Fact]
    public void EchoReplyFromTheRequestMatchesLinux()
    {
        var request = View(EchoRequest);
        Icmpv4Repr.Parse(request, out var repr);
        var reply = Icmpv4Repr.EchoReply(repr.Identifier, repr.SequenceNumber, repr.PayloadLength);
        var emitted = new byte[reply.BufferLength];
        reply.Emit(emitted, request.Payload);
        Assert.Equal(EchoReply, emitted);
    }

    [Fact]
    public void PortUnreachableQuotesTheWholeDatagram()
    {
        var packet = View(PortUnreachable);
        Assert.Equal(WireError.None, Icmpv4Repr.Parse(packet, out var repr));
        Assert.Equal(Icmpv4Repr.DestinationUnreachable(Icmpv4UnreachableCode.PortUnreachable, 42), repr);
        Assert.True(repr.IsError);

        Assert.Equal(WireError.None, QuotedIpv4Packet.TryParse(packet.QuotedDatagram, out var quote));
        Assert.False(quote.IsTruncated);
        Assert.Equal(IpProtocol.Udp, quote.Protocol);
        Assert.Equal(Ipv4Address.Parse("10.1.0.1"), quote.Source);
        Assert.Equal(Ipv4Address.Parse("10.1.0.2"), quote.Destination);
        Assert.True(quote.HasTransportPrefix);
        // Whole, so the UDP view reads it too.
        Assert.Equal(WireError.None, UdpPacket.TryParse(quote.Data, out var udp));
        Assert.Equal((42975, 33434), (udp.SourcePort, udp.DestinationPort));
    }

    [Fact]
    public void FragmentationNeededCarriesMtuAndATruncatedQuote()
    {
        var bytes = FragmentationNeeded();
        var packet = View(bytes);
        Assert.True(packet.VerifyChecksum()); // so the rebuilt vector is the captured one
        Assert.Equal(WireError.None, Icmpv4Repr.Parse(packet, out var repr));
        Assert.Equal(Icmpv4Type.DestinationUnreachable, repr.Type);
        Assert.Equal((byte)Icmpv4UnreachableCode.FragmentationNeeded, repr.Code);
        Assert.Equal(1280, repr.NextHopMtu);
        Assert.Equal(548, repr.PayloadLength);

        // Ipv4Packet refuses the quote (its total length runs past the bytes); the quote view does not.
        Assert.Equal(WireError.Truncated, Ipv4Packet.TryParse(packet.QuotedDatagram, out _));
        Assert.Equal(WireError.None, QuotedIpv4Packet.TryParse(packet.QuotedDatagram, out var quote));
        Assert.True(quote.IsTruncated);
        Assert.True(quote.VerifyChecksum());
        Assert.Equal(1428, quote.TotalLength);
        Assert.Equal(20, quote.HeaderLength);
        Assert.True(quote.DontFragment);
        Assert.Equal(IpProtocol.Icmp, quote.Protocol);
        Assert.Equal(Ipv4Address.Parse("10.2.0.2"), quote.Destination);
        Assert.Equal(528, quote.Data.Length);
        Assert.True(quote.HasTransportPrefix);
        Assert.Equal(HexBytes.Parse("080037ea26870001"), quote.Data[..8].ToArray());

        // The original header comes back as a repr that re-emits the quoted header exactly.
        var original = quote.ToRepr();
        Assert.Equal(1408, original.PayloadLength);
        var header = new byte[original.HeaderLength];
        original.Emit(header);
        Assert.Equal(quote.Header.ToArray(), header);
    }

    [Fact]
    public void TimeExceededQuoteIdentifiesTheEcho()
    {
        var packet = View(TimeExceeded);
        Assert.Equal(WireError.None, Icmpv4Repr.Parse(packet, out var repr));
        Assert.Equal(Icmpv4Repr.TimeExceeded(Icmpv4TimeExceededCode.TtlExceeded, 84), repr);
        QuotedIpv4Packet.TryParse(packet.QuotedDatagram, out var quote);
        Assert.Equal(1, quote.TimeToLive);
        Assert.Equal(WireError.None, Icmpv4Packet.TryParse(quote.Data, out var echo));
        Assert.Equal((Icmpv4Type.EchoRequest, (ushort)0x2686, (ushort)1), (echo.Type, echo.Identifier, echo.SequenceNumber));
    }

    [Fact]
    public void ParameterProblemPointsIntoTheQuotedOptions()
    {
        var packet = View(ParameterProblem);
        Assert.Equal(WireError.None, Icmpv4Repr.Parse(packet, out var repr));
        Assert.Equal(Icmpv4Repr.ParameterProblem(20, 32), repr);
        QuotedIpv4Packet.TryParse(packet.QuotedDatagram, out var quote);
        Assert.Equal(24, quote.HeaderLength);
        Assert.True(quote.VerifyChecksum());
        Assert.Equal(0x07, quote.Header[repr.Pointer]);
        Assert.Equal(HexBytes.Parse("07090400"), quote.ToRepr().Options.Bytes.ToArray());
    }

    [Fact]
    public void Rfc4884LengthRoundTripsAndBoundsTheQuote()
    {
        // A time exceeded whose quote is padded to 128 bytes and followed by an 8-byte extension.
        var quote = new byte[128];
        TimeExceeded.AsSpan(8).CopyTo(quote);
        var payload = quote.Concat(HexBytes.Parse("2000 0000 0008 0101")).ToArray();
        var repr = Icmpv4Repr.TimeExceeded(Icmpv4TimeExceededCode.TtlExceeded, payload.Length);
        repr.OriginalDatagramLength = 128;
        var bytes = new byte[repr.BufferLength];
        repr.Emit(bytes, payload);
        Assert.Equal(32, bytes[5]);

        var packet = View(bytes);
        Assert.True(packet.VerifyChecksum());
        Assert.Equal(128, packet.OriginalDatagramLength);
        Assert.Equal(128, packet.QuotedDatagram.Length);
        Assert.Equal(WireError.None, Icmpv4Repr.Parse(packet, out var parsed));
        Assert.Equal(repr, parsed);
        Assert.Equal(WireError.None, QuotedIpv4Packet.TryParse(packet.QuotedDatagram, out var view));
        Assert.Equal(84, view.Buffer.Length); // cut at the quoted total length, before the padding
    }

    [Fact]
    public void HeaderThenFillChecksumMatchesFusedEmit()
    {
        var bytes = FragmentationNeeded();
        var packet = View(bytes);
        Icmpv4Repr.Parse(packet, out var repr);
        var split = new byte[repr.BufferLength];
        repr.EmitHeader(split);
        Assert.Equal(0, split[2] | split[3]);
        packet.Payload.CopyTo(split.AsSpan(8));
        Icmpv4Repr.FillChecksum(split);
        Assert.Equal(bytes, split);
    }

    [Theory]
    // Timestamp request (RFC 792), checksum by hand: originate 100 ms, id 0xbeef, seq 1.
    [InlineData("0d00 33ab beef0001 00000064 00000000 00000000", Icmpv4Type.Timestamp)]
    // Redirect for host, gateway 192.168.0.1, quoting a (made-up) UDP header.
    [InlineData("0501 a123 c0a80001 4500001c000100004011 0000 0a0000010a000002 0000000000000000", Icmpv4Type.Redirect)]
    // A type nobody defined, 8 bytes, checksum ~0xC800.
    [InlineData("c800 37ff 00000000", (Icmpv4Type)200)]
    public void UnknownTypesParseAsViewsButNotAsReprs(string hex, Icmpv4Type type)
    {
        var packet = View(HexBytes.Parse(hex));
        Assert.Equal(type, packet.Type);
        Assert.True(packet.VerifyChecksum());
        Assert.Equal(WireError.Unrecognized, Icmpv4Repr.Parse(packet, out _));
    }

    [Theory]
    [InlineData(Icmpv4Type.DestinationUnreachable, 16)]
    [InlineData(Icmpv4Type.TimeExceeded, 2)]
    [InlineData(Icmpv4Type.ParameterProblem, 3)]
    public void UndefinedErrorCodesAreUnrecognized(Icmpv4Type type, byte code)
    {
        var bytes = (byte[])PortUnreachable.Clone();
        bytes[0] = (byte)type;
        bytes[1] = code;
        Icmpv4Repr.FillChecksum(bytes);
        Assert.Equal(WireError.Unrecognized, Icmpv4Repr.Parse(View(bytes), out _));
        bytes[1] = 0;
        Icmpv4Repr.FillChecksum(bytes);
        Assert.Equal(WireError.None, Icmpv4Repr.Parse(View(bytes), out _));
    }

    [Fact]
    public void AllSixteenUnreachableCodesRoundTrip()
    {
        for (byte code = 0; code <= 15; code++)
        {
            var repr = Icmpv4Repr.DestinationUnreachable((Icmpv4UnreachableCode)code, 28, code == 4 ? (ushort)1400 : (ushort)0);
            var bytes = new byte[repr.BufferLength];
            repr.Emit(bytes, PortUnreachable.AsSpan(8, 28));
            Assert.Equal(WireError.None, Icmpv4Repr.Parse(View(bytes), out var parsed));
            Assert.Equal(repr, parsed);
        }
    }

    [Fact]
    public void BadChecksumIsRejectedUnlessOffloaded()
    {
        var bytes = (byte[])EchoRequest.Clone();
        bytes[^1] ^= 1;
        var packet = View(bytes);
        Assert.False(packet.VerifyChecksum());
        Assert.Equal(WireError.BadChecksum, Icmpv4Repr.Parse(packet, out _));
        Assert.Equal(WireError.None, Icmpv4Repr.Parse(packet, out _, verifyChecksum: false));
    }

    [Theory]
    [InlineData("")]
    [InlineData("0800")]
    [InlineData("0800 2f2c 265c 00")]
    public void MessagesShorterThanTheHeaderAreTruncated(string hex) =>
        Assert.Equal(WireError.Truncated, Icmpv4Packet.TryParse(HexBytes.Parse(hex), out _));

    [Theory]
    [InlineData("4500002a27c940004011fef50a0100010a0100", WireError.Truncated)]          // 19 bytes
    [InlineData("6500002a27c940004011fef50a0100010a010002a7df829a", WireError.BadVersion)]
    [InlineData("4400002a27c940004011fef50a0100010a010002a7df829a", WireError.BadHeaderLength)]
    [InlineData("4700002a27c940004011fef50a0100010a010002a7df829a", WireError.Truncated)] // 28-byte header, 24 bytes
    [InlineData("45000013 27c940004011fef50a0100010a010002a7df829a", WireError.BadLength)] // total 19 < 20
    public void BadQuotesAreRejected(string hex, WireError expected) =>
        Assert.Equal(expected, QuotedIpv4Packet.TryParse(HexBytes.Parse(hex), out _));

    [Fact]
    public void ShortOrFragmentQuotesHaveNoTransportPrefix()
    {
        // RFC 792 asks for 8 bytes; a quote with 4 still parses, but says it lacks them.
        Assert.Equal(WireError.None, QuotedIpv4Packet.TryParse(HexBytes.Parse("4500002a27c940004011fef50a0100010a010002 a7df829a"), out var shortQuote));
        Assert.Equal(4, shortQuote.Data.Length);
        Assert.False(shortQuote.HasTransportPrefix);
        // A non-first fragment: its data is not a transport header.
        Assert.Equal(WireError.None, QuotedIpv4Packet.TryParse(HexBytes.Parse("4500002a27c920b94011fef50a0100010a010002 a7df829a0016b20d"), out var fragment));
        Assert.Equal(0xB9 * 8, fragment.FragmentOffset);
        Assert.False(fragment.HasTransportPrefix);
    }

    [Fact]
    public void EmitRejectsCallerBugs()
    {
        var echo = Icmpv4Repr.EchoRequest(1, 2, 3);
        var ex = Assert.Throws<ArgumentException>(() => echo.Emit(new byte[11], "ab"u8));
        Assert.Contains("PayloadLength is 3", ex.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => echo.Emit(new byte[10], "abc"u8));
        Assert.Throws<ArgumentException>(() => echo.EmitHeader(new byte[7]));
        var unknown = new Icmpv4Repr { Type = Icmpv4Type.Timestamp };
        Assert.Throws<ArgumentException>(() => unknown.EmitHeader(new byte[8]));
        var error = Icmpv4Repr.TimeExceeded(Icmpv4TimeExceededCode.TtlExceeded, 0);
        error.OriginalDatagramLength = 130;
        Assert.Throws<ArgumentException>(() => error.EmitHeader(new byte[8]));
        error.OriginalDatagramLength = 1024;
        Assert.Throws<ArgumentException>(() => error.EmitHeader(new byte[8]));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    public void MutatedMessagesNeverThrowAndReEmitConsistently(int which)
    {
        var seed = which switch { 0 => EchoRequest, 1 => ParameterProblem, _ => FragmentationNeeded() };
        int parsed = 0;
        foreach (var bytes in Mutations.Of(seed, 20_000, 792 + which))
        {
            if (Check(bytes)) parsed++;
        }
        Assert.InRange(parsed, 5_000, 19_900);
    }

    private static bool Check(byte[] bytes)
    {
        if (Icmpv4Packet.TryParse(bytes, out var packet) != WireError.None) return false;
        _ = (packet.Type, packet.Code, packet.Checksum, packet.RestOfHeader, packet.Identifier, packet.SequenceNumber);
        _ = (packet.NextHopMtu, packet.Pointer, packet.OriginalDatagramLength, packet.Payload.Length);
        if (QuotedIpv4Packet.TryParse(packet.QuotedDatagram, out var quote) == WireError.None)
        {
            _ = (quote.HeaderLength, quote.TotalLength, quote.IsTruncated, quote.Identification, quote.MoreFragments);
            _ = (quote.TimeToLive, quote.Protocol, quote.Source, quote.Destination, quote.HasTransportPrefix, quote.Data.Length);
            _ = quote.VerifyChecksum();
            var original = quote.ToRepr();
            Assert.Equal(quote.HeaderLength, original.HeaderLength);
        }
        // Checksums are checked on the way, but not required, so that mutations reach the repr.
        var verified = Icmpv4Repr.Parse(packet, out _);
        if (Icmpv4Repr.Parse(packet, out var repr, verifyChecksum: false) != WireError.None) return false;
        Assert.Equal(packet.VerifyChecksum() ? WireError.None : WireError.BadChecksum, verified);
        var emitted = new byte[repr.BufferLength];
        repr.Emit(emitted, packet.Payload);
        Assert.Equal(WireError.None, Icmpv4Repr.Parse(View(emitted), out var again));
        Assert.Equal(repr, again);
        return true;
    }
}
