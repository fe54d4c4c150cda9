using Wirestack.Iface;
using Wirestack.Testing;
using Wirestack.Wire;
using static Wirestack.Tests.Iface.InterfaceTestBed;
using static Wirestack.Tests.Iface.Ipv4MulticastTestPeer;
using static Wirestack.Tests.Iface.Ipv6TestPeer;

namespace Wirestack.Tests.Iface;

public sealed class UdpMulticastInterfaceTests
{
    private const ushort Port = 7000;
    private static readonly Ipv4Address SubnetBroadcast = new(10, 0, 0, 255);
    private static readonly Ipv6Address Group6 = Ipv6Address.Parse("ff15::1234");

    private static long RealDrops(Interface iface) => iface.Counters.TotalDropped - iface.Counters.Dropped(InterfaceDropReason.NotForUs);

    private static List<(IpAddress Source, string Text)> Drain(Interface iface, UdpHandle handle)
    {
        var received = new List<(IpAddress, string)>();
        byte[] buffer = new byte[2048];
        while (iface.TryReceiveUdp(handle, buffer, out int length, out var source, out _))
            received.Add((source, System.Text.Encoding.ASCII.GetString(buffer, 0, length)));
        return received;
    }

    [Fact]
    public void AGroupDatagramFansOutToEveryReuseAddressBindingThatJoined()
    {
        var (a, b) = Pair();
        var any = new IpEndpoint(IpAddress.AnyIpv4, Port);
        Assert.True(b.TryBindUdp(any, UdpBindFlags.ReuseAddress, out var first));
        Assert.True(b.TryBindUdp(new IpEndpoint(Group, Port), UdpBindFlags.ReuseAddress, out var second));
        Assert.True(b.TryBindUdp(any, UdpBindFlags.ReuseAddress, out var bystander));
        // Without ReuseAddress the port is taken, whatever the other bindings asked for.
        Assert.False(b.TryBindUdp(any, UdpBindFlags.None, out _));
        Assert.False(b.TryBindUdp(Port, out _));
        Assert.True(b.TryJoinUdpMulticastGroup(first, Group, T0));
        Assert.True(b.TryJoinUdpMulticastGroup(second, Group, T0));
        Assert.True(b.IsUdpMulticastGroupJoined(first, Group));
        Assert.False(b.IsUdpMulticastGroupJoined(bystander, Group));

        Assert.True(a.TryBindUdp(5000, out var sender));
        Assert.True(a.TrySendUdp(sender, Group, Port, "to the group"u8, T0));
        Pump(a, b, T0);
        Assert.Equal([(new IpAddress(AddressA), "to the group")], Drain(b, first));
        Assert.Equal([(new IpAddress(AddressA), "to the group")], Drain(b, second));
        Assert.Empty(Drain(b, bystander));
        Assert.Equal(2, b.Counters.UdpDatagramsReceived);
        // A sent it without resolving anything.
        Assert.Equal(0, a.Counters.ArpRequestsSent);

        // Unicast to the port goes to one binding only: the newest wildcard (the group binding does not match it).
        Assert.True(a.TrySendUdp(sender, AddressB, Port, "unicast"u8, T0));
        Pump(a, b, T0);
        Assert.Single(Drain(b, bystander));
        Assert.Empty(Drain(b, first));
        Assert.Empty(Drain(b, second));
        Assert.Equal(0, RealDrops(a));
        Assert.Equal(0, RealDrops(b));
    }

