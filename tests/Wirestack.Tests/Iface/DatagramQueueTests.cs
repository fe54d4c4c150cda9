using Wirestack.Iface;
using Wirestack.Wire;

namespace Wirestack.Tests.Iface;

public class DatagramQueueTests
{
    private static readonly IpAddress V4 = new Ipv4Address(192, 0, 2, 7);
    private static readonly IpAddress V6 = Ipv6Address.Parse("2001:db8::42");

    private static byte[] Pattern(int length, int seed)
    {
        byte[] data = new byte[length];
        for (int i = 0; i < length; i++) data[i] = (byte)(i * 13 + seed);
        return data;
    }

    [Fact]
    public void DatagramsComeOutInOrderWithTheirDestinations()
    {
        var queue = new DatagramQueue(1024);
        Assert.True(queue.TryEnqueue(V4, 53, 10, Pattern(5, 1)));
        Assert.True(queue.TryEnqueue(V6, 443, 11, Pattern(0, 2)));
        Assert.True(queue.TryEnqueue(V4, 9, 12, Pattern(100, 3)));
        Assert.Equal(3, queue.Count);
        Assert.Equal(3 * DatagramQueue.RecordHeaderLength + 105, queue.UsedBytes);

        byte[] buffer = new byte[200];
        Assert.Equal(V4, queue.HeadDestination);
        Assert.Equal(53, queue.HeadPort);
        Assert.Equal(10, queue.HeadSequence);
        Assert.Equal(5, queue.PeekPayload(buffer));
        Assert.Equal(Pattern(5, 1), buffer[..5]);
        Assert.True(queue.Dequeue());

        Assert.Equal(V6, queue.HeadDestination);
        Assert.Equal(443, queue.HeadPort);
        Assert.Equal(11, queue.HeadSequence);
        Assert.Equal(0, queue.HeadLength);
        Assert.True(queue.Dequeue());

        Assert.Equal(100, queue.PeekPayload(buffer));
        Assert.Equal(Pattern(100, 3), buffer[..100]);
        Assert.Equal(12, queue.HeadSequence);
        Assert.True(queue.Dequeue());
        Assert.False(queue.Dequeue());
        Assert.Equal(0, queue.Count);
        Assert.Equal(0, queue.UsedBytes);
    }

    [Fact]
    public void AFullQueueRefusesWithoutChangingAndTakesAgainOnceDrained()
    {
        // Room for exactly two 36-byte datagrams (2 x (28 + 36) = 128).
        var queue = new DatagramQueue(128);
        Assert.True(queue.TryEnqueue(V4, 1, 0, Pattern(36, 0)));
        Assert.True(queue.TryEnqueue(V4, 2, 1, Pattern(36, 1)));
        Assert.False(queue.CanEnqueue(0));
        Assert.False(queue.TryEnqueue(V4, 3, 2, []));
        Assert.Equal(2, queue.Count);
        Assert.Equal(128, queue.UsedBytes);
        Assert.Equal(1, queue.HeadPort);

        Assert.True(queue.Dequeue());
        // A record larger than the whole ring never fits.
        Assert.False(queue.TryEnqueue(V4, 4, 3, Pattern(101, 0)));
        Assert.True(queue.TryEnqueue(V4, 4, 3, Pattern(36, 4)));
        byte[] buffer = new byte[64];
        Assert.Equal(2, queue.HeadPort);
        Assert.True(queue.Dequeue());
        Assert.Equal(36, queue.PeekPayload(buffer));
        Assert.Equal(Pattern(36, 4), buffer[..36]);
    }

    [Fact]
    public void RecordsWrapAroundTheEndOfTheRingWithVariableSizesIntact()
    {
        // A ring whose size shares no factor with the record sizes: headers and payloads split at every offset.
        var queue = new DatagramQueue(331);
        var expected = new Queue<(int Length, int Seed, ushort Port, long Sequence)>();
        byte[] buffer = new byte[331];
        var random = new Random(5);
        long sequence = 0;
        int dequeued = 0;
        for (int step = 0; step < 20_000; step++)
        {
            if (random.Next(3) != 0)
            {
                int length = random.Next(0, 120);
                int seed = random.Next(256);
                var port = (ushort)random.Next(1, 65536);
                bool fits = queue.CanEnqueue(length);
                Assert.Equal(fits, queue.TryEnqueue(sequence % 2 == 0 ? V4 : V6, port, sequence, Pattern(length, seed)));
                if (fits) expected.Enqueue((length, seed, port, sequence++));
            }
            else if (expected.Count > 0)
            {
                var (length, seed, port, seq) = expected.Dequeue();
                Assert.Equal(port, queue.HeadPort);
                Assert.Equal(seq, queue.HeadSequence);
                Assert.Equal(seq % 2 == 0 ? V4 : V6, queue.HeadDestination);
                Assert.Equal(length, queue.PeekPayload(buffer));
                Assert.Equal(Pattern(length, seed), buffer[..length]);
                Assert.True(queue.Dequeue());
                dequeued++;
            }
            Assert.Equal(expected.Count, queue.Count);
        }
        Assert.True(dequeued > 5_000, $"only {dequeued} datagrams went through");
    }

    [Fact]
    public void ClearDiscardsEverythingAndCountsIt()
    {
        var queue = new DatagramQueue(256);
        for (int i = 0; i < 3; i++) Assert.True(queue.TryEnqueue(V4, 7, i, Pattern(10, i)));
        Assert.Equal(3, queue.Clear());
        Assert.Equal(0, queue.Count);
        Assert.Equal(0, queue.UsedBytes);
        Assert.Equal(0, queue.HeadLength);
        Assert.Equal(0, queue.Clear());
        Assert.True(queue.TryEnqueue(V6, 8, 9, Pattern(200, 1)));
        Assert.Equal(8, queue.HeadPort);
    }

    [Fact]
    public void AZeroLengthRingHoldsNothing()
    {
        var queue = new DatagramQueue(0);
        Assert.False(queue.TryEnqueue(V4, 1, 0, []));
        Assert.False(queue.Dequeue());
        Assert.Equal(0, queue.PeekPayload(new byte[4]));
    }
}
