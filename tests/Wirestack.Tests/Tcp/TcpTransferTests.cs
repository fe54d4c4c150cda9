using Wirestack.Iface;
using Wirestack.Nic;
using Wirestack.Tcp;
using Wirestack.Wire;

namespace Wirestack.Tests.Tcp;

/// <summary>
/// Bulk transfers both ways at once between two simulated interfaces, with SHA-256 compared end to end, under the
/// faults a real path has. Size and seeds come from WIRESTACK_TCP_SIM="bytes,seeds" (default 1 MiB × 2 seeds).
/// </summary>
public sealed class TcpTransferTests
{
    private static readonly (int Bytes, int Seeds) Scale = ReadScale();

    public static TheoryData<string> Conditions() => new(
        "clean", "loss1", "loss5", "loss10", "reorder", "duplicate", "corrupt", "mtu576", "loss5-newreno",
        // The same paths behind devices that cut the stack's large segments (TSO) into MTU-sized ones.
        "tso", "tso-loss5", "tso-reorder", "tso-corrupt", "tso-mtu576");

    [Theory]
    [MemberData(nameof(Conditions))]
    public void TransferBothWaysArrivesIntact(string condition)
    {
        for (int seed = 1; seed <= Scale.Seeds; seed++) RunTransfer(condition, seed, Scale.Bytes);
    }

