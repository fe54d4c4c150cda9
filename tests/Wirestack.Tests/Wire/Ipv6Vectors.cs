using Wirestack.Wire;

namespace Wirestack.Tests.Wire;

/// <summary>
/// IPv6 packets (Ethernet header stripped) captured with tcpdump from a Linux 6.x kernel between
/// network namespaces: a host 2001:db8:1::a (02:00:00:00:00:0a) behind a router 2001:db8:1::1 /
/// 2001:db8:2::1 (02:00:00:00:00:01, 1280-byte MTU towards 2001:db8:2::c), plus a Linux bridge
/// acting as MLD querier (02:00:00:00:0b:0b). tcpdump and tshark decoded each one as described
/// and reported its checksum good. The router advertisement was sent by scapy (Linux sends none
/// itself) and accepted by the kernel, which configured 2001:db8:5::ff:fe00:a from it.
/// </summary>
internal static class Ipv6Vectors
{
    public static readonly Ipv6Address HostA = Ipv6Address.Parse("2001:db8:1::a");
    public static readonly Ipv6Address Router1 = Ipv6Address.Parse("2001:db8:1::1");
    public static readonly Ipv6Address HostC = Ipv6Address.Parse("2001:db8:2::c");
    public static readonly Ipv6Address HostALinkLocal = Ipv6Address.Parse("fe80::ff:fe00:a");
    public static readonly Ipv6Address RouterLinkLocal = Ipv6Address.Parse("fe80::ff:fe00:1");
    public static readonly MacAddress MacA = MacAddress.Parse("02:00:00:00:00:0a");
    public static readonly MacAddress MacRouter = MacAddress.Parse("02:00:00:00:00:01");

    // ping -6 -Q 0xb9 -F 0x12345: traffic class 0xb9 (DSCP 46, ECN 1), flow label 0x12345, 56 data bytes.
    public const string EchoRequestWithFlowLabel =
        "6b91234500403a4020010db800010000000000000000000a20010db80001000000000000000000018000770a1fef00019050026b000000003b7d000000000000101112131415161718191a1b1c1d1e1f202122232425262728292a2b2c2d2e2f3031323334353637";

    // ping -6 -p 6162 -s 8 2001:db8:2::c and its reply (id 0x1de6, seq 1).
    public const string EchoRequest = "600eb3d600103a4020010db800010000000000000000000a20010db800020000000000000000000c8000a4e01de600016162000000000000";
    public const string EchoReply = "600e877900103a3f20010db800020000000000000000000c20010db800010000000000000000000a8100a3e01de600016162000000000000";

    // ping -t 1 through the router: time exceeded (hop limit) quoting the whole 104-byte request.
    public const string TimeExceeded =
        "6007080300703a4020010db800010000000000000000000120010db800010000000000000000000a0300532a00000000600eb3d600403a0120010db800010000000000000000000a20010db800020000000000000000000c800093401de700017e50026b000000003143020000000000101112131415161718191a1b1c1d1e1f202122232425262728292a2b2c2d2e2f3031323334353637";

    // ping to 2001:db8:99::1, which the router has no route to: destination unreachable code 0.
    public const string NoRoute =
        "600fc06500703a4020010db800010000000000000000000120010db800010000000000000000000a0100dee700000000600c29dc00403a4020010db800010000000000000000000a20010db80099000000000000000000018000c3911dea00017e50026b000000000063020000000000101112131415161718191a1b1c1d1e1f202122232425262728292a2b2c2d2e2f3031323334353637";

    // UDP "hello" to a closed port on 2001:db8:2::c: destination unreachable code 4.
    public const string PortUnreachable =
        "6001efd3003d3a3f20010db800020000000000000000000c20010db800010000000000000000000a0104270f00000000600ddd51000d113f20010db800010000000000000000000a20010db800020000000000000000000caf90829a000d5ba968656c6c6f";

    // A raw IPv6 packet with next header 253 to 2001:db8:2::c: parameter problem code 1, pointer 6.
    public const string UnrecognizedNextHeader =
        "60022fbe00383a3f20010db800020000000000000000000c20010db800010000000000000000000a04013d4700000006600718440008fd3f20010db800010000000000000000000a20010db800020000000000000000000c6162636465666768";

