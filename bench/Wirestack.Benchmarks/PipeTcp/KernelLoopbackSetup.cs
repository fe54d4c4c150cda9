using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Wirestack.Benchmarks.PipeTcp;

/// <summary>
/// The baseline for connection setup: kernel TCP over loopback between two threads, the same cycle as
/// <see cref="StackPipeSetup"/> (connect; the server accepts and closes; the client reads the end of stream and closes).
/// </summary>
internal static class KernelLoopbackSetup
{
    public static double Run(TimeSpan warmup, TimeSpan measure)
    {
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(64);
        var endpoint = listener.LocalEndPoint!;
        Exception? failure = null;
        bool stop = false;
        var server = new Thread(() =>
        {
            try
            {
                while (!Volatile.Read(ref stop))
                {
                    // Polls with a timeout, so that the thread sees the end of the run without closing the listener under it.
                    if (!listener.Poll(100_000, SelectMode.SelectRead)) continue;
                    using var connection = listener.Accept();
                }
            }
            catch (Exception e)
            {
                failure ??= e;
            }
        }) { IsBackground = true, Name = "kernel setup server" };
        server.Start();
        double rate = 0;
        var meter = new CycleRate(warmup, measure);
        var one = new byte[1];
        while (failure is null && !meter.Done(out rate))
        {
            using (var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp))
            {
                client.ReceiveTimeout = 5000;
                client.Connect(endpoint);
                if (client.Receive(one) != 0) throw new InvalidOperationException("the kernel server sent data; it should only close");
            }
        }
        Volatile.Write(ref stop, true);
        server.Join();
        if (failure is not null) throw new InvalidOperationException("the kernel setup run failed", failure);
        return rate;
    }
}
