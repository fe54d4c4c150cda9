using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Wirestack.Benchmarks.PipeTcp;

/// <summary>
/// The baseline: bulk kernel TCP over loopback (MTU 65536, with its offloads) between two threads of this process,
/// blocking sockets, the same pattern sent and checked byte for byte on receipt as the Wirestack row does.
/// </summary>
internal static class KernelLoopbackTransfer
{
    public static BulkResult Run(StreamPattern pattern, long bytes, TimeSpan limit)
    {
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(1);
        using var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        client.Connect(listener.LocalEndPoint!);
        using var server = listener.Accept();
        // A stalled kernel transfer ends in a SocketException instead of hanging the run.
        server.ReceiveTimeout = client.SendTimeout = (int)limit.TotalMilliseconds;
        Exception? failure = null;
        long senderAllocated = 0;
        long start = 0;
        var sender = new Thread(() =>
        {
            try
            {
                long written = 0, allocatedAt = -1;
                start = Stopwatch.GetTimestamp();
                while (written < bytes)
                {
                    written += client.Send(pattern.From(written, bytes - written));
                    if (allocatedAt < 0 && written >= bytes / 4) allocatedAt = GC.GetAllocatedBytesForCurrentThread();
                }
                senderAllocated = GC.GetAllocatedBytesForCurrentThread() - allocatedAt;
                client.Shutdown(SocketShutdown.Send);
            }
            catch (Exception e)
            {
                failure ??= e;
            }
        }) { IsBackground = true, Name = "kernel sender" };
        var buffer = new byte[256 * 1024];
        long received = 0, receiverAllocatedAt = -1, end = 0, receiverAllocated = 0;
        sender.Start();
        try
        {
            while (received < bytes)
            {
                int n = server.Receive(buffer);
                if (n == 0) throw new InvalidOperationException($"the kernel connection ended after {received} of {bytes} bytes");
                if (!pattern.Matches(received, buffer.AsSpan(0, n)))
                    throw new InvalidOperationException($"the kernel delivered bytes that are not the stream's at offset {received}");
                received += n;
                if (receiverAllocatedAt < 0 && received >= bytes / 4) receiverAllocatedAt = GC.GetAllocatedBytesForCurrentThread();
            }
            end = Stopwatch.GetTimestamp();
            receiverAllocated = GC.GetAllocatedBytesForCurrentThread() - receiverAllocatedAt;
        }
        catch (Exception e)
        {
            failure ??= e;
        }
        sender.Join();
        if (failure is not null) throw new InvalidOperationException("the kernel transfer failed", failure);
        // The kernel's segments are not visible from here; the row reports goodput only.
        return new BulkResult((double)(end - start) / Stopwatch.Frequency, bytes, 0, 0, 0, senderAllocated + receiverAllocated);
    }
}
