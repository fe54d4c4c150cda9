using System.Globalization;
using System.Text;
using Wirestack.Wire;

namespace Wirestack.Diagnostics;

/// <summary>
/// What <see cref="FrameDissector"/> decoded from one frame: the repr of each layer, where each
/// layer starts, and the first error met. A diagnostic type for tracers, tests and the demo; the
/// stack's own receive path reads the views directly.
/// </summary>
public struct DissectedFrame
{
    /// <summary>The first error met, or <see cref="WireError.None"/> when every decoded layer was well formed.</summary>
    public WireError Error { get; set; }

    /// <summary>The layer whose parser reported <see cref="Error"/>.</summary>
    public FrameLayer ErrorLayer { get; set; }

    /// <summary>The link header.</summary>
    public EthernetRepr Ethernet { get; set; }

    /// <summary>Which network-layer repr is valid: <see cref="FrameLayer.Arp"/>, <see cref="FrameLayer.Ipv4"/>, <see cref="FrameLayer.Ipv6"/> or None.</summary>
    public FrameLayer Network { get; set; }

    /// <summary>Valid when <see cref="Network"/> is <see cref="FrameLayer.Arp"/>.</summary>
    public ArpRepr Arp { get; set; }

    /// <summary>Valid when <see cref="Network"/> is <see cref="FrameLayer.Ipv4"/>.</summary>
    public Ipv4Repr Ipv4 { get; set; }

    /// <summary>Valid when <see cref="Network"/> is <see cref="FrameLayer.Ipv6"/>.</summary>
    public Ipv6Repr Ipv6 { get; set; }

    /// <summary>Which transport-layer repr is valid.</summary>
    public FrameLayer Transport { get; set; }

    /// <summary>The upper-layer protocol number (IPv4 protocol, or the last IPv6 next header).</summary>
    public IpProtocol Protocol { get; set; }

    /// <summary>True when the IP packet is a fragment (first or later) of a larger datagram.</summary>
    public bool IsFragment { get; set; }

    /// <summary>Valid when <see cref="Transport"/> is <see cref="FrameLayer.Icmpv4"/>.</summary>
    public Icmpv4Repr Icmpv4 { get; set; }

    /// <summary>Valid when <see cref="Transport"/> is <see cref="FrameLayer.Icmpv6"/>.</summary>
    public Icmpv6Repr Icmpv6 { get; set; }

    /// <summary>Valid when <see cref="Transport"/> is <see cref="FrameLayer.Icmpv6"/> and the message is NDP.</summary>
    public NdpRepr Ndp { get; set; }

    /// <summary>Valid when <see cref="Transport"/> is <see cref="FrameLayer.Icmpv6"/> and the message is an MLDv1 message or an MLD query.</summary>
    public MldRepr Mld { get; set; }

    /// <summary>Valid when <see cref="Transport"/> is <see cref="FrameLayer.Igmp"/>.</summary>
    public IgmpRepr Igmp { get; set; }

    /// <summary>Valid when <see cref="Transport"/> is <see cref="FrameLayer.Udp"/>.</summary>
    public UdpRepr Udp { get; set; }

    /// <summary>Valid when <see cref="Transport"/> is <see cref="FrameLayer.Tcp"/>.</summary>
    public TcpRepr Tcp { get; set; }

    /// <summary>Where the network header starts (after the Ethernet header).</summary>
    public int NetworkOffset { get; set; }

    /// <summary>Where the transport header starts (after any IPv6 extension headers).</summary>
    public int TransportOffset { get; set; }

    /// <summary>Where the network-layer packet ends; bytes after it are link padding.</summary>
    public int NetworkEnd { get; set; }

