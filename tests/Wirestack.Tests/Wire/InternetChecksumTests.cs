using System.Buffers.Binary;
using Wirestack.Wire;

namespace Wirestack.Tests.Wire;

public class InternetChecksumTests
{
    // The obvious RFC 1071 loop, one 16-bit word at a time: the reference the vectorised code must match.
    private static uint ReferenceSum(ReadOnlySpan<byte> data)
    {
        ulong sum = 0;
        int i = 0;
        for (; i + 1 < data.Length; i += 2) sum += (uint)(data[i] << 8 | data[i + 1]);
        if (i < data.Length) sum += (uint)data[i] << 8;
        while (sum > 0xFFFF) sum = (sum & 0xFFFF) + (sum >> 16);
        return (uint)sum;
    }

    [Fact]
    public void Rfc1071ExampleSumsToDdf2()
    {
        // RFC 1071 section 3: the bytes 00 01 f2 03 f4 f5 f6 f7 sum to 0xddf2.
        Assert.Equal(0xDDF2u, InternetChecksum.Sum(HexBytes.Parse("0001f203f4f5f6f7")));
    }

    [Fact]
    public void KnownIpv4HeaderChecksumIsB861()
    {
        var header = HexBytes.Parse("450000730000400040110000c0a80001c0a800c7");
        Assert.Equal((ushort)0xB861, InternetChecksum.Compute(header));
        BinaryPrimitives.WriteUInt16BigEndian(header.AsSpan(10), 0xB861);
        Assert.True(InternetChecksum.IsValid(header));
    }

    [Fact]
    public void MatchesReferenceForEveryLengthAndAlignment()
    {
        var random = new Random(1071);
        var data = new byte[2200];
        random.NextBytes(data);
        for (int offset = 0; offset < 8; offset++)
            for (int length = 0; length <= 2100; length += length < 200 ? 1 : 37)
            {
                var span = data.AsSpan(offset, length);
                Assert.Equal(ReferenceSum(span), InternetChecksum.Sum(span));
            }
    }

    [Fact]
    public void AllOnesDataDoesNotOverflow()
    {
        var data = new byte[65535];
        data.AsSpan().Fill(0xFF);
        Assert.Equal(ReferenceSum(data), InternetChecksum.Sum(data));
    }

    [Fact]
    public void BuffersPastTheOneMebibyteBlockStillSumCorrectly()
    {
        // Several accumulation blocks of all-ones words: the worst case for lane overflow.
        var data = new byte[(3 << 20) + 77];
        data.AsSpan().Fill(0xFF);
        data[12345] = 0x12;
        Assert.Equal(ReferenceSum(data), InternetChecksum.Sum(data));
        Assert.Equal(ReferenceSum(data), InternetChecksum.CopyAndSum(data, new byte[data.Length]));
    }

    [Fact]
    public void CopyAndSumCopiesAndMatchesSum()
    {
        var random = new Random(7);
        var source = new byte[3000];
        random.NextBytes(source);
        foreach (int length in new[] { 0, 1, 2, 15, 16, 17, 63, 64, 65, 1460, 1461, 3000 })
        {
            var destination = new byte[length + 3];
            uint sum = InternetChecksum.CopyAndSum(source.AsSpan(0, length), destination);
            Assert.Equal(ReferenceSum(source.AsSpan(0, length)), sum);
            Assert.True(source.AsSpan(0, length).SequenceEqual(destination.AsSpan(0, length)));
            Assert.Equal(0, destination[length]);
        }
    }

    [Fact]
    public void CopyAndSumRejectsShortDestination()
    {
        var ex = Assert.Throws<ArgumentException>(() => InternetChecksum.CopyAndSum(new byte[10], new byte[9]));
        Assert.Contains("holds 9 bytes", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ContinueHandlesOddSplits()
    {
        var random = new Random(11);
        var data = new byte[999];
        random.NextBytes(data);
        for (int split = 0; split <= data.Length; split += 7)
        {
            uint partial = InternetChecksum.Sum(data.AsSpan(0, split));
            partial = InternetChecksum.Continue(partial, data.AsSpan(split), split);
            Assert.Equal(ReferenceSum(data), partial);
        }
    }

    [Fact]
    public void PseudoHeaderSumsMatchTheBytesTheyStandFor()
    {
        var v4 = HexBytes.Parse("c0a80001 c0a800c7 0011 0123");
        Assert.Equal(ReferenceSum(v4), InternetChecksum.PseudoHeaderSum(
            Ipv4Address.Parse("192.168.0.1"), Ipv4Address.Parse("192.168.0.199"), IpProtocol.Udp, 0x123));

        var v6 = HexBytes.Parse("fe800000000000000000000000000001 ff020000000000000000000000000016 00012345 0000003a");
        Assert.Equal(ReferenceSum(v6), InternetChecksum.PseudoHeaderSum(
            Ipv6Address.Parse("fe80::1"), Ipv6Address.Parse("ff02::16"), IpProtocol.Icmpv6, 0x12345));
    }

    [Fact]
    public void IncrementalUpdateEqualsRecomputation()
    {
        var random = new Random(1624);
        var header = HexBytes.Parse("450000730000400040110000c0a80001c0a800c7");
        for (int i = 0; i < 1000; i++)
        {
            BinaryPrimitives.WriteUInt16BigEndian(header.AsSpan(10), 0);
            ushort checksum = InternetChecksum.Compute(header);
            BinaryPrimitives.WriteUInt16BigEndian(header.AsSpan(10), checksum);

            int word = random.Next(0, 5) * 2; // a word before the checksum field
            ushort old = BinaryPrimitives.ReadUInt16BigEndian(header.AsSpan(word));
            ushort next = (ushort)random.Next(0, 65536);
            BinaryPrimitives.WriteUInt16BigEndian(header.AsSpan(word), next);
            ushort updated = InternetChecksum.Update(checksum, old, next);
            BinaryPrimitives.WriteUInt16BigEndian(header.AsSpan(10), updated);
            Assert.True(InternetChecksum.IsValid(header), $"update of word {word} from {old:x4} to {next:x4}");

            uint oldAddress = BinaryPrimitives.ReadUInt32BigEndian(header.AsSpan(12));
            uint newAddress = (uint)random.Next();
            BinaryPrimitives.WriteUInt32BigEndian(header.AsSpan(12), newAddress);
            BinaryPrimitives.WriteUInt16BigEndian(header.AsSpan(10), InternetChecksum.Update(updated, oldAddress, newAddress));
            Assert.True(InternetChecksum.IsValid(header));
        }
    }
}
