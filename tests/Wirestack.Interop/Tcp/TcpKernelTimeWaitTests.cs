using System.Diagnostics;
using Wirestack.Iface;
using Wirestack.Interop.Iface;
using Wirestack.Tcp;
using Wirestack.Testing;
using Wirestack.Wire;
using static Wirestack.Interop.Iface.KernelLink;

namespace Wirestack.Interop.Tcp;

/// <summary>
/// A kernel server that closes first keeps each connection in TIME-WAIT; a Wirestack client that reconnects from the
/// same port must be let in at once (the kernel takes a SYN in TIME-WAIT when its timestamp is newer, RFC 6191), not
/// after its SYN was dropped and resent a second later.
/// </summary>
public class TcpKernelTimeWaitTests
{
    private const ushort KernelPort = 7003;
    private const ushort OurPort = 41003;
    private const int Rounds = 12;

    [Fact]
    public void ReconnectsFromTheSamePortAreTakenOutOfTheKernelsTimeWait()
    {
        string python = Prerequisites.RequireTool("python3", "python3");
        using var link = KernelLink.Create(LinkKind.Tap, "wtw");
        var (ns, _, iface) = link;
        string script = "import socket\n" +
            $"l=socket.socket();l.setsockopt(socket.SOL_SOCKET,socket.SO_REUSEADDR,1);l.bind(('{KernelAddress}',{KernelPort}));l.listen(4);l.settimeout(60);print('ready',flush=True)\n" +
            $"for i in range({Rounds}):\n" +
            " c,a=l.accept();c.sendall(b'hi');c.close()\n" +
            "print('done',flush=True)";
        var server = ns.Start(python, "-c", script);
        Assert.Equal("ready", server.StandardOutput.ReadLine());

        var random = new Random(3);
        var handshakes = new List<TimeSpan>();
        int round = 0;
        TcpHandle connection = default;
        Instant connectedAt = default, pauseUntil = default;
        bool closing = false;
        byte[] buffer = new byte[16];
        Instant Step(Instant now)
        {
            if (round == Rounds) return Instant.MaxValue;
            if (!connection.IsAssigned)
            {
                if (now < pauseUntil || iface.TcpConnectionCount != 0) return Instant.Min(pauseUntil, now + TimeSpan.FromMilliseconds(1));
                Assert.True(iface.TryConnectTcp(new IpEndpoint(KernelAddress, KernelPort), OurPort, now, out connection), $"round {round}: connect");
                connectedAt = now;
                closing = false;
                return Instant.MaxValue;
            }
            if (closing)
            {
                // Closed and gone (LAST-ACK done): pause a little, then the next round from the same port.
                if (iface.TcpConnectionCount != 0) return now + TimeSpan.FromMilliseconds(1);
                connection = default;
                round++;
                pauseUntil = now + TimeSpan.FromMilliseconds(random.Next(1, 20));
                return pauseUntil;
            }
            var info = iface.GetTcpInfo(connection);
            if (info.State is TcpState.SynSent or TcpState.SynReceived) return Instant.MaxValue;
            if (handshakes.Count == round) lock (handshakes) handshakes.Add(now - connectedAt);
            while (iface.ReadTcp(connection, buffer, now) > 0) { }
            if (!info.ReadCompleted) return Instant.MaxValue;
            iface.CloseTcp(connection, now);
            closing = true;
            return now + TimeSpan.FromMilliseconds(1);
        }
        using var loop = new PollLoop(iface, Step);
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < TimeSpan.FromSeconds(60) && !loop.Failed && Volatile.Read(ref round) < Rounds) Thread.Sleep(20);
        loop.Stop();
        string? done = server.StandardOutput.ReadLine();
        TimeSpan[] times;
        lock (handshakes) times = [.. handshakes];
        var output = TestContext.Current.TestOutputHelper;
        output?.WriteLine($"{round} rounds in {clock.Elapsed.TotalSeconds:F2} s; handshakes (ms): {string.Join(' ', Array.ConvertAll(times, t => t.TotalMilliseconds.ToString("F1", System.Globalization.CultureInfo.InvariantCulture)))}");
        output?.WriteLine($"{iface.TcpCounters.RetransmittedSegments} retransmitted, {iface.TcpCounters.ResetsReceived} resets received");
        Assert.False(loop.Failed, loop.Failure?.ToString());
        Assert.Equal(Rounds, round);
        Assert.Equal("done", done);
        // A SYN the kernel dropped would come back after the 1 s initial RTO.
        Assert.All(times, t => Assert.True(t < TimeSpan.FromMilliseconds(500), $"a handshake took {t.TotalMilliseconds:F0} ms"));
        Assert.Equal(0, iface.TcpCounters.ResetsReceived);
    }
}
