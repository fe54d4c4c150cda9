using System.Text;
using Wirestack.Cli.Serve.Iperf3;

namespace Wirestack.Tests.Cli.Iperf3;

public sealed class Iperf3ParametersTests
{
    private static Iperf3Parameters Parse(string json) => Iperf3Parameters.Parse(Encoding.UTF8.GetBytes(json));

    [Fact]
    public void Reads_what_an_iperf3_3_12_client_sends_for_a_reverse_parallel_tcp_test()
    {
        var p = Parse("""{"tcp":true,"omit":0,"time":2,"parallel":4,"reverse":true,"len":131072,"pacing_timer":1000,"client_version":"3.12"}""");
        Assert.Equal(Iperf3Protocol.Tcp, p.Protocol);
        Assert.Equal(2, p.DurationSeconds);
        Assert.Equal(4, p.Parallel);
        Assert.True(p.Reverse);
        Assert.Equal((0, 4), (p.ReceivingStreams, p.SendingStreams));
        Assert.Equal(131072, p.BlockSize);
        Assert.Equal(0, p.BitsPerSecond);
        Assert.Equal("3.12", p.ClientVersion);
    }

    [Fact]
    public void Reads_a_udp_test_with_a_rate_in_cjson_notation_and_64_bit_counters()
    {
        var p = Parse("""{"udp":true,"omit":0,"time":10,"parallel":2,"bidirectional":true,"len":1400,"bandwidth":1e+09,"udp_counters_64bit":1}""");
        Assert.Equal(Iperf3Protocol.Udp, p.Protocol);
        Assert.Equal(1_000_000_000, p.BitsPerSecond);
        Assert.True(p.UdpCounters64Bit);
        Assert.Equal(16, p.UdpHeaderLength);
        Assert.Equal((2, 2), (p.ReceivingStreams, p.SendingStreams));
    }

    [Fact]
    public void Defaults_the_block_length_per_protocol_when_the_client_leaves_it_out()
    {
        Assert.Equal(Iperf3Parameters.DefaultTcpBlockSize, Parse("""{"tcp":true,"parallel":1}""").BlockSize);
        Assert.Equal(Iperf3Parameters.DefaultUdpBlockSize, Parse("""{"udp":true,"parallel":1}""").BlockSize);
    }

    [Theory]
    [InlineData("""{"tcp":true,"parallel":0}""", "parallel = 0 is out of range; ask for 1 to 128 streams (-P).")]
    [InlineData("""{"tcp":true,"parallel":129}""", "parallel = 129 is out of range; ask for 1 to 128 streams (-P).")]
    [InlineData("""{"udp":true,"len":8}""", "len = 8 is out of range; use a block length (-l) from 12 to 1048576 bytes.")]
    [InlineData("""{"udp":true,"len":100000}""", "len = 100000 does not fit in a UDP datagram; use -l 65507 or less.")]
    [InlineData("""{"tcp":true,"time":"ten"}""", "the parameter \"time\" is not a number.")]
    [InlineData("""[1,2]""", "the test parameters are not a JSON object.")]
    [InlineData("""{"sctp":true}""", "SCTP tests are not supported; use TCP or UDP (-u).")]
    public void Refuses_what_it_cannot_honour_saying_what_to_change(string json, string message)
    {
        var e = Assert.Throws<Iperf3ProtocolException>(() => Parse(json));
        Assert.Equal(message, e.Message);
    }

    [Fact]
    public void Refuses_text_that_is_not_json_and_tells_the_client_the_feature_it_lacks()
    {
        Assert.StartsWith("the test parameters are not JSON", Assert.Throws<Iperf3ProtocolException>(() => Parse("{tcp")).Message, StringComparison.Ordinal);
        Assert.Equal(Iperf3ErrorCode.NotImplemented, Assert.Throws<Iperf3ProtocolException>(() => Parse("""{"sctp":true}""")).ErrorCode);
    }
}
