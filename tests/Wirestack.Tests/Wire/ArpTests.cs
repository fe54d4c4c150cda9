using Wirestack.Wire;

namespace Wirestack.Tests.Wire;

public class ArpTests
{
    // Captured from Linux 6.18 (ping over a veth pair, tcpdump on the sender): the ARP payloads of
    // "who-has 10.1.0.2 tell 10.1.0.1" from ae:7b:e3:99:33:3c and the reply from b6:31:7e:c3:20:9a.
    private static readonly byte[] Request = HexBytes.Parse("0001 0800 06 04 0001 ae7be399333c 0a010001 000000000000 0a010002");
    private static readonly byte[] Reply = HexBytes.Parse("0001 0800 06 04 0002 b6317ec3209a 0a010002 ae7be399333c 0a010001");

    // The whole captured request frame: Ethernet header, then the 28-byte ARP packet.
    private static readonly byte[] RequestFrame = HexBytes.Parse(
        "ffffffffffff ae7be399333c 0806 0001 0800 0604 0001 ae7be399333c 0a010001 000000000000 0a010002");

    [Fact]
    public void ParsesCapturedLinuxRequest()
    {
        Assert.Equal(WireError.None, ArpPacket.TryParse(Request, out var packet));
        Assert.Equal(1, packet.HardwareType);
        Assert.Equal(EtherType.Ipv4, packet.ProtocolType);
        Assert.Equal(6, packet.HardwareLength);
        Assert.Equal(4, packet.ProtocolLength);
        Assert.True(packet.IsEthernetIpv4);
        Assert.Equal(28, packet.Length);
        Assert.Equal(WireError.None, ArpRepr.Parse(packet, out var repr));
        Assert.Equal(ArpOperation.Request, repr.Operation);
        Assert.Equal(MacAddress.Parse("ae:7b:e3:99:33:3c"), repr.SenderHardwareAddress);
        Assert.Equal(Ipv4Address.Parse("10.1.0.1"), repr.SenderProtocolAddress);
        Assert.Equal(MacAddress.Zero, repr.TargetHardwareAddress);
        Assert.Equal(Ipv4Address.Parse("10.1.0.2"), repr.TargetProtocolAddress);
    }

    [Fact]
    public void ParsesCapturedLinuxReplyFromItsFrame()
    {
        var frame = HexBytes.Parse("ae7be399333c b6317ec3209a 0806").Concat(Reply).ToArray();
        Assert.Equal(WireError.None, EthernetFrame.TryParse(frame, out var ethernet));
        Assert.Equal(EtherType.Arp, ethernet.EtherType);
        Assert.Equal(WireError.None, ArpPacket.TryParse(ethernet.Payload, out var packet));
        Assert.Equal(WireError.None, ArpRepr.Parse(packet, out var repr));
        Assert.Equal(ArpOperation.Reply, repr.Operation);
        Assert.Equal(MacAddress.Parse("b6:31:7e:c3:20:9a"), repr.SenderHardwareAddress);
        Assert.Equal(Ipv4Address.Parse("10.1.0.2"), repr.SenderProtocolAddress);
        Assert.Equal(MacAddress.Parse("ae:7b:e3:99:33:3c"), repr.TargetHardwareAddress);
        Assert.Equal(Ipv4Address.Parse("10.1.0.1"), repr.TargetProtocolAddress);
    }

