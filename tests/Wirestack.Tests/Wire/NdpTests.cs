using System.Buffers.Binary;
using Wirestack.Wire;

namespace Wirestack.Tests.Wire;

public class NdpTests
{
    // Parses the captured packet's NDP message and rebuilds the whole packet from reprs: IPv6 header, then the message.
    private static NdpRepr ParseAndReEmit(string hex)
    {
        var bytes = HexBytes.Parse(hex);
        var (ip, headers, upper, message) = Ipv6TestPackets.Split(bytes);
        Assert.Equal(IpProtocol.Icmpv6, upper);
        Assert.Equal(255, ip.HopLimit);
        Assert.Equal(40, headers.Length);
        Assert.True(ReferenceChecksum.IsValid(ip.Source, ip.Destination, 58, message));
        Icmpv6Packet.TryParse(message, out var packet);
        Assert.Equal(WireError.None, NdpRepr.Parse(packet, ip.PseudoHeaderSum(), out var repr));

        Assert.Equal(message.Length, repr.BufferLength);
        var again = new byte[40 + repr.BufferLength];
        var rebuilt = new Ipv6Repr(ip.Source, ip.Destination, IpProtocol.Icmpv6, repr.BufferLength, 255) { FlowLabel = ip.FlowLabel };
        rebuilt.Emit(again);
        repr.Emit(again.AsSpan(40), rebuilt.PseudoHeaderSum());
        Assert.Equal(Convert.ToHexStringLower(bytes), Convert.ToHexStringLower(again));
        return repr;
    }

    [Fact]
    public void LinuxNeighborSolicitation()
    {
        var repr = ParseAndReEmit(Ipv6Vectors.NeighborSolicitation);
        Assert.Equal(Icmpv6Type.NeighborSolicitation, repr.Type);
        Assert.Equal(Ipv6Vectors.Router1, repr.TargetAddress);
        Assert.Equal(Ipv6Vectors.MacA, repr.SourceLinkLayerAddress);
        Assert.Null(repr.TargetLinkLayerAddress);
        Assert.Null(repr.Nonce);
        Assert.Equal(NdpRepr.NeighborSolicitation(Ipv6Vectors.Router1, Ipv6Vectors.MacA), repr);
    }

    [Fact]
    public void LinuxNeighborAdvertisements()
    {
        var solicited = ParseAndReEmit(Ipv6Vectors.NeighborAdvertisement);
        Assert.Equal(NdpRepr.NeighborAdvertisement(Ipv6Vectors.Router1, isRouter: true, solicited: true, @override: true, Ipv6Vectors.MacRouter), solicited);

        var probeAnswer = ParseAndReEmit(Ipv6Vectors.NeighborAdvertisementNoOptions);
        Assert.Equal(NdpRepr.NeighborAdvertisement(Ipv6Vectors.HostA, isRouter: false, solicited: true, @override: false, null), probeAnswer);

        var probe = ParseAndReEmit(Ipv6Vectors.UnicastNeighborSolicitation);
        Assert.Equal(NdpRepr.NeighborSolicitation(Ipv6Vectors.HostA, Ipv6Vectors.MacRouter), probe);
    }

    [Fact]
    public void LinuxRouterSolicitation()
    {
        var repr = ParseAndReEmit(Ipv6Vectors.RouterSolicitation);
        Assert.Equal(NdpRepr.RouterSolicitation(Ipv6Vectors.MacA), repr);
    }

    [Fact]
    public void LinuxDuplicateAddressDetection()
    {
        var plain = ParseAndReEmit(Ipv6Vectors.DadNeighborSolicitation);
        Assert.Equal(NdpRepr.NeighborSolicitation(Ipv6Address.Parse("2001:db8:1::beef"), null), plain);
        Assert.Equal(24, plain.BufferLength);

        var withNonce = ParseAndReEmit(Ipv6Vectors.DadNeighborSolicitationWithNonce);
        Assert.Equal(Ipv6Vectors.HostA, withNonce.TargetAddress);
        Assert.Null(withNonce.SourceLinkLayerAddress);
        Assert.Equal(0xFDCD73DDE421UL, withNonce.Nonce);
    }

