using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Wirestack.Benchmarks.ShmTcp;

/// <summary>The baseline: kernel TCP over loopback from this process to a kernel TCP sink in a second process.</summary>
internal sealed class KernelTcpGoodput : IDisposable
{
    private readonly int _port;
    private readonly PeerProcess _peer;

    public KernelTcpGoodput()
    {
        using (var probe = new TcpListener(IPAddress.Loopback, 0))
        {
            probe.Start();
            _port = ((IPEndPoint)probe.LocalEndpoint).Port;
        }
        _peer = new PeerProcess("kernel-sink", _port.ToString(System.Globalization.CultureInfo.InvariantCulture));
    }

    /// <summary>Sends <paramref name="bytes"/> over one connection; returns the seconds until the sink had them all. The sink serves one connection.</summary>
    public double Send(byte[] data, long bytes, TimeSpan limit)
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        socket.Connect(IPAddress.Loopback, _port);
        long start = Stopwatch.GetTimestamp();
        long written = 0;
        while (written < bytes) written += socket.Send(data, 0, (int)Math.Min(data.Length, bytes - written), SocketFlags.None);
        socket.Shutdown(SocketShutdown.Send);
        string? line = _peer.ReadLine(limit);
        double seconds = Stopwatch.GetElapsedTime(start).TotalSeconds;
        if (line != $"sink {bytes}") throw new InvalidOperationException($"the kernel sink said '{line}', expected 'sink {bytes}'");
        return seconds;
    }

    public void Dispose() => _peer.Dispose();
}
