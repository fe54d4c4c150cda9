using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using Wirestack;
using Wirestack.Iface;
using Wirestack.Nic;
using Wirestack.Tcp;
using Wirestack.Wire;

// Side B of a shared-memory pipe, in a process of its own. Modes:
//   echo PATH         an Interface at 10.9.0.2 that answers ping, echoes UDP on port 7 and TCP on port 5001
//                     (printing "tcp SHA256 BYTES" for what each TCP connection sent it)
//   sink PATH         the same Interface, reading and discarding TCP on port 5001 ("sink BYTES" at the end)
//   kernel-sink PORT  a kernel TCP listener on 127.0.0.1:PORT that reads and discards ("sink BYTES")
// It prints "ready" once it listens, and exits when the other side closes the pipe.
if (args.Length != 2) return Usage();
return args[0] switch
{
    "echo" => PeerStack.Run(args[1], sink: false),
    "sink" => PeerStack.Run(args[1], sink: true),
    "kernel-sink" => KernelSink(int.Parse(args[1], CultureInfo.InvariantCulture)),
    _ => Usage(),
};

static int Usage()
{
    Console.Error.WriteLine("usage: Wirestack.ShmPeer (echo PATH | sink PATH | kernel-sink PORT)");
    return 64;
}

static int KernelSink(int port)
{
    using var listener = new TcpListener(IPAddress.Loopback, port);
    listener.Start();
    Console.WriteLine("ready");
    using var client = listener.AcceptSocket();
    var buffer = new byte[256 * 1024];
    long total = 0;
    int read;
    while ((read = client.Receive(buffer)) > 0) total += read;
    Console.WriteLine($"sink {total}");
    return 0;
}

/// <summary>The Interface on side B and its poll loop.</summary>
internal static class PeerStack
{
    public static readonly MacAddress Mac = MacAddress.Parse("02:00:0a:09:00:02");
    public static readonly Ipv4Address Address = new(10, 9, 0, 2);
    private const ushort UdpPort = 7;
    private const ushort TcpPort = 5001;

    public static int Run(string path, bool sink)
    {
        using var device = SharedMemoryPipeDevice.Open(path);
        var iface = new Interface(device, new InterfaceOptions
        {
            MacAddress = Mac,
            Ipv4Addresses = [new Ipv4InterfaceAddress(Address, 24)],
            EnableIpv6 = false,
            Tcp = new TcpOptions { SendBufferLength = 1 << 20, ReceiveBufferLength = 1 << 20 },
        });
        if (!iface.TryBindUdp(UdpPort, out var udp) || !iface.TryListenTcp(new IpEndpoint(IpAddress.AnyIpv4, TcpPort), 4, out var listener))
        {
            Console.Error.WriteLine("could not bind UDP 7 or listen on TCP 5001");
            return 1;
        }
        Console.WriteLine("ready");
        var app = new PeerApplication(iface, udp, listener, sink);
        var time = TimeProvider.System;
        try
        {
            while (device.PeerState is not PipePeerState.Closed)
            {
                var now = Instant.Now(time);
                bool progress = app.Step(now);
                var deadline = iface.Poll(now);
                // What this poll received is answered now, not at the next wake-up.
                progress |= app.Step(now);
                if (progress) continue;
                var after = Instant.Now(time);
                deadline = Instant.Min(deadline, after + TimeSpan.FromMilliseconds(100));
                if (deadline > after) device.WaitForReceive(deadline - after);
            }
            return 0;
        }
        catch (PipePeerExitedException e)
        {
            Console.Error.WriteLine(e.Message);
            return 2;
        }
    }
}

/// <summary>What side B does with its Interface: echo UDP, and echo (or sink) one TCP connection at a time.</summary>
internal sealed class PeerApplication(Interface iface, UdpHandle udp, TcpListenerHandle listener, bool sink)
{
    private readonly byte[] _datagram = new byte[65536];
    private readonly byte[] _buffer = new byte[256 * 1024];
    private readonly IncrementalHash _hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
    private TcpHandle _connection;
    private long _received;
    private bool _shut;

    /// <summary>Does what can be done now; true when anything moved.</summary>
    public bool Step(Instant now)
    {
        bool progress = false;
        while (iface.TryReceiveUdp(udp, _datagram, out int length, out var source, out ushort sourcePort))
        {
            iface.TrySendUdp(udp, source, sourcePort, _datagram.AsSpan(0, length), now);
            progress = true;
        }
        if (!_connection.IsAssigned && !iface.TryAcceptTcp(listener, out _connection)) return progress;
        var info = iface.GetTcpInfo(_connection);
        int room = sink ? _buffer.Length : Math.Min(info.WritableBytes, _buffer.Length);
        int read = room > 0 ? iface.ReadTcp(_connection, _buffer.AsSpan(0, room), now) : 0;
        if (read > 0)
        {
            _received += read;
            if (!sink)
            {
                _hash.AppendData(_buffer, 0, read);
                iface.WriteTcp(_connection, _buffer.AsSpan(0, read), now);
            }
            progress = true;
        }
        if (!_shut && info.ReadCompleted && read == 0)
        {
            iface.ShutdownTcpWrite(_connection, now);
            _shut = true;
            Console.WriteLine(sink ? $"sink {_received}" : $"tcp {Convert.ToHexStringLower(_hash.GetHashAndReset())} {_received}");
        }
        if (_shut && iface.GetTcpState(_connection) is TcpState.Closed or TcpState.TimeWait)
        {
            iface.CloseTcp(_connection, now);
            _connection = default;
            _received = 0;
            _shut = false;
        }
        return progress;
    }
}
