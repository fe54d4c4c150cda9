using Wirestack.Ip;
using static Wirestack.Tests.Ip.FragmentTestData;

namespace Wirestack.Tests.Ip;

public class FragmenterTests
{
    private static FragmentBoundary[] All(Fragmenter fragmenter)
    {
        var list = new List<FragmentBoundary>();
        foreach (var boundary in fragmenter) list.Add(boundary);
        return list.ToArray();
    }

    [Fact]
    public void Ipv4CutsLikeLinuxOverEthernet()
    {
        // The kernel capture: a 4000-byte ping (4008 bytes of ICMP) leaves as 1480 + 1480 + 1048.
        Assert.Equal(
            [new(0, 1480, true), new(1480, 1480, true), new(2960, 1048, false)],
            All(Fragmenter.ForIpv4(4008, 1500)));
    }

    [Fact]
    public void Ipv6CutsLikeLinuxOverEthernet()
    {
        // The kernel capture: 1448 + 1448 + 1112 (40-byte header and 8-byte fragment header in each).
        Assert.Equal(
            [new(0, 1448, true), new(1448, 1448, true), new(2896, 1112, false)],
            All(Fragmenter.ForIpv6(4008, 1500)));
    }

    [Fact]
    public void ADatagramThatFitsIsOneFragment()
    {
        Assert.Equal([new(0, 1480, false)], All(Fragmenter.ForIpv4(1480, 1500)));
        Assert.Equal(1, Fragmenter.ForIpv4(0, 1500).Count);
    }

    [Fact]
    public void TheLastFragmentMayUseTheWholeMtu()
    {
        // 68-byte MTU, 20-byte header: 48 bytes per fragment; a 100-byte payload is 48 + 48 + 4.
        Assert.Equal([new(0, 48, true), new(48, 48, true), new(96, 4, false)], All(Fragmenter.ForIpv4(100, 68)));
        // 60-byte header leaves 8; 64-byte MTU would not be allowed, and 69 leaves 9 for the last fragment only.
        Assert.Equal([new(0, 8, true), new(8, 9, false)], All(Fragmenter.ForIpv4(17, 69, 60)));
    }

    [Fact]
    public void LaterFragmentsMayHaveAShorterHeader()
    {
        var boundaries = All(Fragmenter.ForIpv4(3000, 1500, headerLength: 60, laterHeaderLength: 20));
        Assert.Equal([new(0, 1440, true), new(1440, 1480, true), new(2920, 80, false)], boundaries);
    }

    [Fact]
    public void BadArgumentsAreRejected()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => Fragmenter.ForIpv4(100, 67));
        Assert.Throws<ArgumentOutOfRangeException>(() => Fragmenter.ForIpv4(100, 1500, 22));
        Assert.Throws<ArgumentOutOfRangeException>(() => Fragmenter.ForIpv4(65516, 1500));
        Assert.Throws<ArgumentOutOfRangeException>(() => Fragmenter.ForIpv6(100, 1279));
        Assert.Throws<ArgumentOutOfRangeException>(() => Fragmenter.ForIpv6(65535, 1500, 48));
        Assert.Throws<ArgumentException>(() => Fragmenter.ForIpv4(4000, 1500).Fill(new FragmentBoundary[2]));
    }

    [Theory]
    [InlineData(false, 1)]
    [InlineData(false, 2)]
    [InlineData(true, 3)]
    [InlineData(true, 4)]
    public void RandomDatagramsRoundTripThroughFragmenterAndReassembler(bool ipv6, int seed)
    {
        var random = new Random(seed);
        var reassembler = new FragmentReassembler(new FragmentReassemblerOptions { BufferCount = 4, MaxFragmentsPerDatagram = 8192 });
        var payload = Payload(65535, seed);
        var boundaries = new FragmentBoundary[8192];
        var now = Instant.FromMilliseconds(5);
        for (int round = 0; round < 150; round++)
        {
            int header, mtu, length, later = 0;
            Fragmenter fragmenter;
            if (ipv6)
            {
                mtu = random.Next(1280, 9001);
                header = 40 + 8 * random.Next(0, 6);
                length = random.Next(0, 65536 - (header - 40));
                fragmenter = Fragmenter.ForIpv6(length, mtu, header);
            }
            else
            {
                mtu = random.Next(68, 9001);
                header = 20 + 4 * random.Next(0, 11);
                later = random.Next(2) == 0 ? header : 20;
                length = random.Next(0, 65536 - header);
                fragmenter = Fragmenter.ForIpv4(length, mtu, header, later);
            }
            int count = fragmenter.Fill(boundaries);
            Assert.Equal(fragmenter.Count, count);

            // Contiguous, each fits the MTU, non-last a multiple of 8, only the last without more-fragments.
            int expected = 0;
            for (int i = 0; i < count; i++)
            {
                var b = boundaries[i];
                Assert.Equal(expected, b.Offset);
                int overhead = ipv6 ? header + 8 : (i == 0 ? header : later);
                Assert.True(b.Length + overhead <= mtu, $"fragment {i} is {b.Length} + {overhead} bytes over a {mtu}-byte MTU");
                Assert.Equal(i < count - 1, b.MoreFragments);
                if (b.MoreFragments) Assert.Equal(0, b.Length % 8);
                expected += b.Length;
            }
            Assert.Equal(length, expected);
            if (count == 1) continue; // whole: nothing to reassemble

            var order = boundaries.AsSpan(0, count).ToArray();
            Shuffle(order, random);
            var key = Key(ipv6, (uint)round);
            byte[]? result = null;
            foreach (var b in order)
            {
                var outcome = Feed(reassembler, key, payload, b, now, out var reassembled, out var handle);
                if (outcome == FragmentOutcome.Complete)
                {
                    result = reassembled;
                    reassembler.Release(handle);
                }
                else Assert.Equal(FragmentOutcome.Incomplete, outcome);
            }
            Assert.NotNull(result);
            Assert.True(payload.AsSpan(0, length).SequenceEqual(result), $"round {round}: {length} bytes over MTU {mtu} came back different");
        }
        Assert.Equal(reassembler.BufferCount, reassembler.FreeBufferCount);
    }
}
