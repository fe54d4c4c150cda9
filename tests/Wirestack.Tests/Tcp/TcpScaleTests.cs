using Wirestack.Iface;
using Wirestack.Tcp;
using Wirestack.Wire;

namespace Wirestack.Tests.Tcp;

/// <summary>
/// 100 000 connections in one stack: what an idle connection costs in memory (its two rings, allocated at the slot's
/// first use, plus a fixed overhead) and that a poll with nothing expiring does no timer work however many wait.
/// </summary>
[Collection(Wirestack.Tests.Sockets.ProcessWideAllocationCollection.Name)]
public sealed class TcpScaleTests
{
    private const int Connections = 100_000;
    private const int RingLength = 4096;
    private const int Ports = 7; // 16 384 ephemeral ports per remote endpoint

    [Fact]
    public void HundredThousandIdleConnectionsCostTheirRingsAndAPollNothingExpires()
    {
        var output = TestContext.Current.TestOutputHelper;
        long beforeStacks = GC.GetTotalMemory(forceFullCollection: true);
        using var sim = new TcpSimulation(1, tcp: o => o with
        {
            ConnectionCapacity = Connections + 16,
            SendBufferLength = RingLength,
            ReceiveBufferLength = RingLength,
            KeepAlive = true, // every idle connection keeps a deadline two hours out: the heap holds them all
        });
        var clients = new TcpHandle[Connections];
        var servers = new TcpHandle[Connections];
        var listeners = new TcpListenerHandle[Ports];
        for (int p = 0; p < Ports; p++)
            Assert.True(sim.B.TryListenTcp(new IpEndpoint(IpAddress.AnyIpv4, (ushort)(80 + p)), 4096, out listeners[p]));
        long beforeConnections = GC.GetTotalMemory(forceFullCollection: true);

        int accepted = 0;
        for (int start = 0; start < Connections; start += 1000)
        {
            int end = Math.Min(start + 1000, Connections);
            for (int i = start; i < end; i++)
                Assert.True(sim.A.TryConnectTcp(new IpEndpoint(TcpSimulation.AddressB, (ushort)(80 + i % Ports)), 0, sim.Now, out clients[i]), $"connect {i}");
            Assert.True(sim.RunUntil(() =>
            {
                for (int p = 0; p < Ports; p++)
                    while (accepted < Connections && sim.B.TryAcceptTcp(listeners[p], out servers[accepted])) accepted++;
                return accepted == end;
            }, TimeSpan.FromMinutes(1)), sim.Describe($"accept up to {end} ({accepted})"));
        }
        // Let the last handshakes' ACKs settle so that nothing but keep-alive deadlines remains.
        sim.RunUntil(() => false, TimeSpan.FromMilliseconds(100));
        for (int i = 0; i < Connections; i += 997) Assert.Equal(TcpState.Established, sim.A.GetTcpState(clients[i]));
        Assert.Equal(Connections, sim.A.TcpConnectionCount);
        Assert.Equal(Connections, sim.B.TcpConnectionCount);

        long after = GC.GetTotalMemory(forceFullCollection: true);
        // Both interfaces hold every connection, one end each.
        double perEnd = (after - beforeConnections) / (2.0 * Connections);
        double fixedPerSlot = (beforeConnections - beforeStacks) / (2.0 * (Connections + 16));
        output?.WriteLine($"{Connections} connections: {perEnd:F0} bytes per idle connection end (rings {2 * RingLength}), " +
            $"{fixedPerSlot:F0} bytes per slot preallocated (control block, heap and table entries); " +
            $"total {(after - beforeStacks) / (1 << 20)} MiB for {2 * Connections} ends");
        // An idle end costs its two rings plus the scoreboard, out-of-order ranges, congestion controller (with the
        // state kept to undo a spurious fast retransmit) and table entry: about 1 KiB more (1044 B on 2026-12-02).
        Assert.InRange(perEnd, 2 * RingLength, 2 * RingLength + 1280);
        Assert.True(fixedPerSlot < 1536, $"{fixedPerSlot:F0} bytes per unused slot");

        // A poll at a time when no deadline has come: the heap holds all 100 000, and the poll takes none of them off.
        var stack = sim.A.TcpStack;
        Assert.Equal(Connections, stack.PendingTimers);
        long visits = stack.TimerVisits;
        sim.A.Poll(sim.Now + TimeSpan.FromMinutes(1));
        Assert.Equal(visits, stack.TimerVisits);
        Assert.True(stack.NextDeadline > sim.Now + TimeSpan.FromHours(1), $"next TCP deadline {stack.NextDeadline}");
        // And when the keep-alive deadlines come, each connection costs one visit.
        sim.A.Poll(sim.Now + TimeSpan.FromHours(3));
        Assert.Equal(visits + Connections, stack.TimerVisits);
    }
}
