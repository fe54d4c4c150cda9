using System.Diagnostics;
using System.Security.Cryptography;
using Wirestack.Iface;
using Wirestack.Link;
using Wirestack.Tcp;
using Wirestack.Wire;

namespace Wirestack.Cli.Demo;

/// <summary>
/// `wirestack demo`: two real stacks on an in-process link resolve each other with ARP and NDP, ping over IPv4 and
/// IPv6, move a TCP stream checked with SHA-256 on both ends, and join and use UDP multicast groups over IGMP and
/// MLD. Every step is judged from what the stacks report (neighbour caches, counters, received bytes), never from
/// what the demo sent.
/// </summary>
internal sealed class StackDemo(DemoOptions options, TextWriter output)
{
    private const ushort TcpPort = 5201;
    private const ushort MulticastPortV4 = 5001;
    private const ushort MulticastPortV6 = 5002;
    private const int PingCount = 4;
    private const int PingDataLength = 56;

    private readonly List<DemoStep> _steps = [];
    private DemoHosts _hosts = null!;
    private readonly List<TimeSpan> _rtts = [];
    private TransferFigures _transfer;
    private readonly TimeSpan _stepTimeout = options.StepTimeout ?? TimeSpan.FromSeconds(5);

    public int Run()
    {
        using var hosts = new DemoHosts(options.PcapPath, options.Verbose ? output : null, options.Faults);
        _hosts = hosts;
        output.WriteLine($"Two stacks on an in-process link: A {DemoHosts.MacA} {DemoHosts.Ipv4A} {DemoHosts.Ipv6A}, B {DemoHosts.MacB} {DemoHosts.Ipv4B} {DemoHosts.Ipv6B}");
        output.WriteLine();
        ResolveArp();
        ResolveNdp();
        Ping("ping v4", DemoHosts.Ipv4B);
        Ping("ping v6", DemoHosts.Ipv6B);
        TransferTcp();
        Multicast("UDP multicast v4", Ipv4Address.Parse("239.1.2.3"), IpAddress.AnyIpv4, MulticastPortV4);
        Multicast("UDP multicast v6", Ipv6Address.Parse("ff15::1:2:3"), IpAddress.AnyIpv6, MulticastPortV6);
        hosts.Capture?.FlushCapture();
        return Summarize();
    }

    // --- steps -------------------------------------------------------------------------------

    private void ResolveArp()
    {
        var a = _hosts.A;
        var b = _hosts.B;
        // Any packet to B starts the resolution; an echo request is the smallest that B answers.
        a.TrySendIcmpEcho(DemoHosts.Ipv4B, 0xA4, 0, default, DemoHosts.Now);
        bool resolved = _hosts.PollUntil(() => a.Ipv4Neighbors.GetState(DemoHosts.Ipv4B, out _) == NeighborState.Reachable
            && a.TryDequeueEchoReply(out _), _stepTimeout);
        var state = a.Ipv4Neighbors.GetState(DemoHosts.Ipv4B, out var mac);
        var learnedState = b.Ipv4Neighbors.GetState(DemoHosts.Ipv4A, out var learned);
        bool ok = resolved && mac == DemoHosts.MacB && learned == DemoHosts.MacA
            && a.Counters.ArpRequestsSent >= 1 && b.Counters.ArpRepliesSent >= 1;
        Record("ARP resolution", ok,
            $"A's cache: {DemoHosts.Ipv4B} is-at {mac} ({state}); B's: {DemoHosts.Ipv4A} is-at {learned} ({learnedState}); "
            + $"{a.Counters.ArpRequestsSent} request, {b.Counters.ArpRepliesSent} reply");
    }

    private void ResolveNdp()
    {
        var a = _hosts.A;
        var b = _hosts.B;
        long solicitationsBefore = a.Counters.NeighborSolicitationsSent;
        long advertisementsBefore = b.Counters.NeighborAdvertisementsSent;
        a.TrySendIcmpEcho(DemoHosts.Ipv6B, 0xA6, 0, default, DemoHosts.Now);
        var cache = a.Ipv6Neighbors!;
        bool resolved = _hosts.PollUntil(() => cache.GetState(DemoHosts.Ipv6B, out _) == NeighborState.Reachable
            && a.TryDequeueEchoReply(out _), _stepTimeout);
        var state = cache.GetState(DemoHosts.Ipv6B, out var mac);
        long solicitations = a.Counters.NeighborSolicitationsSent - solicitationsBefore;
        long advertisements = b.Counters.NeighborAdvertisementsSent - advertisementsBefore;
        bool ok = resolved && mac == DemoHosts.MacB && solicitations >= 1 && advertisements >= 1;
        Record("NDP resolution", ok,
            $"A's cache: {DemoHosts.Ipv6B} is-at {mac} ({state}); {solicitations} solicitation, {advertisements} advertisement");
    }

