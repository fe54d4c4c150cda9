using Wirestack.Iface;
using Wirestack.Nic;
using Wirestack.Wire;
using static Wirestack.Tests.Iface.InterfaceTestBed;

namespace Wirestack.Tests.Iface;

/// <summary>
/// IPv4 multicast plumbing for the Interface tests: crafting IGMP queries and UDP datagrams from the hand-driven end
/// of B's cable (as host A, 10.0.0.1), and reading the IGMP messages B sent.
/// </summary>
internal static class Ipv4MulticastTestPeer
{
    public static readonly Ipv4Address Group = new(239, 1, 2, 3);
    public static readonly Ipv4Address OtherGroup = new(239, 1, 2, 4);
    public static readonly Ipv4Address AllSystems = new(224, 0, 0, 1);
    public static readonly Ipv4Address AllRouters = new(224, 0, 0, 2);
    public static readonly Ipv4Address AllIgmpv3Routers = new(224, 0, 0, 22);

    /// <summary>One IGMP message B sent, with what its IPv4 header and Ethernet frame said.</summary>
    public sealed record IgmpSent(IgmpType Type, Ipv4Address Destination, MacAddress DestinationMac, byte TimeToLive, bool RouterAlert, Ipv4Address Group, List<(MulticastRecordType Type, Ipv4Address Group)> Records);

    /// <summary>Sends an IPv4 packet from A (with a router alert when asked) to <paramref name="destination"/> at its multicast MAC or B's.</summary>
    public static void SendIpv4(PipeDevice raw, Ipv4Address destination, IpProtocol protocol, ReadOnlySpan<byte> payload, byte timeToLive = 1, bool routerAlert = false)
    {
        var mac = destination.IsMulticast ? MacAddress.FromIpv4Multicast(destination) : destination.IsBroadcast || destination == new Ipv4Address(10, 0, 0, 255) ? MacAddress.Broadcast : MacB;
        var ip = new Ipv4Repr(AddressA, destination, protocol, payload.Length, timeToLive);
        if (routerAlert) ip.Options = Ipv4Options.FromBytes([0x94, 0x04, 0x00, 0x00]);
        byte[] frame = new byte[Math.Max(60, 14 + ip.TotalLength)];
        new EthernetRepr { Destination = mac, Source = MacA, EtherType = EtherType.Ipv4 }.Emit(frame);
        ip.Emit(frame.AsSpan(14));
        payload.CopyTo(frame.AsSpan(14 + ip.HeaderLength));
        Send(raw, frame);
    }

    /// <summary>An IGMP query: version 3 (12 bytes), 2 (8 bytes, nonzero code) or 1 (8 bytes, code 0).</summary>
    public static byte[] Query(int version, Ipv4Address group, byte maxResponseCode)
    {
        var query = new IgmpRepr { Type = IgmpType.MembershipQuery, QueryVersion = version, Group = group, MaxResponseCode = version == 1 ? (byte)0 : maxResponseCode, Robustness = 2, QueryIntervalCode = 125 };
        byte[] message = new byte[query.BufferLength];
        query.Emit(message);
        return message;
    }

    public static void SendQuery(PipeDevice raw, int version, Ipv4Address group, byte maxResponseCode, Ipv4Address? destination = null) =>
        SendIpv4(raw, destination ?? (group.IsUnspecified ? AllSystems : group), IpProtocol.Igmp, Query(version, group, maxResponseCode), routerAlert: true);

    /// <summary>The IGMP messages among <paramref name="frames"/>, each checked (IP and IGMP checksums, records).</summary>
    public static List<IgmpSent> Igmp(List<byte[]> frames)
    {
        var found = new List<IgmpSent>();
        foreach (var frame in frames)
        {
            if (EthernetFrame.TryParse(frame, out var ethernet) != WireError.None || ethernet.EtherType != EtherType.Ipv4) continue;
            Assert.Equal(WireError.None, Ipv4Packet.TryParse(ethernet.Payload, out var ip));
            if (ip.Protocol != IpProtocol.Igmp) continue;
            Assert.True(ip.VerifyChecksum());
            Assert.Equal(WireError.None, IgmpPacket.TryParse(ip.Payload, out var igmp));
            Assert.Equal(WireError.None, IgmpRepr.Parse(igmp, out var repr));
            var records = new List<(MulticastRecordType, Ipv4Address)>();
            foreach (var record in igmp.GroupRecords)
            {
                Assert.Equal(0, record.SourceCount);
                records.Add((record.RecordType, record.MulticastAddress));
            }
            Assert.Equal(repr.GroupRecordCount, records.Count);
            bool routerAlert = ip.Options.Length >= 4 && ip.Options[0] == 0x94 && ip.Options[1] == 4;
            found.Add(new IgmpSent(repr.Type, ip.Destination, ethernet.Destination, ip.TimeToLive, routerAlert, repr.Group, records));
        }
        return found;
    }

    /// <summary>Polls B every <paramref name="stepMs"/> from <paramref name="start"/> for <paramref name="durationMs"/>, collecting what it sent.</summary>
    public static List<byte[]> Run(PipeDevice raw, Interface b, Instant start, int durationMs, int stepMs = 50)
    {
        var frames = new List<byte[]>();
        for (int ms = 0; ms <= durationMs; ms += stepMs)
        {
            b.Poll(start + TimeSpan.FromMilliseconds(ms));
            frames.AddRange(Ipv6TestPeer.Take(raw));
        }
        return frames;
    }

    /// <summary>When each frame B sent arrived, by polling every <paramref name="stepMs"/>: (time offset, frame).</summary>
    public static List<(int Ms, byte[] Frame)> RunTimed(PipeDevice raw, Interface b, Instant start, int durationMs, int stepMs = 10)
    {
        var frames = new List<(int, byte[])>();
        for (int ms = 0; ms <= durationMs; ms += stepMs)
        {
            b.Poll(start + TimeSpan.FromMilliseconds(ms));
            foreach (var frame in Ipv6TestPeer.Take(raw)) frames.Add((ms, frame));
        }
        return frames;
    }
}
