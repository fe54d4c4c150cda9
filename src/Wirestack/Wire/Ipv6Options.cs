using System.Buffers.Binary;

namespace Wirestack.Wire;

/// <summary>Option types of the hop-by-hop and destination options headers that Wirestack knows.</summary>
public enum Ipv6OptionType : byte
{
    /// <summary>One byte of padding (no length byte).</summary>
    Pad1 = 0,

    /// <summary>Two or more bytes of padding.</summary>
    PadN = 1,

    /// <summary>Router alert (RFC 2711): routers should look inside. MLD messages carry it.</summary>
    RouterAlert = 5,

    /// <summary>Jumbo payload (RFC 2675); Wirestack does not handle jumbograms.</summary>
    JumboPayload = 0xC2,
}

/// <summary>
/// What a node must do with an option whose type it does not recognise: the two high-order bits
/// of the option type (RFC 8200 section 4.2).
/// </summary>
public enum Ipv6UnknownOptionAction : byte
{
    /// <summary>Skip the option and continue processing the header.</summary>
    Skip = 0,

    /// <summary>Discard the packet silently.</summary>
    Discard = 1,

    /// <summary>Discard the packet and send a parameter problem (code 2) pointing at the option type.</summary>
    DiscardAndReport = 2,

    /// <summary>Discard the packet and send a parameter problem only if the destination was not multicast.</summary>
    DiscardAndReportUnlessMulticast = 3,
}

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

/// <summary>
/// Reads the options of a hop-by-hop or destination options header, padding included, for use in
/// <c>foreach</c>. Unknown options are delimited by their length byte and yielded like any other;
/// the caller applies <see cref="Ipv6Option.UnknownAction"/> to the types it does not handle.
/// </summary>
/// <remarks>
/// A malformed option never throws: the reader yields one last <see cref="Ipv6Option"/> whose
/// <see cref="Ipv6Option.Error"/> says what is wrong (its <see cref="Ipv6Option.Offset"/> is what a
/// parameter problem would point at), sets <see cref="Error"/>, and stops.
/// </remarks>
public ref struct Ipv6OptionReader
{
    private readonly ReadOnlySpan<byte> _header;
    private int _offset;

    /// <summary>A reader over the options of <paramref name="header"/>: a whole options header, next-header byte included.</summary>
    /// <remarks>Only the bytes from offset 2 are read; the header's own length field is not consulted.</remarks>
    public Ipv6OptionReader(ReadOnlySpan<byte> header)
    {
        _header = header;
        _offset = Math.Min(2, header.Length);
    }

    /// <summary>The option <see cref="MoveNext"/> last moved to.</summary>
    public Ipv6Option Current { get; private set; }

    /// <summary>Why the walk stopped early, or <see cref="WireError.None"/>.</summary>
    public WireError Error { get; private set; }

    /// <summary>Returns this reader, so that it can be used in <c>foreach</c>.</summary>
    public readonly Ipv6OptionReader GetEnumerator() => this;

    /// <summary>Moves to the next option; false at the end of the header or after a malformed option.</summary>
    public bool MoveNext()
    {
        if (_offset >= _header.Length) return false;
        byte type = _header[_offset];
        if (type == (byte)Ipv6OptionType.Pad1)
        {
            Current = new Ipv6Option(type, default, _offset, 1, WireError.None);
            _offset++;
            return true;
        }
        if (_offset + 2 > _header.Length) return Fail(type, WireError.BadOptionLength);
        int length = 2 + _header[_offset + 1];
        if (_offset + length > _header.Length) return Fail(type, WireError.BadOptionLength);
        int dataLength = length - 2;
        if ((type == (byte)Ipv6OptionType.RouterAlert && dataLength != 2) || (type == (byte)Ipv6OptionType.JumboPayload && dataLength != 4))
            return Fail(type, WireError.BadOption);
        Current = new Ipv6Option(type, _header.Slice(_offset + 2, dataLength), _offset, length, WireError.None);
        _offset += length;
        return true;
    }

    private bool Fail(byte type, WireError error)
    {
        Error = error;
        Current = new Ipv6Option(type, default, _offset, 0, error);
        _offset = _header.Length;
        return true;
    }
}

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
