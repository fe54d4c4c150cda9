namespace Wirestack.Wire;

/// <summary>
/// A read-only list of the IPv4 source addresses in an IGMPv3 query or group record, read in
/// place. Usable in <c>foreach</c>.
/// </summary>
public readonly ref struct IgmpSourceList
{
    private readonly ReadOnlySpan<byte> _bytes;

    /// <summary>A list over <paramref name="bytes"/>, whose length must be a multiple of 4.</summary>
    /// <exception cref="ArgumentException">The length is not a multiple of 4.</exception>
    public IgmpSourceList(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length % Ipv4Address.Length != 0)
            throw new ArgumentException($"A source list is whole 4-byte addresses; {bytes.Length} bytes is not.", nameof(bytes));
        _bytes = bytes;
    }

    /// <summary>The number of sources.</summary>
    public int Count => _bytes.Length / Ipv4Address.Length;

    /// <summary>The sources as they are on the wire.</summary>
    public ReadOnlySpan<byte> Bytes => _bytes;

    /// <summary>The source at <paramref name="index"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="index"/> is not below <see cref="Count"/>.</exception>
    public Ipv4Address this[int index]
    {
        get
        {
            ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual((uint)index, (uint)Count, nameof(index));
            return Ipv4Address.Read(_bytes[(index * Ipv4Address.Length)..]);
        }
    }

    /// <summary>Copies the sources into the start of <paramref name="destination"/>.</summary>
    /// <exception cref="ArgumentException"><paramref name="destination"/> holds fewer than <see cref="Count"/> addresses.</exception>
    public void CopyTo(Span<Ipv4Address> destination)
    {
        if (destination.Length < Count)
            throw new ArgumentException($"The destination holds {destination.Length} addresses but the list has {Count}.", nameof(destination));
        for (int i = 0; i < Count; i++) destination[i] = Ipv4Address.Read(_bytes[(i * Ipv4Address.Length)..]);
    }

    /// <summary>An enumerator over the sources.</summary>
    public Enumerator GetEnumerator() => new(_bytes);

    /// <summary>Enumerates the sources of an <see cref="IgmpSourceList"/>.</summary>
    public ref struct Enumerator
    {
        private readonly ReadOnlySpan<byte> _bytes;
        private int _offset;

        internal Enumerator(ReadOnlySpan<byte> bytes)
        {
            _bytes = bytes;
            _offset = -Ipv4Address.Length;
        }

        /// <summary>The current source.</summary>
        public readonly Ipv4Address Current => Ipv4Address.Read(_bytes[_offset..]);

        /// <summary>Moves to the next source.</summary>
        public bool MoveNext()
        {
            _offset += Ipv4Address.Length;
            return _offset < _bytes.Length;
        }
    }
}