    /// <summary>
    /// ping -M do -s 1400 towards the 1280-byte link: packet too big, MTU 1280, quoting the first
    /// 1232 bytes of the request so the error is exactly 1280 bytes. ping's data after its 16-byte
    /// timestamp counts up from 0x10, so the capture is rebuilt from its first 112 bytes.
    /// </summary>
    public static byte[] PacketTooBig()
    {
        var bytes = new byte[1280];
        var head = HexBytes.Parse(
            "60080c8204d83a4020010db800010000000000000000000120010db800010000000000000000000a020023c800000500"
            + "600eb3d605803a4020010db800010000000000000000000a20010db800020000000000000000000c800054aa1de800017e50026b00000000be4e020000000000");
        head.CopyTo(bytes, 0);
        for (int i = head.Length; i < bytes.Length; i++) bytes[i] = (byte)(0x10 + i - head.Length);
        return bytes;
    }

    // ping -s 1400 after the PMTU is learnt: two fragments, identification 0xb2e7d69b.
    public const string SecondFragment =
        "600eb3d600b82c4020010db800010000000000000000000a20010db800020000000000000000000c3a0004d0b2e7d69bc8c9cacbcccdcecfd0d1d2d3d4d5d6d7d8d9dadbdcdddedfe0e1e2e3e4e5e6e7e8e9eaebecedeeeff0f1f2f3f4f5f6f7f8f9fafbfcfdfeff000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f404142434445464748494a4b4c4d4e4f505152535455565758595a5b5c5d5e5f606162636465666768696a6b6c6d6e6f7071727374757677";
    public const string FirstFragmentStart = // the first 64 of its 1280 bytes: header, fragment header, echo header, 8 data bytes
        "600eb3d604d82c4020010db800010000000000000000000a20010db800020000000000000000000c3a000001b2e7d69b8000269f1de900017e50026b00000000";

    // UDP with IPV6_DSTOPTS set to 00 00 1e 02 aa bb 01 00: Linux sends option 0x1e (skippable) then PadN.
    public const string UdpAfterDestinationOptions =
        "600d89f800133c4020010db800010000000000000000000a20010db800020000000000000000000c11001e02aabb0100e2570009000be978647374";

    // ping through a seg6 inline route: segment routing header (type 4, segments left 1), then ICMPv6.
    public const string EchoAfterSegmentRoutingHeader =
        "6006783200682b4020010db800010000000000000000000a20010db80001000000000000000000013a0404010100000020010db800030000000000000000000520010db8000100000000000000000001800018f11ff100019050026b00000000998e000000000000101112131415161718191a1b1c1d1e1f202122232425262728292a2b2c2d2e2f3031323334353637";

    // Neighbor discovery.
    public const string RouterSolicitation = "6000000000103afffe80000000000000000000fffe00000aff02000000000000000000000000000285007b1a00000000010102000000000a";
    public const string NeighborSolicitation = // address resolution of the router, with the source link-layer address
        "6000000000203aff20010db800010000000000000000000aff0200000000000000000001ff00000187001c150000000020010db8000100000000000000000001010102000000000a";
    public const string NeighborAdvertisement = // the router's answer: R, S and O, with the target link-layer address
        "6000000000203aff20010db800010000000000000000000120010db800010000000000000000000a88000a68e000000020010db80001000000000000000000010201020000000001";
    public const string UnicastNeighborSolicitation = // reachability probe from the router
        "6000000000203afffe80000000000000000000fffe00000120010db800010000000000000000000a87001c990000000020010db800010000000000000000000a0101020000000001";
    public const string NeighborAdvertisementNoOptions = // the answer to it: S only, no option
        "6000000000183aff20010db800010000000000000000000afe80000000000000000000fffe0000018800dea24000000020010db800010000000000000000000a";
    public const string DadNeighborSolicitation = // sysctl enhanced_dad=0: from ::, no options
        "6000000000183aff00000000000000000000000000000000ff0200000000000000000001ff00beef8700cf0e0000000020010db800010000000000000000beef";
    public const string DadNeighborSolicitationWithNonce = // the default (RFC 7527): a nonce option
        "6000000000203aff00000000000000000000000000000000ff0200000000000000000001ff00000a8700e9030000000020010db800010000000000000000000a0e01fdcd73dde421";
    public const string RouterAdvertisement = // scapy: O flag, preference high, SLL, MTU 1500, prefix 2001:db8:5::/64 L A
        "6000000000403afffe80000000000000000000fffe000001ff0200000000000000000000000000018600b3734048070800007530000003e8010102000000000105010000000005dc030440c000015180000038400000000020010db8000500000000000000000000";

