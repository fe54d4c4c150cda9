namespace Wirestack.Benchmarks.UdpEcho;

/// <summary>One measured echo run: round trips completed per second, and bytes both threads allocated per round trip.</summary>
internal readonly record struct EchoResult(double EchoesPerSecond, double BytesPerEcho, long Echoes);