    [Fact]
    public void AGroupNoBindingJoinedIsDroppedAsNotJoined()
    {
        var (raw, b) = RawAndB();
        Assert.True(b.TryBindUdp(Port, out var handle));
        // The interface listens to the group, but the binding did not join it.
        Assert.True(b.TryJoinMulticastGroup(Group, T0));
        SendUdp(raw, Group, Port, "nobody"u8);
        b.Poll(T0);
        Assert.Equal(1, b.Counters.Dropped(InterfaceDropReason.NotJoined));
        Assert.Empty(Drain(b, handle));
        // No port unreachable about a multicast datagram.
        Assert.Equal(0, b.Counters.IcmpErrorsSent);
        // A group nobody joined is not even accepted off the wire.
        SendUdp(raw, OtherGroup, Port, "elsewhere"u8);
        b.Poll(T0);
        Assert.Equal(1, b.Counters.Dropped(InterfaceDropReason.NotForUs));
        Assert.True(b.TryJoinUdpMulticastGroup(handle, Group, T0));
        SendUdp(raw, Group, Port, "joined"u8);
        b.Poll(T0);
        Assert.Equal("joined", Assert.Single(Drain(b, handle)).Text);
    }

    [Fact]
    public void BroadcastNeedsAllowBroadcastToSendAndReachesWildcardBindings()
    {
        var (a, b) = Pair();
        Assert.True(b.TryBindUdp(new IpEndpoint(IpAddress.AnyIpv4, Port), UdpBindFlags.ReuseAddress, out var wildcard));
        Assert.True(b.TryBindUdp(new IpEndpoint(Ipv4Address.Broadcast, Port), UdpBindFlags.ReuseAddress, out var limited));
        Assert.True(b.TryBindUdp(new IpEndpoint(AddressB, Port), UdpBindFlags.ReuseAddress, out var unicastOnly));

        Assert.True(a.TryBindUdp(5000, out var plain));
        Assert.False(a.TrySendUdp(plain, Ipv4Address.Broadcast, Port, "no"u8, T0));
        Assert.False(a.TrySendUdp(plain, SubnetBroadcast, Port, "no"u8, T0));
        Assert.Equal(2, a.Counters.Dropped(InterfaceDropReason.BroadcastNotAllowed));

        Assert.True(a.TryBindUdp(new IpEndpoint(IpAddress.AnyIpv4, 5001), UdpBindFlags.AllowBroadcast, out var allowed));
        Assert.True(a.TrySendUdp(allowed, Ipv4Address.Broadcast, Port, "limited"u8, T0));
        Assert.True(a.TrySendUdp(allowed, SubnetBroadcast, Port, "subnet"u8, T0));
        Pump(a, b, T0);
        Assert.Equal(["limited", "subnet"], Drain(b, wildcard).Select(r => r.Text));
        Assert.Equal(["limited"], Drain(b, limited).Select(r => r.Text));
        Assert.Empty(Drain(b, unicastOnly));
        Assert.Equal(0, a.Counters.ArpRequestsSent);
        Assert.Equal(2, a.Counters.Dropped(InterfaceDropReason.BroadcastNotAllowed));
        Assert.Equal(0, b.Counters.TotalDropped);
    }

    [Fact]
    public void SendsGoToTheMulticastAndBroadcastMacsWithTheBindingsTtl()
    {
        var (raw, b) = RawAndIpv6B(options => options with { AnnounceAddresses = false });
        b.Poll(T0);
        Take(raw);
        Assert.True(b.TryBindUdp(new IpEndpoint(IpAddress.AnyIpv6, 5000), UdpBindFlags.AllowBroadcast, out var handle));
        Assert.True(b.TrySendUdp(handle, Group, Port, "g"u8, T0));
        Assert.True(b.TrySetUdpMulticastTimeToLive(handle, 5));
        Assert.False(b.TrySetUdpMulticastTimeToLive(handle, 0));
        Assert.True(b.TrySendUdp(handle, Group, Port, "g5"u8, T0));
        Assert.True(b.TrySendUdp(handle, Group6, Port, "g6"u8, T0));
        Assert.True(b.TrySendUdp(handle, SubnetBroadcast, Port, "b"u8, T0));
        b.Poll(T0);
        var frames = Take(raw).Where(f => !IsIcmpv6(f)).ToList();
        Assert.Equal(4, frames.Count);
        (MacAddress Mac, int Ttl, IpAddress Source) Describe(byte[] frame)
        {
            Assert.Equal(WireError.None, EthernetFrame.TryParse(frame, out var ethernet));
            if (ethernet.EtherType == EtherType.Ipv6)
            {
                Assert.Equal(WireError.None, Ipv6Packet.TryParse(ethernet.Payload, out var ip6));
                return (ethernet.Destination, ip6.HopLimit, ip6.Source);
            }
            Assert.Equal(WireError.None, Ipv4Packet.TryParse(ethernet.Payload, out var ip));
            return (ethernet.Destination, ip.TimeToLive, ip.Source);
        }
        Assert.Equal((MacAddress.Parse("01:00:5e:01:02:03"), 1, new IpAddress(AddressB)), Describe(frames[0]));
        Assert.Equal((MacAddress.Parse("01:00:5e:01:02:03"), 5, new IpAddress(AddressB)), Describe(frames[1]));
        Assert.Equal((MacAddress.Parse("33:33:00:00:12:34"), 5, new IpAddress(GlobalB)), Describe(frames[2]));
        Assert.Equal((MacAddress.Broadcast, 64, new IpAddress(AddressB)), Describe(frames[3]));
    }

