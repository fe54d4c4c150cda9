using Wirestack.Sockets;
using Wirestack.Wire;

namespace Wirestack.Tests.Sockets;

public class SpscRingTests
{
    private static readonly IpEndpoint Remote = new(IpAddress.Parse("fd00::9"), 4242);

    [Fact]
    public void DatagramRingKeepsOrderAcrossTheWrapAndRefusesWhatDoesNotFit()
    {
        var ring = new SpscDatagramRing(256);
        Assert.Equal(104, ring.MaxDatagramLength);
        Assert.False(ring.TryWrite(Remote, new byte[105]));
        byte[] buffer = new byte[200];
        int written = 0, read = 0;
        // Sizes that leave awkward remainders at the end of the array, so records wrap with skip markers.
        for (int round = 0; round < 500; round++)
        {
            int size = (round * 37) % 105;
            while (!ring.TryWrite(new IpEndpoint(Remote.Address, (ushort)written), Fill(size, written)))
            {
                Assert.True(ring.TryRead(buffer, out int length, out var from));
                Assert.Equal((ushort)read, from.Port);
                Assert.Equal(Fill((read * 37) % 105, read), buffer.AsSpan(0, length).ToArray());
                read++;
            }
            written++;
        }
        while (ring.TryRead(buffer, out int length, out var from))
        {
            Assert.Equal(Fill((read * 37) % 105, read), buffer.AsSpan(0, length).ToArray());
            Assert.Equal(Remote.Address, from.Address);
            read++;
        }
        Assert.Equal(written, read);
        Assert.True(ring.IsEmpty);
    }

    [Fact]
    public void DatagramRingLendsRoomToWriteInPlaceAcrossTheWrap()
    {
        var ring = new SpscDatagramRing(256);
        byte[] buffer = new byte[128];
        for (int i = 0; i < 50; i++)
        {
            // Room for the largest datagram, then a shorter one actually written: the record takes only its length.
            Assert.True(ring.TryBeginWrite(100, out var slot));
            Assert.Equal(100, slot.Length);
            int length = i % 40;
            Fill(length, i).CopyTo(slot);
            ring.CommitWrite(new IpEndpoint(Remote.Address, (ushort)i), length);
            Assert.True(ring.TryRead(buffer, out int read, out var from));
            Assert.Equal((ushort)i, from.Port);
            Assert.Equal(Fill(length, i), buffer.AsSpan(0, read).ToArray());
        }
        Assert.False(ring.TryBeginWrite(105, out _));
    }

    [Fact]
    public void DatagramRingTruncatesIntoAShortBuffer()
    {
        var ring = new SpscDatagramRing(1024);
        Assert.True(ring.TryWrite(Remote, Fill(100, 1)));
        byte[] small = new byte[10];
        Assert.True(ring.TryRead(small, out int length, out _));
        Assert.Equal(10, length);
        Assert.Equal(Fill(100, 1)[..10], small);
        Assert.True(ring.IsEmpty);
    }

    [Fact]
    public void DatagramRingCarriesEveryDatagramBetweenTwoThreads()
    {
        const int Count = 20_000;
        var ring = new SpscDatagramRing(4096);
        var producer = new Thread(() =>
        {
            for (int i = 0; i < Count; i++)
                while (!ring.TryWrite(new IpEndpoint(Remote.Address, (ushort)i), Fill(i % 300, i))) Thread.Yield();
        });
        producer.Start();
        byte[] buffer = new byte[300];
        for (int i = 0; i < Count; i++)
        {
            int length;
            IpEndpoint from;
            while (!ring.TryRead(buffer, out length, out from)) Thread.Yield();
            if (from.Port != (ushort)i || length != i % 300 || (length > 0 && buffer[length - 1] != (byte)(i + length - 1)))
                Assert.Fail($"datagram {i} arrived as {length} bytes from {from}");
        }
        producer.Join();
    }

    [Fact]
    public void ByteRingRingsAnArmedReaderAndAnArmedWriter()
    {
        var data = new CountingDoorbell();
        var space = new CountingDoorbell();
        var ring = new SpscByteRing(16, data, space);
        Assert.True(ring.ArmReader());
        Assert.Equal(10, ring.Write(new byte[10]));
        Assert.Equal(1, data.Rings);
        Assert.Equal(6, ring.Write(new byte[10])); // only what fits
        Assert.Equal(1, data.Rings);                // not armed again: no second ring
        Assert.False(ring.ArmReader());             // bytes are there: read instead of sleeping
        Assert.True(ring.ArmWriter());              // full: the writer sleeps
        byte[] buffer = new byte[4];
        Assert.Equal(4, ring.Read(buffer));
        Assert.Equal(1, space.Rings);
        Assert.False(ring.ArmWriter());
        Assert.Equal(12, ring.Count);
    }

    [Fact]
    public void ByteRingCarriesAStreamAcrossTheWrapBetweenTwoThreads()
    {
        const int Total = 200_000;
        var ring = new SpscByteRing(1024, null, null);
        var producer = new Thread(() =>
        {
            byte[] chunk = new byte[333];
            int sent = 0;
            while (sent < Total)
            {
                int n = Math.Min(chunk.Length, Total - sent);
                for (int i = 0; i < n; i++) chunk[i] = (byte)(sent + i);
                int off = 0;
                while (off < n)
                {
                    int w = ring.Write(chunk.AsSpan(off, n - off));
                    if (w == 0) Thread.Yield();
                    off += w;
                }
                sent += n;
            }
        });
        producer.Start();
        byte[] buffer = new byte[500];
        int received = 0;
        while (received < Total)
        {
            int n = ring.Read(buffer);
            for (int i = 0; i < n; i++)
                if (buffer[i] != (byte)(received + i)) Assert.Fail($"byte {received + i} is {buffer[i]}");
            if (n == 0) Thread.Yield();
            received += n;
        }
        producer.Join();
    }

    private static byte[] Fill(int length, int seed)
    {
        byte[] bytes = new byte[length];
        for (int i = 0; i < length; i++) bytes[i] = (byte)(seed + i);
        return bytes;
    }

    private sealed class CountingDoorbell : IDoorbell
    {
        public int Rings;

        public void Ring() => Interlocked.Increment(ref Rings);
    }
}
