using Wirestack.Iface;
using Wirestack.Nic;
using Wirestack.Tcp;
using Wirestack.Wire;

namespace Wirestack.Tests.Tcp;

/// <summary>
/// A hand-driven TCP peer (10.0.0.1, port 40000) on the other end of B's cable: it writes exactly the segments a
/// test asks for and reads back what B answers, answering B's ARP requests on the way.
/// </summary>
internal sealed class RawTcpPeer : IDisposable
{
    public static readonly MacAddress Mac = MacAddress.Parse("02:00:00:00:00:0a");
    public static readonly Ipv4Address Address = new(10, 0, 0, 1);
    public static readonly Ipv4Address AddressB = new(10, 0, 0, 2);
    public static readonly MacAddress MacB = MacAddress.Parse("02:00:00:00:00:0b");
    public const ushort Port = 40000;

    private readonly PipeDevice _raw;

    public RawTcpPeer(Func<TcpOptions, TcpOptions>? tcp = null)
    {
        var (raw, second) = PipeDevice.CreatePair();
        _raw = raw;
        var options = new InterfaceOptions
        {
            MacAddress = MacB,
            Ipv4Addresses = [new Ipv4InterfaceAddress(AddressB, 24)],
            AnnounceAddresses = false,
            EnableIpv6 = false,
            RandomSeed = 7,
            Tcp = tcp is null ? new TcpOptions() : tcp(new TcpOptions()),
        };
        B = new Interface(second, options);
        Now = Instant.FromMicroseconds(1_000_000_000);
    }

    public Interface B { get; }
    public Instant Now { get; set; }

    public void Advance(TimeSpan by) => Now += by;

    /// <summary>
    /// Sends one segment from the peer to B and lets B handle it. With <paramref name="corruptPayloadByte"/>, that
    /// payload byte has a bit flipped after the checksum is filled (the header stays intact).
    /// </summary>
    public void Send(TcpRepr segment, ReadOnlySpan<byte> payload = default, ushort destinationPort = 80, ushort window = 65535, int corruptPayloadByte = -1)
    {
        segment.SourcePort = segment.SourcePort == 0 ? Port : segment.SourcePort;
        segment.DestinationPort = segment.DestinationPort == 0 ? destinationPort : segment.DestinationPort;
        if ((segment.Flags & TcpFlags.Rst) == 0) segment.WindowSize = window;
        segment.PayloadLength = payload.Length;
        var ip = new Ipv4Repr(Address, AddressB, IpProtocol.Tcp, segment.TotalLength);
        var frame = new byte[14 + ip.TotalLength];
        new EthernetRepr { Destination = MacB, Source = Mac, EtherType = EtherType.Ipv4 }.Emit(frame);
        ip.Emit(frame.AsSpan(14));
        segment.Emit(frame.AsSpan(14 + ip.HeaderLength), payload, ip.PseudoHeaderSum());
        if (corruptPayloadByte >= 0) frame[14 + ip.HeaderLength + segment.HeaderLength + corruptPayloadByte] ^= 0x10;
        Assert.True(_raw.TryGetTransmitSlot(out var slot));
        frame.CopyTo(slot);
        _raw.CommitTransmit(frame.Length);
        _raw.Flush();
        B.Poll(Now);
    }

    /// <summary>Polls B and returns the TCP segments it sent (answering ARP requests for the peer).</summary>
    public List<(TcpRepr Segment, byte[] Payload)> Receive()
    {
        var segments = new List<(TcpRepr, byte[])>();
        for (int round = 0; round < 4; round++)
        {
            B.Poll(Now);
            int n = _raw.Receive();
            for (int i = 0; i < n; i++)
            {
                var frame = _raw.GetReceived(i);
                Assert.Equal(WireError.None, EthernetFrame.TryParse(frame, out var ethernet));
                if (ethernet.EtherType == EtherType.Arp)
                {
                    AnswerArp();
                    continue;
                }
                if (ethernet.EtherType != EtherType.Ipv4) continue;
                Assert.Equal(WireError.None, Ipv4Packet.TryParse(ethernet.Payload, out var ip));
                if (ip.Protocol != IpProtocol.Tcp) continue;
                Assert.Equal(WireError.None, TcpPacket.TryParse(ip.Payload, out var tcp));
                uint pseudo = InternetChecksum.PseudoHeaderSum(ip.Source, ip.Destination, IpProtocol.Tcp, ip.Payload.Length);
                Assert.Equal(WireError.None, TcpRepr.Parse(tcp, pseudo, out var repr));
                segments.Add((repr, tcp.Payload.ToArray()));
            }
            _raw.ReleaseReceived(n);
        }
        return segments;
    }

    private void AnswerArp()
    {
        var frame = new byte[14 + 28];
        new EthernetRepr { Destination = MacB, Source = Mac, EtherType = EtherType.Arp }.Emit(frame);
        new ArpRepr
        {
            Operation = ArpOperation.Reply,
            SenderHardwareAddress = Mac,
            SenderProtocolAddress = Address,
            TargetHardwareAddress = MacB,
            TargetProtocolAddress = AddressB,
        }.Emit(frame.AsSpan(14));
        Assert.True(_raw.TryGetTransmitSlot(out var slot));
        frame.CopyTo(slot);
        _raw.CommitTransmit(frame.Length);
        _raw.Flush();
    }

    /// <summary>
    /// Listens on B's port 80 and completes a handshake from the peer; returns B's accepted connection and the next
    /// sequence numbers each way (the peer's and B's).
    /// </summary>
    public (TcpHandle Connection, TcpSeqNumber PeerNext, TcpSeqNumber BNext) Establish(uint iss = 1000, bool sack = false)
    {
        Assert.True(B.TryListenTcp(new IpEndpoint(IpAddress.AnyIpv4, 80), 8, out var listener));
        Send(new TcpRepr { SequenceNumber = new TcpSeqNumber(iss), Flags = TcpFlags.Syn, MaxSegmentSize = 1460, SackPermitted = sack });
        var synAck = Assert.Single(Receive(), s => (s.Segment.Flags & TcpFlags.Syn) != 0).Segment;
        Assert.Equal(TcpFlags.Syn | TcpFlags.Ack, synAck.Flags);
        Assert.Equal(iss + 1, synAck.AcknowledgmentNumber.Value);
        var peerNext = new TcpSeqNumber(iss + 1);
        var bNext = synAck.SequenceNumber + 1;
        Send(new TcpRepr { SequenceNumber = peerNext, AcknowledgmentNumber = bNext, Flags = TcpFlags.Ack });
        Assert.True(B.TryAcceptTcp(listener, out var connection));
        Assert.Equal(TcpState.Established, B.GetTcpState(connection));
        return (connection, peerNext, bNext);
    }

    public void Dispose()
    {
        _raw.Dispose();
        B.Device.Dispose();
    }
}
