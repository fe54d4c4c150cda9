using System.Diagnostics;
using Wirestack.Iface;
using Wirestack.Nic;
using Wirestack.Tcp;
using Wirestack.Wire;

namespace Wirestack.Benchmarks.PipeTcp;

/// <summary>
/// Connection setup between two Wirestack interfaces on the pipe device, a thread each: A connects, B accepts and
/// closes at once, A sees the FIN and closes; one cycle is one connection through SYN, SYN-ACK, ACK, FIN, FIN, ACK.
/// B, which closes first, holds the TIME-WAITs; MSL is cut to <see cref="MaximumSegmentLifetime"/> so that they neither
/// fill its table nor outlive A's walk through its 16384 ephemeral ports (a SYN that meets a TIME-WAIT from an
/// earlier connection of the same 4-tuple is refused, and A resends it after a second).
/// </summary>
internal static class StackPipeSetup
{
    private const ushort Port = 5002;
    public static readonly TimeSpan MaximumSegmentLifetime = TimeSpan.FromMilliseconds(250);
    private static readonly Ipv4Address AddressA = new(10, 0, 0, 1);
    private static readonly Ipv4Address AddressB = new(10, 0, 0, 2);
    private static readonly TimeSpan IdleWait = TimeSpan.FromMilliseconds(1);

    /// <summary>Cycles per second over <paramref name="measure"/>, after <paramref name="warmup"/>.</summary>
    public static double Run(TimeSpan warmup, TimeSpan measure)
    {
        var (first, second) = PipeDevice.CreatePair(new PipeDeviceOptions { RingSize = 256 });
        using var deviceA = first;
        using var deviceB = second;
        var tcp = new TcpOptions { ConnectionCapacity = 16384, SendBufferLength = 4096, ReceiveBufferLength = 4096, MaximumSegmentLifetime = MaximumSegmentLifetime };
        var a = new Interface(deviceA, Options("02:00:00:00:00:0a", AddressA, tcp));
        var b = new Interface(deviceB, Options("02:00:00:00:00:0b", AddressB, tcp));
        if (!b.TryListenTcp(new IpEndpoint(IpAddress.AnyIpv4, Port), 64, out var listener)) throw new InvalidOperationException("B could not listen");
        var time = TimeProvider.System;
        var stop = new StopFlag();
        Exception? failure = null;
        var server = new Thread(() =>
        {
            try
            {
                while (!stop.Value)
                {
                    var now = Instant.Now(time);
                    var deadline = b.Poll(now);
                    bool accepted = false;
                    while (b.TryAcceptTcp(listener, out var connection))
                    {
                        b.CloseTcp(connection, now);
                        accepted = true;
                    }
                    b.Device.Flush();
                    if (!accepted) Idle(b, now, deadline);
                }
            }
            catch (Exception e)
            {
                failure ??= e;
                stop.Value = true;
            }
        }) { IsBackground = true, Name = "setup B" };
        server.Start();
        double rate = 0;
        try
        {
            var meter = new CycleRate(warmup, measure);
            var remote = new IpEndpoint(AddressB, Port);
            while (!stop.Value && !meter.Done(out rate)) Cycle(a, remote, time);
        }
        catch (Exception e)
        {
            failure ??= e;
        }
        stop.Value = true;
        deviceB.Interrupt();
        server.Join();
        if (failure is not null) throw new InvalidOperationException($"the Wirestack setup run failed: A {a.Counters} {a.TcpCounters}; B {b.Counters} {b.TcpCounters}", failure);
        return rate;
    }

    private static void Cycle(Interface a, IpEndpoint remote, TimeProvider time)
    {
        var now = Instant.Now(time);
        if (!a.TryConnectTcp(remote, 0, now, out var connection)) throw new InvalidOperationException($"A could not connect ({a.TcpConnectionCount} connections)");
        a.Device.Flush();
        var started = Stopwatch.GetTimestamp();
        while (true)
        {
            now = Instant.Now(time);
            var deadline = a.Poll(now);
            var info = a.GetTcpInfo(connection);
            if (info.State == TcpState.Closed) throw new InvalidOperationException($"A's connection closed before B's FIN: {info.Error}");
            if (info.ReadCompleted) break;
            if (Stopwatch.GetElapsedTime(started) > TimeSpan.FromSeconds(5)) throw new TimeoutException($"a connection stayed in {info.State} for 5 s");
            Idle(a, now, deadline);
        }
        a.CloseTcp(connection, now);
        a.Device.Flush();
    }

    private static void Idle(Interface iface, Instant now, Instant deadline)
    {
        if (deadline <= now) return;
        // Instant.MaxValue (no timer) minus now does not fit a TimeSpan: compare before subtracting.
        iface.Device.WaitForReceive(deadline >= now + IdleWait ? IdleWait : deadline - now);
    }

    private static InterfaceOptions Options(string mac, Ipv4Address address, TcpOptions tcp) => new()
    {
        MacAddress = MacAddress.Parse(mac),
        Ipv4Addresses = [new Ipv4InterfaceAddress(address, 24)],
        EnableIpv6 = false,
        AnnounceAddresses = false,
        Tcp = tcp,
    };

    private sealed class StopFlag
    {
        private volatile bool _value;

        public bool Value
        {
            get => _value;
            set => _value = value;
        }
    }
}
