using System.Text.Json;
using Wirestack.Cli.Serve.Iperf3;

namespace Wirestack.Tests.Cli.Iperf3;

public sealed class Iperf3ResultsTests
{
    [Fact]
    public void Carries_every_field_the_client_requires_per_stream()
    {
        Iperf3StreamResult[] streams =
        [
            new(1, false, 1_400_000, 1010, 10, 2, 0.00025),
            new(3, true, 5_000_000_000, 0, 0, 0, 0),
        ];
        using var json = JsonDocument.Parse(Iperf3Results.Write(streams, 2.0, new Iperf3CpuUse(12.5, 30), "line"));
        var root = json.RootElement;
        Assert.Equal(42.5, root.GetProperty("cpu_util_total").GetDouble());
        Assert.Equal(12.5, root.GetProperty("cpu_util_user").GetDouble());
        Assert.Equal(30, root.GetProperty("cpu_util_system").GetDouble());
        Assert.Equal(0, root.GetProperty("sender_has_retransmits").GetInt32());
        Assert.Equal("line\n", root.GetProperty("server_output_text").GetString());
        var received = root.GetProperty("streams")[0];
        Assert.Equal(1, received.GetProperty("id").GetInt32());
        Assert.Equal(1_400_000, received.GetProperty("bytes").GetInt64());
        Assert.Equal(-1, received.GetProperty("retransmits").GetInt32());
        Assert.Equal(0.00025, received.GetProperty("jitter").GetDouble());
        Assert.Equal(10, received.GetProperty("errors").GetInt64());
        Assert.Equal(1010, received.GetProperty("packets").GetInt64());
        Assert.Equal(0, received.GetProperty("start_time").GetDouble());
        Assert.Equal(2.0, received.GetProperty("end_time").GetDouble());
        var sent = root.GetProperty("streams")[1];
        Assert.Equal(3, sent.GetProperty("id").GetInt32());
        Assert.Equal(5_000_000_000, sent.GetProperty("bytes").GetInt64());
    }

    [Fact]
    public void A_server_that_only_receives_says_it_has_no_retransmission_count_the_way_iperf3_does()
    {
        using var json = JsonDocument.Parse(Iperf3Results.Write([new(1, false, 10, 0, 0, 0, 0)], 1, default, null));
        Assert.Equal(-1, json.RootElement.GetProperty("sender_has_retransmits").GetInt32());
        Assert.False(json.RootElement.TryGetProperty("server_output_text", out _));
    }

    [Fact]
    public void Numbers_streams_as_iperf3_does()
    {
        Assert.Equal([1, 3, 4, 5, 6], Enumerable.Range(0, 5).Select(Iperf3Stream.IdForIndex));
    }
}
