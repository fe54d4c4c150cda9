using Wirestack.Diagnostics;
using Wirestack.Wire;

namespace Wirestack.Cli.Demo;

/// <summary>
/// An in-process "cable" between two demo hosts: every frame one side emits is recorded (to a
/// pcap file when asked) and handed to the other side as bytes, which it must parse back.
/// </summary>
internal sealed class DemoLink : IDisposable
{
    private readonly PcapWriter? _pcap;
    private long _clockNanoseconds;

    public DemoLink(string? pcapPath) =>
        _pcap = pcapPath is null ? null : new PcapWriter(File.Create(pcapPath));

    public long Frames { get; private set; }

    public long Bytes { get; private set; }

    /// <summary>Carries one frame; returns what the receiving side dissected.</summary>
    public WireError Carry(ReadOnlySpan<byte> frame, out DissectedFrame received)
    {
        Frames++;
        Bytes += frame.Length;
        _clockNanoseconds += 1_000;
        _pcap?.WriteFrame(frame, _clockNanoseconds);
        return FrameDissector.Dissect(frame, out received);
    }

    public void Dispose() => _pcap?.Dispose();
}
