using Wirestack.Iface;
using Wirestack.Nic;
using Wirestack.Tcp;
using Wirestack.Tests.Nic;
using Wirestack.Wire;

namespace Wirestack.Tests.Tcp;

/// <summary>
/// Two interfaces, A (10.0.0.1) and B (10.0.0.2), on a pipe with one-way latency, A's side wrapped by a seeded
/// <see cref="FaultInjector"/> (so faults hit both directions), and a virtual clock that stands still while frames
/// move and otherwise jumps towards the next deadline. Deterministic: a seed replays exactly. With
/// <c>segmentationOffload</c>, each side's device offers TSO (<see cref="SoftwareSegmentationDevice"/>, above the faults).
/// </summary>
internal sealed class TcpSimulation : IDisposable
{
    public static readonly IpAddress AddressA = new Ipv4Address(10, 0, 0, 1);
    public static readonly IpAddress AddressB = new Ipv4Address(10, 0, 0, 2);

    private readonly TimeSpan _latency;

    public TcpSimulation(int seed, FaultInjectorOptions? faults = null, Func<TcpOptions, TcpOptions>? tcp = null, int mtu = 1500,
        TimeSpan? latency = null, bool ipv6 = false, bool segmentationOffload = false, int ringSize = 2048)
    {
        Seed = seed;
        _latency = latency ?? TimeSpan.FromMilliseconds(1);
        Time = new ManualTimeProvider();
        var pipe = new PipeDeviceOptions { Mtu = mtu, Latency = _latency, TimeProvider = Time, RingSize = ringSize, ReceiveBatchSize = Math.Min(64, ringSize) };
        var (first, second) = PipeDevice.CreatePair(pipe);
        INetworkDevice deviceA = first;
        if (faults is not null)
        {
            Faults = new FaultInjector(first, faults with { Seed = seed, TimeProvider = Time });
            deviceA = Faults;
        }
        INetworkDevice deviceB = second;
        if (segmentationOffload)
        {
            SegmenterA = new SoftwareSegmentationDevice(deviceA);
            SegmenterB = new SoftwareSegmentationDevice(second);
            deviceA = SegmenterA;
            deviceB = SegmenterB;
        }
        var tcpOptions = tcp is null ? new TcpOptions() : tcp(new TcpOptions());
        A = new Interface(deviceA, Options(InterfaceTestBedMacA, new Ipv4Address(10, 0, 0, 1), tcpOptions, seed, ipv6));
        B = new Interface(deviceB, Options(InterfaceTestBedMacB, new Ipv4Address(10, 0, 0, 2), tcpOptions, seed + 1, ipv6));
        Now = Instant.Now(Time);
    }

    private static readonly MacAddress InterfaceTestBedMacA = MacAddress.Parse("02:00:00:00:00:0a");
    private static readonly MacAddress InterfaceTestBedMacB = MacAddress.Parse("02:00:00:00:00:0b");

    public int Seed { get; }
    public ManualTimeProvider Time { get; }
    public FaultInjector? Faults { get; }
    public SoftwareSegmentationDevice? SegmenterA { get; }
    public SoftwareSegmentationDevice? SegmenterB { get; }
    public Interface A { get; }
    public Interface B { get; }
    public Instant Now { get; private set; }

    private static InterfaceOptions Options(MacAddress mac, Ipv4Address address, TcpOptions tcp, int seed, bool ipv6) => new()
    {
        MacAddress = mac,
        Ipv4Addresses = [new Ipv4InterfaceAddress(address, 24)],
        AnnounceAddresses = false,
        EnableIpv6 = ipv6,
        RandomSeed = (ulong)seed + 1000,
        Tcp = tcp,
    };

    /// <summary>Polls both sides once; when no frame moved, advances the clock towards the next deadline.</summary>
    public void Step()
    {
        long before = A.Counters.ReceivedFrames + B.Counters.ReceivedFrames;
        var nextA = A.Poll(Now);
        var nextB = B.Poll(Now);
        long after = A.Counters.ReceivedFrames + B.Counters.ReceivedFrames;
        if (after != before) return;
        // Nothing arrived: frames may be on the wire (latency) or held by the fault injector; move time on, in
        // steps no longer than a quarter of the latency so that nothing is skipped, or straight to a nearer deadline.
        var step = Now + TimeSpan.FromTicks(Math.Max(_latency.Ticks / 4, TimeSpan.TicksPerMillisecond / 10));
        var next = Instant.Min(Instant.Min(nextA, nextB), step);
        if (next <= Now) next = Now + TimeSpan.FromMicroseconds(1);
        Time.Advance(next - Now);
        Now = next;
    }

    /// <summary>Steps until <paramref name="done"/> holds (it may also drive the applications) or the virtual time limit passes.</summary>
    public bool RunUntil(Func<bool> done, TimeSpan limit)
    {
        var end = Now + limit;
        while (Now < end)
        {
            if (done()) return true;
            Step();
        }
        return done();
    }

    /// <summary>B listens on port 80, A connects to it; returns both ends once established.</summary>
    public (TcpHandle ClientA, TcpHandle ServerB) Connect(ushort port = 80)
    {
        Assert.True(B.TryListenTcp(new IpEndpoint(IpAddress.AnyIpv4, port), 16, out var listener));
        Assert.True(A.TryConnectTcp(new IpEndpoint(AddressB, port), 0, Now, out var client));
        TcpHandle server = default;
        Assert.True(RunUntil(() => server.IsAssigned || B.TryAcceptTcp(listener, out server), TimeSpan.FromMinutes(2)), Describe("accept"));
        Assert.True(RunUntil(() => A.GetTcpState(client) == TcpState.Established, TimeSpan.FromMinutes(2)), Describe("establish"));
        B.CloseTcpListener(listener, Now);
        return (client, server);
    }

    public string Describe(string what) =>
        $"{what} failed: seed {Seed} at {Now}; A: {Summary(A)} B: {Summary(B)}" + (Faults is null ? "" : $" faults tx {Faults.TransmitFaults} rx {Faults.ReceiveFaults}");

    private static string Summary(Interface i)
    {
        var c = i.TcpCounters;
        return $"sent {c.SegmentsSent} received {c.SegmentsReceived} retransmitted {c.RetransmittedSegments} fast {c.FastRetransmits} rto {c.RetransmissionTimeouts} resets {c.ResetsSent}/{c.ResetsReceived} connections {i.TcpConnectionCount} drops {Drops(i)}";
    }

    private static string Drops(Interface i)
    {
        var text = new System.Text.StringBuilder();
        foreach (var reason in Enum.GetValues<InterfaceDropReason>())
            if (i.Counters.Dropped(reason) > 0) text.Append(reason).Append('=').Append(i.Counters.Dropped(reason)).Append(' ');
        return text.ToString();
    }

    public void Dispose()
    {
        A.Device.Dispose();
        B.Device.Dispose();
    }
}
