using System.Buffers.Binary;
using Wirestack.Wire;

namespace Wirestack.Tests.Wire;

public class Icmpv6Tests
{
    // Parses the captured packet's ICMPv6 message, re-emits it from the repr, and checks the bytes come out the same.
    private static Icmpv6Repr ParseAndReEmit(byte[] bytes, out byte[] payload)
    {
        var (ip, _, upper, message) = Ipv6TestPackets.Split(bytes);
        Assert.Equal(IpProtocol.Icmpv6, upper);
        Assert.True(ReferenceChecksum.IsValid(ip.Source, ip.Destination, 58, message));
        uint pseudo = ip.PseudoHeaderSum(IpProtocol.Icmpv6, message.Length);
        Assert.Equal(WireError.None, Icmpv6Packet.TryParse(message, out var packet));
        Assert.True(packet.VerifyChecksum(pseudo));
        Assert.Equal(WireError.None, Icmpv6Repr.Parse(packet, pseudo, out var repr));
        payload = packet.Payload.ToArray();
        Assert.Equal(payload.Length, repr.PayloadLength);
        var again = new byte[repr.BufferLength];
        repr.Emit(again, payload, pseudo);
        Assert.Equal(message, again);
        return repr;
    }

    private static Icmpv6Repr ParseAndReEmit(string hex, out byte[] payload) => ParseAndReEmit(HexBytes.Parse(hex), out payload);

    [Fact]
    public void LinuxEchoRequestAndReply()
    {
        var request = ParseAndReEmit(Ipv6Vectors.EchoRequest, out var requestData);
        Assert.Equal((Icmpv6Type.EchoRequest, (byte)0, (ushort)0x1DE6, (ushort)1), (request.Type, request.Code, request.Identifier, request.SequenceNumber));
        Assert.Equal(HexBytes.Parse("6162000000000000"), requestData);
        var reply = ParseAndReEmit(Ipv6Vectors.EchoReply, out var replyData);
        Assert.Equal(Icmpv6Repr.EchoReply(0x1DE6, 1, 8), reply);
        Assert.Equal(requestData, replyData);
        Assert.False(reply.IsError);
    }

    [Fact]
    public void LinuxTimeExceededQuotesTheRequest()
    {
        var repr = ParseAndReEmit(Ipv6Vectors.TimeExceeded, out var invoking);
        Assert.Equal(Icmpv6Repr.TimeExceeded(Icmpv6TimeExceededCode.HopLimitExceeded, 104), repr);
        Assert.True(repr.IsError);
        Assert.Equal(WireError.None, Ipv6Packet.TryParse(invoking, out var quoted));
        Assert.Equal(1, quoted.HopLimit);
        Assert.Equal(Ipv6Vectors.HostC, quoted.Destination);
    }

    [Fact]
    public void LinuxPacketTooBigFillsTheMinimumMtu()
    {
        var bytes = Ipv6Vectors.PacketTooBig();
        var repr = ParseAndReEmit(bytes, out var invoking);
        Assert.Equal(Icmpv6Repr.PacketTooBig(1280, Icmpv6Repr.MaxErrorPayload), repr);
        Assert.Equal(Icmpv6Repr.MaxErrorPayload, invoking.Length); // Linux quotes exactly as much as fits 1280 bytes
        Assert.Equal(Ipv6Packet.MinimumMtu, bytes.Length);
        // The quote is cut short, so its payload length says more than it holds.
        Assert.Equal(WireError.Truncated, Ipv6Packet.TryParse(invoking, out _));
    }

    [Fact]
    public void LinuxDestinationUnreachables()
    {
        Assert.Equal(Icmpv6Repr.DestinationUnreachable(Icmpv6DestinationUnreachableCode.NoRoute, 104), ParseAndReEmit(Ipv6Vectors.NoRoute, out _));
        var port = ParseAndReEmit(Ipv6Vectors.PortUnreachable, out var invoking);
        Assert.Equal(Icmpv6Repr.DestinationUnreachable(Icmpv6DestinationUnreachableCode.PortUnreachable, 53), port);
        Ipv6Packet.TryParse(invoking, out var quoted);
        Assert.Equal(IpProtocol.Udp, quoted.NextHeader);
        Assert.Equal(33434, BinaryPrimitives.ReadUInt16BigEndian(quoted.Payload[2..]));
    }