    /// <summary>A one-line, tcpdump-like description (allocates: for tracing, not the data path).</summary>
    public readonly string Describe()
    {
        var text = new StringBuilder(128);
        var eth = Ethernet;
        text.Append(CultureInfo.InvariantCulture, $"{eth.Source} > {eth.Destination}");
        for (int i = 0; i < eth.VlanTagCount; i++)
            text.Append(CultureInfo.InvariantCulture, $" vlan {(i == 0 ? eth.OuterVlan : eth.InnerVlan).Id}");
        switch (Network)
        {
            case FrameLayer.Arp:
                var arp = Arp;
                text.Append(arp.Operation == ArpOperation.Request
                    ? FormattableString.Invariant($" ARP who-has {arp.TargetProtocolAddress} tell {arp.SenderProtocolAddress}")
                    : FormattableString.Invariant($" ARP {arp.SenderProtocolAddress} is-at {arp.SenderHardwareAddress}"));
                break;
            case FrameLayer.Ipv4:
                text.Append(CultureInfo.InvariantCulture, $" IPv4 {Ipv4.Source} > {Ipv4.Destination} ttl {Ipv4.TimeToLive}");
                if (IsFragment) text.Append(CultureInfo.InvariantCulture, $" frag id {Ipv4.Identification} off {Ipv4.FragmentOffset}{(Ipv4.MoreFragments ? "+" : "")}");
                break;
            case FrameLayer.Ipv6:
                text.Append(CultureInfo.InvariantCulture, $" IPv6 {Ipv6.Source} > {Ipv6.Destination} hlim {Ipv6.HopLimit}");
                if (IsFragment) text.Append(" frag");
                break;
            default:
                text.Append(CultureInfo.InvariantCulture, $" ethertype 0x{(ushort)eth.EtherType:x4}");
                break;
        }
        DescribeTransport(text);
        if (Error != WireError.None) text.Append(CultureInfo.InvariantCulture, $" [{ErrorLayer} {Error}]");
        return text.ToString();
    }

    private readonly void DescribeTransport(StringBuilder text)
    {
        switch (Transport)
        {
            case FrameLayer.Tcp:
                var tcp = Tcp;
                text.Append(CultureInfo.InvariantCulture, $" TCP {tcp.SourcePort} > {tcp.DestinationPort} [{tcp.Flags}] seq {tcp.SequenceNumber.Value}");
                if (tcp.HasAck) text.Append(CultureInfo.InvariantCulture, $" ack {tcp.AcknowledgmentNumber.Value}");
                text.Append(CultureInfo.InvariantCulture, $" win {tcp.WindowSize}");
                if (tcp.MaxSegmentSize is ushort mss) text.Append(CultureInfo.InvariantCulture, $" mss {mss}");
                if (tcp.WindowScale is byte ws) text.Append(CultureInfo.InvariantCulture, $" wscale {ws}");
                if (tcp.SackPermitted) text.Append(" sackOK");
                if (tcp.Timestamps is TcpTimestamps ts) text.Append(CultureInfo.InvariantCulture, $" TS {ts.Value}:{ts.EchoReply}");
                if (tcp.SackBlocks.Count > 0) text.Append(CultureInfo.InvariantCulture, $" sack {tcp.SackBlocks.Count}");
                text.Append(CultureInfo.InvariantCulture, $" len {tcp.PayloadLength}");
                break;
            case FrameLayer.Udp:
                text.Append(CultureInfo.InvariantCulture, $" UDP {Udp.SourcePort} > {Udp.DestinationPort} len {Udp.PayloadLength}");
                break;
            case FrameLayer.Icmpv4:
                var icmp = Icmpv4;
                text.Append(CultureInfo.InvariantCulture, $" ICMP {icmp.Type} code {icmp.Code}");
                if (icmp.Type is Icmpv4Type.EchoRequest or Icmpv4Type.EchoReply)
                    text.Append(CultureInfo.InvariantCulture, $" id {icmp.Identifier} seq {icmp.SequenceNumber}");
                break;
            case FrameLayer.Icmpv6:
                text.Append(CultureInfo.InvariantCulture, $" ICMPv6 {Icmpv6.Type} code {Icmpv6.Code}");
                if (Icmpv6.Type is Icmpv6Type.NeighborSolicitation or Icmpv6Type.NeighborAdvertisement)
                    text.Append(CultureInfo.InvariantCulture, $" target {Ndp.TargetAddress}");
                if (Icmpv6.Type is Icmpv6Type.EchoRequest or Icmpv6Type.EchoReply)
                    text.Append(CultureInfo.InvariantCulture, $" id {Icmpv6.Identifier} seq {Icmpv6.SequenceNumber}");
                break;
            case FrameLayer.Igmp:
                text.Append(CultureInfo.InvariantCulture, $" IGMP {Igmp.Type}");
                if (Igmp.Type == IgmpType.MembershipReportV3) text.Append(CultureInfo.InvariantCulture, $" records {Igmp.GroupRecordCount}");
                else text.Append(CultureInfo.InvariantCulture, $" group {Igmp.Group}");
                break;
            case FrameLayer.Fragment:
                text.Append(CultureInfo.InvariantCulture, $" {Protocol} (continued)");
                break;
            case FrameLayer.Unknown:
                text.Append(CultureInfo.InvariantCulture, $" protocol {(byte)Protocol}");
                break;
        }
    }
}
