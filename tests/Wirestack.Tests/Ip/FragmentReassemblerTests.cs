using Wirestack.Ip;
using Wirestack.Testing;
using Wirestack.Wire;
using static Wirestack.Tests.Ip.FragmentTestData;

namespace Wirestack.Tests.Ip;

public class FragmentReassemblerTests
{
    private static readonly Instant T0 = Instant.FromMilliseconds(1_000);

    private static FragmentBoundary[] Boundaries(int length, int mtu, bool ipv6)
    {
        var fragmenter = ipv6 ? Fragmenter.ForIpv6(length, mtu) : Fragmenter.ForIpv4(length, mtu);
        var boundaries = new FragmentBoundary[fragmenter.Count];
        fragmenter.Fill(boundaries);
        return boundaries;
    }

    private static FragmentCounters CountersOf(FragmentReassembler reassembler, bool ipv6) => ipv6 ? reassembler.Ipv6Counters : reassembler.Ipv4Counters;

    /// <summary>Feeds the fragments in the given order; every one but the last must leave the datagram incomplete.</summary>
    private static byte[] Reassemble(FragmentReassembler reassembler, FragmentKey key, byte[] payload, FragmentBoundary[] order)
    {
        byte[]? result = null;
        for (int i = 0; i < order.Length; i++)
        {
            var outcome = Feed(reassembler, key, payload, order[i], T0, out var reassembled, out var handle);
            Assert.Equal(i == order.Length - 1 ? FragmentOutcome.Complete : FragmentOutcome.Incomplete, outcome);
            if (reassembled is not null)
            {
                result = reassembled;
                reassembler.Release(handle);
            }
        }
        return result!;
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void InOrderFragmentsReassembleAndTheBufferComesBack(bool ipv6)
    {
        var reassembler = new FragmentReassembler(new FragmentReassemblerOptions());
        var payload = Payload(5000, 1);
        var result = Reassemble(reassembler, Key(ipv6), payload, Boundaries(payload.Length, 1500, ipv6));
        Assert.Equal(payload, result);
        Assert.Equal(reassembler.BufferCount, reassembler.FreeBufferCount);
        Assert.Equal(1, CountersOf(reassembler, ipv6).Reassembled);
        Assert.Equal(4, CountersOf(reassembler, ipv6).FragmentsReceived);
        Assert.Equal(0, CountersOf(reassembler, !ipv6).FragmentsReceived);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void ReverseOrderFragmentsReassemble(bool ipv6)
    {
        var reassembler = new FragmentReassembler(new FragmentReassemblerOptions());
        var payload = Payload(9000, 2);
        var order = Boundaries(payload.Length, 1500, ipv6);
        Array.Reverse(order);
        Assert.Equal(payload, Reassemble(reassembler, Key(ipv6), payload, order));
    }

    [Theory]
    [InlineData(false, 3)]
    [InlineData(true, 4)]
    [InlineData(false, 5)]
    [InlineData(true, 6)]
    public void RandomOrderFragmentsReassemble(bool ipv6, int seed)
    {
        var random = new Random(seed);
        var reassembler = new FragmentReassembler(new FragmentReassemblerOptions());
        var payload = Payload(20_000, seed);
        var order = Boundaries(payload.Length, 1280 + random.Next(2000), ipv6);
        Shuffle(order, random);
        Assert.Equal(payload, Reassemble(reassembler, Key(ipv6), payload, order));
    }

    [Fact]
    public void ExactDuplicatesAreIgnoredAndTheFirstCopyKept()
    {
        var reassembler = new FragmentReassembler(new FragmentReassemblerOptions());
        var key = Key(ipv6: false);
        var payload = Payload(64, 7);
        Assert.Equal(FragmentOutcome.Incomplete, Feed(reassembler, key, payload, 0, 32, true, T0));
        var forged = (byte[])payload.Clone();
        Array.Fill(forged, (byte)0xEE, 0, 32);
        Assert.Equal(FragmentOutcome.Duplicate, Feed(reassembler, key, forged, 0, 32, true, T0));
        var outcome = reassembler.Accept(new Fragment(key, 32, false, payload.AsSpan(32)), T0, out var datagram);
        Assert.Equal(FragmentOutcome.Complete, outcome);
        Assert.Equal(payload, datagram.Payload.ToArray());
        // A duplicate of the last fragment after completion starts a new datagram: it is no longer under reassembly.
        Assert.Equal(1, reassembler.Ipv4Counters.Duplicates);
    }

    [Theory]
    [InlineData(0, 16, 8, 16, true)]   // second starts inside the first
    [InlineData(8, 16, 0, 16, true)]   // second ends inside the first
    [InlineData(0, 32, 8, 8, true)]    // second inside the first
    [InlineData(8, 8, 0, 32, true)]    // second covers the first
    [InlineData(0, 16, 0, 24, true)]   // same start, longer
    [InlineData(0, 16, 8, 12, false)]  // a last fragment overlapping
    public void OverlappingFragmentsDiscardTheWholeDatagram(int offset1, int length1, int offset2, int length2, bool secondHasMore)
    {
        var reassembler = new FragmentReassembler(new FragmentReassemblerOptions());
        var key = Key(ipv6: true);
        var payload = Payload(64, 8);
        Assert.Equal(FragmentOutcome.Incomplete, Feed(reassembler, key, payload, offset1, length1, true, T0));
        Assert.Equal(FragmentOutcome.Overlap, Feed(reassembler, key, payload, offset2, length2, secondHasMore, T0));
        Assert.Equal(reassembler.BufferCount, reassembler.FreeBufferCount);
        Assert.Equal(1, reassembler.Ipv6Counters.Overlaps);
        Assert.Equal(Instant.MaxValue, reassembler.NextDeadline);
    }

    [Fact]
    public void AdjacentFragmentsAreNotOverlaps()
    {
        var reassembler = new FragmentReassembler(new FragmentReassemblerOptions());
        var key = Key(ipv6: false);
        var payload = Payload(24, 9);
        Assert.Equal(FragmentOutcome.Incomplete, Feed(reassembler, key, payload, 8, 8, true, T0));
        Assert.Equal(FragmentOutcome.Incomplete, Feed(reassembler, key, payload, 16, 8, false, T0));
        Assert.Equal(FragmentOutcome.Complete, Feed(reassembler, key, payload, 0, 8, true, T0));
    }

    [Fact]
    public void MalformedFragmentsAreDroppedWithoutTakingABuffer()
    {
        var reassembler = new FragmentReassembler(new FragmentReassemblerOptions { MaxDatagramSize = 4096 });
        var key = Key(ipv6: true);
        var payload = Payload(70_000, 10);
        Assert.Equal(FragmentOutcome.BadLength, Feed(reassembler, key, payload, 0, 12, true, T0));
        Assert.Equal(FragmentOutcome.BadLength, Feed(reassembler, key, payload, 8, 0, false, T0));
        Assert.Equal(FragmentOutcome.TooLong, Feed(reassembler, key, payload, Fragment.MaxOffset, 16, false, T0));
        Assert.Equal(FragmentOutcome.TooLarge, Feed(reassembler, key, payload, 4088, 16, false, T0));
        Assert.Equal(reassembler.BufferCount, reassembler.FreeBufferCount);
        Assert.Equal(3, reassembler.Ipv6Counters.BadFragments);
        Assert.Equal(1, reassembler.Ipv6Counters.TooLarge);
    }

    [Theory]
    [InlineData(16, 8, false, 24, 8, false)] // a second last fragment ending elsewhere
    [InlineData(16, 8, false, 24, 8, true)]  // a fragment past the known end
    [InlineData(32, 8, true, 8, 8, false)]   // a last fragment ending before data already held
    public void FragmentsContradictingTheEndDiscardTheDatagram(int offset1, int length1, bool more1, int offset2, int length2, bool more2)
    {
        var reassembler = new FragmentReassembler(new FragmentReassemblerOptions());
        var key = Key(ipv6: false);
        var payload = Payload(64, 11);
        Assert.Equal(FragmentOutcome.Incomplete, Feed(reassembler, key, payload, offset1, length1, more1, T0));
        Assert.Equal(FragmentOutcome.Inconsistent, Feed(reassembler, key, payload, offset2, length2, more2, T0));
        Assert.Equal(reassembler.BufferCount, reassembler.FreeBufferCount);
        Assert.Equal(1, reassembler.Ipv4Counters.BadFragments);
    }

    [Fact]
    public void AWholePacketIsNotStored()
    {
        var reassembler = new FragmentReassembler(new FragmentReassemblerOptions());
        var payload = Payload(100, 12);
        Assert.Equal(FragmentOutcome.NotFragmented, Feed(reassembler, Key(ipv6: true), payload, 0, 100, false, T0));
        Assert.Equal(reassembler.BufferCount, reassembler.FreeBufferCount);
        Assert.Equal(0, reassembler.Ipv6Counters.FragmentsReceived);
    }

    [Fact]
    public void TheIpv4ProtocolIsPartOfTheKey()
    {
        var reassembler = new FragmentReassembler(new FragmentReassemblerOptions());
        var source = new Ipv4Address(10, 0, 0, 1);
        var destination = new Ipv4Address(10, 0, 0, 2);
        var udp = FragmentKey.ForIpv4(source, destination, 7, IpProtocol.Udp);
        var tcp = FragmentKey.ForIpv4(source, destination, 7, IpProtocol.Tcp);
        var payload = Payload(16, 13);
        Assert.Equal(FragmentOutcome.Incomplete, Feed(reassembler, udp, payload, 0, 8, true, T0));
        Assert.Equal(FragmentOutcome.Incomplete, Feed(reassembler, tcp, payload, 8, 8, false, T0));
        Assert.Equal(2, reassembler.AssemblingCount);
        Assert.Equal(source, udp.Ipv4Source);
        Assert.Equal(destination, udp.Ipv4Destination);
    }

    [Theory]
    [InlineData(false, 30)]
    [InlineData(true, 60)]
    public void AMissingFragmentTimesOutExactlyAtTheDeadlineAndReportsTheFirstFragment(bool ipv6, int seconds)
    {
        var reassembler = new FragmentReassembler(new FragmentReassemblerOptions());
        var key = Key(ipv6);
        var payload = Payload(48, 14);
        var header = Header(100, 0x45);
        Assert.Equal(FragmentOutcome.Incomplete, Feed(reassembler, key, payload, 0, 16, true, T0, header));
        Assert.Equal(FragmentOutcome.Incomplete, Feed(reassembler, key, payload, 32, 16, false, T0 + TimeSpan.FromSeconds(5)));
        var deadline = T0 + TimeSpan.FromSeconds(seconds);
        Assert.Equal(deadline, reassembler.NextDeadline);

        Span<ExpiredDatagram> expired = new ExpiredDatagram[4];
        Assert.Equal(0, reassembler.Expire(deadline - TimeSpan.FromMicroseconds(1), expired));
        Assert.Equal(1, reassembler.AssemblingCount);

        Assert.Equal(1, reassembler.Expire(deadline, expired));
        Assert.Equal(key, expired[0].Key);
        Assert.Equal(header.AsSpan(0, ExpiredDatagram.MaxQuoteLength > header.Length ? header.Length : ExpiredDatagram.MaxQuoteLength).ToArray(), expired[0].Quote.ToArray());
        Assert.Equal(reassembler.BufferCount, reassembler.FreeBufferCount);
        Assert.Equal(Instant.MaxValue, reassembler.NextDeadline);
        Assert.Equal(1, CountersOf(reassembler, ipv6).Timeouts);
    }

    [Fact]
    public void TheQuoteIsCutAtItsLimit()
    {
        var reassembler = new FragmentReassembler(new FragmentReassemblerOptions());
        var header = Header(400, 0);
        Feed(reassembler, Key(ipv6: true), Payload(16, 15), 0, 8, true, T0, header);
        Span<ExpiredDatagram> expired = new ExpiredDatagram[1];
        Assert.Equal(1, reassembler.Expire(T0 + TimeSpan.FromMinutes(1), expired));
        Assert.Equal(header.AsSpan(0, ExpiredDatagram.MaxQuoteLength).ToArray(), expired[0].Quote.ToArray());
    }

    [Fact]
    public void ATimeoutWithoutTheFirstFragmentFreesTheBufferButReportsNothing()
    {
        var reassembler = new FragmentReassembler(new FragmentReassemblerOptions());
        Feed(reassembler, Key(ipv6: false), Payload(48, 16), 8, 8, true, T0);
        Span<ExpiredDatagram> expired = new ExpiredDatagram[4];
        Assert.Equal(0, reassembler.Expire(T0 + TimeSpan.FromSeconds(30), expired));
        Assert.Equal(reassembler.BufferCount, reassembler.FreeBufferCount);
        Assert.Equal(1, reassembler.Ipv4Counters.Timeouts);
    }

    [Fact]
    public void ExpiredDatagramsThatDoNotFitWaitForTheNextCall()
    {
        var reassembler = new FragmentReassembler(new FragmentReassemblerOptions());
        var payload = Payload(48, 17);
        Feed(reassembler, Key(false, 1), payload, 0, 8, true, T0);
        Feed(reassembler, Key(false, 2), payload, 0, 8, true, T0);
        var now = T0 + TimeSpan.FromSeconds(30);
        Span<ExpiredDatagram> one = new ExpiredDatagram[1];
        Assert.Equal(1, reassembler.Expire(now, one));
        var first = one[0].Key;
        Assert.Equal(1, reassembler.AssemblingCount);
        Assert.True(reassembler.NextDeadline <= now);
        Assert.Equal(1, reassembler.Expire(now, one));
        Assert.NotEqual(first, one[0].Key);
        Assert.Equal(reassembler.BufferCount, reassembler.FreeBufferCount);
    }

    [Fact]
    public void TheTimerRunsFromTheFirstArrivingFragment()
    {
        var reassembler = new FragmentReassembler(new FragmentReassemblerOptions { Ipv4Timeout = TimeSpan.FromSeconds(10) });
        var key = Key(ipv6: false);
        var payload = Payload(48, 18);
        Feed(reassembler, key, payload, 0, 8, true, T0);
        Feed(reassembler, key, payload, 8, 8, true, T0 + TimeSpan.FromSeconds(9));
        Assert.Equal(T0 + TimeSpan.FromSeconds(10), reassembler.NextDeadline);
    }

    [Fact]
    public void WhenThePoolIsFullNewDatagramsAreDroppedUnderDropNew()
    {
        var reassembler = new FragmentReassembler(new FragmentReassemblerOptions { BufferCount = 2, PoolFullPolicy = FragmentPoolFullPolicy.DropNew });
        var payload = Payload(16, 19);
        Assert.Equal(FragmentOutcome.Incomplete, Feed(reassembler, Key(false, 1), payload, 0, 8, true, T0));
        Assert.Equal(FragmentOutcome.Incomplete, Feed(reassembler, Key(true, 2), payload, 0, 8, true, T0));
        Assert.Equal(FragmentOutcome.PoolFull, Feed(reassembler, Key(false, 3), payload, 0, 8, true, T0));
        Assert.Equal(1, reassembler.Ipv4Counters.PoolFullDrops);
        // The datagrams already under way still complete.
        Assert.Equal(FragmentOutcome.Complete, Feed(reassembler, Key(false, 1), payload, 8, 8, false, T0));
        Assert.Equal(1, reassembler.LentCount);
        Assert.Equal(0, reassembler.FreeBufferCount);
    }

    [Fact]
    public void WhenThePoolIsFullTheOldestIncompleteDatagramIsEvicted()
    {
        var reassembler = new FragmentReassembler(new FragmentReassemblerOptions { BufferCount = 2 });
        var payload = Payload(16, 20);
        Feed(reassembler, Key(false, 1), payload, 0, 8, true, T0 + TimeSpan.FromSeconds(2));
        Feed(reassembler, Key(false, 2), payload, 0, 8, true, T0 + TimeSpan.FromSeconds(1));
        Assert.Equal(FragmentOutcome.Incomplete, Feed(reassembler, Key(false, 3), payload, 0, 8, true, T0 + TimeSpan.FromSeconds(3)));
        Assert.Equal(1, reassembler.Ipv4Counters.Evicted);
        Assert.Equal(FragmentOutcome.Complete, Feed(reassembler, Key(false, 1), payload, 8, 8, false, T0 + TimeSpan.FromSeconds(3)));
        Assert.Equal(FragmentOutcome.Complete, Feed(reassembler, Key(false, 3), payload, 8, 8, false, T0 + TimeSpan.FromSeconds(3)));
    }

    [Fact]
    public void LentBuffersAreNeverTakenBack()
    {
        var reassembler = new FragmentReassembler(new FragmentReassemblerOptions { BufferCount = 1 });
        var payload = Payload(16, 21);
        Feed(reassembler, Key(false, 1), payload, 0, 8, true, T0);
        var outcome = reassembler.Accept(new Fragment(Key(false, 1), 8, false, payload.AsSpan(8)), T0, out var datagram);
        Assert.Equal(FragmentOutcome.Complete, outcome);
        var handle = datagram.Handle;
        Assert.Equal(FragmentOutcome.PoolFull, Feed(reassembler, Key(false, 2), payload, 0, 8, true, T0));
        Assert.True(reassembler.TryGetDatagram(handle, out var again));
        Assert.Equal(payload, again.Payload.ToArray());
        reassembler.Release(handle);
        Assert.False(reassembler.TryGetDatagram(handle, out _));
        Assert.Throws<InvalidOperationException>(() => reassembler.Release(handle));
        Assert.Equal(FragmentOutcome.Incomplete, Feed(reassembler, Key(false, 2), payload, 0, 8, true, T0));
        // The stale handle stays stale when the same buffer completes again.
        Assert.Equal(FragmentOutcome.Complete, Feed(reassembler, Key(false, 2), payload, 8, 8, false, T0));
        Assert.False(reassembler.TryGetDatagram(handle, out _));
    }

    [Fact]
    public void TooManyFragmentsDiscardTheDatagram()
    {
        var reassembler = new FragmentReassembler(new FragmentReassemblerOptions { MaxFragmentsPerDatagram = 4 });
        var key = Key(ipv6: true);
        var payload = Payload(80, 22);
        for (int i = 0; i < 4; i++) Assert.Equal(FragmentOutcome.Incomplete, Feed(reassembler, key, payload, i * 8, 8, true, T0));
        Assert.Equal(FragmentOutcome.TooManyFragments, Feed(reassembler, key, payload, 32, 8, true, T0));
        Assert.Equal(reassembler.BufferCount, reassembler.FreeBufferCount);
        Assert.Equal(1, reassembler.Ipv6Counters.TooManyFragments);
    }

    [Fact]
    public void CompletionLendsTheHeaderInfoOfTheFirstFragment()
    {
        var reassembler = new FragmentReassembler(new FragmentReassemblerOptions());
        var key = Key(ipv6: true);
        var payload = Payload(16, 23);
        var header = Header(56, 0x60);
        Assert.Equal(FragmentOutcome.Incomplete, reassembler.Accept(new Fragment(key, 8, false, payload.AsSpan(8), IpProtocol.Tcp), T0, out _));
        Assert.Equal(FragmentOutcome.Complete, reassembler.Accept(new Fragment(key, 0, true, payload.AsSpan(0, 8), IpProtocol.Icmpv6, header), T0, out var datagram));
        Assert.Equal(IpProtocol.Icmpv6, datagram.UpperLayerProtocol);
        Assert.Equal(header, datagram.FirstFragmentPrefix.ToArray());
        Assert.Equal(key, datagram.Key);
    }

    [Fact]
    public void ABogusFragmentFloodStaysInsideThePoolAndAllocatesNothing()
    {
        var reassembler = new FragmentReassembler(new FragmentReassemblerOptions());
        var random = new Random(24);
        var payload = Payload(65536, 24);
        var expired = new ExpiredDatagram[16];
        var now = T0;
        // Warm up every path once so that the JIT's own allocations are not counted.
        Feed(reassembler, Key(false, 1), payload, 0, 8, true, now);
        reassembler.Expire(now + TimeSpan.FromMinutes(2), expired);

        int step = 0;
        void Flood()
        {
            var key = Key((step & 1) != 0, (uint)random.Next(4096));
            int offset = random.Next(Fragment.MaxOffset / 8 + 1) * 8;
            int length = random.Next(1, 1500);
            bool more = random.Next(4) != 0;
            length = Math.Min(length, payload.Length - offset);
            reassembler.Accept(new Fragment(key, offset, more, payload.AsSpan(offset, length)), now, out _);
            now += TimeSpan.FromMicroseconds(50);
            if (step++ % 1000 == 0) reassembler.Expire(now, expired);
        }
        // At least 200 000 bogus fragments; the meter reports the quietest window of them.
        long allocated = AllocationMeter.Measure(Flood, warmup: 1000, iterations: 200_000);
        Assert.Equal(0, allocated);
        Assert.True(reassembler.FreeBufferCount + reassembler.AssemblingCount == reassembler.BufferCount);
        var received = reassembler.Ipv4Counters.FragmentsReceived + reassembler.Ipv6Counters.FragmentsReceived;
        Assert.True(received > 100_000, $"only {received} fragments reached the reassembler");

        while (reassembler.NextDeadline != Instant.MaxValue) reassembler.Expire(reassembler.NextDeadline, expired);
        Assert.Equal(reassembler.BufferCount, reassembler.FreeBufferCount);

        // A real datagram still gets through afterwards.
        var real = Payload(3000, 25);
        Assert.Equal(real, Reassemble(reassembler, Key(false, 99), real, Boundaries(real.Length, 1500, false)));
    }

    [Fact]
    public void SteadyStateReassemblyAllocatesNothing()
    {
        var reassembler = new FragmentReassembler(new FragmentReassemblerOptions());
        var payload = Payload(4000, 26);
        var boundaries = Boundaries(payload.Length, 1500, ipv6: false);
        var header = Header(20, 0x45);
        var expired = new ExpiredDatagram[4];
        var now = T0;
        uint id = 0;
        long bytes = AllocationMeter.Measure(() =>
        {
            var key = Key((id & 1) != 0, id++);
            for (int i = boundaries.Length - 1; i >= 0; i--)
            {
                var b = boundaries[i];
                var outcome = reassembler.Accept(new Fragment(key, b.Offset, b.MoreFragments, payload.AsSpan(b.Offset, b.Length), IpProtocol.Udp, header), now, out var datagram);
                if (outcome == FragmentOutcome.Complete) reassembler.Release(datagram.Handle);
            }
            // One datagram that never completes, and its timeout.
            reassembler.Accept(new Fragment(key, 0, true, payload.AsSpan(0, 8), IpProtocol.Udp, header), now, out _);
            now += TimeSpan.FromSeconds(61); // past both the IPv4 (30 s) and IPv6 (60 s) timeouts
            _ = reassembler.NextDeadline;
            reassembler.Expire(now, expired);
        });
        Assert.Equal(0, bytes);
        Assert.Equal(reassembler.BufferCount, reassembler.FreeBufferCount);
    }

    [Fact]
    public void BadOptionsAreRejectedNamingTheSetting()
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => new FragmentReassembler(new FragmentReassemblerOptions { BufferCount = 0 }));
        Assert.Contains("BufferCount", e.Message);
        e = Assert.Throws<ArgumentOutOfRangeException>(() => new FragmentReassembler(new FragmentReassemblerOptions { MaxDatagramSize = 70_000 }));
        Assert.Contains("MaxDatagramSize", e.Message);
        e = Assert.Throws<ArgumentOutOfRangeException>(() => new FragmentReassembler(new FragmentReassemblerOptions { MaxFragmentsPerDatagram = 1 }));
        Assert.Contains("MaxFragmentsPerDatagram", e.Message);
        e = Assert.Throws<ArgumentOutOfRangeException>(() => new FragmentReassembler(new FragmentReassemblerOptions { Ipv6Timeout = TimeSpan.Zero }));
        Assert.Contains("Ipv6Timeout", e.Message);
        e = Assert.Throws<ArgumentOutOfRangeException>(() => new FragmentReassembler(new FragmentReassemblerOptions { PoolFullPolicy = (FragmentPoolFullPolicy)9 }));
        Assert.Contains("PoolFullPolicy", e.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => new Fragment(Key(false), 12, true, default));
    }
}
