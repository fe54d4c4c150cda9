using System.Diagnostics;
using Wirestack.Iface;
using Wirestack.Nic;
using Wirestack.Wire;

namespace Wirestack.Benchmarks.UdpEcho;

/// <summary>
/// UDP echo between two Wirestack interfaces joined by the in-process pipe device, each driven by a thread of its
/// own: the client keeps a window of datagrams in flight and sends one more for every echo back; the server echoes
/// every datagram to where it came from. Both poll, and sleep in the device only when there is nothing to do.
/// </summary>
internal static class StackEcho
{
    private const ushort ClientPort = 40000;
    private const ushort EchoPort = 7;
    private static readonly Ipv4Address ClientAddress = new(10, 0, 0, 1);
    private static readonly Ipv4Address ServerAddress = new(10, 0, 0, 2);
    private static readonly TimeSpan IdleWait = TimeSpan.FromMilliseconds(1);

    public static EchoResult Measure(int payloadLength, int window, TimeSpan warmup, TimeSpan measure)
    {
        var (first, second) = PipeDevice.CreatePair(new PipeDeviceOptions { RingSize = 1024, ReceiveBatchSize = 64 });
        using var clientDevice = first;
        using var serverDevice = second;
        var client = new Interface(clientDevice, Options("02:00:00:00:00:0a", ClientAddress));
        var server = new Interface(serverDevice, Options("02:00:00:00:00:0b", ServerAddress));
        if (!client.TryBindUdp(ClientPort, out var clientHandle) || !server.TryBindUdp(EchoPort, out var serverHandle))
            throw new InvalidOperationException("could not bind the echo ports");
        byte[] payload = new byte[payloadLength];
        new Random(11).NextBytes(payload);
        Resolve(client, server, clientHandle, serverHandle, payload);

        var frame = new EchoWindow(warmup, measure);
        long serverBytes = 0;
        Exception? serverFailure = null;
        var serverThread = new Thread(() =>
        {
            try
            {
                serverBytes = Serve(server, serverHandle, frame);
            }
            catch (Exception e)
            {
                serverFailure = e;
                frame.Stop();
            }
        }) { IsBackground = true, Name = "udp-echo server" };
        EchoResult result = default;
        Exception? clientFailure = null;
        var clientThread = new Thread(() =>
        {
            try
            {
                result = Drive(client, clientHandle, payload, window, frame);
            }
            catch (Exception e)
            {
                clientFailure = e;
            }
            finally
            {
                frame.Stop();
            }
        }) { IsBackground = true, Name = "udp-echo client" };
        serverThread.Start();
        clientThread.Start();
        clientThread.Join();
        serverDevice.Interrupt();
        serverThread.Join();
        if (clientFailure is not null || serverFailure is not null)
            throw new InvalidOperationException("the Wirestack echo run failed", clientFailure ?? serverFailure);
        long drops = client.Counters.TotalDropped + server.Counters.TotalDropped;
        if (drops != 0) throw new InvalidOperationException($"the Wirestack echo run dropped {drops}: client {client.Counters}; server {server.Counters}");
        return result with { BytesPerEcho = result.Echoes == 0 ? 0 : (result.BytesPerEcho + serverBytes) / result.Echoes };
    }

    private static InterfaceOptions Options(string mac, Ipv4Address address) => new()
    {
        MacAddress = MacAddress.Parse(mac),
        Ipv4Addresses = [new Ipv4InterfaceAddress(address, 24)],
        EnableIpv6 = false,
        AnnounceAddresses = false,
    };

    // One exchange on this thread first, so that ARP is done before the threads start.
    private static void Resolve(Interface client, Interface server, UdpHandle clientHandle, UdpHandle serverHandle, byte[] payload)
    {
        var now = Instant.Now(TimeProvider.System);
        client.TrySendUdp(clientHandle, ServerAddress, EchoPort, payload, now);
        byte[] buffer = new byte[2048];
        for (int i = 0; i < 20; i++)
        {
            client.Poll(now);
            server.Poll(now);
            while (server.TryReceiveUdp(serverHandle, buffer, out int length, out var source, out ushort port))
                server.TrySendUdp(serverHandle, source, port, buffer.AsSpan(0, length), now);
        }
        if (!client.TryReceiveUdp(clientHandle, buffer, out _, out _, out _))
            throw new InvalidOperationException($"the first echo did not come back: client {client.Counters}; server {server.Counters}");
    }

    // Returns the bytes this thread allocated inside the measured window.
    private static long Serve(Interface server, UdpHandle handle, EchoWindow frame)
    {
        byte[] buffer = new byte[2048];
        long allocatedAtStart = -1;
        while (!frame.Stopped)
        {
            if (allocatedAtStart < 0 && Stopwatch.GetTimestamp() >= frame.Start) allocatedAtStart = GC.GetAllocatedBytesForCurrentThread();
            var now = Instant.Now(TimeProvider.System);
            server.Poll(now);
            int echoed = 0;
            while (server.TryReceiveUdp(handle, buffer, out int length, out var source, out ushort port))
            {
                if (!server.TrySendUdp(handle, source, port, buffer.AsSpan(0, length), now))
                    throw new InvalidOperationException($"the server could not echo: {server.Counters}");
                echoed++;
            }
            // Publish the echoes now rather than at the next poll, which may be a sleep away.
            server.Device.Flush();
            if (echoed == 0 && server.PendingEgressPackets == 0) server.Device.WaitForReceive(IdleWait);
        }
        return allocatedAtStart < 0 ? 0 : GC.GetAllocatedBytesForCurrentThread() - allocatedAtStart;
    }

    private static EchoResult Drive(Interface client, UdpHandle handle, byte[] payload, int window, EchoWindow frame)
    {
        byte[] buffer = new byte[2048];
        long sent = 0;
        long received = 0;
        long startCount = -1;
        long startTime = 0;
        long allocatedAtStart = 0;
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
            var now = Instant.Now(TimeProvider.System);
            client.Poll(now);
            int back = 0;
            while (client.TryReceiveUdp(handle, buffer, out _, out _, out _)) back++;
            received += back;
            while (sent - received < window && client.TrySendUdp(handle, ServerAddress, EchoPort, payload, now)) sent++;
            client.Device.Flush();
            if (back == 0 && client.PendingEgressPackets == 0) client.Device.WaitForReceive(IdleWait);
        }
    }
}
