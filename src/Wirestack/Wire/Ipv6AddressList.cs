namespace Wirestack.Wire;

/// <summary>A read-only view of consecutive 16-byte IPv6 addresses on the wire (an MLDv2 source list, say).</summary>
public readonly ref struct Ipv6AddressList
{
    private readonly ReadOnlySpan<byte> _bytes;

    /// <summary>A list over <paramref name="bytes"/>, whose length must be a multiple of 16.</summary>
    /// <exception cref="ArgumentException">The length is not a multiple of 16.</exception>
    public Ipv6AddressList(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length % Ipv6Address.Length != 0)
            throw new ArgumentException($"An address list of {bytes.Length} bytes is not a whole number of 16-byte addresses.", nameof(bytes));
        _bytes = bytes;
    }

    /// <summary>The number of addresses.</summary>
    public int Count => _bytes.Length / Ipv6Address.Length;

    /// <summary>The address at <paramref name="index"/>.</summary>
    public Ipv6Address this[int index]
    {
        get
        {
            ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual((uint)index, (uint)Count, nameof(index));
            return Ipv6Address.Read(_bytes[(index * Ipv6Address.Length)..]);
        }
    }

    /// <summary>The addresses as they are on the wire.</summary>
    public ReadOnlySpan<byte> Bytes => _bytes;

    /// <summary>Copies the addresses into the start of <paramref name="destination"/>.</summary>
    /// <exception cref="ArgumentException"><paramref name="destination"/> holds fewer than <see cref="Count"/> addresses.</exception>
    public void CopyTo(Span<Ipv6Address> destination)
    {
        if (destination.Length < Count)
            throw new ArgumentException($"The destination holds {destination.Length} addresses but the list has {Count}.", nameof(destination));
        for (int i = 0; i < Count; i++) destination[i] = Ipv6Address.Read(_bytes[(i * Ipv6Address.Length)..]);
    }

    /// <summary>An enumerator over the addresses.</summary>
    public Enumerator GetEnumerator() => new(_bytes);

    /// <summary>Enumerates the addresses of an <see cref="Ipv6AddressList"/>.</summary>
    public ref struct Enumerator
    {
        private readonly ReadOnlySpan<byte> _bytes;
        private int _offset;

        internal Enumerator(ReadOnlySpan<byte> bytes)
        {
            _bytes = bytes;
            _offset = -Ipv6Address.Length;
        }

        /// <summary>The current address.</summary>
        public readonly Ipv6Address Current => Ipv6Address.Read(_bytes[_offset..]);

        /// <summary>Moves to the next address.</summary>
        public bool MoveNext()
        {
            _offset += Ipv6Address.Length;
            return _offset < _bytes.Length;
        }
    }

    /// <summary>Writes <paramref name="addresses"/> one after another into <paramref name="destination"/>.</summary>
    internal static void Write(ReadOnlySpan<Ipv6Address> addresses, Span<byte> destination)
    {
        for (int i = 0; i < addresses.Length; i++) addresses[i].WriteTo(destination[(i * Ipv6Address.Length)..]);
    }
}
