using Wirestack.Nic;
using Wirestack.Tcp;

namespace Wirestack.Tests.Tcp;

/// <summary>
/// SACK loss recovery (RFC 6675) against NewReno (RFC 6582) on the same seeded lossy paths: a deterministic
/// comparison of retransmission timeouts and virtual time, not a timed test.
/// </summary>
public sealed class TcpLossRecoveryTests
{
    private const int Bytes = 1 << 20;
    private const int Seeds = 4;

    [Fact]
    public void SackRecoversFromFivePercentLossWithFewerTimeoutsThanNewReno()
    {
        long sackTimeouts = 0, newRenoTimeouts = 0;
        TimeSpan sackTime = default, newRenoTime = default;
        var output = TestContext.Current.TestOutputHelper;
        for (int seed = 1; seed <= Seeds; seed++)
        {
            var sack = Run(seed, sack: true);
            var newReno = Run(seed, sack: false);
            output?.WriteLine($"seed {seed}: SACK {sack.Timeouts} RTOs {sack.Elapsed.TotalSeconds:F2} s (fast {sack.Fast}, lost rexmits {sack.LostRetransmissions}); " +
                $"NewReno {newReno.Timeouts} RTOs {newReno.Elapsed.TotalSeconds:F2} s (fast {newReno.Fast})");
            sackTimeouts += sack.Timeouts;
            newRenoTimeouts += newReno.Timeouts;
            sackTime += sack.Elapsed;
            newRenoTime += newReno.Elapsed;
        }
        output?.WriteLine($"total: SACK {sackTimeouts} RTOs in {sackTime.TotalSeconds:F2} s, NewReno {newRenoTimeouts} RTOs in {newRenoTime.TotalSeconds:F2} s");
        Assert.True(sackTimeouts < newRenoTimeouts, $"SACK {sackTimeouts} timeouts, NewReno {newRenoTimeouts}");
        Assert.True(sackTime < newRenoTime, $"SACK {sackTime}, NewReno {newRenoTime}");
    }

    [Fact]
    public void SackEntersRecoveryOnDataCarryingAcks()
    {
        // Both directions busy: no ACK is a pure duplicate, so only the scoreboard (IsLost) can start recovery.
        var result = Run(1, sack: true, bothWays: true);
        Assert.True(result.Fast > 0, $"no fast retransmit: {result}");
    }

    [Fact]
    public void FastRetransmitsThatReorderingCausedAreUndoneByDuplicateSacks()
    {
        // Nothing is lost, only reordered: every fast retransmit is spurious, the receiver reports each retransmission
        // back as a D-SACK (RFC 2883), and the sender undoes the window reduction (RFC 9438 section 4.9).
        using var sim = new TcpSimulation(3, new FaultInjectorOptions { ReorderProbability = 0.05, ReorderDistance = 4, ReorderTimeout = TimeSpan.FromMilliseconds(2) });
        var (a, b) = sim.Connect();
        var transfer = new TcpTransfer(sim.A, a, sim.B, b, 4 << 20, 3);
        Assert.True(sim.RunUntil(() => transfer.Pump(sim.Now), TimeSpan.FromMinutes(10)), sim.Describe("transfer"));
        var (sent, received) = transfer.Hashes();
        Assert.Equal(sent, received);
        var c = sim.A.TcpCounters;
        TestContext.Current.TestOutputHelper?.WriteLine($"fast {c.FastRetransmits}, D-SACKs received {c.DuplicateSacksReceived}, undone {c.SpuriousFastRetransmitsUndone}, sent by B {sim.B.TcpCounters.DuplicateSacksSent}");
        Assert.True(c.FastRetransmits > 0, "reordering drew no fast retransmit: the test did not test");
        Assert.True(sim.B.TcpCounters.DuplicateSacksSent > 0);
        Assert.True(c.SpuriousFastRetransmitsUndone > 0, $"{c.FastRetransmits} spurious fast retransmits, none undone");
        Assert.True(c.SpuriousFastRetransmitsUndone <= c.FastRetransmits);
        Assert.Equal(0, c.RetransmissionTimeouts);
    }

    private static Result Run(int seed, bool sack, bool bothWays = false)
    {
        using var sim = new TcpSimulation(seed, new FaultInjectorOptions { DropProbability = 0.05 },
            tcp: o => o with { SelectiveAcknowledgments = sack, CongestionControl = CongestionControlAlgorithm.NewReno });
        var (a, b) = sim.Connect();
        var start = sim.Now;
        var forward = new TcpTransfer(sim.A, a, sim.B, b, Bytes, seed);
        var backward = bothWays ? new TcpTransfer(sim.B, b, sim.A, a, Bytes, seed + 100) : null;
        Assert.True(sim.RunUntil(() => forward.Pump(sim.Now) & (backward?.Pump(sim.Now) ?? true), TimeSpan.FromMinutes(30)), sim.Describe("transfer"));
        var (sent, received) = forward.Hashes();
        Assert.Equal(sent, received);
        Assert.Equal(sack, sim.A.GetTcpInfo(a).SelectiveAcknowledgments);
        var ca = sim.A.TcpCounters;
        var cb = sim.B.TcpCounters;
        return new Result(ca.RetransmissionTimeouts + cb.RetransmissionTimeouts, sim.Now - start,
            ca.FastRetransmits + cb.FastRetransmits, ca.LostRetransmissions + cb.LostRetransmissions);
    }

    private readonly record struct Result(long Timeouts, TimeSpan Elapsed, long Fast, long LostRetransmissions);
}
