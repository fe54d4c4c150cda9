using System.Diagnostics;
using Wirestack.Iface;
using Wirestack.Interop.Infrastructure;
using Wirestack.Nic;
using Wirestack.Testing;
using Wirestack.Wire;
using static Wirestack.Interop.Iface.KernelLink;

namespace Wirestack.Interop.Iface;

/// <summary>
/// The <see cref="Interface"/> against the kernel: a TAP device moved into a namespace where the kernel is
/// 10.240.0.1/24 and the Interface, driven by its poll loop on a thread of its own, is 10.240.0.2.
/// </summary>
public class InterfaceKernelTests
{
    [Theory]
    [InlineData(LinkKind.Tap)]
    [InlineData(LinkKind.PacketRing)]
    [InlineData(LinkKind.Xdp)]
    public void KernelPingsTheInterfaceWithoutLoss(LinkKind kind)
    {
        Prerequisites.RequireTool("ping", "iputils-ping");
        using var link = KernelLink.Create(kind, "wsi");
        var (ns, device, iface) = link;
        using var loop = new PollLoop(iface, step: null);
        try
        {
            var ping = ns.Start("ping", "-c", "50", "-i", "0.01", "-W", "2", OurAddress.ToString());
            Assert.True(ping.WaitForExit(30_000), "ping did not finish within 30 s");
            string output = ping.StandardOutput.ReadToEnd();
            loop.Stop();
            TestContext.Current.TestOutputHelper?.WriteLine($"{output}\n{iface.Counters}\n{device.Counters}");
            Assert.False(loop.Failed, loop.Failure?.ToString());

            Assert.Contains(" 0% packet loss", output, StringComparison.Ordinal);
            Assert.Equal(50, iface.Counters.EchoRequestsAnswered);
            Assert.True(iface.Counters.ArpRepliesSent >= 1);
        }
        finally
        {
            loop.Stop();
        }
    }

    [Theory]
    [InlineData(LinkKind.Tap)]
    [InlineData(LinkKind.PacketRing)]
    [InlineData(LinkKind.Xdp)]
    public void InterfacePingsTheKernelAndGetsEveryReply(LinkKind kind)
    {
        Prerequisites.RequireRoot();
        using var link = KernelLink.Create(kind, "wsi");
        var (ns, device, iface) = link;
        const int Count = 50;
        // Then a few 4000-byte requests: they leave in fragments and their replies come back in fragments.
        const int Large = 5;
        const int Total = Count + Large;
        var sentAt = new Instant[Total + 1];
        var rtts = new List<double>();
        int largeReplies = 0;
        int sent = 0;
        var nextSend = Instant.Zero;
        byte[] data = new byte[56];
        byte[] big = new byte[4000];
        for (int i = 0; i < big.Length; i++) big[i] = (byte)(i * 7);
        // Runs on the loop's thread, the Interface's only owner: sends one request every 10 ms and collects replies.
        Instant Step(Instant now)
        {
            while (iface.TryDequeueEchoReply(out var reply))
            {
                if (reply.Source != KernelAddress || reply.Identifier != 0x5753 || reply.SequenceNumber is < 1 or > Total) continue;
                rtts.Add((reply.ReceivedAt - sentAt[reply.SequenceNumber]).TotalMilliseconds);
                if (reply.PayloadLength == big.Length) largeReplies++;
            }
            if (sent < Total && now >= nextSend)
            {
                sent++;
                sentAt[sent] = now;
                Assert.True(iface.TrySendIcmpEcho(KernelAddress, 0x5753, (ushort)sent, sent > Count ? big : data, now));
                nextSend = now + TimeSpan.FromMilliseconds(10);
            }
            return sent < Total ? nextSend : Instant.MaxValue;
        }
        using var loop = new PollLoop(iface, Step);
        try
        {
            var clock = Stopwatch.StartNew();
            while (clock.Elapsed < TimeSpan.FromSeconds(20) && !loop.Failed && Volatile.Read(ref sent) < Total) Thread.Sleep(20);
            Thread.Sleep(500); // the last replies
            loop.Stop();
            Assert.False(loop.Failed, loop.Failure?.ToString());
            rtts.Sort();
            TestContext.Current.TestOutputHelper?.WriteLine(
                $"{sent} sent, {rtts.Count} replies ({largeReplies} of 4000 bytes, {100.0 * (sent - rtts.Count) / Math.Max(1, sent):F0}% loss), rtt min/median/max " +
                $"{(rtts.Count > 0 ? $"{rtts[0]:F3}/{rtts[rtts.Count / 2]:F3}/{rtts[^1]:F3}" : "-")} ms\n{iface.Counters}\n{device.Counters}");

            Assert.Equal(Total, sent);
            Assert.Equal(Total, rtts.Count);
            Assert.Equal(Large, largeReplies);
            Assert.Equal(1, iface.Counters.ArpRequestsSent);
            // The kernel's own IPv6 chatter (router solicitations, MLD reports) may arrive for groups we never
            // joined: those are NotForUs, rightly; nothing else may be dropped.
            Assert.Equal(0, iface.Counters.TotalDropped - iface.Counters.Dropped(InterfaceDropReason.NotForUs));
        }
        finally
        {
            loop.Stop();
        }
    }
}
