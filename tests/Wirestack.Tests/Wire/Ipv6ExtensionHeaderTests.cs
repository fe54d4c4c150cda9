using Wirestack.Wire;

namespace Wirestack.Tests.Wire;

public class Ipv6ExtensionHeaderTests
{
    private static readonly byte[] LinuxMldHopByHop = HexBytes.Parse("3a00050200000100");

    [Fact]
    public void WalksPastHopByHopToIcmpv6()
    {
        var bytes = HexBytes.Parse(Ipv6Vectors.Mldv2ReportJoinFromUnspecified);
        Ipv6Packet.TryParse(bytes, out var packet);
        var reader = packet.ExtensionHeaders;
        Assert.True(reader.MoveNext());
        var header = reader.Current;
        Assert.Equal(IpProtocol.HopByHop, header.Type);
        Assert.Equal(IpProtocol.Icmpv6, header.NextHeader);
        Assert.Equal(8, header.Length);
        Assert.Equal(0, header.Offset);
        Assert.Equal(LinuxMldHopByHop, header.Bytes.ToArray());
        Assert.False(reader.MoveNext());
        Assert.Equal(WireError.None, reader.Error);
        Assert.Equal(1, reader.Count);
        Assert.False(reader.EndsAtFragment);
        Assert.Equal(IpProtocol.Icmpv6, reader.UpperLayerProtocol);
        Assert.Equal(8, reader.UpperLayerOffset);
        Assert.Equal(0x8F, reader.UpperLayerPayload[0]); // MLDv2 report
        Assert.Equal(40, reader.NextHeaderFieldPointer);
    }

    [Fact]
    public void NoExtensionHeadersEndsAtOnce()
    {
        Ipv6Packet.TryParse(HexBytes.Parse(Ipv6Vectors.EchoRequest), out var packet);
        var reader = packet.ExtensionHeaders;
        Assert.False(reader.MoveNext());
        Assert.Equal(WireError.None, reader.Error);
        Assert.Equal((IpProtocol.Icmpv6, 0, 6), (reader.UpperLayerProtocol, reader.UpperLayerOffset, reader.NextHeaderFieldPointer));
    }

    [Fact]
    public void MldHopByHopHeaderReadsAndReEmitsLikeLinux()
    {
        Assert.Equal(WireError.None, Ipv6OptionsHeader.TryParse(LinuxMldHopByHop, out var header));
        Assert.Equal(IpProtocol.Icmpv6, header.NextHeader);
        var options = header.Options;
        Assert.True(options.MoveNext());
        Assert.Equal(Ipv6OptionType.RouterAlert, options.Current.Type);
        Assert.Equal(2, options.Current.Offset);
        Assert.Equal(4, options.Current.Length);
        Assert.Equal(0, options.Current.RouterAlertValue);
        Assert.True(options.MoveNext());
        Assert.Equal(Ipv6OptionType.PadN, options.Current.Type);
        Assert.True(options.Current.IsPadding);
        Assert.Equal(0, options.Current.Data.Length);
        bool threw = false;
        try { _ = options.Current.RouterAlertValue; } // PadN is not a router alert
        catch (InvalidOperationException) { threw = true; }
        Assert.True(threw);
        Assert.False(options.MoveNext());
        Assert.Equal(WireError.None, options.Error);

        Assert.Equal(WireError.None, Ipv6OptionsHeaderRepr.Parse(header, out var repr));
        Assert.Equal((ushort?)0, repr.RouterAlert);
        var again = new byte[repr.HeaderLength];
        repr.Emit(again);
        Assert.Equal(LinuxMldHopByHop, again);

        var mld = Ipv6OptionsHeaderRepr.ForMld();
        var fresh = new byte[mld.HeaderLength];
        mld.Emit(fresh);
        Assert.Equal(LinuxMldHopByHop, fresh);
    }

    [Fact]
    public void EmptyOptionsHeaderIsPaddedWithPadN()
    {
        var repr = new Ipv6OptionsHeaderRepr { NextHeader = IpProtocol.Udp };
        var bytes = new byte[repr.HeaderLength];
        repr.Emit(bytes);
        Assert.Equal(HexBytes.Parse("1100010400000000"), bytes);
    }

    [Fact]
    public void Pad1IsOneByte()
    {
        // 2 + router alert (4) + Pad1 + Pad1: legal though Linux would use PadN.
        var bytes = HexBytes.Parse("3a00050200010000");
        Ipv6OptionsHeader.TryParse(bytes, out var header);
        var options = header.Options;
        int count = 0;
        while (options.MoveNext())
        {
            count++;
            if (count > 1)
            {
                Assert.Equal(Ipv6OptionType.Pad1, options.Current.Type);
                Assert.Equal(1, options.Current.Length);
            }
        }
        Assert.Equal(WireError.None, options.Error);
        Assert.Equal(3, count);
        Assert.Equal(WireError.None, Ipv6OptionsHeaderRepr.Parse(header, out var repr));
        Assert.Equal((ushort?)1, repr.RouterAlert);
    }

