using Wirestack.Wire;

namespace Wirestack.Cli.Demo;

/// <summary>One end of the demo link: its addresses and the frames it builds with the wire layer.</summary>
internal sealed class DemoHost(string name, MacAddress mac, Ipv4Address ipv4, Ipv6Address ipv6)
{
    public string Name { get; } = name;

    public MacAddress Mac { get; } = mac;

    public Ipv4Address Ipv4 { get; } = ipv4;

    public Ipv6Address Ipv6 { get; } = ipv6;

    /// <summary>Ethernet + IPv4 headers for a payload of <paramref name="ipPayloadLength"/> bytes; returns the IPv4 repr.</summary>
    public Ipv4Repr WriteIpv4(Span<byte> frame, MacAddress destinationMac, Ipv4Address destination, IpProtocol protocol, int ipPayloadLength, ushort identification = 0)
    {
        new EthernetRepr { Destination = destinationMac, Source = Mac, EtherType = EtherType.Ipv4 }.Emit(frame);
        var ip = new Ipv4Repr(Ipv4, destination, protocol, ipPayloadLength)
        {
            DontFragment = protocol == IpProtocol.Tcp,
            Identification = identification,
            TimeToLive = destination.IsMulticast ? (byte)1 : (byte)64,
        };
        if (protocol == IpProtocol.Igmp) ip.Options = Ipv4Options.FromBytes([0x94, 0x04, 0x00, 0x00]); // router alert, as RFC 3376 asks
        ip.Emit(frame[EthernetFrame.UntaggedHeaderLength..]);
        return ip;
    }

    /// <summary>Ethernet + IPv6 headers; returns the IPv6 repr.</summary>
    public Ipv6Repr WriteIpv6(Span<byte> frame, MacAddress destinationMac, Ipv6Address source, Ipv6Address destination, IpProtocol nextHeader, int payloadLength, byte hopLimit = 64)
    {
        new EthernetRepr { Destination = destinationMac, Source = Mac, EtherType = EtherType.Ipv6 }.Emit(frame);
        var ip = new Ipv6Repr
        {
            Source = source,
            Destination = destination,
            NextHeader = nextHeader,
            PayloadLength = payloadLength,
            HopLimit = hopLimit,
        };
        ip.Emit(frame[EthernetFrame.UntaggedHeaderLength..]);
        return ip;
    }
}
