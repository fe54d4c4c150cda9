using Wirestack.Diagnostics;

namespace Wirestack.Tests.Support;

/// <summary>The frames of Fixtures/kernel-traffic.pcap, captured from the Linux kernel by tests/fixtures/capture-kernel-traffic.sh.</summary>
internal static class KernelFixture
{
    public const string FileName = "kernel-traffic.pcap";

    public static string PathOf(string fileName) => Path.Combine(AppContext.BaseDirectory, "Fixtures", fileName);

    public static List<byte[]> ReadFrames(string path)
    {
        using var reader = PcapReader.Open(path);
        var frames = new List<byte[]>();
        while (reader.TryReadFrame(out var record)) frames.Add(record.Data.ToArray());
        return frames;
    }

    public static List<byte[]> Frames => ReadFrames(PathOf(FileName));
}
