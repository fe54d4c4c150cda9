using System.Diagnostics;
using Wirestack.Iface;
using Wirestack.Nic;
using Wirestack.Wire;

namespace Wirestack.Cli.Ping;

/// <summary>
/// `wirestack ping`: one stack on a real device sends ICMP or ICMPv6 echo requests and prints each reply and a
/// summary in the stock ping's format.
/// </summary>
internal sealed class PingRunner(PingOptions options, TextWriter output)
{
    // How long to wait for replies after the last request, as ping's linger does.
    private static readonly TimeSpan Linger = TimeSpan.FromSeconds(2);

    public int Run(CancellationToken cancellation)
    {
        var destination = options.Destination;
        var host = options.Host;
        if (destination.IsIpv6 && host.Ipv6 is null && !destination.AsIpv6.IsLinkLocal)
            throw new CliUsageException($"pinging {destination} needs an IPv6 address on the stack: add --ip6 CIDR, such as --ip6 fd00::2/64.");
        if (destination.IsMulticast || destination.IsUnspecified || (destination.IsIpv4 && destination.AsIpv4 == host.Ipv4.Address))
            throw new CliUsageException($"{destination} is not a unicast address of another host; give the address to ping.");

        using var device = host.Device.Open(host.Mtu);
        var mac = host.Mac ?? Hosting.HostOptions.RandomMac();
        var stack = new Interface(device, host.ToInterfaceOptions(mac));
        var time = TimeProvider.System;
        var source = destination.IsIpv6 ? (host.Ipv6?.Address ?? stack.Ipv6LinkLocalAddress).ToString() : host.Ipv4.Address.ToString();
        int headers = destination.IsIpv6 ? 48 : 28;
        output.WriteLine($"PING {destination} ({destination}) from {source} {host.Device} ({mac}): {options.Size}({options.Size + headers}) bytes of data.");

        var data = new byte[options.Size];
        for (int i = 0; i < data.Length; i++) data[i] = (byte)(0x10 + i);
        var identifier = (ushort)Environment.ProcessId;
        var sentAt = new Instant[65536];
        var pending = new bool[65536];
        int transmitted = 0, received = 0;
        double minMs = double.MaxValue, maxMs = 0, sumMs = 0, sumSquares = 0;
        var started = Stopwatch.StartNew();
        var now = Instant.Now(time);
        var nextSend = now;
        var lastSend = now;
        ushort sequence = 1;

        while (!cancellation.IsCancellationRequested)
        {
            now = Instant.Now(time);
            bool sending = options.Count is not { } count || transmitted < count;
            if (sending && now >= nextSend)
            {
                pending[sequence] = true;
                sentAt[sequence] = now;
                if (!stack.TrySendIcmpEcho(destination, identifier, sequence, data, now))
                    output.WriteLine($"From {source} icmp_seq={sequence} Destination unreachable: the stack dropped the request ({DropSummary(stack)})");
                transmitted++;
                lastSend = now;
                nextSend = now + options.Interval;
                sequence = sequence == ushort.MaxValue ? (ushort)1 : (ushort)(sequence + 1);
            }
            var deadline = stack.Poll(now);
            while (stack.TryDequeueEchoReply(out var reply))
            {
                if (reply.Identifier != identifier || reply.Source != destination || !pending[reply.SequenceNumber]) continue;
                pending[reply.SequenceNumber] = false;
                double ms = (reply.ReceivedAt - sentAt[reply.SequenceNumber]).TotalMicroseconds / 1000.0;
                received++;
                sumMs += ms;
                sumSquares += ms * ms;
                minMs = Math.Min(minMs, ms);
                maxMs = Math.Max(maxMs, ms);
                output.WriteLine($"{reply.PayloadLength + 8} bytes from {reply.Source}: icmp_seq={reply.SequenceNumber} time={Format(ms)} ms");
            }
            if (!sending && (received >= transmitted || now >= lastSend + Linger)) break;

            // Sleep in the device until a frame arrives, the stack's next timer, or the next request is due.
            var wake = Instant.Min(deadline, sending ? nextSend : lastSend + Linger);
            var wait = wake - Instant.Now(time);
            if (wait > TimeSpan.Zero) device.WaitForReceive(wait > TimeSpan.FromMilliseconds(100) ? TimeSpan.FromMilliseconds(100) : wait);
        }

        output.WriteLine();
        output.WriteLine($"--- {destination} ping statistics ---");
        int lossPercent = transmitted == 0 ? 0 : (transmitted - received) * 100 / transmitted;
        output.WriteLine($"{transmitted} packets transmitted, {received} received, {lossPercent}% packet loss, time {started.ElapsedMilliseconds}ms");
        if (received > 0)
        {
            double avg = sumMs / received;
            double mdev = Math.Sqrt(Math.Max(0, sumSquares / received - avg * avg));
            output.WriteLine($"rtt min/avg/max/mdev = {minMs:F3}/{avg:F3}/{maxMs:F3}/{mdev:F3} ms");
        }
        return received > 0 ? 0 : 1;
    }

    private static string Format(double ms) => ms >= 100 ? ms.ToString("F0", System.Globalization.CultureInfo.InvariantCulture)
        : ms >= 10 ? ms.ToString("F1", System.Globalization.CultureInfo.InvariantCulture)
        : ms.ToString("F3", System.Globalization.CultureInfo.InvariantCulture);

    private static string DropSummary(Interface stack)
    {
        var text = new System.Text.StringBuilder();
        foreach (var reason in Enum.GetValues<InterfaceDropReason>())
        {
            long count = stack.Counters.Dropped(reason);
            if (count == 0) continue;
            if (text.Length > 0) text.Append(", ");
            text.Append(reason).Append(' ').Append(count);
        }
        return text.Length == 0 ? "no reason counted" : text.ToString();
    }
}
