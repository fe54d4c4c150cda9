using System.Buffers.Binary;
using Wirestack.Nic;
using Wirestack.Wire;

namespace Wirestack.Tests.Nic;

/// <summary>
/// The Toeplitz hash against the RSS verification suite Microsoft publishes ("Verifying the RSS Hash Calculation",
/// also in Intel's 82599 datasheet): the standard key, the address pair alone and with the TCP ports.
/// </summary>
public class ToeplitzHashTests
{
    public static TheoryData<string, ushort, string, ushort, uint, uint> Vectors => new()
    {
        // destination, destination port, source, source port, hash of the addresses, hash with the ports
        { "161.142.100.80", 1766, "66.9.149.187", 2794, 0x323e8fc2, 0x51ccc178 },
        { "65.69.140.83", 4739, "199.92.111.2", 14230, 0xd718262a, 0xc626b0ea },
        { "12.22.207.184", 38024, "24.19.198.95", 12898, 0xd2d0a5de, 0x5c2b394a },
        { "209.142.163.6", 2217, "38.27.205.30", 48228, 0x82989176, 0xafc7327f },
        { "202.188.127.2", 1303, "153.39.163.191", 44251, 0x5d1809c5, 0x10e828a2 },
        { "3ffe:2501:200:3::1", 1766, "3ffe:2501:200:1fff::7", 2794, 0x2cc18cd5, 0x40207d3d },
        { "ff02::1", 4739, "3ffe:501:8::260:97ff:fe40:efab", 14230, 0x0f0c461c, 0xdde51bbf },
        { "fe80::200:f8ff:fe21:67cf", 38024, "3ffe:1900:4545:3:200:f8ff:fe21:67cf", 44251, 0x4b61e985, 0x02d1feef },
    };

    [Theory]
    [MemberData(nameof(Vectors))]
    public void MatchesTheRssVerificationSuite(string destination, ushort destinationPort, string source, ushort sourcePort, uint addressesOnly, uint withPorts)
    {
        var src = IpAddress.Parse(source);
        var dst = IpAddress.Parse(destination);
        int length = src.IsIpv4 ? 4 : 16;
        var input = new byte[length * 2 + 4];
        Write(src, input);
        Write(dst, input.AsSpan(length));
        BinaryPrimitives.WriteUInt16BigEndian(input.AsSpan(length * 2), sourcePort);
        BinaryPrimitives.WriteUInt16BigEndian(input.AsSpan(length * 2 + 2), destinationPort);

        Assert.Equal(addressesOnly, ToeplitzHash.Microsoft.Compute(input.AsSpan(0, length * 2)));
        Assert.Equal(withPorts, ToeplitzHash.Microsoft.Compute(input));
        Assert.Equal(withPorts, new FlowSteering(2).Hash(src, sourcePort, dst, destinationPort));
    }

    [Fact]
    public void TheTableMatchesTheBitwiseDefinition()
    {
        // A random key and input, hashed by the textbook loop: every set input bit XORs in the key window at that bit.
        var random = new Random(9);
        var key = new byte[40];
        random.NextBytes(key);
        var hash = new ToeplitzHash(key);
        for (int trial = 0; trial < 200; trial++)
        {
            var input = new byte[random.Next(0, ToeplitzHash.MaxInputLength + 1)];
            random.NextBytes(input);
            uint expected = 0;
            for (int bit = 0; bit < input.Length * 8; bit++)
            {
                if ((input[bit / 8] & (0x80 >> (bit % 8))) == 0) continue;
                uint window = 0;
                for (int k = 0; k < 32; k++) window = (window << 1) | (uint)((key[(bit + k) / 8] >> (7 - (bit + k) % 8)) & 1);
                expected ^= window;
            }
            Assert.Equal(expected, hash.Compute(input));
        }
    }

    [Fact]
    public void AShortKeyOrLongInputIsRefusedWithWhatToFix()
    {
        var e = Assert.Throws<ArgumentException>(() => new ToeplitzHash(new byte[16]));
        Assert.Contains("40", e.Message);
        Assert.Throws<ArgumentException>(() => ToeplitzHash.Microsoft.Compute(new byte[37]));
    }

    private static void Write(IpAddress address, Span<byte> destination)
    {
        if (address.IsIpv4) address.AsIpv4.WriteTo(destination);
        else address.AsIpv6.WriteTo(destination);
    }
}
