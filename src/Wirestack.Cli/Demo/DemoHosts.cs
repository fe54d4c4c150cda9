using Wirestack.Diagnostics;
using Wirestack.Iface;
using Wirestack.Nic;
using Wirestack.Wire;

namespace Wirestack.Cli.Demo;

/// <summary>
/// Two real stacks, A and B, on the two ends of an in-process pipe, polled together on the calling thread with the
/// system clock. A's end is watched (<see cref="LinkWatcher"/>) and, when asked, recorded to a pcap file.
/// </summary>
internal sealed class DemoHosts : IDisposable
{
    public static readonly MacAddress MacA = MacAddress.Parse("02:00:00:00:00:0a");
    public static readonly MacAddress MacB = MacAddress.Parse("02:00:00:00:00:0b");
    public static readonly Ipv4Address Ipv4A = Ipv4Address.Parse("10.0.0.1");
    public static readonly Ipv4Address Ipv4B = Ipv4Address.Parse("10.0.0.2");
    public static readonly Ipv6Address Ipv6A = Ipv6Address.Parse("fd00::a");
    public static readonly Ipv6Address Ipv6B = Ipv6Address.Parse("fd00::b");

    private readonly PipeDevice _pipeA;
    private readonly PipeDevice _pipeB;

    public DemoHosts(string? pcapPath, TextWriter? verbose, FaultInjectorOptions? faults = null)
    {
        // A ring deep enough for a full TCP window of 1500-byte frames, so that the pipe never drops a burst.
        (_pipeA, _pipeB) = PipeDevice.CreatePair(new PipeDeviceOptions { RingSize = 4096, ReceiveBatchSize = 64 });
        INetworkDevice deviceA = _pipeA;
        if (faults is not null) deviceA = new FaultInjector(deviceA, faults);
        if (pcapPath is not null)
        {
            Capture = PcapDevice.Create(deviceA, pcapPath);
            deviceA = Capture;
        }
        Watcher = new LinkWatcher(deviceA, verbose);
        A = new Interface(Watcher, Options(MacA, Ipv4A, Ipv6A, 1));
        B = new Interface(_pipeB, Options(MacB, Ipv4B, Ipv6B, 2));
    }

    public Interface A { get; }

    public Interface B { get; }

    public LinkWatcher Watcher { get; }

    public PcapDevice? Capture { get; }

    /// <summary>Frames both ends transmitted (every frame on the link).</summary>
    public long LinkFrames => _pipeA.Counters.TransmittedFrames + _pipeB.Counters.TransmittedFrames;

    /// <summary>Bytes both ends transmitted.</summary>
    public long LinkBytes => _pipeA.Counters.TransmittedBytes + _pipeB.Counters.TransmittedBytes;

    /// <summary>Frames the pipe itself dropped (a full ring), both ways.</summary>
    public long PipeDrops => _pipeA.Counters.TransmitDropped + _pipeB.Counters.TransmitDropped
        + _pipeA.Counters.ReceiveDropped + _pipeB.Counters.ReceiveDropped;

    public static Instant Now => Instant.Now(TimeProvider.System);

    private static InterfaceOptions Options(MacAddress mac, Ipv4Address ipv4, Ipv6Address ipv6, ulong seed) => new()
    {
        MacAddress = mac,
        Ipv4Addresses = [new Ipv4InterfaceAddress(ipv4, 24)],
        Ipv6Addresses = [new Ipv6InterfaceAddress(ipv6, 64)],
        RandomSeed = seed,
        // No gratuitous ARP: the ARP step shows a request answered, not a cache filled by an announcement.
        AnnounceAddresses = false,
    };

    /// <summary>Polls both stacks once.</summary>
    public void Poll(Instant now)
    {
        A.Poll(now);
        B.Poll(now);
    }

    /// <summary>Polls both stacks until <paramref name="done"/> holds or <paramref name="timeout"/> passes.</summary>
    public bool PollUntil(Func<bool> done, TimeSpan timeout)
    {
        var end = Now + timeout;
        while (true)
        {
            var now = Now;
            Poll(now);
            if (done()) return true;
            if (now >= end) return false;
        }
    }

    public void Dispose()
    {
        Watcher.Dispose(); // disposes the capture, the fault injector and A's pipe under it
        _pipeB.Dispose();
    }
}
