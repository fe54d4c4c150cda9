namespace Wirestack.Wire;

/// <summary>
/// What the wire layer needs of an IP address type to read and write lists of it generically:
/// <see cref="Ipv4Address"/> and <see cref="Ipv6Address"/> implement it, so that one generic
/// struct, constrained to this interface, serves both and is specialised by the JIT without boxing.
/// </summary>
/// <typeparam name="TSelf">The address type itself.</typeparam>
public interface IIpAddress<TSelf>
    where TSelf : struct, IIpAddress<TSelf>
{
    /// <summary>The length of an address on the wire, in bytes.</summary>
    static abstract int Length { get; }

    /// <summary>True for a multicast address.</summary>
    bool IsMulticast { get; }

    /// <summary>Reads an address from the first <see cref="Length"/> bytes of <paramref name="bytes"/>.</summary>
    static abstract TSelf Read(ReadOnlySpan<byte> bytes);

    /// <summary>Writes the address into the first <see cref="Length"/> bytes of <paramref name="destination"/>.</summary>
    void WriteTo(Span<byte> destination);

    /// <summary>True when both addresses share the first <paramref name="prefixLength"/> bits (0 to 8 × <see cref="Length"/>).</summary>
    bool IsInSameSubnet(TSelf other, int prefixLength);

    /// <summary>The address with every bit after the first <paramref name="prefixLength"/> cleared: the network prefix.</summary>
    TSelf Mask(int prefixLength);
}
