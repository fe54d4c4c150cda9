using System.Buffers.Binary;

namespace Wirestack.Wire;

/// <summary>The fields of an Ethernet II header, parsed from an <see cref="EthernetFrame"/> or to be emitted.</summary>
public struct EthernetRepr
{
    /// <summary>The destination address.</summary>
    public MacAddress Destination { get; set; }

    /// <summary>The source address.</summary>
    public MacAddress Source { get; set; }

    /// <summary>The EtherType of the payload.</summary>
    public EtherType EtherType { get; set; }

    /// <summary>How many of <see cref="OuterVlan"/> and <see cref="InnerVlan"/> are present (0-2).</summary>
    public int VlanTagCount { get; set; }

    /// <summary>The first (outermost) VLAN tag, when <see cref="VlanTagCount"/> is at least 1.</summary>
    public VlanTag OuterVlan { get; set; }

    /// <summary>The second VLAN tag, when <see cref="VlanTagCount"/> is 2.</summary>
    public VlanTag InnerVlan { get; set; }

    /// <summary>The number of bytes <see cref="Emit"/> writes.</summary>
    public readonly int HeaderLength => EthernetFrame.UntaggedHeaderLength + VlanTagCount * EthernetFrame.VlanTagLength;

    /// <summary>Reads the header fields of a checked frame.</summary>
    public static WireError Parse(EthernetFrame frame, out EthernetRepr repr)
    {
        repr = new EthernetRepr
        {
            Destination = frame.Destination,
            Source = frame.Source,
            EtherType = frame.EtherType,
            VlanTagCount = frame.VlanTagCount,
            OuterVlan = frame.VlanTagCount > 0 ? frame.GetVlanTag(0) : default,
            InnerVlan = frame.VlanTagCount > 1 ? frame.GetVlanTag(1) : default,
        };
        return WireError.None;
    }

    /// <summary>Writes the header into the first <see cref="HeaderLength"/> bytes of <paramref name="buffer"/>.</summary>
    /// <exception cref="ArgumentException">The buffer is too short, or <see cref="VlanTagCount"/> is out of range.</exception>
    public readonly void Emit(Span<byte> buffer)
    {
        if ((uint)VlanTagCount > EthernetFrame.MaxVlanTags)
            throw new ArgumentException($"VlanTagCount is {VlanTagCount}; it must be 0, 1 or 2.");
        EmitGuard.RequireLength(buffer, HeaderLength);
        Destination.WriteTo(buffer);
        Source.WriteTo(buffer[6..]);
        int at = 12;
        for (int i = 0; i < VlanTagCount; i++, at += EthernetFrame.VlanTagLength)
        {
            var tag = i == 0 ? OuterVlan : InnerVlan;
            BinaryPrimitives.WriteUInt16BigEndian(buffer[at..], (ushort)tag.Protocol);
            BinaryPrimitives.WriteUInt16BigEndian(buffer[(at + 2)..], tag.ControlInformation);
        }
        BinaryPrimitives.WriteUInt16BigEndian(buffer[at..], (ushort)EtherType);
    }
}
