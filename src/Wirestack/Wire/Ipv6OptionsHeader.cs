namespace Wirestack.Wire;

/// <summary>
/// A read-only view of a hop-by-hop options or destination options header (RFC 8200 sections
/// 4.3 and 4.6): next header, length, then options in (length + 1) × 8 bytes.
/// </summary>
public readonly ref struct Ipv6OptionsHeader
{
    /// <summary>The shortest options header.</summary>
    public const int MinLength = 8;

    private readonly ReadOnlySpan<byte> _buffer;

    private Ipv6OptionsHeader(ReadOnlySpan<byte> buffer) => _buffer = buffer;

    /// <summary>Checks <paramref name="buffer"/> and makes a view of the header's (length + 1) × 8 bytes.</summary>
    public static WireError TryParse(ReadOnlySpan<byte> buffer, out Ipv6OptionsHeader header)
    {
        header = default;
        if (buffer.Length < MinLength) return WireError.Truncated;
        int length = (buffer[1] + 1) * 8;
        if (length > buffer.Length) return WireError.Truncated;
        header = new Ipv6OptionsHeader(buffer[..length]);
        return WireError.None;
    }

    /// <summary>The whole header.</summary>
    public ReadOnlySpan<byte> Buffer => _buffer;

    /// <summary>The type of the header that follows.</summary>
    public IpProtocol NextHeader => (IpProtocol)_buffer[0];

    /// <summary>The header's length in bytes.</summary>
    public int HeaderLength => _buffer.Length;

    /// <summary>The option bytes (everything after the first two bytes).</summary>
    public ReadOnlySpan<byte> OptionBytes => _buffer[2..];

    /// <summary>A reader over the options.</summary>
    public Ipv6OptionReader Options => new(_buffer);
}