    private static bool IsIcmpv6(byte[] frame) => OfType([frame], Icmpv6Type.MulticastListenerReportV2).Count > 0
        || OfType([frame], Icmpv6Type.NeighborSolicitation).Count > 0 || OfType([frame], Icmpv6Type.NeighborAdvertisement).Count > 0
        || OfType([frame], Icmpv6Type.RouterSolicitation).Count > 0;

    [Fact]
    public void LeavingIsCountedAcrossBindingsAndClosingLeaves()
    {
        var (raw, b) = RawAndB(options => options with { RandomSeed = 5 });
        Assert.True(b.TryBindUdp(new IpEndpoint(IpAddress.AnyIpv4, Port), UdpBindFlags.ReuseAddress, out var first));
        Assert.True(b.TryBindUdp(new IpEndpoint(IpAddress.AnyIpv4, Port), UdpBindFlags.ReuseAddress, out var second));
        Assert.True(b.TryJoinUdpMulticastGroup(first, Group, T0));
        Assert.True(b.TryJoinUdpMulticastGroup(second, Group, T0));
        // Joining twice on one binding changes nothing.
        Assert.True(b.TryJoinUdpMulticastGroup(second, Group, T0));
        Assert.Equal(2, Igmp(Run(raw, b, T0, 3000)).Count); // one join announced (twice), not two

        var later = T0 + TimeSpan.FromSeconds(5);
        Assert.True(b.LeaveUdpMulticastGroup(first, Group, later));
        Assert.False(b.LeaveUdpMulticastGroup(first, Group, later));
        Assert.True(b.IsMulticastGroupJoined(Group));
        Assert.Empty(Igmp(Run(raw, b, later, 3000)));
        SendUdp(raw, Group, Port, "still"u8);
        b.Poll(later + TimeSpan.FromSeconds(3));
        Assert.Empty(Drain(b, first));
        Assert.Single(Drain(b, second));

        // Closing the last member leaves the group: the leave is announced and the group no longer accepted.
        later += TimeSpan.FromSeconds(10);
        b.Poll(later);
        Assert.True(b.CloseUdp(second));
        Assert.False(b.IsMulticastGroupJoined(Group));
        var leaves = Igmp(Run(raw, b, later, 3000));
        Assert.Equal(2, leaves.Count);
        Assert.All(leaves, leave => Assert.Equal([(MulticastRecordType.ChangeToIncludeMode, Group)], leave.Records));
        SendUdp(raw, Group, Port, "gone"u8);
        b.Poll(later + TimeSpan.FromSeconds(4));
        Assert.Equal(1, b.Counters.Dropped(InterfaceDropReason.NotForUs));
        // The first binding still holds the port.
        Assert.False(b.TryBindUdp(new IpEndpoint(IpAddress.AnyIpv4, Port), UdpBindFlags.None, out _));
        Assert.True(b.CloseUdp(first));
        Assert.True(b.TryBindUdp(new IpEndpoint(IpAddress.AnyIpv4, Port), UdpBindFlags.None, out _));
    }

