using System.Buffers.Binary;

namespace Wirestack.Wire;

/// <summary>
/// The fields of a hop-by-hop or destination options header that Wirestack acts on: the next
/// header and a router alert. <see cref="Emit"/> pads the way Linux does, so a router alert alone
/// comes out as <c>nh 00 05 02 vv vv 01 00</c>.
/// </summary>
public struct Ipv6OptionsHeaderRepr
{
    /// <summary>The router alert value that marks an MLD message (RFC 2711).</summary>
    public const ushort RouterAlertMld = 0;

    /// <summary>The type of the header that follows.</summary>
    public IpProtocol NextHeader { get; set; }

    /// <summary>The router alert value, or null for none.</summary>
    public ushort? RouterAlert { get; set; }

    /// <summary>The hop-by-hop header Linux puts before an MLD message: a router alert with value 0.</summary>
    public static Ipv6OptionsHeaderRepr ForMld() => new() { NextHeader = IpProtocol.Icmpv6, RouterAlert = RouterAlertMld };

    /// <summary>The number of bytes <see cref="Emit"/> writes: the options padded to a multiple of 8.</summary>
    public readonly int HeaderLength => (2 + (RouterAlert.HasValue ? 4 : 0) + 7) & ~7;

    /// <summary>
    /// Reads a checked header. Padding and unknown options whose action is
    /// <see cref="Ipv6UnknownOptionAction.Skip"/> are passed over; any other unknown option makes it
    /// <see cref="WireError.Unrecognized"/> (walk it with <see cref="Ipv6OptionReader"/> to find the
    /// option a parameter problem should point at), and a jumbo payload option
    /// <see cref="WireError.Unsupported"/>.
    /// </summary>
    public static WireError Parse(Ipv6OptionsHeader header, out Ipv6OptionsHeaderRepr repr)
    {
        repr = default;
        var result = new Ipv6OptionsHeaderRepr { NextHeader = header.NextHeader };
        foreach (var option in header.Options)
        {
            if (option.Error != WireError.None) return option.Error;
            switch (option.Type)
            {
                case Ipv6OptionType.Pad1:
                case Ipv6OptionType.PadN:
                    break;
                case Ipv6OptionType.RouterAlert:
                    result.RouterAlert ??= option.RouterAlertValue;
                    break;
                case Ipv6OptionType.JumboPayload:
                    return WireError.Unsupported;
                default:
                    if (option.UnknownAction != Ipv6UnknownOptionAction.Skip) return WireError.Unrecognized;
                    break;
            }
        }
        repr = result;
        return WireError.None;
    }

    /// <summary>Writes the header into the first <see cref="HeaderLength"/> bytes of <paramref name="buffer"/>.</summary>
    /// <exception cref="ArgumentException">The buffer is too short.</exception>
    public readonly void Emit(Span<byte> buffer)
    {
        int length = HeaderLength;
        EmitGuard.RequireLength(buffer, length);
        buffer[0] = (byte)NextHeader;
        buffer[1] = (byte)(length / 8 - 1);
        int at = 2;
        if (RouterAlert is ushort value)
        {
            buffer[at] = (byte)Ipv6OptionType.RouterAlert;
            buffer[at + 1] = 2;
            BinaryPrimitives.WriteUInt16BigEndian(buffer[(at + 2)..], value);
            at += 4;
        }
        WritePadding(buffer[at..length]);
    }

    /// <summary>Fills <paramref name="padding"/> with one Pad1 (one byte) or one PadN (two or more), as Linux does.</summary>
    internal static void WritePadding(Span<byte> padding)
    {
        if (padding.IsEmpty) return;
        padding.Clear();
        if (padding.Length == 1) return; // Pad1 is a single zero byte
        padding[0] = (byte)Ipv6OptionType.PadN;
        padding[1] = (byte)(padding.Length - 2);
    }
}
