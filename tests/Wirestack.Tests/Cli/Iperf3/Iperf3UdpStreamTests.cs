using System.Buffers.Binary;
using Wirestack.Cli.Serve.Iperf3;
using Wirestack.Testing;
using Wirestack.Wire;

namespace Wirestack.Tests.Cli.Iperf3;

public sealed class Iperf3UdpStreamTests
{
    private static readonly IpEndpoint Client = new(IpAddress.Parse("10.0.0.1"), 40000);

    private static byte[] Datagram(long sequence, double sentAt, bool counters64 = false, int length = 100)
    {
        var datagram = new byte[length];
        uint seconds = (uint)sentAt;
        BinaryPrimitives.WriteUInt32BigEndian(datagram, seconds);
        BinaryPrimitives.WriteUInt32BigEndian(datagram.AsSpan(4), (uint)Math.Round((sentAt - seconds) * 1e6));
        if (counters64) BinaryPrimitives.WriteUInt64BigEndian(datagram.AsSpan(8), (ulong)sequence);
        else BinaryPrimitives.WriteUInt32BigEndian(datagram.AsSpan(8), (uint)sequence);
        return datagram;
    }

    [Fact]
    public void Counts_gaps_as_losses_and_takes_back_one_for_each_late_datagram()
    {
        var stream = new Iperf3UdpStream(1, false, Client, counters64Bit: false);
        foreach (long sequence in (long[])[1, 2, 5, 6, 3, 9])
            stream.OnReceived(Datagram(sequence, 100 + sequence * 0.001), 200 + sequence * 0.001);
        Assert.Equal(9, stream.Packets);
        Assert.Equal(3, stream.LostPackets); // 3, 4, 7, 8 missed; 3 came late
        Assert.Equal(1, stream.OutOfOrderPackets);
        Assert.Equal(600, stream.Bytes);
        Assert.Equal(stream.Packets - stream.LostPackets, stream.Bytes / 100);
    }

    [Fact]
    public void Jitter_is_zero_for_a_constant_transit_and_follows_rfc_3550_when_it_varies()
    {
        var steady = new Iperf3UdpStream(1, false, Client, counters64Bit: true);
        for (int i = 1; i <= 50; i++) steady.OnReceived(Datagram(i, 10 + i * 0.01, counters64: true), 1000 + i * 0.01);
        Assert.True(steady.JitterSeconds < 2e-6, $"{steady.JitterSeconds}"); // the microsecond rounding of the send time

        // Transit alternates 1 ms and 3 ms: every difference is 2 ms, and J += (|D| - J) / 16 climbs toward it.
        var varying = new Iperf3UdpStream(1, false, Client, counters64Bit: false);
        double expected = 0;
        for (int i = 1; i <= 20; i++)
        {
            double transit = i % 2 == 0 ? 0.003 : 0.001;
            varying.OnReceived(Datagram(i, 10 + i * 0.01), 10 + i * 0.01 + transit);
            if (i > 1) expected += (0.002 - expected) / 16;
        }
        Assert.Equal(expected, varying.JitterSeconds, 1e-6);
    }

    [Fact]
    public void A_datagram_too_short_for_the_header_is_counted_and_dropped_from_the_statistics()
    {
        var stream = new Iperf3UdpStream(1, false, Client, counters64Bit: false);
        stream.OnReceived(new byte[11], 1.0);
        stream.OnReceived(Datagram(1, 1.0), 1.0);
        Assert.Equal((1L, 1L, 0L), (stream.MalformedPackets, stream.Packets, stream.LostPackets));
        Assert.Equal(111, stream.Bytes);
    }

    [Fact]
    public void What_it_stamps_a_receiver_reads_back_in_order()
    {
        var sender = new Iperf3UdpStream(1, true, Client, counters64Bit: true);
        var receiver = new Iperf3UdpStream(1, false, Client, counters64Bit: true);
        var datagram = new byte[64];
        for (int i = 0; i < 10; i++)
        {
            sender.StampNext(datagram, 5000.25 + i);
            sender.OnSent(datagram.Length);
            receiver.OnReceived(datagram, 5000.5 + i);
        }
        Assert.Equal((10L, 640L), (sender.Packets, sender.Bytes));
        Assert.Equal((10L, 0L, 0L), (receiver.Packets, receiver.LostPackets, receiver.OutOfOrderPackets));
        Assert.True(receiver.JitterSeconds < 2e-6);
    }

    [Fact]
    public void Receiving_and_stamping_allocate_nothing()
    {
        var stream = new Iperf3UdpStream(1, false, Client, counters64Bit: false);
        var sender = new Iperf3UdpStream(3, true, Client, counters64Bit: false);
        var datagram = Datagram(1, 1.0, length: 1400);
        var outgoing = new byte[1400];
        long sequence = 0;
        long bytes = AllocationMeter.Measure(() =>
        {
            BinaryPrimitives.WriteUInt32BigEndian(datagram.AsSpan(8), (uint)++sequence);
            stream.OnReceived(datagram, Iperf3Clock.Now);
            sender.StampNext(outgoing, Iperf3Clock.Now);
            sender.OnSent(outgoing.Length);
        });
        Assert.Equal(0, bytes);
    }
}
