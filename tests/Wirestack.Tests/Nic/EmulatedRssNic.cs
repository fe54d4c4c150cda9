using Wirestack.Nic;

namespace Wirestack.Tests.Nic;

/// <summary>
/// A NIC with receive-side scaling, emulated on a thread: frames from the wire (one end of a pipe) go to queue
/// <c>steering.Classify(frame)</c>, except that frames with no flow all go to queue 0, as a NIC puts what it cannot
/// hash on its default queue; each queue is a pipe whose far end is the shard's device. What the queues send goes
/// out on the wire.
/// </summary>
internal sealed class EmulatedRssNic : IDisposable
{
    private readonly PipeDevice _wire;
    private readonly PipeDevice[] _nicSides;
    private readonly FlowSteering _steering;
    private readonly Thread _thread;
    private volatile bool _stop;

    public EmulatedRssNic(PipeDevice wire, FlowSteering steering)
    {
        _wire = wire;
        _steering = steering;
        _nicSides = new PipeDevice[steering.ShardCount];
        var queues = new PipeDevice[steering.ShardCount];
        for (int i = 0; i < queues.Length; i++) (_nicSides[i], queues[i]) = PipeDevice.CreatePair(new PipeDeviceOptions { RingSize = 4096 });
        Queues = queues;
        _thread = new Thread(Run) { IsBackground = true, Name = "emulated NIC" };
        _thread.Start();
    }

    /// <summary>The queues' devices, one per shard.</summary>
    public IReadOnlyList<PipeDevice> Queues { get; }

    public void Dispose()
    {
        _stop = true;
        _thread.Join();
        foreach (var side in _nicSides) side.Dispose();
    }

    private void Run()
    {
        while (!_stop)
        {
            bool moved = false;
            int lent = _wire.Receive();
            for (int i = 0; i < lent; i++)
            {
                var frame = _wire.GetReceived(i);
                int queue = _steering.Classify(frame);
                Copy(frame, _nicSides[queue < 0 ? 0 : queue]);
            }
            _wire.ReleaseReceived(lent);
            moved |= lent > 0;
            foreach (var side in _nicSides)
            {
                side.Flush();
                int sent = side.Receive();
                for (int i = 0; i < sent; i++) Copy(side.GetReceived(i), _wire);
                side.ReleaseReceived(sent);
                moved |= sent > 0;
            }
            _wire.Flush();
            if (!moved) Thread.Sleep(0);
        }
    }

    private static void Copy(ReadOnlySpan<byte> frame, PipeDevice to)
    {
        if (!to.TryGetTransmitSlot(out var slot))
        {
            to.Flush();
            if (!to.TryGetTransmitSlot(out slot)) return; // full: lost, as on a NIC
        }
        frame.CopyTo(slot);
        to.CommitTransmit(frame.Length);
    }
}
