using Wirestack.Ip;
using Wirestack.Tests.Support;
using Wirestack.Wire;

namespace Wirestack.Tests.Ip;

/// <summary>The Linux kernel's own fragments (4000-byte pings in Fixtures/kernel-traffic.pcap) reassemble into ICMP messages whose checksums verify.</summary>
public class KernelFragmentTests
{
    [Fact]
    public void KernelFragmentsReassembleIntoValidIcmp()
    {
        var reassembler = new FragmentReassembler(new FragmentReassemblerOptions());
        int ipv4 = 0, ipv6 = 0, firstFragments = 0;
        var now = Instant.Zero;
        foreach (var frame in KernelFixture.Frames)
        {
            Assert.Equal(WireError.None, EthernetFrame.TryParse(frame, out var ethernet));
            Fragment fragment;
            if (ethernet.EtherType == EtherType.Ipv4)
            {
                Assert.Equal(WireError.None, Ipv4Packet.TryParse(ethernet.Payload, out var packet));
                if (!packet.IsFragment) continue;
                fragment = Fragment.FromIpv4(packet);
            }
            else if (ethernet.EtherType == EtherType.Ipv6)
            {
                Assert.Equal(WireError.None, Ipv6Packet.TryParse(ethernet.Payload, out var packet));
                var reader = packet.ExtensionHeaders;
                int fragmentHeader = -1;
                while (reader.MoveNext())
                {
                    if (reader.Current.Type == IpProtocol.Ipv6Fragment) fragmentHeader = reader.Current.Offset;
                }
                if (fragmentHeader < 0) continue;
                Assert.Equal(WireError.None, Fragment.TryFromIpv6(packet, fragmentHeader, out fragment));
            }
            else
            {
                continue;
            }

            if (fragment.Offset == 0) firstFragments++;
            var outcome = reassembler.Accept(fragment, now, out var datagram);
            if (outcome != FragmentOutcome.Complete)
            {
                Assert.Equal(FragmentOutcome.Incomplete, outcome);
                continue;
            }

            var key = datagram.Key;
            var payload = datagram.Payload;
            Assert.Equal(4008, payload.Length);
            if (key.IsIpv6)
            {
                Assert.Equal(IpProtocol.Icmpv6, datagram.UpperLayerProtocol);
                var pseudo = InternetChecksum.PseudoHeaderSum(key.Source, key.Destination, IpProtocol.Icmpv6, payload.Length);
                Assert.True(InternetChecksum.IsValid(payload, pseudo), $"ICMPv6 checksum of {key} does not verify");
                ipv6++;
            }
            else
            {
                Assert.Equal(IpProtocol.Icmp, datagram.UpperLayerProtocol);
                Assert.True(InternetChecksum.IsValid(payload), $"ICMP checksum of {key} does not verify");
                // The first fragment's header comes back with the payload: version 4, and the key's source at offset 12.
                var prefix = datagram.FirstFragmentPrefix;
                Assert.Equal(ExpiredDatagram.MaxQuoteLength, prefix.Length);
                Assert.Equal(4, prefix[0] >> 4);
                Assert.Equal(key.Ipv4Source, Ipv4Address.Read(prefix[12..]));
                ipv4++;
            }
            reassembler.Release(datagram.Handle);
        }
        Assert.True(ipv4 >= 2, $"only {ipv4} IPv4 datagrams reassembled");
        Assert.True(ipv6 >= 2, $"only {ipv6} IPv6 datagrams reassembled");
        Assert.Equal(firstFragments, ipv4 + ipv6);
        Assert.Equal(reassembler.BufferCount, reassembler.FreeBufferCount);
        Assert.Equal(0, reassembler.Ipv4Counters.BadFragments + reassembler.Ipv6Counters.BadFragments);
    }
}