    [Fact]
    public void BindingsOnSpecificAddressesOfBothFamiliesAndTheMostSpecificTakesUnicast()
    {
        var (a, b) = Ipv6Pair(options => options with { AnnounceAddresses = false });
        Pump(a, b, T0);
        Assert.True(b.TryBindUdp(new IpEndpoint(IpAddress.AnyIpv6, Port), UdpBindFlags.ReuseAddress, out var wildcard));
        Assert.True(b.TryBindUdp(new IpEndpoint(AddressB, Port), UdpBindFlags.ReuseAddress, out var v4));
        // The wildcard covers fd00::b too: sharing needs ReuseAddress on both.
        Assert.False(b.TryBindUdp(new IpEndpoint(GlobalB, Port), UdpBindFlags.None, out _));
        Assert.True(b.TryBindUdp(new IpEndpoint(GlobalB, Port), UdpBindFlags.ReuseAddress, out var v6));
        // Not ours: refused.
        Assert.False(b.TryBindUdp(new IpEndpoint(AddressA, Port), UdpBindFlags.ReuseAddress, out _));
        Assert.False(b.TryBindUdp(new IpEndpoint(GlobalA, Port), UdpBindFlags.ReuseAddress, out _));
        Assert.Equal(new IpEndpoint(GlobalB, Port), b.GetUdpLocalEndpoint(v6));

        Assert.True(a.TryBindUdp(5000, out var sender));
        Assert.True(a.TrySendUdp(sender, AddressB, Port, "v4"u8, T0));
        Assert.True(a.TrySendUdp(sender, GlobalB, Port, "v6"u8, T0));
        Assert.True(a.TrySendUdp(sender, LinkLocalB, Port, "link-local"u8, T0));
        Pump(a, b, T0);
        Assert.Equal(["v4"], Drain(b, v4).Select(r => r.Text));
        Assert.Equal(["v6"], Drain(b, v6).Select(r => r.Text));
        Assert.Equal(["link-local"], Drain(b, wildcard).Select(r => r.Text));

        // A binding sends from its address, and only to its family.
        Assert.True(b.TrySendUdp(v6, GlobalA, 5000, "from v6"u8, T0));
        Assert.False(b.TrySendUdp(v4, GlobalA, 5000, "wrong family"u8, T0));
        Assert.False(b.TryJoinUdpMulticastGroup(v4, Group6, T0));
        Assert.False(b.TryJoinUdpMulticastGroup(v6, Group, T0));
        Assert.False(b.TryJoinUdpMulticastGroup(v4, AddressA, T0));
        Pump(a, b, T0);
        var back = Assert.Single(Drain(a, sender));
        Assert.Equal(new IpAddress(GlobalB), back.Source);
    }

    [Fact]
    public void Ipv6GroupDatagramsFanOutAndAreAnnouncedWithMld()
    {
        var (a, b) = Ipv6Pair(options => options with { AnnounceAddresses = false });
        Pump(a, b, T0);
        long mldBefore = b.Counters.MldReportsSent;
        var any = new IpEndpoint(IpAddress.AnyIpv6, Port);
        Assert.True(b.TryBindUdp(any, UdpBindFlags.ReuseAddress, out var first));
        Assert.True(b.TryBindUdp(new IpEndpoint(Group6, Port), UdpBindFlags.ReuseAddress, out var second));
        Assert.True(b.TryJoinUdpMulticastGroup(first, Group6, T0));
        Assert.True(b.TryJoinUdpMulticastGroup(second, Group6, T0));
        Assert.True(a.TryBindUdp(5000, out var sender));
        Assert.True(a.TrySendUdp(sender, Group6, Port, "six"u8, T0));
        Pump(a, b, T0);
        Assert.Equal([(new IpAddress(GlobalA), "six")], Drain(b, first));
        Assert.Equal([(new IpAddress(GlobalA), "six")], Drain(b, second));
        Assert.True(b.Counters.MldReportsSent > mldBefore);
        Assert.Equal(0, RealDrops(b));
    }

