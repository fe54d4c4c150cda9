using Wirestack.Iface;

namespace Wirestack.Tests.Tcp;

/// <summary>
/// A device whose transmit ring is smaller than the window: TCP waits for room instead of losing what does not fit.
/// Before, a segment the full ring refused counted as sent and lost, and came back only by fast retransmit or timer.
/// </summary>
public sealed class TcpTransmitBackpressureTests
{
    [Fact]
    public void AFullTransmitRingDelaysSegmentsAndLosesNone()
    {
        // 16 frames on the ring and 1 ms on the wire, against a 256 KiB window (180 segments).
        using var sim = new TcpSimulation(5, ringSize: 16);
        var (a, b) = sim.Connect();
        var transfer = new TcpTransfer(sim.A, a, sim.B, b, 4 << 20, 5);
        Assert.True(sim.RunUntil(() => transfer.Pump(sim.Now), TimeSpan.FromMinutes(5)), sim.Describe("transfer"));
        var (sent, received) = transfer.Hashes();
        Assert.Equal(sent, received);
        Assert.True(sim.A.TcpCounters.TransmitRingFullWaits > 0, "the ring never filled: the test did not test");
        Assert.Equal(0, sim.A.TcpCounters.RetransmittedSegments);
        Assert.Equal(0, sim.A.Counters.Dropped(InterfaceDropReason.TransmitRingFull));
        Assert.Equal(0, sim.B.Counters.Dropped(InterfaceDropReason.TransmitRingFull));
    }
}
