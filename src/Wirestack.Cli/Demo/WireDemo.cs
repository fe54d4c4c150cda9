using System.Diagnostics;
using System.Security.Cryptography;
using Wirestack.Diagnostics;
using Wirestack.Wire;

namespace Wirestack.Cli.Demo;

/// <summary>
/// `wirestack demo`: two hosts on an in-process link exchange ARP, NDP, ping v4/v6, a TCP
/// transfer checked with SHA-256, IGMP/MLD joins and UDP multicast. Every frame is built by the
/// wire layer on one side and parsed back, checksums verified, on the other. The stack's state
/// machines arrive with later issues; this shows the layer they stand on.
/// </summary>
internal sealed class WireDemo(DemoOptions options, TextWriter output)
{
    private const int Mss = 1448;
    private readonly DemoHost _a = new("A", MacAddress.Parse("02:00:00:00:00:0a"), Ipv4Address.Parse("10.0.0.1"), Ipv6Address.Parse("fd00::a"));
    private readonly DemoHost _b = new("B", MacAddress.Parse("02:00:00:00:00:0b"), Ipv4Address.Parse("10.0.0.2"), Ipv6Address.Parse("fd00::b"));
    private readonly byte[] _frame = new byte[1514];
    private readonly List<DemoStep> _steps = [];
    private DemoLink _link = null!;

    public int Run()
    {
        using var link = new DemoLink(options.PcapPath);
        _link = link;
        output.WriteLine($"Two hosts on an in-process link: A {_a.Mac} {_a.Ipv4} {_a.Ipv6}, B {_b.Mac} {_b.Ipv4} {_b.Ipv6}");
        ResolveArp();
        ResolveNdp();
        PingV4();
        PingV6();
        TransferTcp();
        MulticastV4();
        MulticastV6();
        return Summarize();
    }

    // --- steps -------------------------------------------------------------------------------

    private void ResolveArp()
    {
        var request = new ArpRepr
        {
            Operation = ArpOperation.Request,
            SenderHardwareAddress = _a.Mac,
            SenderProtocolAddress = _a.Ipv4,
            TargetProtocolAddress = _b.Ipv4,
        };
        bool ok = SendArp(_a, MacAddress.Broadcast, request, out var heard)
            && heard.TargetProtocolAddress == _b.Ipv4;
        var reply = new ArpRepr
        {
            Operation = ArpOperation.Reply,
            SenderHardwareAddress = _b.Mac,
            SenderProtocolAddress = _b.Ipv4,
            TargetHardwareAddress = heard.SenderHardwareAddress,
            TargetProtocolAddress = heard.SenderProtocolAddress,
        };
        ok &= SendArp(_b, _a.Mac, reply, out var answer) && answer.SenderHardwareAddress == _b.Mac;
        Record("ARP resolution", ok, $"{_b.Ipv4} is-at {answer.SenderHardwareAddress}");
    }

    private bool SendArp(DemoHost from, MacAddress to, ArpRepr arp, out ArpRepr received)
    {
        var frame = _frame.AsSpan();
        new EthernetRepr { Destination = to, Source = from.Mac, EtherType = EtherType.Arp }.Emit(frame);
        arp.Emit(frame[EthernetFrame.UntaggedHeaderLength..]);
        int length = Math.Max(60, EthernetFrame.UntaggedHeaderLength + arp.BufferLength); // pad to the Ethernet minimum
        frame[(EthernetFrame.UntaggedHeaderLength + arp.BufferLength)..length].Clear();
        bool ok = Deliver(frame[..length], out var dissected) && dissected.Network == FrameLayer.Arp;
        received = dissected.Arp;
        return ok && received.Operation == arp.Operation;
    }

    private void PingV4()
    {
        Span<byte> payload = stackalloc byte[56];
        for (int i = 0; i < payload.Length; i++) payload[i] = (byte)i;
        bool ok = true;
        for (ushort seq = 1; seq <= 3; seq++)
        {
            ok &= SendIcmpv4(_a, _b, Icmpv4Repr.EchoRequest(0x1234, seq, payload.Length), payload, out var request)
                && request.Type == Icmpv4Type.EchoRequest && request.SequenceNumber == seq;
            ok &= SendIcmpv4(_b, _a, Icmpv4Repr.EchoReply(request.Identifier, request.SequenceNumber, payload.Length), payload, out var reply)
                && reply.Type == Icmpv4Type.EchoReply && reply.SequenceNumber == seq;
        }
        Record("ping v4", ok, $"3 echo requests and replies, {payload.Length} data bytes, checksums verified");
    }

