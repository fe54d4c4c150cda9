using Wirestack.Iface;
using Wirestack.Wire;
using static Wirestack.Tests.Iface.InterfaceTestBed;

namespace Wirestack.Tests.Iface;

public class ArpAnnouncementTests
{
    [Fact]
    public void EachAddressIsAnnouncedTwiceTwoSecondsApart()
    {
        var second = new Ipv4Address(192, 168, 7, 9);
        var (raw, b) = RawAndB(o => o with
        {
            AnnounceAddresses = true,
            Ipv4Addresses = [new Ipv4InterfaceAddress(AddressB, 24), new Ipv4InterfaceAddress(second, 24)],
        });
        var deadline = b.Poll(T0);
        AssertAnnouncements(raw, AddressB, second);
        Assert.Equal(T0 + TimeSpan.FromSeconds(2), deadline);

        b.Poll(T0 + TimeSpan.FromSeconds(1));
        Assert.Equal(0, raw.Receive());
        deadline = b.Poll(T0 + TimeSpan.FromSeconds(2));
        AssertAnnouncements(raw, AddressB, second);
        Assert.Equal(Instant.MaxValue, deadline);

        b.Poll(T0 + TimeSpan.FromSeconds(10));
        Assert.Equal(0, raw.Receive());
        Assert.Equal(4, b.Counters.ArpAnnouncementsSent);
        Assert.Equal(0, b.Counters.ArpRequestsSent);
    }

    [Fact]
    public void AnnouncementsCanBeTurnedOff()
    {
        var (raw, b) = RawAndB();
        Assert.Equal(Instant.MaxValue, b.Poll(T0));
        Assert.Equal(0, raw.Receive());
    }

    private static void AssertAnnouncements(Wirestack.Nic.PipeDevice raw, params Ipv4Address[] addresses)
    {
        int count = raw.Receive();
        Assert.Equal(addresses.Length, count);
        for (int i = 0; i < count; i++)
        {
            Assert.Equal(WireError.None, EthernetFrame.TryParse(raw.GetReceived(i), out var ethernet));
            Assert.Equal(MacAddress.Broadcast, ethernet.Destination);
            Assert.Equal(EtherType.Arp, ethernet.EtherType);
            Assert.Equal(WireError.None, ArpPacket.TryParse(ethernet.Payload, out var packet));
            Assert.Equal(WireError.None, ArpRepr.Parse(packet, out var arp));
            // RFC 5227 announcement: a request whose sender and target are both the announced address.
            Assert.Equal(ArpOperation.Request, arp.Operation);
            Assert.Equal(addresses[i], arp.SenderProtocolAddress);
            Assert.Equal(addresses[i], arp.TargetProtocolAddress);
            Assert.Equal(MacB, arp.SenderHardwareAddress);
        }
        raw.ReleaseReceived(count);
    }
}
