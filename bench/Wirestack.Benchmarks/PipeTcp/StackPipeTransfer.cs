using System.Diagnostics;
using Wirestack.Iface;
using Wirestack.Nic;
using Wirestack.Tcp;
using Wirestack.Wire;

namespace Wirestack.Benchmarks.PipeTcp;

/// <summary>
/// Bulk TCP between two Wirestack interfaces joined by the in-process <see cref="PipeDevice"/>, each polled by a
/// thread of its own: A writes the stream pattern as fast as its send ring takes it, B reads it and checks every
/// byte. A round is one connection (the handshake is made before the clock starts) and ends when B holds the last byte.
/// </summary>
internal sealed class StackPipeTransfer : IDisposable
{
    private const ushort Port = 5001;
    private static readonly Ipv4Address AddressA = new(10, 0, 0, 1);
    private static readonly Ipv4Address AddressB = new(10, 0, 0, 2);
    private static readonly TimeSpan IdleWait = TimeSpan.FromMilliseconds(1);
    private readonly PipeDevice _deviceA;
    private readonly PipeDevice _deviceB;
    private readonly Interface _a;
    private readonly Interface _b;
    private readonly TcpListenerHandle _listener;
    private readonly TimeProvider _time = TimeProvider.System;

    public StackPipeTransfer(int mtu, int ringSize, int bufferLength, bool checksumOffload)
    {
        (_deviceA, _deviceB) = PipeDevice.CreatePair(new PipeDeviceOptions { Mtu = mtu, RingSize = ringSize, ReceiveBatchSize = Math.Min(64, ringSize), TrustTransportChecksums = checksumOffload });
        var tcp = new TcpOptions { SendBufferLength = bufferLength, ReceiveBufferLength = bufferLength };
        _a = new Interface(_deviceA, Options("02:00:00:00:00:0a", AddressA, tcp));
        _b = new Interface(_deviceB, Options("02:00:00:00:00:0b", AddressB, tcp));
        if (!_b.TryListenTcp(new IpEndpoint(IpAddress.AnyIpv4, Port), 4, out _listener)) throw new InvalidOperationException("B could not listen");
    }

    private static InterfaceOptions Options(string mac, Ipv4Address address, TcpOptions tcp) => new()
    {
        MacAddress = MacAddress.Parse(mac),
        Ipv4Addresses = [new Ipv4InterfaceAddress(address, 24)],
        EnableIpv6 = false,
        AnnounceAddresses = false,
        Tcp = tcp,
    };

    /// <summary>Sends <paramref name="bytes"/> of the pattern over a new connection from A to B.</summary>
    public BulkResult Run(StreamPattern pattern, long bytes, TimeSpan limit)
    {
        var (client, server) = Connect();
        long segmentsBefore = _a.TcpCounters.SegmentsSent;
        long retransmittedBefore = _a.TcpCounters.RetransmittedSegments;
        var run = new RunState(bytes, limit);
        var sender = new Thread(() => Capture(run, () => Send(client, pattern, run))) { IsBackground = true, Name = "tcp-pipe A" };
        var receiver = new Thread(() => Capture(run, () => Receive(server, pattern, run))) { IsBackground = true, Name = "tcp-pipe B" };
        receiver.Start();
        sender.Start();
        sender.Join();
        receiver.Join();
        if (run.Failure is not null) throw new InvalidOperationException($"the Wirestack transfer failed: A {_a.Counters}; B {_b.Counters}", run.Failure);
        double seconds = (double)(run.EndedAt - run.StartedAt) / Stopwatch.Frequency;
        long segments = _a.TcpCounters.SegmentsSent - segmentsBefore;
        long retransmitted = _a.TcpCounters.RetransmittedSegments - retransmittedBefore;
        Close(client, server);
        long drops = _a.Counters.TotalDropped + _b.Counters.TotalDropped;
        if (drops != 0) throw new InvalidOperationException($"the interfaces dropped {drops} frames: A {_a.Counters}; B {_b.Counters}");
        return new BulkResult(seconds, bytes, segments, retransmitted, run.SteadySegments, run.SenderAllocated + run.ReceiverAllocated);
    }

    private (TcpHandle Client, TcpHandle Server) Connect()
    {
        var now = Instant.Now(_time);
        if (!_a.TryConnectTcp(new IpEndpoint(AddressB, Port), 0, now, out var client)) throw new InvalidOperationException("A could not connect");
        TcpHandle server = default;
        for (int i = 0; i < 1000 && (!server.IsAssigned || _a.GetTcpState(client) != TcpState.Established); i++)
        {
            now = Instant.Now(_time);
            _a.Poll(now);
            _b.Poll(now);
            if (!server.IsAssigned) _b.TryAcceptTcp(_listener, out server);
        }
        if (!server.IsAssigned) throw new InvalidOperationException($"the handshake did not complete: A {_a.Counters}; B {_b.Counters}");
        return (client, server);
    }

