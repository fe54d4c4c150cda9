using Wirestack.Diagnostics;
using Wirestack.Testing;
using Wirestack.Tests.Support;
using Wirestack.Wire;

namespace Wirestack.Tests.Wire;

/// <summary>
/// Frames the Linux kernel sent (Fixtures/kernel-traffic.pcap, made by
/// tests/fixtures/capture-kernel-traffic.sh) parse without error and re-emit from their reprs
/// byte for byte.
/// </summary>
public class KernelFixtureRoundTripTests
{
    [Fact]
    public void EveryKernelFrameParsesAndReEmitsByteForByte()
    {
        var frames = KernelFixture.Frames;
        var output = new byte[65536];
        var failures = new List<string>();
        for (int i = 0; i < frames.Count; i++)
        {
            string? problem = FrameReEmitter.CheckRoundTrip(frames[i], output);
            if (problem is not null) failures.Add($"frame {i + 1}: {problem}");
        }
        Assert.True(failures.Count == 0, string.Join('\n', failures));
    }

    [Fact]
    public void FixtureCoversEveryFormatTheKernelSpeaks()
    {
        var seen = new HashSet<string>();
        foreach (var frame in KernelFixture.Frames)
        {
            Assert.Equal(WireError.None, FrameDissector.Dissect(frame, out var d));
            seen.Add(d.Network.ToString());
            seen.Add(d.Transport.ToString());
            if (d.IsFragment) seen.Add("fragment-" + d.Network);
            if (d.Transport == FrameLayer.Icmpv6) seen.Add(d.Icmpv6.Type.ToString());
            if (d.Transport == FrameLayer.Icmpv4) seen.Add("v4-" + d.Icmpv4.Type);
            if (d.Transport == FrameLayer.Igmp) seen.Add(d.Igmp.Type.ToString());
            if (d.Transport == FrameLayer.Tcp && d.Tcp.MaxSegmentSize.HasValue) seen.Add("tcp-syn-options");
        }
        string[] expected =
        [
            "Arp", "Ipv4", "Ipv6", "Tcp", "Udp", "Icmpv4", "Icmpv6", "Igmp", "fragment-Ipv4", "fragment-Ipv6",
            "NeighborSolicitation", "NeighborAdvertisement", "RouterSolicitation", "MulticastListenerReportV2",
            "EchoRequest", "EchoReply", "DestinationUnreachable", "v4-EchoRequest", "v4-EchoReply",
            "v4-DestinationUnreachable", "MembershipReportV3", "tcp-syn-options",
        ];
        foreach (string kind in expected) Assert.True(seen.Contains(kind), $"the fixture has no {kind} frame; regenerate it");
    }

    [Fact]
    public void CorruptedChecksumsAreCaughtNotReEmittedSilently()
    {
        // The oracle must be able to fail: flip one payload bit in every frame with a transport checksum.
        var output = new byte[65536];
        int caught = 0;
        foreach (var original in KernelFixture.Frames)
        {
            FrameDissector.Dissect(original, out var d);
            if (d.Transport is not (FrameLayer.Tcp or FrameLayer.Udp or FrameLayer.Icmpv4 or FrameLayer.Icmpv6) || d.IsFragment) continue;
            var frame = (byte[])original.Clone();
            frame[d.NetworkEnd - 1] ^= 0x01;
            Assert.NotEqual(WireError.None, FrameDissector.Dissect(frame, out var corrupted));
            Assert.Equal(WireError.BadChecksum, corrupted.Error);
            Assert.Throws<InvalidDataException>(() => FrameReEmitter.ReEmit(frame, output));
            caught++;
        }
        Assert.True(caught > 40);
    }
}
