using System.Globalization;
using Wirestack.Wire;

namespace Wirestack.Cli.Serve.Iperf3;

/// <summary>How a test ended.</summary>
internal enum Iperf3TestOutcome
{
    /// <summary>The client ended the test and got the server's results.</summary>
    Completed,

    /// <summary>The client was interrupted (CLIENT_TERMINATE) or closed the control connection mid-test.</summary>
    ClientGone,

    /// <summary>The client broke the protocol or asked for something unsupported; it was told with SERVER_ERROR where possible.</summary>
    Refused,

    /// <summary>The client stopped answering within the test's time and grace period.</summary>
    TimedOut,

    /// <summary>The server was stopped mid-test.</summary>
    Stopped,
}

/// <summary>One test the server ran: who, what, how it ended and what each stream counted. Its text is the server's log line.</summary>
/// <param name="Client">The control connection's remote end.</param>
/// <param name="Parameters">The client's parameters, or null when they never arrived.</param>
/// <param name="Outcome">How the test ended.</param>
/// <param name="Detail">Why it ended early, or null.</param>
/// <param name="Seconds">From TEST_RUNNING to the end of the data transfer.</param>
/// <param name="Streams">Per stream, in iperf3's order.</param>
internal sealed record Iperf3TestSummary(IpEndpoint Client, Iperf3Parameters? Parameters, Iperf3TestOutcome Outcome, string? Detail, double Seconds, IReadOnlyList<Iperf3StreamResult> Streams)
{
    /// <summary>Bytes the server received over all streams.</summary>
    public long BytesReceived => Sum(false, static s => s.Bytes);

    /// <summary>Bytes the server sent over all streams.</summary>
    public long BytesSent => Sum(true, static s => s.Bytes);

    /// <summary>UDP: datagrams the clients sent to the server (highest sequence numbers), over all streams.</summary>
    public long PacketsReceived => Sum(false, static s => s.Packets);

    /// <summary>UDP: datagrams lost on the way to the server, over all streams.</summary>
    public long LostPackets => Sum(false, static s => s.LostPackets);

    /// <summary>The server's log line for the test.</summary>
    public override string ToString()
    {
        var c = CultureInfo.InvariantCulture;
        var text = new System.Text.StringBuilder();
        text.Append(c, $"iperf3 {Client}");
        if (Parameters is { } p)
        {
            string direction = p.Bidirectional ? "bidir" : p.Reverse ? "reverse" : "forward";
            text.Append(c, $" {p.Protocol.ToString().ToUpperInvariant()} {direction} -P {p.Parallel}");
        }
        text.Append(c, $": {Outcome.ToString().ToLowerInvariant()}");
        if (Detail is not null) text.Append(c, $" ({Detail})");
        if (Streams.Count > 0)
        {
            text.Append(c, $", {Seconds:F2} s");
            if (BytesReceived > 0 || Parameters is { ReceivingStreams: > 0 }) text.Append(c, $", received {BytesReceived} B ({Rate(BytesReceived)})");
            if (BytesSent > 0 || Parameters is { SendingStreams: > 0 }) text.Append(c, $", sent {BytesSent} B ({Rate(BytesSent)})");
            if (Parameters is { Protocol: Iperf3Protocol.Udp, ReceivingStreams: > 0 })
            {
                double jitterMs = 0;
                foreach (var s in Streams) if (!s.IsSender) jitterMs = Math.Max(jitterMs, s.JitterSeconds * 1000);
                text.Append(c, $", {PacketsReceived} datagrams, {LostPackets} lost, jitter {jitterMs:F3} ms");
            }
        }
        return text.ToString();
    }

    private string Rate(long bytes) =>
        Seconds > 0 ? string.Create(CultureInfo.InvariantCulture, $"{bytes * 8 / Seconds / 1e9:F3} Gbit/s") : "-";

    private long Sum(bool sender, Func<Iperf3StreamResult, long> value)
    {
        long total = 0;
        foreach (var s in Streams) if (s.IsSender == sender) total += value(s);
        return total;
    }
}