    [Fact]
    public void RouterAdvertisement()
    {
        var repr = ParseAndReEmit(Ipv6Vectors.RouterAdvertisement);
        Assert.Equal(Icmpv6Type.RouterAdvertisement, repr.Type);
        Assert.Equal(64, repr.CurrentHopLimit);
        Assert.False(repr.ManagedAddressConfiguration);
        Assert.True(repr.OtherConfiguration);
        Assert.Equal(NdpRouterPreference.High, repr.RouterPreference);
        Assert.Equal(1800, repr.RouterLifetime);
        Assert.Equal(30000u, repr.ReachableTime);
        Assert.Equal(1000u, repr.RetransmitTimer);
        Assert.Equal(Ipv6Vectors.MacRouter, repr.SourceLinkLayerAddress);
        Assert.Equal(1500u, repr.Mtu);
        var prefix = Assert.NotNull(repr.PrefixInformation);
        Assert.Equal(64, prefix.PrefixLength);
        Assert.True(prefix.OnLink);
        Assert.True(prefix.Autonomous);
        Assert.Equal(86400u, prefix.ValidLifetime);
        Assert.Equal(14400u, prefix.PreferredLifetime);
        Assert.Equal(Ipv6Address.Parse("2001:db8:5::"), prefix.Prefix);
    }

    private static byte[] WithOptions(string hex, string options, out uint pseudo)
    {
        // Replaces the captured message's options and fixes up its checksum.
        var (ip, _, _, message) = Ipv6TestPackets.Split(hex);
        var fixedPart = message.AsSpan(0, NdpRepr.FixedLength((Icmpv6Type)message[0]));
        var bytes = new byte[fixedPart.Length + options.Length / 2];
        fixedPart.CopyTo(bytes);
        HexBytes.Parse(options).CopyTo(bytes, fixedPart.Length);
        pseudo = ip.PseudoHeaderSum(IpProtocol.Icmpv6, bytes.Length);
        bytes[2] = bytes[3] = 0;
        BinaryPrimitives.WriteUInt16BigEndian(bytes.AsSpan(2), InternetChecksum.Compute(bytes, pseudo));
        return bytes;
    }

    [Fact]
    public void UnknownOptionsAreSkippedAndTheFirstPrefixKept()
    {
        const string rdnss = "1903000000000e1020010db8000000000000000000000053"; // RFC 8106, one server
        const string prefix1 = "030440c000015180000038400000000020010db8000500000000000000000000";
        const string prefix2 = "030430800000003c0000001e0000000020010db8000600000000000000000000";
        var bytes = WithOptions(Ipv6Vectors.RouterAdvertisement, rdnss + prefix1 + prefix2, out uint pseudo);
        Icmpv6Packet.TryParse(bytes, out var packet);
        Assert.Equal(WireError.None, NdpRepr.Parse(packet, pseudo, out var repr));
        Assert.Equal(Ipv6Address.Parse("2001:db8:5::"), repr.PrefixInformation?.Prefix);
        Assert.Null(repr.SourceLinkLayerAddress);

        var seen = new List<(NdpOptionType, int, int)>();
        foreach (var option in new NdpOptionReader(NdpRepr.GetOptions(packet)))
        {
            Assert.Equal(WireError.None, option.Error);
            seen.Add((option.Type, option.Offset, option.Length));
        }
        Assert.Equal(WireError.None, NdpOptionReader.Validate(NdpRepr.GetOptions(packet)));
        Assert.Equal([(NdpOptionType.RecursiveDnsServer, 0, 24), (NdpOptionType.PrefixInformation, 24, 32), (NdpOptionType.PrefixInformation, 56, 32)], seen);
    }

    [Theory]
    [InlineData("0100020000000000", WireError.BadOptionLength)]                 // length 0: RFC 4861 says discard
    [InlineData("0102020000000000", WireError.BadOptionLength)]                 // claims 16 bytes, 8 remain
    [InlineData("01010200000000000e", WireError.BadOptionLength)]               // a lone trailing byte
    [InlineData("0102020000000000aaaaaaaaaaaaaaaa", WireError.BadOption)]       // a 16-byte link-layer address: not Ethernet
    [InlineData("0502000000000000aaaaaaaaaaaaaaaa", WireError.BadOption)]       // MTU option of 16 bytes
    [InlineData("0301400000000000", WireError.BadOption)]                       // prefix information of 8 bytes
    [InlineData("0e02000000000000aaaaaaaaaaaaaaaa", WireError.None)]            // a longer nonce is skipped
    [InlineData("", WireError.None)]
    public void OptionLengthsAreChecked(string options, WireError expected)
    {
        var bytes = WithOptions(Ipv6Vectors.NeighborSolicitation, options, out uint pseudo);
        Icmpv6Packet.TryParse(bytes, out var packet);
        Assert.Equal(expected, NdpRepr.Parse(packet, pseudo, out var repr));
        if (expected == WireError.None) Assert.Null(repr.Nonce);
        // A malformed option is yielded last, empty, carrying the error the reader ends with.
        var reader = new NdpOptionReader(HexBytes.Parse(options));
        var lastError = WireError.None;
        while (reader.MoveNext())
        {
            lastError = reader.Current.Error;
            if (lastError != WireError.None) Assert.True(reader.Current.Bytes.IsEmpty);
        }
        Assert.Equal(reader.Error, lastError);
        Assert.Equal(reader.Error, NdpOptionReader.Validate(HexBytes.Parse(options)));
    }

