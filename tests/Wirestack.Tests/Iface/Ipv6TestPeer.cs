using Wirestack.Iface;
using Wirestack.Nic;
using Wirestack.Wire;
using static Wirestack.Tests.Iface.InterfaceTestBed;

namespace Wirestack.Tests.Iface;

/// <summary>
/// IPv6 plumbing for the Interface tests: dual-stack options for A and B, and a hand-driven peer (MAC A, fd00::a and
/// its link-local address) that crafts IPv6 frames, reads what B sent, and answers B's neighbour solicitations.
/// </summary>
internal static class Ipv6TestPeer
{
    public static readonly Ipv6Address GlobalA = Ipv6Address.Parse("fd00::a");
    public static readonly Ipv6Address GlobalB = Ipv6Address.Parse("fd00::b");
    public static readonly Ipv6Address LinkLocalA = Ipv6Address.LinkLocalFromMac(MacA);
    public static readonly Ipv6Address LinkLocalB = Ipv6Address.LinkLocalFromMac(MacB);

    public static InterfaceOptions Ipv6OptionsFor(MacAddress mac, Ipv4Address v4, Ipv6Address v6) =>
        OptionsFor(mac, v4) with { EnableIpv6 = true, Ipv6Addresses = [new Ipv6InterfaceAddress(v6, 64)], RandomSeed = 7 };

    /// <summary>A and B, dual stack, joined by a pipe.</summary>
    public static (Interface A, Interface B) Ipv6Pair(Func<InterfaceOptions, InterfaceOptions>? adjust = null)
    {
        var (first, second) = PipeDevice.CreatePair();
        var optionsA = Ipv6OptionsFor(MacA, AddressA, GlobalA);
        var optionsB = Ipv6OptionsFor(MacB, AddressB, GlobalB);
        if (adjust is not null)
        {
            optionsA = adjust(optionsA);
            optionsB = adjust(optionsB);
        }
        return (new Interface(first, optionsA), new Interface(second, optionsB));
    }

    /// <summary>B (dual stack) and the other end of its cable, driven by hand as host A.</summary>
    public static (PipeDevice Raw, Interface B) RawAndIpv6B(Func<InterfaceOptions, InterfaceOptions>? adjust = null)
    {
        var (raw, second) = PipeDevice.CreatePair();
        var options = Ipv6OptionsFor(MacB, AddressB, GlobalB);
        return (raw, new Interface(second, adjust is null ? options : adjust(options)));
    }

    /// <summary>Everything B has put on the wire since the last call, copied.</summary>
    public static List<byte[]> Take(PipeDevice raw)
    {
        var frames = new List<byte[]>();
        int count;
        while ((count = raw.Receive()) > 0)
        {
            for (int i = 0; i < count; i++) frames.Add(raw.GetReceived(i).ToArray());
            raw.ReleaseReceived(count);
        }
        return frames;
    }

    /// <summary>A frame's IPv6 packet, or false when it is not IPv6.</summary>
    public static bool TryIpv6(byte[] frame, out Ipv6Packet packet)
    {
        packet = default;
        return EthernetFrame.TryParse(frame, out var ethernet) == WireError.None && ethernet.EtherType == EtherType.Ipv6
            && Ipv6Packet.TryParse(frame.AsSpan(14), out packet) == WireError.None;
    }

    /// <summary>The ICMPv6 messages among <paramref name="frames"/> of <paramref name="type"/>, as whole frames.</summary>
    public static List<byte[]> OfType(List<byte[]> frames, Icmpv6Type type)
    {
        var found = new List<byte[]>();
        foreach (var frame in frames)
        {
            if (!TryIpv6(frame, out var ip)) continue;
            if (Ipv6ExtensionHeaderReader.FindUpperLayer(ip.Payload, ip.NextHeader, out var upper, out int offset) != WireError.None) continue;
            if (upper == IpProtocol.Icmpv6 && ip.Payload.Length > offset && (Icmpv6Type)ip.Payload[offset] == type) found.Add(frame);
        }
        return found;
    }

    /// <summary>The ICMPv6 message of a frame (after any extension headers).</summary>
    public static Icmpv6Packet Icmpv6Of(byte[] frame, out Ipv6Packet ip)
    {
        Assert.True(TryIpv6(frame, out ip));
        Assert.Equal(WireError.None, Ipv6ExtensionHeaderReader.FindUpperLayer(ip.Payload, ip.NextHeader, out var upper, out int offset));
        Assert.Equal(IpProtocol.Icmpv6, upper);
        Assert.Equal(WireError.None, Icmpv6Packet.TryParse(ip.Payload[offset..], out var icmp));
        Assert.True(icmp.VerifyChecksum(InternetChecksum.PseudoHeaderSum(ip.Source, ip.Destination, IpProtocol.Icmpv6, icmp.Buffer.Length)), "ICMPv6 checksum");
        return icmp;
    }

    /// <summary>Sends an IPv6 packet from the peer to <paramref name="destinationMac"/>.</summary>
    public static void SendIpv6(PipeDevice raw, MacAddress destinationMac, Ipv6Address source, Ipv6Address destination, IpProtocol nextHeader, byte hopLimit, ReadOnlySpan<byte> payload)
    {
        byte[] frame = new byte[14 + 40 + payload.Length];
        new EthernetRepr { Destination = destinationMac, Source = MacA, EtherType = EtherType.Ipv6 }.Emit(frame);
        new Ipv6Repr(source, destination, nextHeader, payload.Length, hopLimit).Emit(frame.AsSpan(14));
        payload.CopyTo(frame.AsSpan(54));
        Send(raw, frame);
    }

    /// <summary>Sends an NDP message from the peer, checksum and all.</summary>
    public static void SendNdp(PipeDevice raw, MacAddress destinationMac, Ipv6Address source, Ipv6Address destination, in NdpRepr ndp, byte hopLimit = 255)
    {
        byte[] message = new byte[ndp.BufferLength];
        ndp.Emit(message, InternetChecksum.PseudoHeaderSum(source, destination, IpProtocol.Icmpv6, message.Length));
        SendIpv6(raw, destinationMac, source, destination, IpProtocol.Icmpv6, hopLimit, message);
    }

    /// <summary>Sends an ICMPv6 echo, packet too big or other RFC 4443 message from the peer.</summary>
    public static void SendIcmpv6(PipeDevice raw, Ipv6Address source, Ipv6Address destination, Icmpv6Repr icmp, ReadOnlySpan<byte> payload)
    {
        byte[] message = new byte[icmp.BufferLength];
        icmp.Emit(message, payload, InternetChecksum.PseudoHeaderSum(source, destination, IpProtocol.Icmpv6, message.Length));
        SendIpv6(raw, MacB, source, destination, IpProtocol.Icmpv6, 64, message);
    }

    /// <summary>Answers every neighbour solicitation among <paramref name="frames"/> as their target, with MAC A.</summary>
    public static int AnswerSolicitations(PipeDevice raw, List<byte[]> frames)
    {
        int answered = 0;
        foreach (var frame in OfType(frames, Icmpv6Type.NeighborSolicitation))
        {
            var icmp = Icmpv6Of(frame, out var ip);
            Assert.Equal(WireError.None, NdpRepr.Parse(icmp, 0, out var ns, verifyChecksum: false));
            SendNdp(raw, MacB, ns.TargetAddress, ip.Source, NdpRepr.NeighborAdvertisement(ns.TargetAddress, false, true, true, MacA));
            answered++;
        }
        return answered;
    }
}
