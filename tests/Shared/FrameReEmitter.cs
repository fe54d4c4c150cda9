using System.Buffers.Binary;
using Wirestack.Diagnostics;
using Wirestack.Wire;

namespace Wirestack.Testing;

/// <summary>
/// Parses a frame with <see cref="FrameDissector"/> and writes it again from the reprs alone:
/// every header and every checksum is re-emitted; only application payload, link padding and
/// bytes no repr owns (a later fragment, a routing header) are copied. The test oracle for
/// "parse then emit reproduces a Linux frame byte for byte".
/// </summary>
internal static class FrameReEmitter
{
    public static int ReEmit(ReadOnlySpan<byte> frame, Span<byte> output)
    {
        var error = FrameDissector.Dissect(frame, out var dissected);
        if (error != WireError.None)
            throw new InvalidDataException($"the frame does not parse: {dissected.ErrorLayer} {error}");
        output[..frame.Length].Clear();
        dissected.Ethernet.Emit(output);
        int at = dissected.NetworkOffset;
        switch (dissected.Network)
        {
            case FrameLayer.Arp:
                dissected.Arp.Emit(output[at..]);
                break;
            case FrameLayer.Ipv4:
                dissected.Ipv4.Emit(output[at..]);
                EmitTransport(frame, output, dissected, dissected.Ipv4.PseudoHeaderSum());
                break;
            case FrameLayer.Ipv6:
                dissected.Ipv6.Emit(output[at..]);
                EmitExtensionHeaders(frame, output, dissected);
                int upperLength = dissected.NetworkEnd - dissected.TransportOffset;
                EmitTransport(frame, output, dissected, dissected.Ipv6.PseudoHeaderSum(dissected.Protocol, upperLength));
                break;
            default:
                frame[at..dissected.NetworkEnd].CopyTo(output[at..]);
                break;
        }
        frame[dissected.NetworkEnd..].CopyTo(output[dissected.NetworkEnd..]); // link padding: not a repr's
        return frame.Length;
    }

    private static void EmitExtensionHeaders(ReadOnlySpan<byte> frame, Span<byte> output, DissectedFrame dissected)
    {
        int payloadAt = dissected.NetworkOffset + Ipv6Packet.HeaderLength;
        Ipv6Packet.TryParse(frame[dissected.NetworkOffset..], out var packet);
        var headers = packet.ExtensionHeaders;
        while (headers.MoveNext())
        {
            var header = headers.Current;
            var target = output[(payloadAt + header.Offset)..];
            switch (header.Type)
            {
                case IpProtocol.HopByHop or IpProtocol.Ipv6DestinationOptions:
                    Ipv6OptionsHeader.TryParse(header.Bytes, out var options);
                    Ipv6OptionsHeaderRepr.Parse(options, out var optionsRepr);
                    optionsRepr.Emit(target);
                    break;
                case IpProtocol.Ipv6Fragment:
                    Ipv6FragmentHeader.TryParse(header.Bytes, out var fragment);
                    Ipv6FragmentRepr.Parse(fragment, out var fragmentRepr);
                    fragmentRepr.Emit(target);
                    break;
                default:
                    header.Bytes.CopyTo(target);
                    break;
            }
        }
    }

    private static void EmitTransport(ReadOnlySpan<byte> frame, Span<byte> output, DissectedFrame d, uint pseudoHeaderSum)
    {
        var source = frame[d.TransportOffset..d.NetworkEnd];
        var target = output[d.TransportOffset..d.NetworkEnd];
        int checksumAt;
        switch (d.Transport)
        {
            case FrameLayer.Tcp:
                d.Tcp.EmitHeader(target);
                source[d.Tcp.HeaderLength..].CopyTo(target[d.Tcp.HeaderLength..]);
                checksumAt = 16;
                if (!d.IsFragment) TcpRepr.FillChecksum(target, pseudoHeaderSum);
                break;
            case FrameLayer.Udp:
                d.Udp.EmitHeader(target);
                source[UdpPacket.HeaderLength..].CopyTo(target[UdpPacket.HeaderLength..]);
                checksumAt = 6;
                bool noChecksum = BinaryPrimitives.ReadUInt16BigEndian(source[6..]) == 0;
                if (!d.IsFragment && !noChecksum) UdpRepr.FillChecksum(target, pseudoHeaderSum);
                break;
            case FrameLayer.Icmpv4:
                d.Icmpv4.EmitHeader(target);
                source[Icmpv4Packet.HeaderLength..].CopyTo(target[Icmpv4Packet.HeaderLength..]);
                checksumAt = 2;
                if (!d.IsFragment) Icmpv4Repr.FillChecksum(target);
                break;
            case FrameLayer.Igmp:
                EmitIgmp(source, target, d.Igmp);
                checksumAt = 2;
                break;
            case FrameLayer.Icmpv6:
                EmitIcmpv6(source, target, d, pseudoHeaderSum);
                checksumAt = 2;
                break;
            default: // a later fragment, or a protocol no repr covers
                source.CopyTo(target);
                return;
        }
        // A first fragment's checksum covers the whole datagram, which this frame does not hold.
        if (d.IsFragment) source.Slice(checksumAt, 2).CopyTo(target[checksumAt..]);
    }