    private void Ping(string name, IpAddress destination)
    {
        var a = _hosts.A;
        Span<byte> data = stackalloc byte[PingDataLength];
        for (int i = 0; i < data.Length; i++) data[i] = (byte)i;
        long answeredBefore = _hosts.B.Counters.EchoRequestsAnswered;
        int received = 0;
        var min = TimeSpan.MaxValue;
        var max = TimeSpan.Zero;
        var sum = TimeSpan.Zero;
        ushort identifier = destination.IsIpv6 ? (ushort)0x6666 : (ushort)0x4444;
        for (ushort seq = 1; seq <= PingCount; seq++)
        {
            var sentAt = DemoHosts.Now;
            if (!a.TrySendIcmpEcho(destination, identifier, seq, data, sentAt)) continue;
            EchoReply reply = default;
            bool replied = _hosts.PollUntil(() => a.TryDequeueEchoReply(out reply)
                && reply.Identifier == identifier && reply.SequenceNumber == seq, _stepTimeout);
            if (!replied || reply.Source != destination || reply.PayloadLength != PingDataLength) continue;
            var rtt = reply.ReceivedAt - sentAt;
            received++;
            _rtts.Add(rtt);
            sum += rtt;
            if (rtt < min) min = rtt;
            if (rtt > max) max = rtt;
        }
        long answered = _hosts.B.Counters.EchoRequestsAnswered - answeredBefore;
        bool ok = received == PingCount && answered == PingCount;
        string rtts = received == 0 ? "no replies" : $"rtt min/avg/max {Micro(min)}/{Micro(sum / received)}/{Micro(max)} µs";
        Record(name, ok, $"{received}/{PingCount} replies from {destination} ({PingDataLength} data bytes), B answered {answered}; {rtts}");
    }

    private void TransferTcp()
    {
        var a = _hosts.A;
        var b = _hosts.B;
        long total = options.TransferBytes;
        if (!b.TryListenTcp(new IpEndpoint(IpAddress.AnyIpv4, TcpPort), 4, out var listener)
            || !a.TryConnectTcp(new IpEndpoint(DemoHosts.Ipv4B, TcpPort), 0, DemoHosts.Now, out var client))
        {
            Record("TCP transfer", false, "B could not listen or A could not connect");
            return;
        }
        // Dissecting every data segment slows the transfer down; only -v needs to see them.
        _hosts.Watcher.Watching = options.Verbose;
        try
        {
            Transfer(total, listener, client);
        }
        finally
        {
            _hosts.Watcher.Watching = true;
        }
    }

