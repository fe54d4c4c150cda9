using Wirestack.Ip;
using Wirestack.Wire;

namespace Wirestack.Tests.Ip;

/// <summary>Keys, payloads and fragment feeding shared by the fragmentation tests.</summary>
internal static class FragmentTestData
{
    private static readonly Ipv6Address Source6 = Ipv6Address.Parse("fd00::1");
    private static readonly Ipv6Address Destination6 = Ipv6Address.Parse("fd00::2");

    public static FragmentKey Key(bool ipv6, uint id = 0x1234) => ipv6
        ? FragmentKey.ForIpv6(Source6, Destination6, id)
        : FragmentKey.ForIpv4(new Ipv4Address(10, 0, 0, 1), new Ipv4Address(10, 0, 0, 2), (ushort)id, IpProtocol.Udp);

    public static byte[] Payload(int length, int seed)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    /// <summary>A stand-in for the received packet's headers: the tests check that its start is what comes back.</summary>
    public static byte[] Header(int length, byte fill)
    {
        var bytes = new byte[length];
        for (int i = 0; i < length; i++) bytes[i] = (byte)(fill + i);
        return bytes;
    }

    public static FragmentOutcome Feed(FragmentReassembler reassembler, FragmentKey key, byte[] payload, int offset, int length, bool more, Instant now, byte[]? header = null)
    {
        var outcome = reassembler.Accept(new Fragment(key, offset, more, payload.AsSpan(offset, length), IpProtocol.Udp, header ?? Header(28, 0x40)), now, out _);
        return outcome;
    }

    public static FragmentOutcome Feed(FragmentReassembler reassembler, FragmentKey key, byte[] payload, FragmentBoundary boundary, Instant now, out byte[]? reassembled, out ReassemblyHandle handle)
    {
        reassembled = null;
        handle = default;
        var outcome = reassembler.Accept(
            new Fragment(key, boundary.Offset, boundary.MoreFragments, payload.AsSpan(boundary.Offset, boundary.Length), IpProtocol.Udp, Header(48, 0x40)),
            now, out var datagram);
        if (outcome == FragmentOutcome.Complete)
        {
            reassembled = datagram.Payload.ToArray();
            handle = datagram.Handle;
        }
        return outcome;
    }

    public static void Shuffle<T>(T[] items, Random random)
    {
        for (int i = items.Length - 1; i > 0; i--)
        {
            int j = random.Next(i + 1);
            (items[i], items[j]) = (items[j], items[i]);
        }
    }
}