    private static void EmitIgmp(ReadOnlySpan<byte> source, Span<byte> target, IgmpRepr igmp)
    {
        IgmpPacket.TryParse(source, out var packet);
        if (igmp.Type == IgmpType.MembershipReportV3)
        {
            var writer = new MulticastReportWriter<Ipv4Address>(target);
            Span<Ipv4Address> sources = stackalloc Ipv4Address[64];
            foreach (var record in packet.GroupRecords)
            {
                MulticastRecordRepr<Ipv4Address>.Parse(record, out var recordRepr);
                var list = sources[..record.Sources.Count];
                record.Sources.CopyTo(list);
                writer.Add(recordRepr, list, record.AuxData);
            }
            writer.Finish();
            return;
        }
        Span<Ipv4Address> querySources = stackalloc Ipv4Address[packet.Sources.Count];
        packet.Sources.CopyTo(querySources);
        igmp.Emit(target, querySources);
    }

    private static void EmitIcmpv6(ReadOnlySpan<byte> source, Span<byte> target, DissectedFrame d, uint pseudoHeaderSum)
    {
        Icmpv6Packet.TryParse(source, out var packet);
        if (Icmpv6Repr.Handles(packet.Type))
        {
            d.Icmpv6.EmitHeader(target);
            source[Icmpv6Packet.HeaderLength..].CopyTo(target[Icmpv6Packet.HeaderLength..]);
            if (!d.IsFragment) Icmpv6Repr.FillChecksum(target, pseudoHeaderSum);
        }
        else if (NdpRepr.Handles(packet.Type))
        {
            d.Ndp.Emit(target, pseudoHeaderSum);
        }
        else if (packet.Type == Icmpv6Type.MulticastListenerReportV2)
        {
            Mldv2Report.Parse(packet, pseudoHeaderSum, out var report);
            var writer = new MulticastReportWriter<Ipv6Address>(target);
            Span<Ipv6Address> sources = stackalloc Ipv6Address[32];
            foreach (var record in report.Records)
            {
                MulticastRecordRepr<Ipv6Address>.Parse(record, out var recordRepr);
                int count = 0;
                foreach (var address in record.Sources) sources[count++] = address;
                writer.Add(recordRepr, sources[..count], record.AuxData);
            }
            writer.Finish(pseudoHeaderSum);
        }
        else if (MldRepr.Handles(packet.Type))
        {
            var list = MldRepr.GetQuerySources(packet);
            Span<Ipv6Address> sources = stackalloc Ipv6Address[32];
            int count = 0;
            foreach (var address in list) sources[count++] = address;
            d.Mld.Emit(target, pseudoHeaderSum, sources[..count]);
        }
        else
        {
            source.CopyTo(target);
        }
    }

    /// <summary>Re-emits <paramref name="frame"/> and compares; returns null when equal, else what differs.</summary>
    public static string? CheckRoundTrip(byte[] frame, byte[] output)
    {
        int length;
        try
        {
            length = ReEmit(frame, output);
        }
        catch (InvalidDataException e)
        {
            return e.Message;
        }
        var emitted = output.AsSpan(0, length);
        if (emitted.SequenceEqual(frame)) return null;
        int first = emitted.CommonPrefixLength(frame);
        // Ones'-complement zero has two encodings: Linux sometimes sends 0xffff where a fresh
        // computation gives 0x0000. Both verify, so both are the same checksum.
        if ((first & 1) == 0 && first + 2 <= frame.Length && emitted[(first + 2)..].SequenceEqual(frame.AsSpan(first + 2)))
        {
            ushort sent = BinaryPrimitives.ReadUInt16BigEndian(frame.AsSpan(first));
            ushort ours = BinaryPrimitives.ReadUInt16BigEndian(emitted[first..]);
            if ((sent, ours) is (0xFFFF, 0x0000) or (0x0000, 0xFFFF)) return null;
        }
        FrameDissector.Dissect(frame, out var d);
        return $"byte {first} differs (sent {frame[first]:x2}, re-emitted {emitted[first]:x2}): {d.Describe()}";
    }
}