    private void Transfer(long total, TcpListenerHandle listener, TcpHandle client)
    {
        var a = _hosts.A;
        var b = _hosts.B;
        TcpHandle server = default;
        bool connected = _hosts.PollUntil(() => (server.IsAssigned || b.TryAcceptTcp(listener, out server))
            && a.GetTcpState(client) == TcpState.Established, _stepTimeout);
        b.CloseTcpListener(listener, DemoHosts.Now);
        if (!connected)
        {
            Record("TCP transfer", false, $"no connection: A is {a.GetTcpState(client)}");
            return;
        }

        var data = new byte[1 << 20];
        new Random(2026).NextBytes(data);
        var buffer = new byte[64 * 1024];
        using var sentHash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        using var receivedHash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        long written = 0, received = 0;
        bool shut = false, failed = false;
        // Allocation is measured once the stream is flowing (past the first 1/16 or 1 MiB), with the progress line's
        // own allocations taken out.
        long steadyFrom = Math.Min(total / 16, 1 << 20);
        long allocatedStart = 0, framesStart = 0, progressAllocated = 0;
        bool measuring = false;
        long framesBefore = _hosts.LinkFrames;
        long nextProgressMs = 0;
        var timer = Stopwatch.StartNew();
        // A generous ceiling: 5 s plus 2 s per 100 MB, far above what the stacks need.
        long limitMs = 5_000 + total / 50_000;
        int spins = 0;

        while (true)
        {
            var now = DemoHosts.Now;
            if (written < total)
            {
                int at = (int)(written % data.Length);
                int length = (int)Math.Min(total - written, data.Length - at);
                int n = a.WriteTcp(client, data.AsSpan(at, length), now);
                if (n > 0)
                {
                    sentHash.AppendData(data, at, n);
                    written += n;
                }
            }
            else if (!shut)
            {
                a.ShutdownTcpWrite(client, now);
                shut = true;
            }
            _hosts.Poll(now);
            int read;
            while ((read = b.ReadTcp(server, buffer, now)) > 0)
            {
                receivedHash.AppendData(buffer, 0, read);
                received += read;
            }
            if (!measuring && received >= steadyFrom)
            {
                measuring = true;
                framesStart = _hosts.LinkFrames;
                allocatedStart = GC.GetAllocatedBytesForCurrentThread();
            }
            if (b.GetTcpInfo(server).ReadCompleted) break;
            if (++spins == 64)
            {
                spins = 0;
                if (a.GetTcpState(client) == TcpState.Closed || timer.ElapsedMilliseconds > limitMs)
                {
                    failed = true;
                    break;
                }
                // Five redraws a second: enough to look alive, too few to cost anything.
                if (options.ShowProgress && timer.ElapsedMilliseconds >= nextProgressMs)
                {
                    long before = GC.GetAllocatedBytesForCurrentThread();
                    WriteProgress((int)(received * 100 / total), received, timer.Elapsed);
                    progressAllocated += GC.GetAllocatedBytesForCurrentThread() - before;
                    nextProgressMs = timer.ElapsedMilliseconds + 200;
                }
            }
        }
        long allocated = GC.GetAllocatedBytesForCurrentThread() - allocatedStart - progressAllocated;
        long steadyFrames = _hosts.LinkFrames - framesStart;
        timer.Stop();
        if (options.ShowProgress) output.Write("\r" + new string(' ', 72) + "\r");

        var infoA = a.GetTcpInfo(client);
        a.CloseTcp(client, DemoHosts.Now);
        b.CloseTcp(server, DemoHosts.Now);
        _hosts.PollUntil(() => a.GetTcpState(client) is TcpState.Closed or TcpState.TimeWait, _stepTimeout);

        var sent = sentHash.GetHashAndReset();
        var got = receivedHash.GetHashAndReset();
        bool hashesMatch = sent.AsSpan().SequenceEqual(got);
        double seconds = timer.Elapsed.TotalSeconds;
        _transfer = new TransferFigures(received, _hosts.LinkFrames - framesBefore, seconds,
            steadyFrames == 0 ? double.NaN : (double)allocated / steadyFrames, infoA.SmoothedRtt, a.TcpCounters.RetransmittedSegments);
        bool ok = !failed && received == total && hashesMatch;
        string why = failed ? (a.GetTcpState(client) == TcpState.Closed ? $"A's connection closed ({infoA.Error}); " : "timed out; ") : "";
        Record("TCP transfer", ok,
            $"{why}{Size(received)} of {Size(total)} in {seconds:F2} s = {Gbps(received, seconds):F2} Gbit/s, "
            + $"SHA-256 {(hashesMatch ? "matches" : "DIFFERS")} ({Convert.ToHexString(got, 0, 6).ToLowerInvariant()}…), "
            + $"{_transfer.Frames} frames, {a.TcpCounters.RetransmittedSegments} retransmitted");
    }

    private void WriteProgress(int percent, long received, TimeSpan elapsed)
    {
        const int width = 30;
        int filled = percent * width / 100;
        output.Write($"\r  TCP transfer [{new string('#', filled)}{new string('.', width - filled)}] {percent,3}% {Gbps(received, elapsed.TotalSeconds),5:F2} Gbit/s ");
    }

    private void Multicast(string name, IpAddress group, IpAddress any, ushort port)
    {
        var a = _hosts.A;
        var b = _hosts.B;
        var watcher = _hosts.Watcher;
        bool v6 = group.IsIpv6;
        long reportsBefore = v6 ? watcher.MldReportsSeen : watcher.IgmpReportsSeen;
        long sentBefore = v6 ? b.Counters.MldReportsSent : b.Counters.IgmpReportsSent;
        if (!b.TryBindUdp(new IpEndpoint(any, port), UdpBindFlags.None, out var receiver)
            || !b.TryJoinUdpMulticastGroup(receiver, group, DemoHosts.Now)
            || !a.TryBindUdp(0, out var sender))
        {
            Record(name, false, "a binding or the join was refused");
            return;
        }
        bool reported = _hosts.PollUntil(() => (v6 ? watcher.MldReportsSeen : watcher.IgmpReportsSeen) > reportsBefore, _stepTimeout);
        long reports = (v6 ? watcher.MldReportsSeen : watcher.IgmpReportsSeen) - reportsBefore;
        long sentReports = (v6 ? b.Counters.MldReportsSent : b.Counters.IgmpReportsSent) - sentBefore;

        ReadOnlySpan<byte> message = v6 ? "hello, v6 group"u8 : "hello, v4 group"u8;
        var buffer = new byte[64];
        int length = 0;
        IpAddress source = default;
        bool sent = a.TrySendUdp(sender, group, port, message, DemoHosts.Now);
        bool delivered = sent && _hosts.PollUntil(() => b.TryReceiveUdp(receiver, buffer, out length, out source, out _), _stepTimeout);
        bool intact = delivered && buffer.AsSpan(0, length).SequenceEqual(message);
        var expectedSource = v6 ? (IpAddress)DemoHosts.Ipv6A : DemoHosts.Ipv4A;
        bool ok = reported && intact && source == expectedSource;
        string protocol = v6 ? "MLD" : "IGMP";
        Record(name, ok,
            $"B joined {group}: {sentReports} {protocol} report(s) sent, {reports} seen at A; "
            + (delivered ? $"B received {length} B from {source} {(intact ? "intact" : "CORRUPTED")}" : "B received nothing"));
        a.CloseUdp(sender);
        b.CloseUdp(receiver);
    }

