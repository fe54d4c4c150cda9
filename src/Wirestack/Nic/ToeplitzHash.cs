namespace Wirestack.Nic;

/// <summary>
/// The Toeplitz hash that NICs compute for receive-side scaling (RSS): each set bit of the input, taken most
/// significant first, XORs in the 32-bit window of the key that starts at that bit. With the same key and input
/// layout as a NIC (source address, destination address, source port, destination port, all in network order) the
/// result equals the hash the NIC reports, so software steering and hardware RSS agree on a flow's queue.
/// </summary>
/// <remarks>
/// The bitwise definition is turned into one table lookup per input byte: the contribution of byte value v at
/// offset i is fixed by the key, so it is computed once (256 entries per offset, 36 offsets: the IPv6 4-tuple).
/// </remarks>
public sealed class ToeplitzHash
{
    /// <summary>The longest input hashed: two IPv6 addresses and two ports.</summary>
    public const int MaxInputLength = 36;

    // The 40-byte key from Microsoft's RSS specification, the default of most NIC drivers (and of DPDK's examples).
    private static readonly byte[] MicrosoftKey =
    [
        0x6d, 0x5a, 0x56, 0xda, 0x25, 0x5b, 0x0e, 0xc2, 0x41, 0x67, 0x25, 0x3d, 0x43, 0xa3, 0x8f, 0xb0,
        0xd0, 0xca, 0x2b, 0xcb, 0xae, 0x7b, 0x30, 0xb4, 0x77, 0xcb, 0x2d, 0xa3, 0x80, 0x30, 0xf2, 0x0c,
        0x6a, 0x42, 0xb7, 0x3b, 0xbe, 0xac, 0x01, 0xfa,
    ];

    private readonly uint[] _table = new uint[MaxInputLength * 256];

    /// <summary>The hash with Microsoft's standard RSS key.</summary>
    public static ToeplitzHash Microsoft { get; } = new(MicrosoftKey);

    /// <summary>Prepares the hash for <paramref name="key"/>, at least <see cref="MaxInputLength"/> + 4 bytes long.</summary>
    /// <exception cref="ArgumentException">The key is shorter than 40 bytes.</exception>
    public ToeplitzHash(ReadOnlySpan<byte> key)
    {
        if (key.Length < MaxInputLength + 4)
            throw new ArgumentException($"A Toeplitz key of {key.Length} bytes is too short: the 4-tuple hash needs {MaxInputLength + 4} bytes (the standard RSS key has 40).", nameof(key));
        Key = key.ToArray();
        for (int offset = 0; offset < MaxInputLength; offset++)
        {
            for (int bit = 0; bit < 8; bit++)
            {
                uint window = Window(Key, offset * 8 + bit);
                int mask = 0x80 >> bit;
                for (int value = 0; value < 256; value++)
                    if ((value & mask) != 0) _table[offset * 256 + value] ^= window;
            }
        }
    }

    /// <summary>The key the hash uses.</summary>
    public byte[] Key { get; }

    /// <summary>Hashes <paramref name="input"/> (at most <see cref="MaxInputLength"/> bytes).</summary>
    public uint Compute(ReadOnlySpan<byte> input)
    {
        if (input.Length > MaxInputLength)
            throw new ArgumentException($"The Toeplitz input is {input.Length} bytes; at most {MaxInputLength} (an IPv6 4-tuple) are hashed.", nameof(input));
        uint hash = 0;
        var table = _table;
        for (int i = 0; i < input.Length; i++) hash ^= table[(i << 8) | input[i]];
        return hash;
    }

    // The 32 key bits that start at bit position `start` (bit 0 is the key's first byte's most significant bit).
    private static uint Window(byte[] key, int start)
    {
        uint window = 0;
        for (int i = 0; i < 32; i++)
        {
            int bit = start + i;
            window = (window << 1) | (uint)((key[bit >> 3] >> (7 - (bit & 7))) & 1);
        }
        return window;
    }
}
