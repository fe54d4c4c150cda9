using System.Buffers.Binary;
using Wirestack.Nic;
using Wirestack.Wire;

namespace Wirestack.Tests.Nic;

/// <summary>
/// A device that offers TCP segmentation offload (<see cref="DeviceCapabilities.MaxOffloadLength"/> 65535) over one
/// that does not, and does the cutting itself the way the kernel's GSO does: every segment gets a copy of the IP and
/// TCP headers with its own sequence number, IP length and identification, FIN and PSH on the last segment only, CWR
/// on the first only, and fresh checksums. Lets two Interfaces on a pipe exercise the stack's TSO path without root.
/// Counts the large frames it was given and the segments it made. A segment that finds the inner ring full after a
/// flush is dropped and counted, as a full NIC queue would.
/// </summary>
internal sealed class SoftwareSegmentationDevice : DeviceWrapper
{
    private const int EthernetLength = 14;
    private readonly byte[] _frame = new byte[TapDevice.MaxOffloadLength + DeviceCapabilities.FrameOverhead];
    private bool _lent;

    public SoftwareSegmentationDevice(INetworkDevice inner) : base(inner)
    {
        Capabilities = inner.Capabilities with { MaxOffloadLength = TapDevice.MaxOffloadLength };
    }

    public override DeviceCapabilities Capabilities { get; }

    /// <summary>Frames committed with a segment size: the stack's large segments.</summary>
    public long LargeFrames { get; private set; }

    /// <summary>The wire segments the large frames were cut into.</summary>
    public long SegmentsMade { get; private set; }

    /// <summary>Segments dropped because the inner ring stayed full.</summary>
    public long Dropped { get; private set; }

    /// <summary>The longest frame the stack committed.</summary>
    public int LongestFrame { get; private set; }

    public override bool TryGetTransmitSlot(out Span<byte> slot)
    {
        if (_lent) throw new InvalidOperationException("A transmit slot is already lent.");
        _lent = true;
        slot = _frame;
        return true;
    }

    public override void CommitTransmit(int length) => CommitTransmit(length, FrameOffload.None);

    public override void CommitTransmit(int length, in FrameOffload offload)
    {
        if (!_lent) throw new InvalidOperationException("No transmit slot is lent.");
        _lent = false;
        LongestFrame = Math.Max(LongestFrame, length);
        var frame = _frame.AsSpan(0, length);
        if (offload.SegmentSize == 0)
        {
            // Messages only on failure: this runs inside allocation measurements.
            if (length > Inner.Capabilities.MaxFrameLength) Assert.Fail($"a {length}-byte frame without a segment size is longer than the MTU allows");
            if (TryInnerSlot(out var slot))
            {
                frame.CopyTo(slot);
                Inner.CommitTransmit(length);
            }
            return;
        }
        LargeFrames++;
        Cut(frame, offload.SegmentSize);
    }

    private void Cut(ReadOnlySpan<byte> frame, int segmentSize)
    {
        bool ipv6 = BinaryPrimitives.ReadUInt16BigEndian(frame[12..]) == 0x86DD;
        int ipLength = ipv6 ? 40 : (frame[EthernetLength] & 0x0F) * 4;
        int tcpAt = EthernetLength + ipLength;
        int tcpLength = (frame[tcpAt + 12] >> 4) * 4;
        int headers = tcpAt + tcpLength;
        var payload = frame[headers..];
        if (payload.Length <= segmentSize) Assert.Fail("a frame with a segment size must carry more than one segment");
        if (headers + segmentSize > Inner.Capabilities.MaxFrameLength) Assert.Fail($"segment size {segmentSize} does not fit the MTU");
        uint seq = BinaryPrimitives.ReadUInt32BigEndian(frame[(tcpAt + 4)..]);
        ushort id = ipv6 ? (ushort)0 : BinaryPrimitives.ReadUInt16BigEndian(frame[(EthernetLength + 4)..]);
        byte flags = frame[tcpAt + 13];
        for (int offset = 0, i = 0; offset < payload.Length; offset += segmentSize, i++)
        {
            int chunk = Math.Min(segmentSize, payload.Length - offset);
            bool last = offset + chunk == payload.Length;
            if (!TryInnerSlot(out var slot)) continue;
            frame[..headers].CopyTo(slot);
            payload.Slice(offset, chunk).CopyTo(slot[headers..]);
            var ip = slot[EthernetLength..];
            var tcp = slot[tcpAt..(headers + chunk)];
            if (ipv6)
            {
                BinaryPrimitives.WriteUInt16BigEndian(ip[4..], (ushort)(tcpLength + chunk));
            }
            else
            {
                BinaryPrimitives.WriteUInt16BigEndian(ip[2..], (ushort)(ipLength + tcpLength + chunk));
                BinaryPrimitives.WriteUInt16BigEndian(ip[4..], unchecked((ushort)(id + i)));
                BinaryPrimitives.WriteUInt16BigEndian(ip[10..], 0);
                BinaryPrimitives.WriteUInt16BigEndian(ip[10..], InternetChecksum.Compute(ip[..ipLength]));
            }
            BinaryPrimitives.WriteUInt32BigEndian(tcp[4..], unchecked(seq + (uint)offset));
            // FIN and PSH end the whole segment, CWR starts it.
            const byte Fin = 0x01, Psh = 0x08, Cwr = 0x80;
            byte segmentFlags = flags;
            if (!last) segmentFlags &= unchecked((byte)~(Fin | Psh));
            if (i > 0) segmentFlags &= unchecked((byte)~Cwr);
            tcp[13] = segmentFlags;
            uint pseudo = ipv6
                ? InternetChecksum.PseudoHeaderSum(Ipv6Address.Read(ip[8..]), Ipv6Address.Read(ip[24..]), IpProtocol.Tcp, tcp.Length)
                : InternetChecksum.PseudoHeaderSum(Ipv4Address.Read(ip[12..]), Ipv4Address.Read(ip[16..]), IpProtocol.Tcp, tcp.Length);
            TcpRepr.FillChecksum(tcp, pseudo);
            Inner.CommitTransmit(headers + chunk);
            SegmentsMade++;
        }
    }

    private bool TryInnerSlot(out Span<byte> slot)
    {
        if (Inner.TryGetTransmitSlot(out slot)) return true;
        Inner.Flush();
        if (Inner.TryGetTransmitSlot(out slot)) return true;
        Dropped++;
        return false;
    }
}
