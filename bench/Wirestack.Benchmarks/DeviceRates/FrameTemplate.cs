using Wirestack.Wire;

namespace Wirestack.Benchmarks.DeviceRates;

/// <summary>The frame Wirestack sends in the transmit rows, built once by the wire layer and copied into every slot.</summary>
internal static class FrameTemplate
{
    /// <summary>Ethernet + IPv4 + UDP headers: a frame this long carries an empty datagram.</summary>
    public const int HeaderBytes = 14 + 20 + 8;

    /// <summary>
    /// An Ethernet/IPv4/UDP frame of exactly <paramref name="frameBytes"/> bytes (FCS not included,
    /// as on every Linux device), to port 9, with correct checksums so the kernel takes it as real.
    /// </summary>
    public static byte[] Udp(int frameBytes, MacAddress source, MacAddress destination, Ipv4Address sourceAddress, Ipv4Address destinationAddress)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(frameBytes, 60);
        var payload = new byte[frameBytes - HeaderBytes];
        payload.AsSpan().Fill((byte)'w');
        var ethernet = new EthernetRepr { Destination = destination, Source = source, EtherType = EtherType.Ipv4 };
        var udp = new UdpRepr(40000, 9, payload.Length);
        var ip = new Ipv4Repr(sourceAddress, destinationAddress, IpProtocol.Udp, udp.BufferLength);
        var frame = new byte[frameBytes];
        ethernet.Emit(frame);
        ip.Emit(frame.AsSpan(ethernet.HeaderLength));
        udp.Emit(frame.AsSpan(ethernet.HeaderLength + ip.HeaderLength), payload, ip.PseudoHeaderSum());
        return frame;
    }
}