    [Fact]
    public void GroupAndBroadcastDatagramsLoopBackToOurOwnBindings()
    {
        var (a, b) = Ipv6Pair(options => options with { AnnounceAddresses = false });
        Pump(a, b, T0);
        Assert.True(b.TryBindUdp(new IpEndpoint(IpAddress.AnyIpv6, Port), UdpBindFlags.ReuseAddress | UdpBindFlags.AllowBroadcast, out var member));
        Assert.True(b.TryBindUdp(new IpEndpoint(IpAddress.AnyIpv6, Port), UdpBindFlags.ReuseAddress, out var bystander));
        Assert.True(b.TryJoinUdpMulticastGroup(member, Group, T0));
        Assert.True(b.TryJoinUdpMulticastGroup(member, Group6, T0));
        Assert.True(b.TryBindUdp(5000, out var sender));
        Assert.True(b.TrySendUdp(sender, Group, Port, "v4 group"u8, T0));
        Assert.True(b.TrySendUdp(sender, Group6, Port, "v6 group"u8, T0));
        Assert.True(b.TrySendUdp(member, SubnetBroadcast, Port, "broadcast"u8, T0));
        Assert.Equal([(new IpAddress(AddressB), "v4 group"), (new IpAddress(GlobalB), "v6 group"), (new IpAddress(AddressB), "broadcast")], Drain(b, member));
        Assert.Equal([(new IpAddress(AddressB), "broadcast")], Drain(b, bystander));
        Pump(a, b, T0);
        // A joins the group too: it gets what B sends off the wire as well.
        Assert.True(a.TryBindUdp(Port, out var remote));
        Assert.True(a.TryJoinUdpMulticastGroup(remote, Group, T0));
        Assert.True(b.TrySendUdp(sender, Group, Port, "both"u8, T0));
        Pump(a, b, T0);
        Assert.Equal("both", Assert.Single(Drain(a, remote)).Text);
        Assert.Equal("both", Assert.Single(Drain(b, member)).Text);
        Assert.Equal(0, RealDrops(b));
    }

    [Fact]
    public void LargeGroupDatagramsAreFragmentedAndReassembled()
    {
        var (a, b) = Pair();
        Assert.True(b.TryBindUdp(new IpEndpoint(IpAddress.AnyIpv4, Port), UdpBindFlags.ReuseAddress, out var first));
        Assert.True(b.TryBindUdp(new IpEndpoint(IpAddress.AnyIpv4, Port), UdpBindFlags.ReuseAddress, out var second));
        Assert.True(b.TryJoinUdpMulticastGroup(first, Group, T0));
        Assert.True(b.TryJoinUdpMulticastGroup(second, Group, T0));
        Assert.True(a.TryBindUdp(5000, out var sender));
        byte[] big = new byte[4000];
        for (int i = 0; i < big.Length; i++) big[i] = (byte)(i * 13);
        Assert.True(a.TrySendUdp(sender, Group, Port, big, T0));
        Pump(a, b, T0);
        Assert.Equal(3, a.Counters.FragmentsSent);
        Assert.Equal(1, b.Counters.DatagramsReassembled);
        byte[] buffer = new byte[8192];
        foreach (var handle in new[] { first, second })
        {
            Assert.True(b.TryReceiveUdp(handle, buffer, out int length, out _, out _));
            Assert.True(buffer.AsSpan(0, length).SequenceEqual(big));
        }
        Assert.Equal(0, RealDrops(b));
    }