    // MLD. Every one starts with the hop-by-hop header 3a 00 05 02 00 00 01 00.
    public const string Mldv2ReportJoinFromUnspecified = // during DAD: CHANGE_TO_EXCLUDE ff02::1:ff00:a
        "600000000024000100000000000000000000000000000000ff0200000000000000000000000000163a000502000001008f006f800000000104000000ff0200000000000000000001ff00000a";
    public const string Mldv2ReportThreeRecords =
        "60000000004c000100000000000000000000000000000000ff0200000000000000000000000000163a000502000001008f0069520000000304000000ff0200000000000000000001ff00000104000000ff05000000000000000000000000000204000000ff020000000000000000000000000002";
    public const string Mldv2ReportFourRecords = // the router's, from its link-local address
        "6000000000600001fe80000000000000000000fffe000001ff0200000000000000000000000000163a000502000001008f0069b60000000404000000ff0200000000000000000001ff00000004000000ff0200000000000000000001ff00000104000000ff05000000000000000000000000000204000000ff020000000000000000000000000002";
    public const string Mldv2ReportLeave = // IPV6_LEAVE_GROUP ff15::1234: CHANGE_TO_INCLUDE, no sources
        "6000000000240001fe80000000000000000000fffe00000aff0200000000000000000000000000163a000502000001008f005fba0000000103000000ff150000000000000000000000001234";
    public const string Mldv2ReportCurrentState = // the answer to a general query: MODE_IS_EXCLUDE
        "6000000000240001fe80000000000000000000fffe000a01ff0200000000000000000000000000163a000502000001008f0060070000000102000000ff0200000000000000000001ff000a01";
    public const string Mldv2GeneralQuery = // bridge querier: max response 10000 ms, QRV 2, QQIC 2, no sources
        "6000000000240001fe80000000000000000000fffe000b0bff0200000000000000000000000000013a0005020000000082004d07271000000000000000000000000000000000000002020000";
    public const string Mldv1Report = // force_mld_version=1, join ff15::5678 (sent to the group)
        "6000000000200001fe80000000000000000000fffe00000cff1500000000000000000000000056783a000502000001008300d40300000000ff150000000000000000000000005678";
    public const string Mldv1Done = // and leave it (sent to ff02::2)
        "6000000000200001fe80000000000000000000fffe00000cff0200000000000000000000000000023a000502000001008400298d00000000ff150000000000000000000000005678";
}

/// <summary>An RFC 1071 checksum done the slow, obvious way, over a hand-built IPv6 pseudo-header.</summary>
internal static class ReferenceChecksum
{
    public static bool IsValid(Ipv6Address source, Ipv6Address destination, byte nextHeader, ReadOnlySpan<byte> message) =>
        Sum(source, destination, nextHeader, message) == 0xFFFF;

    public static uint Sum(Ipv6Address source, Ipv6Address destination, byte nextHeader, ReadOnlySpan<byte> message)
    {
        var pseudo = new byte[40 + message.Length];
        source.WriteTo(pseudo);
        destination.WriteTo(pseudo.AsSpan(16));
        pseudo[32] = (byte)(message.Length >> 24);
        pseudo[33] = (byte)(message.Length >> 16);
        pseudo[34] = (byte)(message.Length >> 8);
        pseudo[35] = (byte)message.Length;
        pseudo[39] = nextHeader;
        message.CopyTo(pseudo.AsSpan(40));
        ulong sum = 0;
        for (int i = 0; i < pseudo.Length; i += 2)
            sum += (uint)(pseudo[i] << 8) | (i + 1 < pseudo.Length ? pseudo[i + 1] : 0u);
        while (sum > 0xFFFF) sum = (sum & 0xFFFF) + (sum >> 16);
        return (uint)sum;
    }
}

/// <summary>Pulls the upper-layer message out of a captured packet the way the IP layer will.</summary>
internal static class Ipv6TestPackets
{
    public static (Ipv6Repr Ip, byte[] Headers, IpProtocol UpperLayer, byte[] Message) Split(string hex) => Split(HexBytes.Parse(hex));

    public static (Ipv6Repr Ip, byte[] Headers, IpProtocol UpperLayer, byte[] Message) Split(byte[] bytes)
    {
        Assert.Equal(WireError.None, Ipv6Packet.TryParse(bytes, out var packet));
        Assert.Equal(WireError.None, Ipv6Repr.Parse(packet, out var ip));
        Assert.Equal(WireError.None, Ipv6ExtensionHeaderReader.FindUpperLayer(packet.Payload, packet.NextHeader, out var upper, out int offset));
        return (ip, packet.Buffer[..(Ipv6Packet.HeaderLength + offset)].ToArray(), upper, packet.Payload[offset..].ToArray());
    }
}
