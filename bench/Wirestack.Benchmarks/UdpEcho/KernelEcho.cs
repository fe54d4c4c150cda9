using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Wirestack.Benchmarks.UdpEcho;

/// <summary>
/// The kernel's own UDP echo over loopback, shaped like <see cref="StackEcho"/>: two connected UDP sockets on
/// 127.0.0.1, a client thread keeping the same window in flight and a server thread echoing, blocking calls.
/// </summary>
internal static class KernelEcho
{
    private static readonly TimeSpan ReceiveTimeout = TimeSpan.FromMilliseconds(200);

    public static EchoResult Measure(int payloadLength, int window, TimeSpan warmup, TimeSpan measure)
    {
        using var server = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        using var client = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        server.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        client.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        server.Connect(client.LocalEndPoint!);
        client.Connect(server.LocalEndPoint!);
        server.ReceiveTimeout = client.ReceiveTimeout = (int)ReceiveTimeout.TotalMilliseconds;
        byte[] payload = new byte[payloadLength];
        new Random(11).NextBytes(payload);

        var frame = new EchoWindow(warmup, measure);
        long serverBytes = 0;
        Exception? serverFailure = null;
        var serverThread = new Thread(() =>
        {
            try
            {
                serverBytes = Serve(server, frame);
            }
            catch (Exception e)
            {
                serverFailure = e;
                frame.Stop();
            }
        }) { IsBackground = true, Name = "kernel echo server" };
        EchoResult result = default;
        Exception? clientFailure = null;
        var clientThread = new Thread(() =>
        {
            try
            {
                result = Drive(client, payload, window, frame);
            }
            catch (Exception e)
            {
                clientFailure = e;
            }
            finally
            {
                frame.Stop();
            }
        }) { IsBackground = true, Name = "kernel echo client" };
        serverThread.Start();
        clientThread.Start();
        clientThread.Join();
        serverThread.Join();
        if (clientFailure is not null || serverFailure is not null)
            throw new InvalidOperationException("the kernel echo run failed", clientFailure ?? serverFailure);
        return result with { BytesPerEcho = result.Echoes == 0 ? 0 : (result.BytesPerEcho + serverBytes) / result.Echoes };
    }

    private static long Serve(Socket server, EchoWindow frame)
    {
        byte[] buffer = new byte[2048];
        long allocatedAtStart = -1;
        while (!frame.Stopped)
        {
            if (allocatedAtStart < 0 && Stopwatch.GetTimestamp() >= frame.Start) allocatedAtStart = GC.GetAllocatedBytesForCurrentThread();
            int length = server.Receive(buffer, SocketFlags.None, out var error);
            if (error == SocketError.TimedOut || error == SocketError.WouldBlock) continue;
            if (error != SocketError.Success) throw new SocketException((int)error);
            server.Send(buffer.AsSpan(0, length));
        }
        return allocatedAtStart < 0 ? 0 : GC.GetAllocatedBytesForCurrentThread() - allocatedAtStart;
    }

    private static EchoResult Drive(Socket client, byte[] payload, int window, EchoWindow frame)
    {
        byte[] buffer = new byte[2048];
        long received = 0;
        long startCount = -1;
        long startTime = 0;
        long allocatedAtStart = 0;
        for (int i = 0; i < window; i++) client.Send(payload);
        while (true)
        {
            long timestamp = Stopwatch.GetTimestamp();
            if (startCount < 0 && timestamp >= frame.Start)
            {
                startCount = received;
                startTime = timestamp;
                allocatedAtStart = GC.GetAllocatedBytesForCurrentThread();
            }
            else if (startCount >= 0 && timestamp >= frame.End)
            {
                long allocated = GC.GetAllocatedBytesForCurrentThread() - allocatedAtStart;
                long echoes = received - startCount;
                double seconds = (double)(timestamp - startTime) / Stopwatch.Frequency;
                return new EchoResult(echoes / seconds, allocated, echoes);
            }
            if (frame.Stopped) throw new InvalidOperationException("the server stopped");
            client.Receive(buffer, SocketFlags.None, out var error);
            if (error == SocketError.TimedOut || error == SocketError.WouldBlock)
            {
                // Loopback does not lose datagrams unless a socket buffer overflows; refill the window if it did.
                for (int i = 0; i < window; i++) client.Send(payload);
                continue;
            }
            if (error != SocketError.Success) throw new SocketException((int)error);
            received++;
            client.Send(payload);
        }
    }
}
