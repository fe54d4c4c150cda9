using System.Buffers.Binary;

namespace Wirestack.Wire;

/// <summary>
/// A read-only view of an Ethernet II frame (no preamble, no FCS), with up to two VLAN tags.
/// Obtain one with <see cref="TryParse"/>, which checks every length the accessors rely on.
/// </summary>
public readonly ref struct EthernetFrame
{
    /// <summary>The length of an untagged header.</summary>
    public const int UntaggedHeaderLength = 14;

    /// <summary>The length of one VLAN tag.</summary>
    public const int VlanTagLength = 4;

    /// <summary>The most VLAN tags Wirestack reads (802.1ad outer plus 802.1Q inner).</summary>
    public const int MaxVlanTags = 2;

    private readonly ReadOnlySpan<byte> _buffer;

    private EthernetFrame(ReadOnlySpan<byte> buffer, int tags)
    {
        _buffer = buffer;
        VlanTagCount = tags;
    }

    /// <summary>Checks <paramref name="buffer"/> and makes a view of it.</summary>
    public static WireError TryParse(ReadOnlySpan<byte> buffer, out EthernetFrame frame)
    {
        frame = default;
        if (buffer.Length < UntaggedHeaderLength) return WireError.Truncated;
        int tags = 0;
        while (VlanTag.IsTagProtocol(BinaryPrimitives.ReadUInt16BigEndian(buffer.Slice(12 + tags * VlanTagLength))))
        {
            if (++tags > MaxVlanTags) return WireError.TooManyVlanTags;
            if (buffer.Length < UntaggedHeaderLength + tags * VlanTagLength) return WireError.Truncated;
        }
        frame = new EthernetFrame(buffer, tags);
        return WireError.None;
    }

    /// <summary>The whole frame.</summary>
    public ReadOnlySpan<byte> Buffer => _buffer;

    /// <summary>The destination address.</summary>
    public MacAddress Destination => MacAddress.Read(_buffer);

    /// <summary>The source address.</summary>
    public MacAddress Source => MacAddress.Read(_buffer[6..]);

    /// <summary>How many VLAN tags precede the EtherType.</summary>
    public int VlanTagCount { get; }

    /// <summary>The VLAN tag at <paramref name="index"/> (0 is outermost).</summary>
    public VlanTag GetVlanTag(int index)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual((uint)index, (uint)VlanTagCount, nameof(index));
        var tag = _buffer.Slice(12 + index * VlanTagLength, VlanTagLength);
        return VlanTag.FromWire((EtherType)BinaryPrimitives.ReadUInt16BigEndian(tag), BinaryPrimitives.ReadUInt16BigEndian(tag[2..]));
    }

    /// <summary>The EtherType of the payload (after any VLAN tags).</summary>
    public EtherType EtherType => (EtherType)BinaryPrimitives.ReadUInt16BigEndian(_buffer.Slice(12 + VlanTagCount * VlanTagLength));

    /// <summary>The header length including VLAN tags.</summary>
    public int HeaderLength => UntaggedHeaderLength + VlanTagCount * VlanTagLength;

    /// <summary>Everything after the header (may include padding the link added to reach 60 bytes).</summary>
    public ReadOnlySpan<byte> Payload => _buffer[HeaderLength..];
}
