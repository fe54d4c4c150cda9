namespace Wirestack.Benchmarks.PipeTcp;

/// <summary>
/// The bytes a bulk run sends: byte N of the stream is <c>Bytes[N mod Length]</c>, random, so the receiver can check
/// every byte it gets against where it sits in the stream (a lost, duplicated or reordered byte shows).
/// </summary>
internal sealed class StreamPattern
{
    public StreamPattern(int length, int seed)
    {
        Bytes = new byte[length];
        new Random(seed).NextBytes(Bytes);
        Mask = length - 1;
    }

    /// <summary>The pattern; its length is a power of two.</summary>
    public byte[] Bytes { get; }

    public int Mask { get; }

    /// <summary>The pattern from stream offset <paramref name="position"/> to the end of the pattern, at most <paramref name="limit"/> bytes.</summary>
    public ReadOnlySpan<byte> From(long position, long limit)
    {
        int start = (int)(position & Mask);
        return Bytes.AsSpan(start, (int)Math.Min(Bytes.Length - start, limit));
    }

    /// <summary>True when <paramref name="received"/> is what the stream holds at <paramref name="position"/>.</summary>
    public bool Matches(long position, ReadOnlySpan<byte> received)
    {
        while (received.Length > 0)
        {
            var expected = From(position, received.Length);
            if (!received[..expected.Length].SequenceEqual(expected)) return false;
            received = received[expected.Length..];
            position += expected.Length;
        }
        return true;
    }
}
