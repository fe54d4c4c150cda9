namespace Wirestack.Tests.Wire;

/// <summary>Seeded random variants of a valid packet, for checking that parsers never throw on bad bytes.</summary>
internal static class Mutations
{
    private static readonly byte[] Interesting = [0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x08, 0x0C, 0x10, 0x11, 0x22, 0x7F, 0x80, 0xFE, 0xFF];

    /// <summary>
    /// <paramref name="count"/> variants of <paramref name="seed"/>: bytes overwritten with random or
    /// boundary values (length and count fields included), truncations, and random bytes appended.
    /// </summary>
    public static IEnumerable<byte[]> Of(byte[] seed, int count, int randomSeed)
    {
        var random = new Random(randomSeed);
        for (int i = 0; i < count; i++)
        {
            var bytes = (byte[])seed.Clone();
            int kind = random.Next(5);
            if (kind != 1)
            {
                int edits = 1 + random.Next(3);
                for (int e = 0; e < edits && bytes.Length > 0; e++)
                {
                    bytes[random.Next(bytes.Length)] = random.Next(2) == 0
                        ? (byte)random.Next(256)
                        : Interesting[random.Next(Interesting.Length)];
                }
            }
            if (kind is 1 or 2) bytes = bytes[..random.Next(bytes.Length + 1)];
            if (kind == 3)
            {
                var longer = new byte[bytes.Length + 1 + random.Next(16)];
                bytes.CopyTo(longer, 0);
                random.NextBytes(longer.AsSpan(bytes.Length));
                bytes = longer;
            }
            yield return bytes;
        }
    }
}