    [Fact]
    public void LinuxDestinationOptionsAreSkippedToUdp()
    {
        var bytes = HexBytes.Parse(Ipv6Vectors.UdpAfterDestinationOptions);
        Ipv6Packet.TryParse(bytes, out var packet);
        var reader = packet.ExtensionHeaders;
        Assert.True(reader.MoveNext());
        Assert.Equal(IpProtocol.Ipv6DestinationOptions, reader.Current.Type);
        Assert.Equal(WireError.None, Ipv6OptionsHeader.TryParse(reader.Current.Bytes, out var header));
        var options = header.Options;
        Assert.True(options.MoveNext());
        var unknown = options.Current;
        Assert.Equal((Ipv6OptionType)0x1E, unknown.Type);
        Assert.Equal(Ipv6UnknownOptionAction.Skip, unknown.UnknownAction);
        Assert.False(unknown.MayChangeEnRoute);
        Assert.Equal(HexBytes.Parse("aabb"), unknown.Data.ToArray());
        Assert.True(options.MoveNext());
        Assert.Equal(Ipv6OptionType.PadN, options.Current.Type);
        Assert.False(options.MoveNext());
        var types = new List<Ipv6OptionType>();
        foreach (var option in header.Options) types.Add(option.Type);
        Assert.Equal([(Ipv6OptionType)0x1E, Ipv6OptionType.PadN], types);
        Assert.Equal(WireError.None, Ipv6OptionsHeaderRepr.Parse(header, out var repr));
        Assert.Null(repr.RouterAlert);
        Assert.Equal(IpProtocol.Udp, repr.NextHeader);

        Assert.False(reader.MoveNext());
        Assert.Equal(WireError.None, reader.Error);
        Assert.Equal((IpProtocol.Udp, 8), (reader.UpperLayerProtocol, reader.UpperLayerOffset));
        Assert.Equal(11, reader.UpperLayerPayload.Length); // UDP header and "dst"
    }

    [Theory]
    [InlineData("11005e02aabb0100", Ipv6UnknownOptionAction.Discard)]
    [InlineData("11009e02aabb0100", Ipv6UnknownOptionAction.DiscardAndReport)]
    [InlineData("1100de02aabb0100", Ipv6UnknownOptionAction.DiscardAndReportUnlessMulticast)]
    public void UnknownOptionsThatMustNotBeSkippedAreUnrecognized(string hex, Ipv6UnknownOptionAction action)
    {
        Ipv6OptionsHeader.TryParse(HexBytes.Parse(hex), out var header);
        var options = header.Options;
        Assert.True(options.MoveNext());
        Assert.Equal(action, options.Current.UnknownAction);
        Assert.Equal(2, options.Current.Offset); // what a parameter problem (code 2) points at, plus the header's offset
        Assert.Equal(WireError.Unrecognized, Ipv6OptionsHeaderRepr.Parse(header, out _));
    }

    [Theory]
    [InlineData("1100010600000000", WireError.BadOptionLength)] // PadN claims 6 data bytes, 4 remain
    [InlineData("1100000000000001", WireError.BadOptionLength)] // a type byte with no length byte at the very end
    [InlineData("1100050300000000", WireError.BadOption)]       // router alert of 3 bytes
    [InlineData("1100c20200000000", WireError.BadOption)]       // jumbo payload of 2 bytes
    public void OptionLengthsAreChecked(string hex, WireError expected)
    {
        Ipv6OptionsHeader.TryParse(HexBytes.Parse(hex), out var header);
        var options = header.Options;
        while (options.MoveNext()) { }
        Assert.Equal(expected, options.Error);
        Assert.Equal(expected, options.Current.Error);
        Assert.True(options.Current.Data.IsEmpty);
        var last = WireError.None;
        foreach (var option in header.Options) last = option.Error;
        Assert.Equal(expected, last);
        Assert.Equal(expected, Ipv6OptionsHeaderRepr.Parse(header, out _));
    }

    [Fact]
    public void JumboPayloadOptionIsUnsupported()
    {
        Ipv6OptionsHeader.TryParse(HexBytes.Parse("3a00c20400010000"), out var header);
        Assert.Equal(WireError.Unsupported, Ipv6OptionsHeaderRepr.Parse(header, out _));
    }

