namespace Wirestack.Wire;

/// <summary>
/// A TCP sequence number: 32 bits that wrap, compared the way RFC 1982 serial numbers are, so
/// that 0x0000_0001 is after 0xFFFF_FFFF.
/// </summary>
/// <remarks>
/// The ordering holds only between numbers less than 2^31 apart, which TCP's windows guarantee;
/// at exactly 2^31 apart each compares before the other's negation, so this type deliberately
/// does not implement <see cref="IComparable{T}"/>.
/// </remarks>
public readonly struct TcpSeqNumber : IEquatable<TcpSeqNumber>
{
    /// <summary>Wraps a raw 32-bit value.</summary>
    public TcpSeqNumber(uint value) => Value = value;

    /// <summary>The raw 32-bit value.</summary>
    public uint Value { get; }

    /// <summary>The number <paramref name="count"/> bytes later (or earlier, if negative), wrapping.</summary>
    public static TcpSeqNumber operator +(TcpSeqNumber seq, int count) => new(unchecked(seq.Value + (uint)count));

    /// <summary>The number <paramref name="count"/> bytes earlier, wrapping.</summary>
    public static TcpSeqNumber operator -(TcpSeqNumber seq, int count) => new(unchecked(seq.Value - (uint)count));

    /// <summary>The signed distance from <paramref name="b"/> to <paramref name="a"/>, valid while they are less than 2^31 apart.</summary>
    public static int operator -(TcpSeqNumber a, TcpSeqNumber b) => unchecked((int)(a.Value - b.Value));

    /// <summary>True when <paramref name="a"/> comes before <paramref name="b"/>.</summary>
    public static bool operator <(TcpSeqNumber a, TcpSeqNumber b) => a - b < 0;

    /// <summary>True when <paramref name="a"/> comes after <paramref name="b"/>.</summary>
    public static bool operator >(TcpSeqNumber a, TcpSeqNumber b) => a - b > 0;

    /// <summary>True when <paramref name="a"/> is <paramref name="b"/> or comes before it.</summary>
    public static bool operator <=(TcpSeqNumber a, TcpSeqNumber b) => a - b <= 0;

    /// <summary>True when <paramref name="a"/> is <paramref name="b"/> or comes after it.</summary>
    public static bool operator >=(TcpSeqNumber a, TcpSeqNumber b) => a - b >= 0;

    /// <summary>True when both hold the same value.</summary>
    public static bool operator ==(TcpSeqNumber a, TcpSeqNumber b) => a.Value == b.Value;

    /// <summary>True when the values differ.</summary>
    public static bool operator !=(TcpSeqNumber a, TcpSeqNumber b) => a.Value != b.Value;

    /// <summary>The later of two numbers.</summary>
    public static TcpSeqNumber Max(TcpSeqNumber a, TcpSeqNumber b) => a > b ? a : b;

    /// <summary>The earlier of two numbers.</summary>
    public static TcpSeqNumber Min(TcpSeqNumber a, TcpSeqNumber b) => a < b ? a : b;

    /// <inheritdoc/>
    public bool Equals(TcpSeqNumber other) => Value == other.Value;

    /// <inheritdoc/>
    public override bool Equals(object? obj) => obj is TcpSeqNumber other && Equals(other);

    /// <inheritdoc/>
    public override int GetHashCode() => (int)Value;

    /// <summary>The value in decimal, as tcpdump prints absolute sequence numbers.</summary>
    public override string ToString() => Value.ToString(System.Globalization.CultureInfo.InvariantCulture);
}
