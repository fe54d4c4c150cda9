using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Wirestack.Cli.Serve.Iperf3;

namespace Wirestack.Interop.Serve;

/// <summary>
/// <see cref="Iperf3Server"/> on kernel sockets and on Wirestack (a Netstack on TAP), measured by Debian's stock
/// <c>iperf3</c> client with <c>-J</c>: the client must accept the server's results, and they must agree with what the
/// server counted and with what the client counted itself.
/// </summary>
public sealed class Iperf3ServerTests
{
    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData(Iperf3ServerNetwork.Kernel)]
    [InlineData(Iperf3ServerNetwork.StackTap)]
    public async Task TheStockClientMeasuresTcpUdpReverseParallelAndBidirectional(Iperf3ServerNetwork network)
    {
        await using var rig = await Iperf3Rig.StartAsync(network);
        var output = TestContext.Current.TestOutputHelper;

        // TCP, the client sending: the received bytes the client prints are the server's, and close to what it sent.
        foreach (string parallel in (string[])["1", "4"])
        {
            var report = rig.RunClient("-t", "2", "-P", parallel);
            var test = LastCompleted(rig, parallel == "1" ? 1 : 4);
            Assert.Equal(test.BytesReceived, report.ReceivedBytes);
            Assert.Equal(test.Streams.Select(s => s.Id), parallel == "1" ? [1] : [1, 3, 4, 5]);
            AssertClose(report.SentBytes, report.ReceivedBytes, $"-P {parallel}");
            output?.WriteLine(Figure(network, $"TCP -P {parallel}", report.ReceivedGbps));
        }

        // TCP, the server sending (-R): the client's sent bytes are the server's, its received bytes its own.
        foreach (string parallel in (string[])["1", "4"])
        {
            var report = rig.RunClient("-t", "2", "-R", "-P", parallel);
            var test = LastCompleted(rig, parallel == "1" ? 1 : 4);
            Assert.Equal(test.BytesSent, report.SentBytes);
            Assert.All(test.Streams, s => Assert.True(s.IsSender));
            AssertClose(report.SentBytes, report.ReceivedBytes, $"-R -P {parallel}");
            output?.WriteLine(Figure(network, $"TCP -R -P {parallel}", report.ReceivedGbps));
        }

        // Both ways at once: the first stream the client opens carries its data, the second the server's.
        {
            var report = rig.RunClient("-t", "2", "--bidir");
            var test = LastCompleted(rig, 2);
            Assert.False(test.Streams[0].IsSender);
            Assert.True(test.Streams[1].IsSender);
            Assert.True(test.BytesReceived > 0 && test.BytesSent > 0, test.ToString());
            using var json = JsonDocument.Parse(report.Json);
            var end = json.RootElement.GetProperty("end");
            // With --bidir the client's sums are for its own sending streams, the *_bidir_reverse ones for the server's.
            Assert.Equal(test.BytesReceived, end.GetProperty("sum_received").GetProperty("bytes").GetInt64());
            Assert.Equal(test.BytesSent, end.GetProperty("sum_sent_bidir_reverse").GetProperty("bytes").GetInt64());
            output?.WriteLine(Figure(network, "TCP --bidir (client to server)", report.ReceivedGbps));
        }

        // UDP at 100 Mbit/s in 1400-byte datagrams: bytes, datagrams and losses are the server's, and add up.
        {
            var report = rig.RunClient("-t", "2", "-u", "-b", "100M", "-l", "1400");
            var test = LastCompleted(rig, 1);
            Assert.Equal(test.BytesReceived, report.ReceivedBytes);
            Assert.Equal(test.LostPackets, report.UdpLost);
            Assert.Equal(test.PacketsReceived, report.UdpPackets);
            Assert.True(report.UdpPackets > 100_000_000 / 8 / 1400, $"only {report.UdpPackets} datagrams in 2 s at 100 Mbit/s");
            Assert.True(report.UdpJitterMs is >= 0 and < 100, $"jitter {report.UdpJitterMs} ms");
            // Every datagram is 1400 bytes, and each one up to the highest sequence number arrived or is counted lost.
            Assert.Equal(test.BytesReceived, (report.UdpPackets - report.UdpLost) * 1400);
            output?.WriteLine(Figure(network, "UDP -b 100M -l 1400", report.ReceivedGbps) +
                string.Create(CultureInfo.InvariantCulture, $", {report.UdpPackets} datagrams, {report.UdpLost} lost, jitter {report.UdpJitterMs:F3} ms"));
        }

        // UDP, the server sending: the client counts what arrived.
        {
            var report = rig.RunClient("-t", "2", "-u", "-b", "50M", "-l", "1200", "-R");
            var test = LastCompleted(rig, 1);
            Assert.Equal(test.BytesSent, report.SentBytes);
            Assert.True(report.ReceivedBytes > 0 && report.ReceivedBytes <= report.SentBytes, $"{report.ReceivedBytes} of {report.SentBytes}");
            Assert.True(report.UdpPackets >= test.Streams[0].Packets * 9 / 10, $"the client saw {report.UdpPackets} of {test.Streams[0].Packets} datagrams");
            output?.WriteLine(Figure(network, "UDP -R -b 50M -l 1200", report.ReceivedGbps) +
                string.Create(CultureInfo.InvariantCulture, $", {report.UdpPackets} datagrams, {report.UdpLost} lost"));
        }

        // UDP both ways on two streams each: one socket serves four streams, matched by the client's ports.
        {
            var report = rig.RunClient("-t", "2", "-u", "-b", "20M", "-l", "1000", "-P", "2", "--bidir");
            var test = LastCompleted(rig, 4);
            Assert.Equal([1, 3, 4, 5], test.Streams.Select(s => s.Id));
            Assert.Equal([false, false, true, true], test.Streams.Select(s => s.IsSender));
            using var json = JsonDocument.Parse(report.Json);
            var end = json.RootElement.GetProperty("end");
            Assert.Equal(test.BytesReceived, end.GetProperty("sum_received").GetProperty("bytes").GetInt64());
            Assert.Equal(test.LostPackets, end.GetProperty("sum_received").GetProperty("lost_packets").GetInt64());
            Assert.Equal(test.BytesSent, end.GetProperty("sum_sent_bidir_reverse").GetProperty("bytes").GetInt64());
            long clientGot = end.GetProperty("sum_received_bidir_reverse").GetProperty("bytes").GetInt64();
            Assert.True(clientGot > 0 && clientGot <= test.BytesSent, $"the client received {clientGot} of {test.BytesSent} bytes");
            output?.WriteLine(Figure(network, "UDP -P 2 --bidir -b 20M", report.ReceivedGbps));
        }

        output?.WriteLine(rig.Log.ToString());
        Assert.Equal(8, rig.Server.Tests.Count);
        Assert.All(rig.Server.Tests, t => Assert.Equal(Iperf3TestOutcome.Completed, t.Outcome));
        Assert.Null(rig.Stack?.Failure);
    }

    [Theory]
    [InlineData(Iperf3ServerNetwork.Kernel)]
    [InlineData(Iperf3ServerNetwork.StackTap)]
    public async Task ASecondClientIsDeniedAndAClientKilledMidTestDoesNotStopTheServer(Iperf3ServerNetwork network)
    {
        await using var rig = await Iperf3Rig.StartAsync(network);
        string iperf3 = Iperf3Client.Require();
        string port = rig.Port.ToString(CultureInfo.InvariantCulture);

        // While one client runs a 3-second test, a second one is turned away, as iperf3 turns it away.
        var first = rig.Namespace.Start(iperf3, "-c", rig.ServerAddress, "-p", port, "-t", "3", "-J");
        var firstOutput = first.StandardOutput.ReadToEndAsync(Token);
        await WaitForAsync(() => rig.Server.IsBusy, "the first test to start");
        var second = rig.Namespace.Exec(TimeSpan.FromSeconds(20), iperf3, "-c", rig.ServerAddress, "-p", port, "-t", "1", "-J");
        // iperf3 3.12 exits with 0 even then; its report carries the error.
        using (var denied = JsonDocument.Parse(second.StandardOutput))
            Assert.Contains("busy", denied.RootElement.GetProperty("error").GetString(), StringComparison.Ordinal);
        Assert.True(first.WaitForExit(TimeSpan.FromSeconds(20)), "the first client did not finish");
        Assert.Equal(0, first.ExitCode);
        var report = Iperf3Report.Parse(await firstOutput);
        await WaitForAsync(() => rig.Server.Tests.Count == 1, "the first test to be filed");
        Assert.Equal(rig.Server.Tests[0].BytesReceived, report.ReceivedBytes);
        Assert.Equal(1, rig.Server.DeniedClients);

        // A client killed mid-test (reverse, so the server is blocked sending) ends its test, not the server.
        var killed = rig.Namespace.Start(iperf3, "-c", rig.ServerAddress, "-p", port, "-t", "10", "-R", "-J");
        await WaitForAsync(() => rig.Server.IsBusy, "the second test to start");
        await Task.Delay(500, Token);
        killed.Kill(entireProcessTree: true);
        await WaitForAsync(() => rig.Server.Tests.Count == 2, "the killed client's test to end");
        var gone = rig.Server.Tests[1];
        Assert.Equal(Iperf3TestOutcome.ClientGone, gone.Outcome);
        Assert.True(gone.BytesSent > 0, gone.ToString());

        // And the next client is served as if nothing happened.
        var after = rig.RunClient("-t", "1");
        await WaitForAsync(() => rig.Server.Tests.Count == 3, "the third test to be filed");
        Assert.Equal(rig.Server.Tests[2].BytesReceived, after.ReceivedBytes);
        Assert.Equal(Iperf3TestOutcome.Completed, rig.Server.Tests[2].Outcome);
        // Seven connections: two per test (control and stream) and the refused one; the killed test's two failed.
        var counters = rig.Server.Counters;
        Assert.Equal((7L, 0L, 2L), (counters.Connections, counters.ActiveConnections, counters.FailedConnections));
        Assert.Equal(rig.Server.Tests.Sum(t => t.BytesReceived), counters.BytesReceived);
        Assert.Equal(rig.Server.Tests.Sum(t => t.BytesSent), counters.BytesSent);
        TestContext.Current.TestOutputHelper?.WriteLine(rig.Log.ToString());
        Assert.Null(rig.Stack?.Failure);
    }

    private static Iperf3TestSummary LastCompleted(Iperf3Rig rig, int streams)
    {
        // The client may exit as soon as it sent IPERF_DONE, a moment before the server files the test.
        var clock = Stopwatch.StartNew();
        while (rig.Server.IsBusy && clock.Elapsed < TimeSpan.FromSeconds(10)) Thread.Sleep(10);
        Assert.False(rig.Server.IsBusy, $"the test did not end on the server\n{rig.Log}");
        Assert.True(rig.Server.Tests.Count > 0, $"the server filed no test\n{rig.Log}");
        var test = rig.Server.Tests[^1];
        Assert.True(test.Outcome == Iperf3TestOutcome.Completed, test.ToString());
        Assert.Equal(streams, test.Streams.Count);
        return test;
    }

    // The receiver stops counting at TEST_END, so what was in flight then (socket buffers, at most some megabytes) is
    // sent but not received.
    private static void AssertClose(long sent, long received, string what)
    {
        Assert.True(received > 0 && received <= sent, $"{what}: received {received} of {sent} bytes");
        Assert.True(sent - received <= Math.Max(sent / 5, 32L << 20), $"{what}: received {received} of {sent} bytes");
    }

    private static string Figure(Iperf3ServerNetwork network, string what, double gbps) =>
        string.Create(CultureInfo.InvariantCulture, $"{network,-8} {what,-32} {gbps,8:F3} Gbit/s");

    private static async Task WaitForAsync(Func<bool> condition, string what)
    {
        var clock = Stopwatch.StartNew();
        while (!condition())
        {
            if (clock.Elapsed > TimeSpan.FromSeconds(10)) Assert.Fail($"timed out waiting for {what}");
            await Task.Delay(20, Token);
        }
    }
}
