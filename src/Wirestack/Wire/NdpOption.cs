using System.Buffers.Binary;

namespace Wirestack.Wire;

/// <summary>One neighbor discovery option: type, length in units of 8 bytes, data.</summary>
public readonly ref struct NdpOption
{
    internal NdpOption(NdpOptionType type, ReadOnlySpan<byte> bytes, int offset, WireError error)
    {
        Type = type;
        Bytes = bytes;
        Offset = offset;
        Error = error;
    }

    /// <summary>The option type (possibly one not named in <see cref="NdpOptionType"/>).</summary>
    public NdpOptionType Type { get; }

    /// <summary>
    /// <see cref="WireError.None"/> for a well-delimited option; otherwise
    /// <see cref="WireError.BadOptionLength"/> (a zero length, a missing length byte, or a length past
    /// the end), in which case <see cref="Bytes"/> is empty and no option follows.
    /// </summary>
    public WireError Error { get; }

    /// <summary>The whole option, type and length bytes included (empty for a malformed option).</summary>
    public ReadOnlySpan<byte> Bytes { get; }

    /// <summary>The option's length in bytes (a non-zero multiple of 8, or 0 for a malformed option).</summary>
    public int Length => Bytes.Length;

    /// <summary>The option after its type and length bytes.</summary>
    public ReadOnlySpan<byte> Data => Bytes.IsEmpty ? default : Bytes[2..];

    /// <summary>Where the option starts, counted from the start of the options.</summary>
    public int Offset { get; }

    /// <summary>The Ethernet address of a source or target link-layer address option (its first six data bytes).</summary>
    /// <exception cref="InvalidOperationException">The option is malformed.</exception>
    public MacAddress LinkLayerAddress => Error == WireError.None
        ? MacAddress.Read(Data)
        : throw new InvalidOperationException("A malformed option has no link-layer address.");

    /// <summary>The value of an MTU option (bytes 4-7).</summary>
    /// <exception cref="InvalidOperationException">The option is malformed.</exception>
    public uint Mtu => Error == WireError.None
        ? BinaryPrimitives.ReadUInt32BigEndian(Bytes[4..])
        : throw new InvalidOperationException("A malformed option has no MTU.");
}
