using System.Globalization;
using System.Text;
using Wirestack.Diagnostics;
using Wirestack.Testing;

namespace Wirestack.Interop.Wire;

/// <summary>
/// Frames emitted by the wire layer, decoded by tshark with every checksum check it has turned on:
/// no frame may be malformed or carry expert info of severity warning or error, every checksum
/// status tshark reports must be Good, and the fields tshark decodes must equal the reprs the
/// frames were built from (<see cref="TsharkCrossCheckFrames"/> holds the frames and their tables).
/// </summary>
public sealed class TsharkCrossCheckTests
{
    // ip/tcp/udp verify their checksums only when asked; ICMP, ICMPv6 and IGMP always verify.
    // Relative sequence numbers off: tcp.options.sack_le/re are then the raw values too.
    // Sequence analysis off: the frames are a catalogue of formats, not a conversation, and
    // "previous segment not captured" would be a warning about the catalogue, not the wire format.
    private static readonly string[] Preferences =
    [
        "-o", "ip.check_checksum:TRUE",
        "-o", "tcp.check_checksum:TRUE",
        "-o", "udp.check_checksum:TRUE",
        "-o", "tcp.relative_sequence_numbers:FALSE",
        "-o", "tcp.analyze_sequence_numbers:FALSE",
    ];

    // Every checksum status tshark 4.x can report for these protocols (0 Bad, 1 Good, 2 Unverified, 3 Not present, 4 Illegal).
    private static readonly string[] ChecksumStatusFields =
    [
        "ip.checksum.status", "tcp.checksum.status", "udp.checksum.status",
        "icmp.checksum.status", "icmp.ext.checksum.status", "icmpv6.checksum.status", "igmp.checksum.status",
    ];

    private const string Good = "1";

    // Expert info severities as _ws.expert.severity prints them (epan/proto.h: PI_WARN, PI_ERROR).
    private const long SeverityWarning = 0x0060_0000;
    private const long SeverityError = 0x0080_0000;

    private const string FrameNumber = "frame.number";
    private const string Protocols = "frame.protocols";
    private const string ExpertSeverity = "_ws.expert.severity";
    private const string ExpertMessage = "_ws.expert.message";
    private const string Malformed = "_ws.malformed";
    private const string Short = "_ws.short";

    [Fact]
    public void TsharkDecodesEveryEmittedFrameWithGoodChecksumsAndTheReprValues()
    {
        string tshark = Prerequisites.RequireTool("tshark", "tshark");
        var frames = TsharkCrossCheckFrames.Build();
        string path = Path.Combine(Path.GetTempPath(), $"wirestack-tshark-{Guid.NewGuid():N}.pcap");
        try
        {
            using (var writer = PcapWriter.Create(path))
            {
                long time = 1_767_225_600L * 1_000_000_000; // 2026-01-01, one frame per millisecond
                foreach (var frame in frames) writer.WriteFrame(frame.Bytes, time += 1_000_000);
            }

            var fields = new List<string> { FrameNumber, Protocols, Malformed, Short, ExpertSeverity, ExpertMessage };
            foreach (string status in ChecksumStatusFields) fields.Add(status);
            foreach (var frame in frames)
                foreach (var (field, _) in frame.Expected)
                    if (!fields.Contains(field)) fields.Add(field);

            // -2: two passes, so a fragment names the frame it is reassembled in and an echo request its reply.
            var arguments = new List<string> { "-r", path, "-n", "-2" };
            arguments.AddRange(Preferences);
            arguments.AddRange(["-T", "fields", "-E", "header=n", "-E", "separator=/t", "-E", "occurrence=a", "-E", "aggregator=,"]);
            foreach (string field in fields) arguments.AddRange(["-e", field]);
            var result = ProcessRunner.Run(tshark, arguments, TimeSpan.FromSeconds(120)).EnsureSuccess("tshark");

            var rows = ParseRows(result.StandardOutput, fields);
            Assert.True(rows.Count == frames.Count,
                $"wrote {frames.Count} frames but tshark printed {rows.Count} rows.\nstdout:\n{result.StandardOutput}\nstderr:\n{result.StandardError}");

            var problems = new List<string>();
            for (int i = 0; i < frames.Count; i++)
                CheckFrame(frames[i], rows[i], problems);

            Assert.True(problems.Count == 0,
                $"tshark disagrees with the wire layer on {problems.Count} point(s):\n  " + string.Join("\n  ", problems)
                + $"\ntshark {string.Join(' ', arguments.Where(a => a != path))}");
        }
        finally
        {
            File.Delete(path);
        }
    }

