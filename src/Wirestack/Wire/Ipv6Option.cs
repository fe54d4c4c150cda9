using System.Buffers.Binary;

namespace Wirestack.Wire;

/// <summary>One option of a hop-by-hop or destination options header.</summary>
public readonly ref struct Ipv6Option
{
    internal Ipv6Option(byte type, ReadOnlySpan<byte> data, int offset, int length, WireError error)
    {
        Type = (Ipv6OptionType)type;
        Data = data;
        Offset = offset;
        Length = length;
        Error = error;
    }

    /// <summary>The option type (possibly one not named in <see cref="Ipv6OptionType"/>).</summary>
    public Ipv6OptionType Type { get; }

    /// <summary>
    /// <see cref="WireError.None"/> for a well-formed option; otherwise why it is malformed
    /// (<see cref="WireError.BadOptionLength"/>: the length byte is missing or the option runs past
    /// the header; <see cref="WireError.BadOption"/>: a router alert or jumbo payload option of the
    /// wrong length), in which case <see cref="Data"/> is empty and no option follows.
    /// </summary>
    public WireError Error { get; }

    /// <summary>The option data (empty for Pad1).</summary>
    public ReadOnlySpan<byte> Data { get; }

    /// <summary>Where the option's type byte is, counted from the start of the extension header.</summary>
    public int Offset { get; }

    /// <summary>The option's length on the wire, type and length bytes included (0 for a malformed option).</summary>
    public int Length { get; }

    /// <summary>True for Pad1 and PadN.</summary>
    public bool IsPadding => Type is Ipv6OptionType.Pad1 or Ipv6OptionType.PadN;

    /// <summary>What to do with this option if its type is not recognised.</summary>
    public Ipv6UnknownOptionAction UnknownAction => (Ipv6UnknownOptionAction)((byte)Type >> 6);

    /// <summary>True when the option data may change en route (the third-highest bit of the type).</summary>
    public bool MayChangeEnRoute => ((byte)Type & 0x20) != 0;

    /// <summary>The router alert value (0 for MLD) of a well-formed <see cref="Ipv6OptionType.RouterAlert"/> option.</summary>
    /// <exception cref="InvalidOperationException">This is not a well-formed router alert option.</exception>
    public ushort RouterAlertValue => Type == Ipv6OptionType.RouterAlert && Error == WireError.None
        ? BinaryPrimitives.ReadUInt16BigEndian(Data)
        : throw new InvalidOperationException($"Option type {(byte)Type} is not a well-formed router alert.");
}
