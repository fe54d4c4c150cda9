using System.Buffers.Binary;
using Wirestack.Wire;

namespace Wirestack.Cli.Serve.Iperf3;

/// <summary>
/// A UDP data stream, known by the client's address and port. Every datagram starts with the sender's clock
/// (32-bit seconds and microseconds, big-endian) and a sequence number from 1 (32 or 64 bits); the receiver counts
/// gaps as losses and tracks the jitter of the transit time, as iperf3 does.
/// </summary>
internal sealed class Iperf3UdpStream(int id, bool isSender, IpEndpoint remote, bool counters64Bit) : Iperf3Stream(id, isSender)
{
    private double _previousTransit;

    /// <summary>The client's end of the stream.</summary>
    public IpEndpoint Remote { get; } = remote;

    /// <summary>Datagrams too short to carry the header: counted in bytes, left out of the loss and jitter figures.</summary>
    public long MalformedPackets { get; private set; }

    /// <summary>Counts one received datagram.</summary>
    /// <param name="datagram">The payload.</param>
    /// <param name="arrival">When it arrived, in seconds (<see cref="Iperf3Clock.Now"/>).</param>
    public void OnReceived(ReadOnlySpan<byte> datagram, double arrival)
    {
        bool first = Bytes == 0;
        Bytes += datagram.Length;
        int header = counters64Bit ? 16 : 12;
        if (datagram.Length < header)
        {
            MalformedPackets++;
            return;
        }
        uint seconds = BinaryPrimitives.ReadUInt32BigEndian(datagram);
        uint microseconds = BinaryPrimitives.ReadUInt32BigEndian(datagram[4..]);
        long sequence = counters64Bit
            ? (long)Math.Min(BinaryPrimitives.ReadUInt64BigEndian(datagram[8..]), long.MaxValue)
            : BinaryPrimitives.ReadUInt32BigEndian(datagram[8..]);
        if (sequence > Packets)
        {
            LostPackets += sequence - 1 - Packets;
            Packets = sequence;
        }
        else
        {
            // Late: it filled a gap counted as a loss before.
            OutOfOrderPackets++;
            if (LostPackets > 0) LostPackets--;
        }
        // The clocks of the two ends need not agree: only differences of transit times enter the jitter.
        double transit = arrival - (seconds + microseconds / 1e6);
        if (first) _previousTransit = transit;
        double delta = Math.Abs(transit - _previousTransit);
        _previousTransit = transit;
        JitterSeconds += (delta - JitterSeconds) / 16.0;
    }

    /// <summary>Writes the header of the next datagram into <paramref name="datagram"/> and counts it as sent.</summary>
    /// <param name="datagram">The whole datagram (its payload after the header is left as it is).</param>
    /// <param name="now">The send time, in seconds (<see cref="Iperf3Clock.Now"/>).</param>
    public void StampNext(Span<byte> datagram, double now)
    {
        long sequence = Packets + 1;
        uint seconds = (uint)now;
        BinaryPrimitives.WriteUInt32BigEndian(datagram, seconds);
        BinaryPrimitives.WriteUInt32BigEndian(datagram[4..], (uint)((now - seconds) * 1e6));
        if (counters64Bit) BinaryPrimitives.WriteUInt64BigEndian(datagram[8..], (ulong)sequence);
        else BinaryPrimitives.WriteUInt32BigEndian(datagram[8..], (uint)sequence);
    }

    /// <summary>Counts the datagram <see cref="StampNext"/> prepared once the socket took it.</summary>
    public void OnSent(int length)
    {
        Packets++;
        Bytes += length;
    }
}
