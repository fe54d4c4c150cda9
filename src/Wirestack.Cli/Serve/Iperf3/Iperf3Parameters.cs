using System.Text.Json;

namespace Wirestack.Cli.Serve.Iperf3;

/// <summary>
/// The test parameters an iperf3 client sends in its PARAM_EXCHANGE message (a JSON object). Only what the server
/// acts on is kept; other keys (title, congestion, MSS, window, TOS ...) are accepted and ignored.
/// </summary>
internal sealed record Iperf3Parameters
{
    /// <summary>The most parallel streams a client may ask for (iperf3's own limit).</summary>
    public const int MaxParallel = 128;

    /// <summary>iperf3's default block for TCP.</summary>
    public const int DefaultTcpBlockSize = 128 * 1024;

    /// <summary>iperf3's default datagram payload for UDP.</summary>
    public const int DefaultUdpBlockSize = 1460;

    /// <summary>The largest block the server reads or writes at once.</summary>
    public const int MaxBlockSize = 1024 * 1024;

    public Iperf3Protocol Protocol { get; init; } = Iperf3Protocol.Tcp;

    /// <summary>Seconds of the test (0 when it ends by bytes or blocks).</summary>
    public int DurationSeconds { get; init; }

    /// <summary>Seconds at the start that the results leave out.</summary>
    public int OmitSeconds { get; init; }

    /// <summary>Data streams in each direction.</summary>
    public int Parallel { get; init; } = 1;

    /// <summary>The server sends (<c>-R</c>).</summary>
    public bool Reverse { get; init; }

    /// <summary>Both sides send (<c>--bidir</c>).</summary>
    public bool Bidirectional { get; init; }

    /// <summary>Bytes per read/write (TCP) or per datagram (UDP).</summary>
    public int BlockSize { get; init; } = DefaultTcpBlockSize;

    /// <summary>Bits per second per stream that a sender paces itself to; 0 for as fast as possible.</summary>
    public long BitsPerSecond { get; init; }

    /// <summary>UDP sequence numbers are 64-bit instead of 32-bit.</summary>
    public bool UdpCounters64Bit { get; init; }

    /// <summary>The client wants the server's output in the results.</summary>
    public bool GetServerOutput { get; init; }

    /// <summary>The client's version string, for the log.</summary>
    public string? ClientVersion { get; init; }

    /// <summary>Streams the server receives on.</summary>
    public int ReceivingStreams => Bidirectional ? Parallel : Reverse ? 0 : Parallel;

    /// <summary>Streams the server sends on.</summary>
    public int SendingStreams => Bidirectional ? Parallel : Reverse ? Parallel : 0;

    /// <summary>The UDP header in every datagram: seconds, microseconds and the sequence number.</summary>
    public int UdpHeaderLength => UdpCounters64Bit ? 16 : 12;

    /// <summary>Parses and checks the client's parameters.</summary>
    /// <exception cref="Iperf3ProtocolException">Not a JSON object, or a parameter the server cannot honour.</exception>
    public static Iperf3Parameters Parse(ReadOnlySpan<byte> json)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json.ToArray());
        }
        catch (JsonException e)
        {
            throw new Iperf3ProtocolException($"the test parameters are not JSON: {e.Message}");
        }
        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object) throw new Iperf3ProtocolException("the test parameters are not a JSON object.");
            if (root.TryGetProperty("sctp", out _)) throw new Iperf3ProtocolException("SCTP tests are not supported; use TCP or UDP (-u).", Iperf3ErrorCode.NotImplemented);
            var protocol = root.TryGetProperty("udp", out _) ? Iperf3Protocol.Udp : Iperf3Protocol.Tcp;
            int parallel = Int(root, "parallel", 1);
            if (parallel is < 1 or > MaxParallel) throw new Iperf3ProtocolException($"parallel = {parallel} is out of range; ask for 1 to {MaxParallel} streams (-P).");
            int defaultBlock = protocol == Iperf3Protocol.Udp ? DefaultUdpBlockSize : DefaultTcpBlockSize;
            int block = Int(root, "len", defaultBlock);
            if (block == 0) block = defaultBlock;
            bool counters64 = root.TryGetProperty("udp_counters_64bit", out _);
            int minimum = protocol == Iperf3Protocol.Udp ? (counters64 ? 16 : 12) : 1;
            if (block < minimum || block > MaxBlockSize) throw new Iperf3ProtocolException($"len = {block} is out of range; use a block length (-l) from {minimum} to {MaxBlockSize} bytes.");
            if (protocol == Iperf3Protocol.Udp && block > 65507) throw new Iperf3ProtocolException($"len = {block} does not fit in a UDP datagram; use -l 65507 or less.");
            int duration = Int(root, "time", 0);
            int omit = Int(root, "omit", 0);
            long rate = Long(root, "bandwidth", 0);
            if (duration < 0 || omit < 0 || rate < 0) throw new Iperf3ProtocolException("time, omit and bandwidth must not be negative.");
            return new Iperf3Parameters
            {
                Protocol = protocol,
                DurationSeconds = duration,
                OmitSeconds = omit,
                Parallel = parallel,
                Reverse = root.TryGetProperty("reverse", out _),
                Bidirectional = root.TryGetProperty("bidirectional", out _),
                BlockSize = block,
                BitsPerSecond = rate,
                UdpCounters64Bit = counters64,
                GetServerOutput = root.TryGetProperty("get_server_output", out _),
                ClientVersion = root.TryGetProperty("client_version", out var version) && version.ValueKind == JsonValueKind.String ? version.GetString() : null,
            };
        }
    }

    private static int Int(JsonElement root, string name, int fallback) =>
        (int)Math.Clamp(Long(root, name, fallback), int.MinValue, int.MaxValue);

    private static long Long(JsonElement root, string name, long fallback)
    {
        if (!root.TryGetProperty(name, out var value)) return fallback;
        if (value.ValueKind != JsonValueKind.Number) throw new Iperf3ProtocolException($"the parameter \"{name}\" is not a number.");
        // cJSON writes every number as a double; large rates come as 1e+09.
        if (value.TryGetInt64(out long whole)) return whole;
        double d = value.GetDouble();
        return d >= long.MaxValue ? long.MaxValue : d <= long.MinValue ? long.MinValue : (long)d;
    }
}