    [Fact]
    public void SegmentRoutingHeaderIsReadAndWalked()
    {
        var bytes = HexBytes.Parse(Ipv6Vectors.EchoAfterSegmentRoutingHeader);
        Ipv6Packet.TryParse(bytes, out var packet);
        Assert.Equal(IpProtocol.Ipv6Routing, packet.NextHeader);
        Assert.Equal(WireError.None, Ipv6RoutingHeader.TryParse(packet.Payload, out var routing));
        Assert.Equal(IpProtocol.Icmpv6, routing.NextHeader);
        Assert.Equal(40, routing.HeaderLength);
        Assert.Equal(Ipv6RoutingHeader.TypeSegmentRouting, routing.RoutingType);
        Assert.Equal(1, routing.SegmentsLeft);
        Assert.Equal(36, routing.Data.Length);
        Assert.Equal(Ipv6Address.Parse("2001:db8:3::5"), Ipv6Address.Read(routing.Data[4..])); // segment list[0], the final destination

        Assert.Equal(WireError.None, Ipv6ExtensionHeaderReader.FindUpperLayer(packet.Payload, packet.NextHeader, out var upper, out int offset));
        Assert.Equal((IpProtocol.Icmpv6, 40), (upper, offset));
        Assert.Equal(0x80, packet.Payload[offset]); // echo request
    }

    [Fact]
    public void LinuxFragmentsStopTheWalk()
    {
        var second = HexBytes.Parse(Ipv6Vectors.SecondFragment);
        Assert.Equal(WireError.None, Ipv6Packet.TryParse(second, out var packet));
        var reader = packet.ExtensionHeaders;
        Assert.True(reader.MoveNext());
        Assert.Equal(IpProtocol.Ipv6Fragment, reader.Current.Type);
        Assert.Equal(8, reader.Current.Length);
        Assert.Equal(WireError.None, Ipv6FragmentHeader.TryParse(reader.Current.Bytes, out var fragment));
        Assert.Equal(IpProtocol.Icmpv6, fragment.NextHeader);
        Assert.Equal(1232, fragment.FragmentOffset);
        Assert.False(fragment.MoreFragments);
        Assert.Equal(0xB2E7D69Bu, fragment.Identification);
        Assert.False(reader.MoveNext()); // the rest is fragment data, not a header
        Assert.Equal(WireError.None, reader.Error);
        Assert.True(reader.EndsAtFragment);
        Assert.Equal((IpProtocol.Icmpv6, 8), (reader.UpperLayerProtocol, reader.UpperLayerOffset));
        Assert.Equal(176, reader.UpperLayerPayload.Length); // 1232 + 176 = 1408 = 8 + 1400

        var first = HexBytes.Parse(Ipv6Vectors.FirstFragmentStart);
        Ipv6FragmentHeader.TryParse(first.AsSpan(40), out var firstFragment);
        Assert.Equal((0, true, 0xB2E7D69Bu), (firstFragment.FragmentOffset, firstFragment.MoreFragments, firstFragment.Identification));
        Assert.False(firstFragment.IsAtomic);
    }

    [Fact]
    public void FragmentReprRoundTrips()
    {
        var linux = HexBytes.Parse("3a0004d0b2e7d69b");
        Ipv6FragmentHeader.TryParse(linux, out var header);
        Assert.Equal(WireError.None, Ipv6FragmentRepr.Parse(header, out var repr));
        var again = new byte[repr.HeaderLength];
        repr.Emit(again);
        Assert.Equal(linux, again);

        var built = new Ipv6FragmentRepr { NextHeader = IpProtocol.Udp, FragmentOffset = 0xFFF8, MoreFragments = true, Identification = 1 };
        built.Emit(again);
        Assert.Equal(HexBytes.Parse("1100fff900000001"), again);
        Assert.Throws<ArgumentException>(() => (built with { FragmentOffset = 12 }).Emit(again));
        Assert.Throws<ArgumentException>(() => (built with { FragmentOffset = 0x10000 }).Emit(again));
        Assert.Equal(WireError.Truncated, Ipv6FragmentHeader.TryParse(linux.AsSpan(0, 7), out _));
    }

    [Fact]
    public void FragmentHeaderIgnoresItsReservedLengthByte()
    {
        // The second byte is reserved, not a length: a non-zero value must not change the header's size.
        var payload = HexBytes.Parse("3aff0000000000018000000000000000");
        Assert.Equal(WireError.None, Ipv6ExtensionHeaderReader.FindUpperLayer(payload, IpProtocol.Ipv6Fragment, out var upper, out int offset));
        Assert.Equal((IpProtocol.Icmpv6, 8), (upper, offset));
    }

