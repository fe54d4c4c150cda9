using Wirestack.Diagnostics;
using Wirestack.Nic;
using Wirestack.Wire;

namespace Wirestack.Cli.Demo;

/// <summary>
/// Watches host A's side of the demo link (every frame of the link crosses it): counts the IGMP and MLD reports
/// that reach A, and in verbose mode prints the control frames. It dissects only while <see cref="Watching"/>
/// is set, so the bulk transfer pays nothing for it.
/// </summary>
internal sealed class LinkWatcher(INetworkDevice inner, TextWriter? verbose) : ObservingDevice(inner, FrameDirections.Both, leaveInnerOpen: false)
{
    /// <summary>Whether frames are dissected now.</summary>
    public bool Watching { get; set; } = true;

    /// <summary>IGMP membership reports A received.</summary>
    public long IgmpReportsSeen { get; private set; }

    /// <summary>MLD listener reports A received.</summary>
    public long MldReportsSeen { get; private set; }

    protected override void Observe(ReadOnlySpan<byte> frame, FrameDirections direction)
    {
        if (!Watching) return;
        var error = FrameDissector.Dissect(frame, out var dissected);
        if (direction == FrameDirections.Receive && error == WireError.None)
        {
            if (dissected.Transport == FrameLayer.Igmp && IsReport(dissected.Igmp.Type)) IgmpReportsSeen++;
            if (dissected.Transport == FrameLayer.Icmpv6
                && dissected.Icmpv6.Type is Icmpv6Type.MulticastListenerReportV2 or Icmpv6Type.MulticastListenerReport)
                MldReportsSeen++;
        }
        // Data segments and pure ACKs would drown the control frames.
        bool bulk = dissected.Transport == FrameLayer.Tcp && (dissected.Tcp.Flags & (TcpFlags.Syn | TcpFlags.Fin | TcpFlags.Rst)) == 0;
        if (verbose is not null && !bulk)
            verbose.WriteLine($"  {(direction == FrameDirections.Receive ? "B->A" : "A->B")} {dissected.Describe()}");
    }

    private static bool IsReport(IgmpType type) =>
        type is IgmpType.MembershipReportV1 or IgmpType.MembershipReportV2 or IgmpType.MembershipReportV3;
}
