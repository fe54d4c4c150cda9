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
