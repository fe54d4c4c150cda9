namespace Wirestack.Wire;

/// <summary>
/// A read-only list of addresses laid end to end, read in place: the sources of an IGMPv3 or
/// MLDv2 query or record. Usable in <c>foreach</c>.
/// </summary>
/// <typeparam name="TAddress"><see cref="Ipv4Address"/> or <see cref="Ipv6Address"/>.</typeparam>
public readonly ref struct AddressList<TAddress>
    where TAddress : struct, IIpAddress<TAddress>
{
    private readonly ReadOnlySpan<byte> _bytes;

    /// <summary>A list over <paramref name="bytes"/>, whose length must be a multiple of the address length.</summary>
    /// <exception cref="ArgumentException">The length is not a multiple of the address length.</exception>
    public AddressList(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length % TAddress.Length != 0)
            throw new ArgumentException($"An address list of {bytes.Length} bytes is not a whole number of {TAddress.Length}-byte addresses.", nameof(bytes));
        _bytes = bytes;
    }

    /// <summary>The number of addresses.</summary>
    public int Count => _bytes.Length / TAddress.Length;

    /// <summary>The addresses as they are on the wire.</summary>
    public ReadOnlySpan<byte> Bytes => _bytes;

    /// <summary>The address at <paramref name="index"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="index"/> is not below <see cref="Count"/>.</exception>
    public TAddress this[int index]
    {
        get
        {
            ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual((uint)index, (uint)Count, nameof(index));
            return TAddress.Read(_bytes[(index * TAddress.Length)..]);
        }
    }

    /// <summary>Copies the addresses into the start of <paramref name="destination"/>.</summary>
    /// <exception cref="ArgumentException"><paramref name="destination"/> holds fewer than <see cref="Count"/> addresses.</exception>
    public void CopyTo(Span<TAddress> destination)
    {
        if (destination.Length < Count)
            throw new ArgumentException($"The destination holds {destination.Length} addresses but the list has {Count}.", nameof(destination));
        for (int i = 0; i < Count; i++) destination[i] = TAddress.Read(_bytes[(i * TAddress.Length)..]);
    }

    /// <summary>An enumerator over the addresses.</summary>
    public Enumerator GetEnumerator() => new(_bytes);

    /// <summary>Writes <paramref name="addresses"/> one after another into <paramref name="destination"/>.</summary>
    internal static void Write(ReadOnlySpan<TAddress> addresses, Span<byte> destination)
    {
        for (int i = 0; i < addresses.Length; i++) addresses[i].WriteTo(destination[(i * TAddress.Length)..]);
    }

    /// <summary>Enumerates the addresses of an <see cref="AddressList{TAddress}"/>.</summary>
    public ref struct Enumerator
    {
        private readonly ReadOnlySpan<byte> _bytes;
        private int _offset;

        internal Enumerator(ReadOnlySpan<byte> bytes)
        {
            _bytes = bytes;
            _offset = -TAddress.Length;
        }

        /// <summary>The current address.</summary>
        public readonly TAddress Current => TAddress.Read(_bytes[_offset..]);

        /// <summary>Moves to the next address.</summary>
        public bool MoveNext()
        {
            _offset += TAddress.Length;
            return _offset < _bytes.Length;
        }
    }
}
