using Wirestack.Wire;

namespace Wirestack.Tests.Wire;

/// <summary>
/// TCP segments sent by Linux 6.18, captured with tcpdump on veth pairs between network
/// namespaces (checksum offload off, so the checksums are the kernel's own), with nc as client
/// and server. Each is the IP payload: TCP header, options and data. Addresses are needed for the
/// pseudo-header.
/// </summary>
internal static class TcpCaptures
{
    public sealed record Capture(string Source, string Destination, string Hex)
    {
        public byte[] Bytes => HexBytes.Parse(Hex);

        public uint PseudoHeaderSum(int length) => Source.Contains(':', StringComparison.Ordinal)
            ? InternetChecksum.PseudoHeaderSum(Ipv6Address.Parse(Source), Ipv6Address.Parse(Destination), IpProtocol.Tcp, length)
            : InternetChecksum.PseudoHeaderSum(Ipv4Address.Parse(Source), Ipv4Address.Parse(Destination), IpProtocol.Tcp, length);

        public uint PseudoHeaderSum() => PseudoHeaderSum(Bytes.Length);
    }

    public static readonly Dictionary<string, Capture> All = new()
    {
        // Default sysctls (timestamps, SACK, window scaling on): `echo "hello wirestack" | nc`.
        ["syn"] = new("10.77.0.1", "10.77.0.2",
            "91f81389ed999e6500000000a002faf002630000 020405b4 0402080a159eeeed00000000 0103030a"),
        ["syn-ack"] = new("10.77.0.2", "10.77.0.1",
            "138991f8c17d5d02ed999e66a012fe8880e00000 020405b4 0402080ae2337d25159eeeed 0103030a"),
        ["ack"] = new("10.77.0.1", "10.77.0.2",
            "91f81389ed999e66c17d5d038010003fadf90000 0101080a159eeeede2337d25"),
        ["data"] = new("10.77.0.1", "10.77.0.2",
            "91f81389ed999e66c17d5d038018003f403e0000 0101080a159eeeede2337d25 68656c6c6f2077697265737461636b0a"),
        ["fin"] = new("10.77.0.1", "10.77.0.2",
            "91f81389ed999e76c17d5d038011003fade80000 0101080a159eeeede2337d25"),

        // net.ipv4.tcp_timestamps=0 on both sides.
        ["syn-nots"] = new("10.77.0.1", "10.77.0.2",
            "94d8138ad490584d000000008002faf08a400000 020405b4 01010402 0103030a"),
        ["syn-ack-nots"] = new("10.77.0.2", "10.77.0.1",
            "138a94d89674f0b8d490584e8012faf003020000 020405b4 01010402 0103030a"),
        ["data-nots"] = new("10.77.0.1", "10.77.0.2",
            "94d8138ad490584e9674f0b95018003fd0cd0000 68656c6c6f2077697265737461636b0a"),

        // Other sysctl combinations (timestamps / sack / window_scaling).
        ["syn-ts-nosack"] = new("10.77.1.1", "10.77.2.2",
            "bfe813929ba4256e00000000a002faf0d5d30000 020405b4 0101080a6b9b627400000000 0103030a"),
        ["syn-ack-ts-nosack"] = new("10.77.2.2", "10.77.1.1",
            "1392bfe8077003a09ba4256fa012fe889ff90000 020405b4 0101080a4a23dcfd6b9b6274 0103030a"),
        ["syn-sack-only"] = new("10.77.1.1", "10.77.2.2",
            "b6441393efd9f700000000007002faf0bfdf0000 020405b4 01010402"),
        ["syn-mss-only"] = new("10.77.1.1", "10.77.2.2",
            "e0d613948c6df5ed000000006002faf00ed30000 020405b4"),
        ["syn-ts-sack-nows"] = new("10.77.1.1", "10.77.2.2",
            "8a661395a0df49f9000000009002faf047350000 020405b4 0402080a8109f86d00000000"),
        ["syn-ack-ts-nows"] = new("10.77.2.2", "10.77.1.1",
            "1396ecde0bd625eff08b56b29012fe8839ad0000 020405b4 0101080a2e7f50d6918d84d1"),

        // Receiver ACKs during a 3 MB transfer through a router namespace whose tbf qdisc drops
        // on overflow: with timestamps Linux fits 3 SACK blocks, without them 4.
        ["sack3-ts"] = new("10.77.2.2", "10.77.1.1",
            "138bd264fe98bd8e0a00bdb9f010005017b20000 0101080afe8d6e4420a3161d 0101051a 0a0101990a010741 0a00dfa90a00f0a1 0a00d4590a00da01"),
        ["sack4-nots"] = new("10.77.2.2", "10.77.1.1",
            "138bcac8d5bf9a431d443523e010004fd86b0000 01010522 1d4462c31d446877 1d44575b1d445d0f 1d444bf31d4451a7 1d443ad71d44463f"),

        // IPv6: `echo "hello v6" | nc -6`, fd77:1::1 -> fd77:2::2 (MSS 1440).
        ["syn-v6"] = new("fd77:1::1", "fd77:2::2",
            "aa94139c6541746700000000a002fd20ca950000 020405a0 0402080acdf91f9200000000 0103030a"),
        ["data-v6"] = new("fd77:1::1", "fd77:2::2",
            "aa94139c65417468bb62b3cd8018004015820000 0101080acdf91f92f7a9b58b 68656c6c6f2076360a"),
    };

    public static TheoryData<string> Names()
    {
        var data = new TheoryData<string>();
        foreach (var name in All.Keys) data.Add(name);
        return data;
    }
}