    private static byte[] Chain(int destinationOptionsHeaders)
    {
        var payload = new byte[destinationOptionsHeaders * 8 + 8];
        for (int i = 0; i < destinationOptionsHeaders; i++)
        {
            var repr = new Ipv6OptionsHeaderRepr { NextHeader = i + 1 < destinationOptionsHeaders ? IpProtocol.Ipv6DestinationOptions : IpProtocol.Udp };
            repr.Emit(payload.AsSpan(i * 8));
        }
        return payload;
    }

    [Fact]
    public void ChainsAreBounded()
    {
        Assert.Equal(WireError.None, Ipv6ExtensionHeaderReader.FindUpperLayer(Chain(8), IpProtocol.Ipv6DestinationOptions, out var upper, out int offset));
        Assert.Equal((IpProtocol.Udp, 64), (upper, offset));

        int count = 0;
        var last = WireError.None;
        foreach (var header in new Ipv6ExtensionHeaderReader(Chain(9), IpProtocol.Ipv6DestinationOptions))
        {
            if (header.Error == WireError.None) count++;
            last = header.Error;
        }
        Assert.Equal(Ipv6ExtensionHeaderReader.MaxHeaders, count);
        Assert.Equal(WireError.TooManyExtensionHeaders, last); // the ninth is yielded as the error
        Assert.Equal(WireError.TooManyExtensionHeaders, Ipv6ExtensionHeaderReader.FindUpperLayer(Chain(9), IpProtocol.Ipv6DestinationOptions, out var failed, out int at));
        Assert.Equal((IpProtocol.Ipv6DestinationOptions, 64), (failed, at));
    }

    [Fact]
    public void HopByHopOnlyFirst()
    {
        var payload = Chain(2);
        payload[0] = (byte)IpProtocol.HopByHop; // the first header now names a hop-by-hop header next
        var reader = new Ipv6ExtensionHeaderReader(payload, IpProtocol.Ipv6DestinationOptions);
        Assert.True(reader.MoveNext());
        Assert.Equal(WireError.None, reader.Current.Error);
        Assert.True(reader.MoveNext()); // the misplaced header is yielded as the error
        Assert.Equal(WireError.Malformed, reader.Current.Error);
        Assert.Equal(IpProtocol.HopByHop, reader.Current.Type);
        Assert.Equal(8, reader.Current.Offset);
        Assert.True(reader.Current.Bytes.IsEmpty);
        Assert.False(reader.MoveNext());
        Assert.Equal(WireError.Malformed, reader.Error);
        Assert.Equal(1, reader.Count);
        Assert.Equal(IpProtocol.HopByHop, reader.UpperLayerProtocol);
        Assert.Equal(40, reader.NextHeaderFieldPointer); // the next-header byte of the first extension header
    }

    [Theory]
    [InlineData("3a01050200000100")] // says 16 bytes, has 8
    [InlineData("3a")]               // not even a length byte
    public void HeadersPastThePayloadAreTruncated(string hex)
    {
        var reader = new Ipv6ExtensionHeaderReader(HexBytes.Parse(hex), IpProtocol.HopByHop);
        Assert.True(reader.MoveNext());
        Assert.Equal(WireError.Truncated, reader.Current.Error);
        Assert.False(reader.MoveNext());
        Assert.Equal(WireError.Truncated, reader.Error);
        Assert.Equal(WireError.Truncated, Ipv6ExtensionHeaderReader.FindUpperLayer(HexBytes.Parse(hex), IpProtocol.Ipv6Routing, out _, out _));
        Assert.Equal(WireError.Truncated, Ipv6OptionsHeader.TryParse(HexBytes.Parse(hex), out _));
        Assert.Equal(WireError.Truncated, Ipv6RoutingHeader.TryParse(HexBytes.Parse(hex), out _));
    }

    [Fact]
    public void PointerAtUnknownNextHeaderMatchesLinux()
    {
        // Linux answered a packet with next header 253 with parameter problem code 1, pointer 6.
        var (_, _, _, message) = Ipv6TestPackets.Split(Ipv6Vectors.UnrecognizedNextHeader);
        Icmpv6Packet.TryParse(message, out var icmp);
        Ipv6Packet.TryParse(icmp.Payload, out var invoking);
        var reader = invoking.ExtensionHeaders;
        while (reader.MoveNext()) { }
        Assert.Equal((IpProtocol)253, reader.UpperLayerProtocol);
        Assert.Equal(icmp.Pointer, (uint)reader.NextHeaderFieldPointer);
    }
}
