using System.Buffers;
using System.Text.Json;

namespace Wirestack.Cli.Serve.Iperf3;

/// <summary>
/// The server's half of iperf3's results exchange: CPU use, whether the sender counts retransmissions, and per
/// stream its id, bytes, retransmits, jitter, errors (lost datagrams), packets and start and end times. The client
/// refuses the results when any of these is missing.
/// </summary>
internal static class Iperf3Results
{
    /// <summary>Writes the results message.</summary>
    /// <param name="streams">Every stream of the test, in iperf3's order.</param>
    /// <param name="seconds">The test's length as the server saw it.</param>
    /// <param name="cpu">The server process's CPU use during the test.</param>
    /// <param name="serverOutput">The server's log line when the client asked for it (--get-server-output), or null.</param>
    public static byte[] Write(IReadOnlyList<Iperf3StreamResult> streams, double seconds, Iperf3CpuUse cpu, string? serverOutput)
    {
        bool sends = false;
        foreach (var stream in streams) sends |= stream.IsSender;
        var buffer = new ArrayBufferWriter<byte>(512);
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteNumber("cpu_util_total", cpu.TotalPercent);
            json.WriteNumber("cpu_util_user", cpu.UserPercent);
            json.WriteNumber("cpu_util_system", cpu.SystemPercent);
            // INetwork does not expose TCP retransmissions: a sending server says it has no count (0), as iperf3
            // does where TCP_INFO is missing; a receiving one says -1, as iperf3 does.
            json.WriteNumber("sender_has_retransmits", sends ? 0 : -1);
            json.WriteStartArray("streams");
            foreach (var stream in streams)
            {
                json.WriteStartObject();
                json.WriteNumber("id", stream.Id);
                json.WriteNumber("bytes", stream.Bytes);
                json.WriteNumber("retransmits", -1);
                json.WriteNumber("jitter", stream.IsSender ? 0 : stream.JitterSeconds);
                json.WriteNumber("errors", stream.IsSender ? 0 : stream.LostPackets);
                json.WriteNumber("packets", stream.Packets);
                json.WriteNumber("start_time", 0);
                json.WriteNumber("end_time", seconds);
                json.WriteEndObject();
            }
            json.WriteEndArray();
            if (serverOutput is not null) json.WriteString("server_output_text", serverOutput + "\n");
            json.WriteEndObject();
        }
        return buffer.WrittenSpan.ToArray();
    }
}