    [Fact]
    public void ReceiverThatStallsToZeroWindowResumes()
    {
        for (int seed = 1; seed <= Scale.Seeds; seed++)
        {
            using var sim = new TcpSimulation(seed, tcp: o => o with { ReceiveBufferLength = 16 * 1024 });
            var (a, b) = sim.Connect();
            var transfer = new TcpTransfer(sim.A, a, sim.B, b, Scale.Bytes / 4, seed) { Stalled = true };
            // Stall until the sender is blocked by a zero window and has probed it a few times.
            Assert.True(sim.RunUntil(() => { transfer.Pump(sim.Now); return sim.A.TcpCounters.ZeroWindowProbesSent >= 3; }, TimeSpan.FromMinutes(5)), sim.Describe("zero window"));
            Assert.Equal(0, sim.A.GetTcpInfo(a).SendWindow);
            transfer.Stalled = false;
            Assert.True(sim.RunUntil(() => transfer.Pump(sim.Now), TimeSpan.FromMinutes(10)), sim.Describe($"resume after stall ({transfer.Received} bytes)"));
            var (sent, received) = transfer.Hashes();
            Assert.Equal(sent, received);
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void TransferOverIpv6LinkLocal(bool segmentationOffload)
    {
        using var sim = new TcpSimulation(1, ipv6: true, segmentationOffload: segmentationOffload);
        var addressB = Ipv6Address.LinkLocalFromMac(sim.B.MacAddress);
        Assert.True(sim.B.TryListenTcp(new IpEndpoint(IpAddress.AnyIpv6, 80), 4, out var listener));
        Assert.True(sim.A.TryConnectTcp(new IpEndpoint(addressB, 80), 0, sim.Now, out var a));
        TcpHandle b = default;
        Assert.True(sim.RunUntil(() => b.IsAssigned || sim.B.TryAcceptTcp(listener, out b), TimeSpan.FromSeconds(10)), sim.Describe("IPv6 accept"));
        Assert.True(sim.RunUntil(() => sim.A.GetTcpState(a) == TcpState.Established, TimeSpan.FromSeconds(10)), sim.Describe("IPv6 establish"));
        var info = sim.A.GetTcpInfo(a);
        Assert.True(info.RemoteEndpoint.Address.IsIpv6);
        Assert.Equal(1500 - 40 - 20 - 12, info.SendMss);
        var forward = new TcpTransfer(sim.A, a, sim.B, b, Scale.Bytes / 4, 1);
        var backward = new TcpTransfer(sim.B, b, sim.A, a, Scale.Bytes / 4, 2);
        Assert.True(sim.RunUntil(() => forward.Pump(sim.Now) & backward.Pump(sim.Now), TimeSpan.FromMinutes(5)), sim.Describe("IPv6 transfer"));
        var (sent, received) = forward.Hashes();
        Assert.Equal(sent, received);
        (sent, received) = backward.Hashes();
        Assert.Equal(sent, received);
        if (segmentationOffload) Assert.True(sim.SegmenterA!.LargeFrames > 0 && sim.SegmenterB!.LargeFrames > 0, sim.Describe("IPv6: no large segments"));
    }

    internal static void RunTransfer(string condition, int seed, int bytes)
    {
        bool tso = condition.StartsWith("tso", StringComparison.Ordinal);
        string path = tso ? condition.Length > 3 ? condition[4..] : "clean" : condition;
        FaultInjectorOptions? faults = path switch
        {
            "loss1" => new FaultInjectorOptions { DropProbability = 0.01 },
            "loss5" or "loss5-newreno" => new FaultInjectorOptions { DropProbability = 0.05 },
            "loss10" => new FaultInjectorOptions { DropProbability = 0.10 },
            "reorder" => new FaultInjectorOptions { ReorderProbability = 0.05, ReorderDistance = 3, ReorderTimeout = TimeSpan.FromMilliseconds(2) },
            "duplicate" => new FaultInjectorOptions { DuplicateProbability = 0.05 },
            "corrupt" => new FaultInjectorOptions { CorruptProbability = 0.02, CorruptOffset = 54 },
            _ => null,
        };
        int mtu = path == "mtu576" ? 576 : 1500;
        using var sim = new TcpSimulation(seed, faults, mtu: mtu, segmentationOffload: tso,
            tcp: condition.EndsWith("-newreno", StringComparison.Ordinal) ? o => o with { CongestionControl = CongestionControlAlgorithm.NewReno } : null);
        var (a, b) = sim.Connect();
        var forward = new TcpTransfer(sim.A, a, sim.B, b, bytes, seed);
        var backward = new TcpTransfer(sim.B, b, sim.A, a, bytes, seed + 100);
        bool done = sim.RunUntil(() => forward.Pump(sim.Now) & backward.Pump(sim.Now), TimeSpan.FromMinutes(30));
        Assert.True(done, sim.Describe($"{condition} transfer of {bytes} bytes ({forward.Received} and {backward.Received} arrived)"));
        var (sentForward, receivedForward) = forward.Hashes();
        var (sentBackward, receivedBackward) = backward.Hashes();
        Assert.True(sentForward == receivedForward, sim.Describe($"{condition}: A→B SHA-256 differs"));
        Assert.True(sentBackward == receivedBackward, sim.Describe($"{condition}: B→A SHA-256 differs"));
        sim.A.CloseTcp(a, sim.Now);
        sim.B.CloseTcp(b, sim.Now);
        // Both closed in order: one side waits in TIME-WAIT, then every slot is free.
        Assert.True(sim.RunUntil(() => sim.A.TcpConnectionCount == 0 && sim.B.TcpConnectionCount == 0, TimeSpan.FromMinutes(5)), sim.Describe($"{condition}: close"));
        if (tso)
        {
            // Both directions went mostly as large segments, cut on the way into MTU-sized ones.
            var (segA, segB) = (sim.SegmenterA!, sim.SegmenterB!);
            Assert.True(segA.LargeFrames > 0 && segB.LargeFrames > 0, sim.Describe($"{condition}: no large segments ({segA.LargeFrames}, {segB.LargeFrames})"));
            Assert.True(segA.SegmentsMade > 2 * segA.LargeFrames && segA.LongestFrame > mtu + 14, sim.Describe($"{condition}: large segments were not large ({segA.SegmentsMade} from {segA.LargeFrames}, longest {segA.LongestFrame})"));
        }
        if (path == "corrupt")
            Assert.True(sim.A.Counters.Dropped(InterfaceDropReason.TcpBadChecksum) + sim.B.Counters.Dropped(InterfaceDropReason.TcpBadChecksum) > 0, sim.Describe("corrupt: no checksum drops"));
    }

    private static (int, int) ReadScale()
    {
        var text = Environment.GetEnvironmentVariable("WIRESTACK_TCP_SIM");
        if (text is not null)
        {
            var parts = text.Split(',');
            if (parts.Length == 2 && int.TryParse(parts[0], out int bytes) && int.TryParse(parts[1], out int seeds)) return (bytes, seeds);
        }
        return (1 << 20, 2);
    }
}