    [Fact]
    public void EthernetPaddingIsIgnored()
    {
        // A 42-byte frame padded by the sender's NIC to the 60-byte minimum.
        var padded = new byte[60];
        RequestFrame.CopyTo(padded, 0);
        padded.AsSpan(42).Fill(0xEE);
        EthernetFrame.TryParse(padded, out var ethernet);
        Assert.Equal(46, ethernet.Payload.Length);
        Assert.Equal(WireError.None, ArpPacket.TryParse(ethernet.Payload, out var packet));
        Assert.Equal(28, packet.Buffer.Length);
        Assert.Equal(WireError.None, ArpRepr.Parse(packet, out var repr));
        Assert.Equal(Ipv4Address.Parse("10.1.0.2"), repr.TargetProtocolAddress);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void CapturedPacketsReEmitByteForByte(bool request)
    {
        var bytes = request ? Request : Reply;
        ArpPacket.TryParse(bytes, out var packet);
        Assert.Equal(WireError.None, ArpRepr.Parse(packet, out var repr));
        var emitted = new byte[repr.BufferLength];
        repr.Emit(emitted);
        Assert.Equal(bytes, emitted);
    }

    [Fact]
    public void EmitFromFieldsMatchesCapture()
    {
        var repr = new ArpRepr
        {
            Operation = ArpOperation.Request,
            SenderHardwareAddress = MacAddress.Parse("ae:7b:e3:99:33:3c"),
            SenderProtocolAddress = Ipv4Address.Parse("10.1.0.1"),
            TargetProtocolAddress = Ipv4Address.Parse("10.1.0.2"),
        };
        var emitted = new byte[28];
        repr.Emit(emitted);
        Assert.Equal(Request, emitted);
    }

    [Theory]
    [InlineData("")]
    [InlineData("0001 0800 06 04 00")]                                              // fixed part cut short
    [InlineData("0001 0800 06 04 0001 ae7be399333c 0a010001 000000000000 0a0100")]  // last address cut short
    [InlineData("0001 0800 10 04 0001 ae7be399333c 0a010001 000000000000 0a010002")] // hlen 16 promises 48 bytes
    public void TruncatedPacketsAreRejected(string hex) =>
        Assert.Equal(WireError.Truncated, ArpPacket.TryParse(HexBytes.Parse(hex), out _));

    [Theory]
    [InlineData("0006 0800 06 04 0001 ae7be399333c 0a010001 000000000000 0a010002")] // IEEE 802 hardware type
    [InlineData("0001 86dd 06 04 0001 ae7be399333c 0a010001 000000000000 0a010002")] // protocol IPv6
    [InlineData("0001 0800 06 05 0001 ae7be399333c 0a01000100 000000000000 0a01000200")] // plen 5
    [InlineData("0001 0800 08 04 0001 ae7be399333c0000 0a010001 0000000000000000 0a010002")] // hlen 8
    public void OtherHardwareOrProtocolIsUnsupported(string hex)
    {
        Assert.Equal(WireError.None, ArpPacket.TryParse(HexBytes.Parse(hex), out var packet));
        Assert.False(packet.IsEthernetIpv4);
        Assert.Equal(WireError.Unsupported, ArpRepr.Parse(packet, out _));
    }

    [Fact]
    public void GenericViewReadsAddressesOfOtherLengths()
    {
        // hlen 8, plen 2: the view still slices each address where its lengths put it.
        var bytes = HexBytes.Parse("0006 0800 08 02 0001 1111111111111111 2222 3333333333333333 4444");
        Assert.Equal(WireError.None, ArpPacket.TryParse(bytes, out var packet));
        Assert.Equal(28, packet.Length);
        Assert.Equal(HexBytes.Parse("1111111111111111"), packet.SenderHardwareAddress.ToArray());
        Assert.Equal(HexBytes.Parse("2222"), packet.SenderProtocolAddress.ToArray());
        Assert.Equal(HexBytes.Parse("3333333333333333"), packet.TargetHardwareAddress.ToArray());
        Assert.Equal(HexBytes.Parse("4444"), packet.TargetProtocolAddress.ToArray());
    }

    [Theory]
    [InlineData(0)]
    [InlineData(3)] // RARP request: its own EtherType, never ours
    [InlineData(0xFFFF)]
    public void UnknownOperationIsUnrecognized(int operation)
    {
        var bytes = (byte[])Request.Clone();
        bytes[6] = (byte)(operation >> 8);
        bytes[7] = (byte)operation;
        ArpPacket.TryParse(bytes, out var packet);
        Assert.Equal(WireError.Unrecognized, ArpRepr.Parse(packet, out _));
    }

    [Fact]
    public void EmitRejectsShortBufferAndUnknownOperation()
    {
        var repr = new ArpRepr { Operation = ArpOperation.Reply };
        var ex = Assert.Throws<ArgumentException>(() => repr.Emit(new byte[27]));
        Assert.Contains("needs 28", ex.Message, StringComparison.Ordinal);
        repr.Operation = (ArpOperation)7;
        Assert.Throws<ArgumentException>(() => repr.Emit(new byte[28]));
    }

    [Fact]
    public void MutatedPacketsNeverThrowAndReEmitConsistently()
    {
        int parsed = 0;
        foreach (var bytes in Mutations.Of(Request, 20_000, 826))
        {
            if (Check(bytes)) parsed++;
        }
        Assert.InRange(parsed, 1_000, 19_000); // both paths exercised
    }

    private static bool Check(byte[] bytes)
    {
        if (ArpPacket.TryParse(bytes, out var packet) != WireError.None) return false;
        _ = (packet.HardwareType, packet.ProtocolType, packet.Operation, packet.IsEthernetIpv4);
        _ = packet.SenderHardwareAddress.Length + packet.SenderProtocolAddress.Length + packet.TargetHardwareAddress.Length + packet.TargetProtocolAddress.Length;
        if (ArpRepr.Parse(packet, out var repr) != WireError.None) return false;
        var emitted = new byte[repr.BufferLength];
        repr.Emit(emitted);
        Assert.Equal(packet.Buffer.ToArray(), emitted);
        return true;
    }
}
