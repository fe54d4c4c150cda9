namespace Wirestack.Cli.Serve.Iperf3;

/// <summary>What the server counted on one stream of a finished test, as it reports it to the client.</summary>
/// <param name="Id">iperf3's stream id.</param>
/// <param name="IsSender">The server sent on the stream.</param>
/// <param name="Bytes">Bytes sent or received, less the omitted seconds.</param>
/// <param name="Packets">UDP: datagrams sent, or the highest sequence number received; 0 for TCP.</param>
/// <param name="LostPackets">UDP, receiving: datagrams lost.</param>
/// <param name="OutOfOrderPackets">UDP, receiving: datagrams that came late.</param>
/// <param name="JitterSeconds">UDP, receiving: the interarrival jitter.</param>
internal sealed record Iperf3StreamResult(int Id, bool IsSender, long Bytes, long Packets, long LostPackets, long OutOfOrderPackets, double JitterSeconds)
{
    /// <summary>Takes the counters of a stream whose task has ended.</summary>
    public static Iperf3StreamResult From(Iperf3Stream stream) =>
        new(stream.Id, stream.IsSender, stream.Bytes - stream.OmittedBytes, stream.Packets, stream.LostPackets, stream.OutOfOrderPackets, stream.JitterSeconds);
}