    // After both threads: the main thread owns both interfaces again and lets the close finish.
    private void Close(TcpHandle client, TcpHandle server)
    {
        var now = Instant.Now(_time);
        _a.CloseTcp(client, now);
        _b.CloseTcp(server, now);
        for (int i = 0; i < 20; i++)
        {
            now = Instant.Now(_time);
            _a.Poll(now);
            _b.Poll(now);
        }
    }

    private static void Capture(RunState run, Action body)
    {
        try
        {
            body();
        }
        catch (Exception e)
        {
            run.Failure ??= e;
            run.Done = true;
        }
    }

    private void Send(TcpHandle connection, StreamPattern pattern, RunState run)
    {
        long written = 0;
        long steadyFrom = run.Bytes / 4;
        long allocatedAt = -1, segmentsAt = 0;
        run.StartedAt = Stopwatch.GetTimestamp();
        while (!run.Done)
        {
            var now = Instant.Now(_time);
            var deadline = _a.Poll(now);
            int n = 0;
            if (written < run.Bytes)
            {
                n = _a.WriteTcp(connection, pattern.From(written, run.Bytes - written), now);
                written += n;
                if (allocatedAt < 0 && written >= steadyFrom)
                {
                    allocatedAt = GC.GetAllocatedBytesForCurrentThread();
                    segmentsAt = _a.TcpCounters.SegmentsSent;
                }
                _a.Device.Flush();
            }
            if (n == 0) Idle(_a, now, deadline, run);
        }
        if (allocatedAt >= 0)
        {
            run.SenderAllocated = GC.GetAllocatedBytesForCurrentThread() - allocatedAt;
            run.SteadySegments = _a.TcpCounters.SegmentsSent - segmentsAt;
        }
    }

    private void Receive(TcpHandle connection, StreamPattern pattern, RunState run)
    {
        var buffer = new byte[256 * 1024];
        long received = 0;
        long steadyFrom = run.Bytes / 4;
        long allocatedAt = -1;
        while (received < run.Bytes && !run.Done)
        {
            var now = Instant.Now(_time);
            var deadline = _b.Poll(now);
            int n = _b.ReadTcp(connection, buffer, now);
            if (n > 0)
            {
                if (!pattern.Matches(received, buffer.AsSpan(0, n)))
                    throw new InvalidOperationException($"B received bytes that are not the stream's at offset {received}..{received + n}");
                received += n;
                if (allocatedAt < 0 && received >= steadyFrom) allocatedAt = GC.GetAllocatedBytesForCurrentThread();
                _b.Device.Flush();
            }
            else
            {
                if (_b.GetTcpState(connection) is not (TcpState.Established or TcpState.FinWait1 or TcpState.FinWait2))
                    throw new InvalidOperationException($"B's connection left ESTABLISHED after {received} bytes: {_b.GetTcpInfo(connection).Error}");
                Idle(_b, now, deadline, run);
            }
        }
        run.EndedAt = Stopwatch.GetTimestamp();
        if (allocatedAt >= 0) run.ReceiverAllocated = GC.GetAllocatedBytesForCurrentThread() - allocatedAt;
        run.Done = true;
    }

    // Sleeps in the device until a frame comes or the interface's next timer, at most a millisecond.
    private void Idle(Interface iface, Instant now, Instant deadline, RunState run)
    {
        if (Stopwatch.GetElapsedTime(run.CreatedAt) > run.Limit) throw new TimeoutException($"the transfer took longer than {run.Limit.TotalSeconds} s");
        if (deadline <= now) return;
        // Instant.MaxValue (no timer) minus now does not fit a TimeSpan: compare before subtracting.
        iface.Device.WaitForReceive(deadline >= now + IdleWait ? IdleWait : deadline - now);
    }

    public void Dispose()
    {
        _deviceA.Dispose();
        _deviceB.Dispose();
    }

    private sealed class RunState(long bytes, TimeSpan limit)
    {
        public long Bytes { get; } = bytes;
        public TimeSpan Limit { get; } = limit;
        public long CreatedAt { get; } = Stopwatch.GetTimestamp();
        public long StartedAt;
        public long EndedAt;
        public long SenderAllocated;
        public long ReceiverAllocated;
        public long SteadySegments;
        public volatile bool Done;
        public volatile Exception? Failure;
    }
}