    [Fact]
    public void LinuxParameterProblem()
    {
        var repr = ParseAndReEmit(Ipv6Vectors.UnrecognizedNextHeader, out _);
        Assert.Equal(Icmpv6Repr.ParameterProblem(Icmpv6ParameterProblemCode.UnrecognizedNextHeader, 6, 48), repr);
    }

    [Fact]
    public void EmittedChecksumVerifiesAgainstTheReference()
    {
        var source = Ipv6Vectors.HostA;
        var destination = Ipv6Vectors.HostC;
        var random = new Random(4443);
        foreach (int length in new[] { 0, 1, 7, 56, 1232 })
        {
            var data = new byte[length];
            random.NextBytes(data);
            var repr = Icmpv6Repr.EchoRequest((ushort)random.Next(), (ushort)length, length);
            var ip = new Ipv6Repr(source, destination, IpProtocol.Icmpv6, repr.BufferLength);
            var message = new byte[ip.PayloadLength];
            repr.Emit(message, data, ip.PseudoHeaderSum());
            Assert.True(ReferenceChecksum.IsValid(source, destination, 58, message), $"length {length}");
        }
    }

    [Fact]
    public void PayloadMayAlreadyBeInPlace()
    {
        var (ip, _, _, message) = Ipv6TestPackets.Split(Ipv6Vectors.TimeExceeded);
        var repr = Icmpv6Repr.TimeExceeded(Icmpv6TimeExceededCode.HopLimitExceeded, message.Length - 8);

        // The quote copied into place first, then the header and checksum.
        var buffer = (byte[])message.Clone();
        buffer.AsSpan(0, 8).Fill(0xEE);
        repr.EmitHeader(buffer);
        Icmpv6Repr.FillChecksum(buffer, ip.PseudoHeaderSum());
        Assert.Equal(message, buffer);

        // Emit handed the payload where it already is.
        buffer.AsSpan(0, 8).Fill(0xEE);
        repr.Emit(buffer, buffer.AsSpan(8), ip.PseudoHeaderSum());
        Assert.Equal(message, buffer);

        // Or overlapping it: a quote moved four bytes along.
        var shifted = new byte[message.Length + 4];
        message.AsSpan(8).CopyTo(shifted.AsSpan(12));
        repr.Emit(shifted, shifted.AsSpan(12, message.Length - 8), ip.PseudoHeaderSum());
        Assert.Equal(message, shifted[..message.Length]);
    }

    [Fact]
    public void BadChecksumIsRejectedUnlessOffloaded()
    {
        var (ip, _, _, message) = Ipv6TestPackets.Split(Ipv6Vectors.EchoRequest);
        message[^1] ^= 1;
        Icmpv6Packet.TryParse(message, out var packet);
        Assert.False(packet.VerifyChecksum(ip.PseudoHeaderSum()));
        Assert.Equal(WireError.BadChecksum, Icmpv6Repr.Parse(packet, ip.PseudoHeaderSum(), out _));
        Assert.Equal(WireError.None, Icmpv6Repr.Parse(packet, 0, out _, verifyChecksum: false));
    }

    [Theory]
    [InlineData("80000000000000", WireError.Truncated)]       // seven bytes
    [InlineData("8001000000000000", WireError.None)]          // echo request with code 1: kept, as Linux echoes it
    [InlineData("8700000000000000", WireError.Unrecognized)]  // neighbor solicitation: NdpRepr's
    [InlineData("6400000000000000", WireError.Unrecognized)]  // type 100 (private experimentation)
    [InlineData("0263000000000500", WireError.None)]          // packet too big: the code is ignored
    public void TypesAndCodesAreChecked(string hex, WireError expected)
    {
        var error = Icmpv6Packet.TryParse(HexBytes.Parse(hex), out var packet);
        if (error == WireError.None) error = Icmpv6Repr.Parse(packet, 0, out _, verifyChecksum: false);
        Assert.Equal(expected, error);
    }

    [Fact]
    public void EmitRejectsOtherTypesAndShortBuffers()
    {
        var ns = new Icmpv6Repr { Type = Icmpv6Type.NeighborSolicitation };
        Assert.Throws<ArgumentException>(() => ns.Emit(new byte[32], default, 0));
        Assert.Throws<ArgumentException>(() => Icmpv6Repr.EchoRequest(1, 1, 1).Emit(new byte[8], new byte[1], 0));
        Assert.Throws<ArgumentException>(() => Icmpv6Repr.EchoRequest(1, 1, 2).Emit(new byte[16], new byte[1], 0));
        Assert.Throws<ArgumentException>(() => Icmpv6Repr.FillChecksum(new byte[7], 0));
    }
}