    private static void CheckFrame(ExpectedFrame frame, Dictionary<string, string> row, List<string> problems)
    {
        string name = $"frame {frame.Number} ({frame.Name})";
        if (row[FrameNumber] != frame.Number.ToString(CultureInfo.InvariantCulture))
        {
            problems.Add($"{name}: tshark printed frame.number '{row[FrameNumber]}' in its place");
            return;
        }

        // tshark adds a _ws.malformed item (and an error expert info) when a dissector ran off the data
        // or choked on it, and _ws.short when the frame was cut shorter than the headers say.
        foreach (string marker in (string[])[Malformed, Short])
            if (row[marker].Length > 0)
                problems.Add($"{name}: {marker}: {row[marker]} (decoded as {row[Protocols]})");

        // Severities and messages come one per expert item, in the same order; a message holding the
        // aggregator (a comma) would shift them, and then every message is shown and none accepted.
        string[] severities = SplitValues(row[ExpertSeverity]);
        string[] messages = SplitValues(row[ExpertMessage]);
        bool aligned = messages.Length == severities.Length;
        for (int i = 0; i < severities.Length; i++)
        {
            long severity = long.Parse(severities[i], CultureInfo.InvariantCulture);
            if (severity < SeverityWarning) continue;
            string message = aligned ? messages[i] : row[ExpertMessage];
            if (aligned && frame.AcceptedExpertInfo.Contains(message)) continue;
            problems.Add($"{name}: expert info of severity {(severity >= SeverityError ? "error" : "warning")}: {message}");
        }

        // A frame's table may name a checksum status itself, when tshark cannot verify one (a quote cut short).
        foreach (string status in ChecksumStatusFields)
        {
            if (frame.Expected.Any(e => e.Field == status)) continue;
            foreach (string value in SplitValues(row[status]))
                if (value != Good)
                    problems.Add($"{name}: {status} is {value} ({DescribeStatus(value)}), expected {Good} (Good); all values: {row[status]}");
        }

        foreach (var (field, expected) in frame.Expected)
        {
            string actual = row[field];
            if (actual != expected)
                problems.Add($"{name}: field {field}: expected '{expected}', tshark decoded '{actual}'");
        }
    }

    private static string DescribeStatus(string value) => value switch
    {
        "0" => "Bad",
        "1" => "Good",
        "2" => "Unverified",
        "3" => "Not present",
        "4" => "Illegal",
        _ => "unknown",
    };

    private static string[] SplitValues(string values) =>
        values.Length == 0 ? [] : values.Split(',');

    private static List<Dictionary<string, string>> ParseRows(string output, List<string> fields)
    {
        var rows = new List<Dictionary<string, string>>();
        foreach (string line in output.Split('\n'))
        {
            string trimmed = line.TrimEnd('\r');
            if (trimmed.Length == 0) continue;
            string[] values = trimmed.Split('\t');
            if (values.Length != fields.Count)
                throw new InvalidOperationException($"tshark printed {values.Length} columns for {fields.Count} fields: {trimmed}");
            var row = new Dictionary<string, string>(fields.Count, StringComparer.Ordinal);
            for (int i = 0; i < fields.Count; i++) row[fields[i]] = values[i];
            rows.Add(row);
        }
        return rows;
    }
}

/// <summary>
/// One frame of the cross-check: its 1-based number in the capture, what it is, its bytes, the fields
/// tshark must decode, and the expert infos of severity warning that are about what the frame means
/// rather than how it is built (tshark warns on every RST), which the check lets pass.
/// </summary>
internal sealed record ExpectedFrame(int Number, string Name, byte[] Bytes, IReadOnlyList<(string Field, string Value)> Expected)
{
    public IReadOnlyList<string> AcceptedExpertInfo { get; init; } = [];
}

/// <summary>Formats values the way <c>tshark -T fields</c> prints them.</summary>
internal static class Tshark
{
    public static string Dec(long value) => value.ToString(CultureInfo.InvariantCulture);

    public static string Hex(long value, int digits) => "0x" + value.ToString("x" + digits.ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture);

    public static string Bool(bool value) => value ? "1" : "0";

    public static string Bytes(ReadOnlySpan<byte> bytes) => Convert.ToHexStringLower(bytes);

    public static string List(params IEnumerable<object> values)
    {
        var text = new StringBuilder();
        foreach (object value in values)
        {
            if (text.Length > 0) text.Append(',');
            text.Append(value is IFormattable formattable ? formattable.ToString(null, CultureInfo.InvariantCulture) : value.ToString());
        }
        return text.ToString();
    }
}