    private bool SendIcmpv4(DemoHost from, DemoHost to, Icmpv4Repr icmp, ReadOnlySpan<byte> payload, out Icmpv4Repr received)
    {
        var frame = _frame.AsSpan();
        var ip = from.WriteIpv4(frame, to.Mac, to.Ipv4, IpProtocol.Icmp, icmp.BufferLength);
        icmp.Emit(frame[(EthernetFrame.UntaggedHeaderLength + ip.HeaderLength)..], payload);
        bool ok = Deliver(frame[..(EthernetFrame.UntaggedHeaderLength + ip.TotalLength)], out var dissected) && dissected.Transport == FrameLayer.Icmpv4;
        received = dissected.Icmpv4;
        return ok;
    }

    private void TransferTcp()
    {
        long total = options.TransferBytes;
        var data = new byte[1 << 20];
        new Random(2026).NextBytes(data);
        using var sent = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        using var received = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);

        uint isnA = 0x1000_0000, isnB = 0x7000_0000;
        bool ok = SendTcp(_a, _b, Segment(40000, 5201, isnA, 0, TcpFlags.Syn, handshake: true), default, out var syn)
            && syn.Flags == TcpFlags.Syn && syn.MaxSegmentSize == Mss + 12;
        ok &= SendTcp(_b, _a, Segment(5201, 40000, isnB, isnA + 1, TcpFlags.Syn | TcpFlags.Ack, handshake: true), default, out var synAck)
            && synAck.SackPermitted && synAck.WindowScale == 7;
        ok &= SendTcp(_a, _b, Segment(40000, 5201, isnA + 1, isnB + 1, TcpFlags.Ack), default, out _);

        long frames = 0, offset = 0;
        uint seq = isnA + 1;
        var timer = Stopwatch.StartNew();
        long allocatedBefore = GC.GetAllocatedBytesForCurrentThread();
        int nextProgress = 0;
        while (ok && offset < total)
        {
            int length = (int)Math.Min(Mss, total - offset);
            int at = (int)(offset % data.Length);
            length = Math.Min(length, data.Length - at);
            var chunk = data.AsSpan(at, length);
            sent.AppendData(chunk);
            ok &= SendTcp(_a, _b, Segment(40000, 5201, seq, isnB + 1, TcpFlags.Ack | TcpFlags.Psh, payloadLength: length), chunk, out var segment, out var payload)
                && segment.SequenceNumber.Value == seq;
            received.AppendData(payload);
            seq += (uint)length;
            offset += length;
            frames++;
            if (frames % 2 == 0) // a delayed ACK for every second segment, as Linux sends them
            {
                ok &= SendTcp(_b, _a, Segment(5201, 40000, isnB + 1, seq, TcpFlags.Ack), default, out var ack) && ack.AcknowledgmentNumber.Value == seq;
                frames++;
            }
            int percent = (int)(offset * 100 / total);
            if (percent >= nextProgress && options.ShowProgress)
            {
                output.Write($"\r  TCP transfer {percent,3}% ");
                nextProgress = percent + 5;
            }
        }
        long allocated = GC.GetAllocatedBytesForCurrentThread() - allocatedBefore;
        timer.Stop();
        if (options.ShowProgress) output.Write("\r                          \r");

        ok &= SendTcp(_a, _b, Segment(40000, 5201, seq, isnB + 1, TcpFlags.Fin | TcpFlags.Ack), default, out var fin) && fin.SequenceLength == 1;
        ok &= SendTcp(_b, _a, Segment(5201, 40000, isnB + 1, seq + 1, TcpFlags.Fin | TcpFlags.Ack), default, out _);
        ok &= SendTcp(_a, _b, Segment(40000, 5201, seq + 1, isnB + 2, TcpFlags.Ack), default, out _);

