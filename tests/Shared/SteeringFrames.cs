using System.Buffers.Binary;

namespace Wirestack.Testing;

/// <summary>
/// Ethernet frames with just enough of each header for flow steering to classify them (checksums are not filled in):
/// what the unit tests of <c>FlowSteering.ForKernelQueues</c> and the kernel tests of its eBPF program feed both.
/// </summary>
internal static class SteeringFrames
{
    private static readonly byte[] Macs = [0x02, 0, 0, 0, 0, 0x0b, 0x02, 0, 0, 0, 0, 0x0a];

    public static byte[] Ipv4(byte[] source, byte[] destination, byte protocol, ushort sourcePort, ushort destinationPort, int options)
    {
        int header = 20 + options;
        var frame = new byte[14 + header + 20];
        Macs.CopyTo(frame, 0);
        BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(12), 0x0800);
        var ip = frame.AsSpan(14);
        ip[0] = (byte)(0x40 | (header / 4));
        BinaryPrimitives.WriteUInt16BigEndian(ip[2..], (ushort)(header + 20));
        BinaryPrimitives.WriteUInt16BigEndian(ip[6..], 0x4000); // don't fragment
        ip[8] = 64;
        ip[9] = protocol;
        source.CopyTo(ip[12..]);
        destination.CopyTo(ip[16..]);
        for (int i = 20; i < header; i++) ip[i] = 1; // NOP options
        BinaryPrimitives.WriteUInt16BigEndian(ip[header..], sourcePort);
        BinaryPrimitives.WriteUInt16BigEndian(ip[(header + 2)..], destinationPort);
        return frame;
    }

    public static byte[] Ipv6(byte[] source, byte[] destination, byte next, ushort sourcePort, ushort destinationPort)
    {
        var frame = new byte[14 + 40 + 20];
        Macs.CopyTo(frame, 0);
        BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(12), 0x86DD);
        var ip = frame.AsSpan(14);
        ip[0] = 0x60;
        BinaryPrimitives.WriteUInt16BigEndian(ip[4..], 20);
        ip[6] = next;
        ip[7] = 64;
        source.CopyTo(ip[8..]);
        destination.CopyTo(ip[24..]);
        BinaryPrimitives.WriteUInt16BigEndian(ip[40..], sourcePort);
        BinaryPrimitives.WriteUInt16BigEndian(ip[42..], destinationPort);
        return frame;
    }

    public static byte[] Arp()
    {
        var frame = new byte[14 + 28];
        Macs.CopyTo(frame, 0);
        BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(12), 0x0806);
        byte[] body = [0, 1, 8, 0, 6, 4, 0, 1, 2, 0, 0, 0, 0, 0x0a, 10, 0, 0, 1, 0, 0, 0, 0, 0, 0, 10, 0, 0, 2];
        body.CopyTo(frame, 14);
        return frame;
    }

    public static byte[] WithFragment(byte[] ipv4Frame, ushort flagsAndOffset)
    {
        var frame = (byte[])ipv4Frame.Clone();
        BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(14 + 6), flagsAndOffset);
        return frame;
    }

    public static byte[] WithFirstByte(byte[] ipFrame, byte value)
    {
        var frame = (byte[])ipFrame.Clone();
        frame[14] = value;
        return frame;
    }

    public static byte[] Tagged(byte[] frame)
    {
        var tagged = new byte[frame.Length + 4];
        frame.AsSpan(0, 12).CopyTo(tagged);
        BinaryPrimitives.WriteUInt16BigEndian(tagged.AsSpan(12), 0x8100);
        BinaryPrimitives.WriteUInt16BigEndian(tagged.AsSpan(14), 7);
        frame.AsSpan(12).CopyTo(tagged.AsSpan(16));
        return tagged;
    }
}
