using System.Diagnostics;
using Wirestack.Iface;
using Wirestack.Nic;
using Wirestack.Tcp;
using Wirestack.Wire;

namespace Wirestack.Benchmarks.ShmTcp;

/// <summary>
/// TCP goodput from this process's Interface (side A of a <see cref="SharedMemoryPipeDevice"/>) to a Wirestack
/// TCP sink in a second process (side B): the time from the connection's first byte until the sink reports the
/// last one.
/// </summary>
internal sealed class StackTcpGoodput : IDisposable
{
    private static readonly Ipv4Address PeerAddress = new(10, 9, 0, 2);
    private readonly SharedMemoryPipeDevice _device;
    private readonly Interface _iface;
    private readonly PeerProcess _peer;
    private readonly TimeProvider _time = TimeProvider.System;

    public StackTcpGoodput(int ringSize)
    {
        _device = SharedMemoryPipeDevice.Create($"wirestack-bench-{Environment.ProcessId}", new SharedMemoryPipeOptions { RingSize = ringSize });
        try
        {
            _iface = new Interface(_device, new InterfaceOptions
            {
                MacAddress = MacAddress.Parse("02:00:0a:09:00:01"),
                Ipv4Addresses = [new Ipv4InterfaceAddress(new Ipv4Address(10, 9, 0, 1), 24)],
                EnableIpv6 = false,
                Tcp = new TcpOptions { SendBufferLength = 1 << 20, ReceiveBufferLength = 1 << 20 },
            });
            _peer = new PeerProcess("sink", _device.Path);
        }
        catch
        {
            _device.Dispose();
            throw;
        }
    }

    /// <summary>Sends <paramref name="bytes"/> over one new connection; returns the seconds until the sink had them all.</summary>
    public double Send(byte[] data, long bytes, TimeSpan limit)
    {
        var start = Instant.Now(_time);
        Assert(_iface.TryConnectTcp(new IpEndpoint(PeerAddress, 5001), 0, start, out var connection), "TryConnectTcp refused");
        var clock = Stopwatch.StartNew();
        long written = 0;
        long startedAt = 0;
        bool shut = false;
        string? line = null;
        while (line is null)
        {
            if (clock.Elapsed > limit) throw new TimeoutException($"the sink had not reported after {limit.TotalSeconds} s; wrote {written} of {bytes} bytes; {_device.Counters}");
            var now = Instant.Now(_time);
            var info = _iface.GetTcpInfo(connection);
            if (info.State == TcpState.Closed) throw new InvalidOperationException($"the connection closed early: {info.Error}");
            bool progress = false;
            if (info.State is not (TcpState.SynSent or TcpState.SynReceived) && written < bytes && info.WritableBytes > 0)
            {
                if (startedAt == 0) startedAt = Stopwatch.GetTimestamp();
                int chunk = (int)Math.Min(data.Length, bytes - written);
                int n = _iface.WriteTcp(connection, data.AsSpan(0, chunk), now);
                written += n;
                progress = n > 0;
            }
            if (written == bytes && !shut)
            {
                _iface.ShutdownTcpWrite(connection, now);
                shut = true;
            }
            var deadline = _iface.Poll(now);
            if (shut) line = _peer.TryReadLine();
            if (progress || line is not null) continue;
            var after = Instant.Now(_time);
            deadline = Instant.Min(deadline, after + TimeSpan.FromMilliseconds(shut ? 1 : 100));
            if (deadline > after) _device.WaitForReceive(deadline - after);
        }
        double seconds = Stopwatch.GetElapsedTime(startedAt).TotalSeconds;
        Assert(line == $"sink {bytes}", $"the sink said '{line}', expected 'sink {bytes}'");
        // Let the close finish so the next round starts on a clean table.
        _iface.CloseTcp(connection, Instant.Now(_time));
        var settle = Stopwatch.StartNew();
        while (settle.Elapsed < TimeSpan.FromMilliseconds(200))
        {
            _iface.Poll(Instant.Now(_time));
            _device.WaitForReceive(TimeSpan.FromMilliseconds(5));
        }
        return seconds;
    }

    public void Dispose()
    {
        _device.Dispose();
        _peer.Dispose();
    }

    private static void Assert(bool condition, string message)
    {
        if (!condition) throw new InvalidOperationException(message);
    }
}