        bool hashesMatch = sent.GetHashAndReset().AsSpan().SequenceEqual(received.GetHashAndReset());
        double seconds = timer.Elapsed.TotalSeconds;
        _tcpFigures = new TcpFigures(total, frames, seconds, allocated);
        Record("TCP transfer", ok && hashesMatch,
            $"{total / (1 << 20)} MiB in {frames} frames, SHA-256 {(hashesMatch ? "matches" : "DIFFERS")}, {total * 8 / seconds / 1e9:F2} Gbit/s through emit+parse+verify+hash, {(double)allocated / frames:F1} B allocated per frame");
    }

    private TcpFigures _tcpFigures;

    private static TcpRepr Segment(ushort source, ushort destination, uint seq, uint ack, TcpFlags flags, bool handshake = false, int payloadLength = 0)
    {
        var repr = new TcpRepr
        {
            SourcePort = source,
            DestinationPort = destination,
            SequenceNumber = new TcpSeqNumber(seq),
            AcknowledgmentNumber = new TcpSeqNumber(ack),
            Flags = flags,
            WindowSize = handshake ? (ushort)64240 : (ushort)501,
            Timestamps = new TcpTimestamps(seq ^ 0x5A5A, ack ^ 0xA5A5),
            PayloadLength = payloadLength,
        };
        if (handshake)
        {
            repr.MaxSegmentSize = Mss + 12;
            repr.SackPermitted = true;
            repr.WindowScale = 7;
        }
        return repr;
    }

    private bool SendTcp(DemoHost from, DemoHost to, TcpRepr tcp, ReadOnlySpan<byte> payload, out TcpRepr received) =>
        SendTcp(from, to, tcp, payload, out received, out _);

    private bool SendTcp(DemoHost from, DemoHost to, TcpRepr tcp, ReadOnlySpan<byte> payload, out TcpRepr received, out ReadOnlySpan<byte> receivedPayload)
    {
        var frame = _frame.AsSpan();
        var ip = from.WriteIpv4(frame, to.Mac, to.Ipv4, IpProtocol.Tcp, tcp.TotalLength);
        int tcpAt = EthernetFrame.UntaggedHeaderLength + ip.HeaderLength;
        tcp.Emit(frame[tcpAt..], payload, ip.PseudoHeaderSum());
        var bytes = frame[..(tcpAt + tcp.TotalLength)];
        bool ok = Deliver(bytes, out var dissected) && dissected.Transport == FrameLayer.Tcp;
        received = dissected.Tcp;
        receivedPayload = bytes[(tcpAt + received.HeaderLength)..];
        return ok && receivedPayload.Length == tcp.PayloadLength;
    }

    private void MulticastV4()
    {
        var group = Ipv4Address.Parse("239.1.2.3");
        var frame = _frame.AsSpan();
        // B joins: an IGMPv3 report with one CHANGE_TO_EXCLUDE record and no sources, as Linux sends it.
        Span<byte> report = stackalloc byte[16];
        var writer = new MulticastReportWriter<Ipv4Address>(report);
        writer.Add(new MulticastRecordRepr<Ipv4Address>(MulticastRecordType.ChangeToExcludeMode, group), []);
        int reportLength = writer.Finish();
        var allReports = Ipv4Address.Parse("224.0.0.22");
        var ip = _b.WriteIpv4(frame, MacAddress.FromIpv4Multicast(allReports), allReports, IpProtocol.Igmp, reportLength);
        report[..reportLength].CopyTo(frame[(EthernetFrame.UntaggedHeaderLength + ip.HeaderLength)..]);
        bool ok = Deliver(frame[..(EthernetFrame.UntaggedHeaderLength + ip.TotalLength)], out var join)
            && join.Transport == FrameLayer.Igmp && join.Igmp.GroupRecordCount == 1;

        // A sends a datagram to the group.
        ReadOnlySpan<byte> message = "hello, group"u8;
        var udp = new UdpRepr(5000, 5001, message.Length);
        ip = _a.WriteIpv4(frame, MacAddress.FromIpv4Multicast(group), group, IpProtocol.Udp, udp.BufferLength, identification: 1);
        udp.Emit(frame[(EthernetFrame.UntaggedHeaderLength + ip.HeaderLength)..], message, ip.PseudoHeaderSum());
        ok &= Deliver(frame[..(EthernetFrame.UntaggedHeaderLength + ip.TotalLength)], out var datagram)
            && datagram.Transport == FrameLayer.Udp && datagram.Ipv4.Destination == group && datagram.Ethernet.Destination.IsMulticast;
        Record("UDP multicast v4", ok, $"IGMPv3 join of {group}, then a {message.Length}-byte datagram to it");
    }

    private void ResolveNdp()
    {
        var frame = _frame.AsSpan();
        const int ipAt = EthernetFrame.UntaggedHeaderLength;
        const int icmpAt = ipAt + 40;
        // A asks for B's address at B's solicited-node group, hop limit 255 as RFC 4861 requires.
        var group = _b.Ipv6.SolicitedNodeMulticast;
        var solicit = NdpRepr.NeighborSolicitation(_b.Ipv6, _a.Mac);
        var ip = _a.WriteIpv6(frame, MacAddress.FromIpv6Multicast(group), _a.Ipv6, group, IpProtocol.Icmpv6, solicit.BufferLength, hopLimit: 255);
        solicit.Emit(frame[icmpAt..], ip.PseudoHeaderSum());
        bool ok = Deliver(frame[..(icmpAt + solicit.BufferLength)], out var heard)
            && heard.Ndp.Type == Icmpv6Type.NeighborSolicitation && heard.Ndp.SourceLinkLayerAddress == _a.Mac;

        var advert = NdpRepr.NeighborAdvertisement(_b.Ipv6, isRouter: false, solicited: true, @override: true, _b.Mac);
        ip = _b.WriteIpv6(frame, _a.Mac, _b.Ipv6, _a.Ipv6, IpProtocol.Icmpv6, advert.BufferLength, hopLimit: 255);
        advert.Emit(frame[icmpAt..], ip.PseudoHeaderSum());
        ok &= Deliver(frame[..(icmpAt + advert.BufferLength)], out var answer)
            && answer.Ndp.Solicited && answer.Ndp.TargetLinkLayerAddress == _b.Mac;
        Record("NDP resolution", ok, $"{_b.Ipv6} is-at {answer.Ndp.TargetLinkLayerAddress}");
    }

    private void PingV6()
    {
        Span<byte> payload = stackalloc byte[56];
        for (int i = 0; i < payload.Length; i++) payload[i] = (byte)(0xA0 + i);
        bool ok = true;
        for (ushort seq = 1; seq <= 3; seq++)
        {
            ok &= SendIcmpv6(_a, _b, Icmpv6Repr.EchoRequest(0x4321, seq, payload.Length), payload, out var request)
                && request.Type == Icmpv6Type.EchoRequest && request.SequenceNumber == seq;
            ok &= SendIcmpv6(_b, _a, Icmpv6Repr.EchoReply(request.Identifier, request.SequenceNumber, payload.Length), payload, out var reply)
                && reply.Type == Icmpv6Type.EchoReply && reply.SequenceNumber == seq;
        }
        Record("ping v6", ok, $"3 echo requests and replies, {payload.Length} data bytes, checksums verified");
    }

    private bool SendIcmpv6(DemoHost from, DemoHost to, Icmpv6Repr icmp, ReadOnlySpan<byte> payload, out Icmpv6Repr received)
    {
        var frame = _frame.AsSpan();
        const int icmpAt = EthernetFrame.UntaggedHeaderLength + 40;
        var ip = from.WriteIpv6(frame, to.Mac, from.Ipv6, to.Ipv6, IpProtocol.Icmpv6, icmp.BufferLength);
        icmp.Emit(frame[icmpAt..], payload, ip.PseudoHeaderSum());
        bool ok = Deliver(frame[..(icmpAt + icmp.BufferLength)], out var dissected) && dissected.Transport == FrameLayer.Icmpv6;
        received = dissected.Icmpv6;
        return ok;
    }

    private void MulticastV6()
    {
        var group = Ipv6Address.Parse("ff15::1:2:3");
        var frame = _frame.AsSpan();
        const int ipAt = EthernetFrame.UntaggedHeaderLength;
        // B joins with an MLDv2 report behind a hop-by-hop router alert, laid out as Linux sends it.
        var hopByHop = Ipv6OptionsHeaderRepr.ForMld();
        int mldAt = ipAt + 40 + hopByHop.HeaderLength;
        var writer = new MulticastReportWriter<Ipv6Address>(frame[mldAt..(mldAt + 28)]);
        writer.Add(new MulticastRecordRepr<Ipv6Address>(MulticastRecordType.ChangeToExcludeMode, group), []);
        int reportLength = writer.Length;
        var ip = _b.WriteIpv6(frame, MacAddress.FromIpv6Multicast(Ipv6Address.AllMldv2Routers), Ipv6Address.LinkLocalFromMac(_b.Mac),
            Ipv6Address.AllMldv2Routers, IpProtocol.HopByHop, hopByHop.HeaderLength + reportLength, hopLimit: 1);
        hopByHop.Emit(frame[(ipAt + 40)..]);
        writer.Finish(ip.PseudoHeaderSum(IpProtocol.Icmpv6, reportLength));
        bool ok = Deliver(frame[..(mldAt + reportLength)], out var join)
            && join.Transport == FrameLayer.Icmpv6 && join.Icmpv6.Type == Icmpv6Type.MulticastListenerReportV2;

        ReadOnlySpan<byte> message = "hello, v6 group"u8;
        var udp = new UdpRepr(5000, 5001, message.Length);
        ip = _a.WriteIpv6(frame, MacAddress.FromIpv6Multicast(group), _a.Ipv6, group, IpProtocol.Udp, udp.BufferLength);
        udp.Emit(frame[(ipAt + 40)..], message, ip.PseudoHeaderSum());
        ok &= Deliver(frame[..(ipAt + 40 + udp.BufferLength)], out var datagram)
            && datagram.Transport == FrameLayer.Udp && datagram.Ipv6.Destination == group;
        Record("UDP multicast v6", ok, $"MLDv2 join of {group}, then a {message.Length}-byte datagram to it");
    }

    // --- plumbing ----------------------------------------------------------------------------

    private bool Deliver(ReadOnlySpan<byte> frame, out DissectedFrame dissected)
    {
        var error = _link.Carry(frame, out dissected);
        // Verbose shows control frames; the transfer's data segments and pure ACKs would drown them.
        bool bulk = dissected.Transport == FrameLayer.Tcp && (dissected.Tcp.Flags & (TcpFlags.Syn | TcpFlags.Fin | TcpFlags.Rst)) == 0;
        if (error != WireError.None || (options.Verbose && !bulk))
            output.WriteLine("  " + dissected.Describe());
        return error == WireError.None;
    }

    private void Record(string name, bool ok, string detail)
    {
        _steps.Add(new DemoStep(name, ok, detail));
        output.WriteLine($"{(ok ? "ok  " : "FAIL")} {name,-18} {detail}");
    }

    private int Summarize()
    {
        int failed = 0;
        foreach (var step in _steps) if (!step.Ok) failed++;
        output.WriteLine();
        output.WriteLine($"{"steps",-22}{_steps.Count - failed} of {_steps.Count} verified");
        output.WriteLine($"{"frames on the link",-22}{_link.Frames} ({_link.Bytes / 1024.0 / 1024.0:F1} MiB), 0 malformed, 0 bad checksums");
        output.WriteLine($"{"TCP throughput",-22}{_tcpFigures.Bytes * 8 / _tcpFigures.Seconds / 1e9:F2} Gbit/s, {_tcpFigures.Frames / _tcpFigures.Seconds / 1e6:F2} M frames/s (one core, SHA-256 included)");
        output.WriteLine($"{"allocations",-22}{(double)_tcpFigures.Allocated / Math.Max(1, _tcpFigures.Frames):F1} bytes per frame in the transfer");
        if (options.PcapPath is not null) output.WriteLine($"{"capture",-22}{options.PcapPath} (open it in Wireshark)");
        output.WriteLine(failed == 0 ? "demo: every step verified" : $"demo: {failed} step(s) FAILED");
        return failed == 0 ? 0 : 1;
    }

    private readonly record struct DemoStep(string Name, bool Ok, string Detail);

    private readonly record struct TcpFigures(long Bytes, long Frames, double Seconds, long Allocated);
}
