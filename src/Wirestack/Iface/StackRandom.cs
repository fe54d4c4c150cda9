namespace Wirestack.Iface;

// The interface's source of pseudo-random delays and identifiers: xorshift64* seeded through SplitMix64. Seeded
// from the options, so a simulation replays exactly; the core never touches Random.Shared.
internal struct StackRandom
{
    private ulong _state;

    public StackRandom(ulong seed)
    {
        ulong z = seed + 0x9E37_79B9_7F4A_7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58_476D_1CE4_E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D0_49BB_1331_11EBUL;
        z ^= z >> 31;
        _state = z == 0 ? 1 : z;
    }

    public ulong NextUInt64()
    {
        _state ^= _state >> 12;
        _state ^= _state << 25;
        _state ^= _state >> 27;
        return _state * 0x2545_F491_4F6C_DD1DUL;
    }

    // Uniform in [0, bound) for a non-negative bound; 0 for 0.
    public long NextInt64(long bound) => bound <= 0 ? 0 : (long)(NextUInt64() % (ulong)bound);
}