    [Fact]
    public void MessageLevelChecks()
    {
        var (_, _, _, message) = Ipv6TestPackets.Split(Ipv6Vectors.NeighborSolicitation);
        Icmpv6Packet.TryParse(message, out var packet);
        Assert.Equal(WireError.BadChecksum, NdpRepr.Parse(packet, 0, out _));

        var coded = (byte[])message.Clone();
        coded[1] = 1;
        Icmpv6Packet.TryParse(coded, out packet);
        Assert.Equal(WireError.Unrecognized, NdpRepr.Parse(packet, 0, out _, verifyChecksum: false));

        var multicastTarget = (byte[])message.Clone();
        multicastTarget[8] = 0xFF;
        Icmpv6Packet.TryParse(multicastTarget, out packet);
        Assert.Equal(WireError.BadAddress, NdpRepr.Parse(packet, 0, out _, verifyChecksum: false));

        Icmpv6Packet.TryParse(message.AsSpan(0, 20), out packet);
        Assert.Equal(WireError.Truncated, NdpRepr.Parse(packet, 0, out _, verifyChecksum: false));

        Icmpv6Packet.TryParse(HexBytes.Parse("8000000000000000"), out packet);
        Assert.Equal(WireError.Unrecognized, NdpRepr.Parse(packet, 0, out _, verifyChecksum: false));
    }

    [Fact]
    public void EveryOptionRoundTrips()
    {
        var repr = new NdpRepr
        {
            Type = Icmpv6Type.RouterAdvertisement,
            CurrentHopLimit = 255,
            ManagedAddressConfiguration = true,
            RouterPreference = NdpRouterPreference.Low,
            RouterLifetime = 0,
            ReachableTime = uint.MaxValue,
            SourceLinkLayerAddress = Ipv6Vectors.MacRouter,
            TargetLinkLayerAddress = Ipv6Vectors.MacA,
            Mtu = 9000,
            PrefixInformation = new NdpPrefixInformation
            {
                PrefixLength = 48,
                Autonomous = true,
                ValidLifetime = NdpPrefixInformation.Infinite,
                Prefix = Ipv6Address.Parse("2001:db8:7::"),
            },
            Nonce = 0x0102_0304_0506,
        };
        var source = Ipv6Vectors.RouterLinkLocal;
        var destination = Ipv6Address.AllNodes;
        uint pseudo = InternetChecksum.PseudoHeaderSum(source, destination, IpProtocol.Icmpv6, repr.BufferLength);
        var bytes = new byte[repr.BufferLength];
        repr.Emit(bytes, pseudo);
        Assert.Equal(16 + 8 + 8 + 8 + 32 + 8, bytes.Length);
        Assert.True(ReferenceChecksum.IsValid(source, destination, 58, bytes));
        Assert.Equal(0x98, bytes[5]); // M and preference low (11)
        Icmpv6Packet.TryParse(bytes, out var packet);
        Assert.Equal(WireError.None, NdpRepr.Parse(packet, pseudo, out var parsed));
        Assert.Equal(repr, parsed);

        Assert.Throws<ArgumentException>(() => (repr with { Nonce = 1UL << 48 }).Emit(bytes, pseudo));
        Assert.Throws<ArgumentException>(() => (repr with { Type = Icmpv6Type.Redirect }).Emit(bytes, pseudo));
        Assert.Throws<ArgumentException>(() => repr.Emit(new byte[repr.BufferLength - 1], pseudo));
    }
}