    [Fact]
    public void JoinsAreBoundedPerBindingAndByTheInterface()
    {
        var (_, b) = Pair(options => options with { UdpMulticastGroupsPerBinding = 2, MulticastGroupCapacity = 3 });
        Assert.True(b.TryBindUdp(new IpEndpoint(IpAddress.AnyIpv4, Port), UdpBindFlags.ReuseAddress, out var first));
        Assert.True(b.TryBindUdp(new IpEndpoint(IpAddress.AnyIpv4, Port), UdpBindFlags.ReuseAddress, out var second));
        Assert.True(b.TryJoinUdpMulticastGroup(first, new Ipv4Address(239, 0, 0, 1), T0));
        Assert.True(b.TryJoinUdpMulticastGroup(first, new Ipv4Address(239, 0, 0, 2), T0));
        Assert.False(b.TryJoinUdpMulticastGroup(first, new Ipv4Address(239, 0, 0, 3), T0)); // the binding's table
        Assert.True(b.TryJoinUdpMulticastGroup(second, new Ipv4Address(239, 0, 0, 3), T0));
        Assert.False(b.TryJoinUdpMulticastGroup(second, new Ipv4Address(239, 0, 0, 4), T0)); // the interface's table
        Assert.False(b.IsUdpMulticastGroupJoined(second, new Ipv4Address(239, 0, 0, 4)));
        Assert.True(b.TryJoinUdpMulticastGroup(second, new Ipv4Address(239, 0, 0, 1), T0)); // shared: no new entry
        Assert.False(b.TryJoinUdpMulticastGroup(second, AddressA, T0)); // not multicast
        Assert.Throws<ArgumentOutOfRangeException>(() => (OptionsFor(MacA, AddressA) with { MulticastTimeToLive = 0 }).Validate());
        Assert.Throws<ArgumentOutOfRangeException>(() => (OptionsFor(MacA, AddressA) with { UdpMulticastGroupsPerBinding = -1 }).Validate());
    }

    [Fact]
    public void MulticastDatagramsAllocateNothingSentOrReceived()
    {
        var (a, b) = Pair();
        var any = new IpEndpoint(IpAddress.AnyIpv4, Port);
        Assert.True(b.TryBindUdp(any, UdpBindFlags.ReuseAddress, out var first));
        Assert.True(b.TryBindUdp(any, UdpBindFlags.ReuseAddress, out var second));
        Assert.True(b.TryJoinUdpMulticastGroup(first, Group, T0));
        Assert.True(b.TryJoinUdpMulticastGroup(second, Group, T0));
        Assert.True(a.TryBindUdp(new IpEndpoint(IpAddress.AnyIpv4, 5000), UdpBindFlags.AllowBroadcast, out var sender));
        byte[] buffer = new byte[2048];
        var now = T0;
        long received = 0;
        int round = 0;
        void Exchange()
        {
            now += TimeSpan.FromMicroseconds(10);
            a.TrySendUdp(sender, ++round % 8 == 0 ? Ipv4Address.Broadcast : Group, Port, Data, now);
            a.Poll(now);
            b.Poll(now);
            while (b.TryReceiveUdp(first, buffer, out _, out _, out _)) received++;
            while (b.TryReceiveUdp(second, buffer, out _, out _, out _)) received++;
        }
        long allocated = AllocationMeter.Measure(Exchange, warmup: 1000, iterations: 20_000, windows: 3);
        Assert.Equal(0, allocated);
        Assert.True(received >= 40_000, $"{received} received");
        Assert.Equal(0, RealDrops(a));
        Assert.Equal(0, RealDrops(b));
    }

    private static void SendUdp(Wirestack.Nic.PipeDevice raw, Ipv4Address destination, ushort port, ReadOnlySpan<byte> data)
    {
        var udp = new UdpRepr(4000, port, data.Length);
        byte[] message = new byte[udp.BufferLength];
        udp.Emit(message, data, InternetChecksum.PseudoHeaderSum(AddressA, destination, IpProtocol.Udp, message.Length));
        SendIpv4(raw, destination, IpProtocol.Udp, message);
    }
}
