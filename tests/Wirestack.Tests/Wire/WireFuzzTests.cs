using Wirestack.Diagnostics;
using Wirestack.Tests.Support;
using Wirestack.Wire;

namespace Wirestack.Tests.Wire;

/// <summary>
/// A seeded fuzz loop: over a million random and mutated frames go through every parser (the
/// dissector walks Ethernet down to TCP options, NDP options and group records). Nothing may throw,
/// and the loop must reach every layer, or it would prove nothing.
/// </summary>
public class WireFuzzTests
{
    private const int Iterations = 1_000_000;

    [Fact]
    public void MillionMutatedFramesNeverThrowAndReachEveryLayer()
    {
        var seeds = KernelFixture.Frames;
        Assert.True(seeds.Count > 50, "the kernel fixture should hold the seed frames");
        var random = new Random(20261122);
        var buffer = new byte[1600];
        var reached = new int[Enum.GetValues<FrameLayer>().Length];
        var errors = new int[Enum.GetValues<WireError>().Length];
        int clean = 0;

        for (int i = 0; i < Iterations; i++)
        {
            int length = Mutate(seeds[random.Next(seeds.Count)], buffer, random);
            var error = FrameDissector.Dissect(buffer.AsSpan(0, length), out var frame);
            errors[(int)error]++;
            if (error == WireError.None)
            {
                clean++;
                reached[(int)frame.Transport]++;
                _ = frame.Describe().Length; // the description must cope with whatever parsed
            }
        }

        // Mutations must neither be all rejected nor all harmless, and every layer must be exercised.
        Assert.InRange(clean, Iterations / 20, Iterations * 19 / 20);
        foreach (var layer in new[] { FrameLayer.Tcp, FrameLayer.Udp, FrameLayer.Icmpv4, FrameLayer.Icmpv6, FrameLayer.Igmp })
            Assert.True(reached[(int)layer] > 1000, $"{layer} was reached only {reached[(int)layer]} times");
        foreach (var error in new[] { WireError.Truncated, WireError.BadChecksum, WireError.BadLength, WireError.BadOptionLength })
            Assert.True(errors[(int)error] > 100, $"{error} was seen only {errors[(int)error]} times");
    }

    // Mostly small edits near the headers (where the parsers look), sometimes truncation or noise.
    private static int Mutate(byte[] seed, byte[] buffer, Random random)
    {
        int length = Math.Min(seed.Length, buffer.Length);
        seed.AsSpan(0, length).CopyTo(buffer);
        switch (random.Next(10))
        {
            case 0:
                return random.Next(length + 1); // truncate
            case 1:
                random.NextBytes(buffer.AsSpan(14, Math.Max(0, length - 14))); // noise after a valid link header
                return length;
            case 2:
                length = Math.Min(buffer.Length, length + random.Next(1, 64)); // trailing garbage
                return length;
        }
        int edits = random.Next(1, 4);
        for (int e = 0; e < edits && length > 0; e++)
        {
            int at = random.Next(2) == 0 ? random.Next(Math.Min(length, 96)) : random.Next(length);
            buffer[at] = random.Next(4) switch
            {
                0 => 0,
                1 => 0xFF,
                2 => (byte)(buffer[at] ^ (1 << random.Next(8))),
                _ => (byte)random.Next(256),
            };
        }
        return length;
    }
}