    // --- summary -----------------------------------------------------------------------------

    private void Record(string name, bool ok, string detail)
    {
        _steps.Add(new DemoStep(name, ok, detail));
        output.WriteLine($"{(ok ? "ok    " : "FAILED")} {name,-18} {detail}");
    }

    private int Summarize()
    {
        output.WriteLine();
        output.WriteLine($"{"step",-18} {"result",-7} detail");
        output.WriteLine(new string('-', 100));
        string? firstFailed = null;
        foreach (var step in _steps)
        {
            output.WriteLine($"{step.Name,-18} {(step.Ok ? "ok" : "FAILED"),-7} {step.Detail}");
            if (!step.Ok) firstFailed ??= step.Name;
        }
        output.WriteLine(new string('-', 100));
        output.WriteLine(_transfer.Bytes == 0
            ? $"{"throughput",-26}no TCP transfer took place"
            : $"{"throughput",-26}{Gbps(_transfer.Bytes, _transfer.Seconds):F2} Gbit/s TCP, both stacks polled on one thread, SHA-256 on both ends included");
        if (_rtts.Count > 0)
        {
            var min = TimeSpan.MaxValue;
            var max = TimeSpan.Zero;
            var sum = TimeSpan.Zero;
            foreach (var rtt in _rtts)
            {
                sum += rtt;
                if (rtt < min) min = rtt;
                if (rtt > max) max = rtt;
            }
            output.WriteLine($"{"ping rtt",-26}min/avg/max {Micro(min)}/{Micro(sum / _rtts.Count)}/{Micro(max)} µs over {_rtts.Count} echoes; TCP smoothed rtt {Micro(_transfer.SmoothedRtt)} µs");
        }
        output.WriteLine($"{"frames on the link",-26}{_hosts.LinkFrames} ({Size(_hosts.LinkBytes)}), {_transfer.Frames} of them in the transfer; pipe drops {_hosts.PipeDrops}");
        if (_transfer.Bytes > 0)
            output.WriteLine($"{"allocated per frame",-26}{_transfer.AllocatedPerFrame:F2} bytes in the transfer's steady state (GC.GetAllocatedBytesForCurrentThread)");
        output.WriteLine($"{"drops at A",-26}{Drops(_hosts.A)}");
        output.WriteLine($"{"drops at B",-26}{Drops(_hosts.B)}");
        if (_hosts.Capture is not null)
            output.WriteLine($"{"capture",-26}{options.PcapPath}: {_hosts.Capture.FramesRecorded} frames (open it in Wireshark)");
        output.WriteLine();
        if (firstFailed is null)
        {
            output.WriteLine($"demo: all {_steps.Count} steps verified");
            return 0;
        }
        output.WriteLine($"demo: FAILED at '{firstFailed}'");
        return 1;
    }

    private static string Drops(Interface stack)
    {
        var text = new System.Text.StringBuilder();
        foreach (var reason in Enum.GetValues<InterfaceDropReason>())
        {
            long count = stack.Counters.Dropped(reason);
            if (count == 0) continue;
            if (text.Length > 0) text.Append(", ");
            text.Append(reason).Append(' ').Append(count);
            text.Append(" (").Append(Explanation(reason) ?? "unexpected on a lossless link").Append(')');
        }
        return text.Length == 0 ? "none" : text.ToString();
    }

    // The drops a healthy run shows, and why they are expected.
    private static string? Explanation(InterfaceDropReason reason) => reason switch
    {
        InterfaceDropReason.NotForUs => "expected: the other host's IGMPv3 and MLDv2 reports, sent to 224.0.0.22 and ff02::16, groups only routers join",
        _ => null,
    };

    private static string Micro(TimeSpan span) => $"{span.TotalMicroseconds:F0}";

    private static double Gbps(long bytes, double seconds) => seconds <= 0 ? 0 : bytes * 8 / seconds / 1e9;

    private static string Size(long bytes) => bytes >= 1 << 20 ? $"{bytes / (double)(1 << 20):F1} MiB" : $"{bytes} B";

    private readonly record struct TransferFigures(long Bytes, long Frames, double Seconds, double AllocatedPerFrame, TimeSpan SmoothedRtt, long Retransmitted);
}
