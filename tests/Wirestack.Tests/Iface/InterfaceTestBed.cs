using Wirestack.Iface;
using Wirestack.Nic;
using Wirestack.Wire;

namespace Wirestack.Tests.Iface;

/// <summary>Two hosts on a pipe, A (10.0.0.1) and B (10.0.0.2), and the plumbing the Interface tests share.</summary>
internal static class InterfaceTestBed
{
    public static readonly Instant T0 = Instant.FromMicroseconds(1_000_000_000);
    public static readonly MacAddress MacA = MacAddress.Parse("02:00:00:00:00:0a");
    public static readonly MacAddress MacB = MacAddress.Parse("02:00:00:00:00:0b");
    public static readonly Ipv4Address AddressA = new(10, 0, 0, 1);
    public static readonly Ipv4Address AddressB = new(10, 0, 0, 2);
    public static readonly byte[] Data = "abcdefghijklmnopqrstuvwxyz012345"u8.ToArray();

    // IPv4-only hosts: the IPv4 tests count every frame and drop, and an IPv6 host talks at its first poll (NDP,
    // MLD). The IPv6 tests use Ipv6OptionsFor.
    public static InterfaceOptions OptionsFor(MacAddress mac, Ipv4Address address) => new()
    {
        MacAddress = mac,
        Ipv4Addresses = [new Ipv4InterfaceAddress(address, 24)],
        // Frame-counting tests expect only the traffic they cause; announcements have tests of their own.
        AnnounceAddresses = false,
        EnableIpv6 = false,
    };

    /// <summary>A and B joined by a pipe; <paramref name="adjust"/> changes both hosts' options.</summary>
    public static (Interface A, Interface B) Pair(Func<InterfaceOptions, InterfaceOptions>? adjust = null)
    {
        var (first, second) = PipeDevice.CreatePair();
        return (new Interface(first, Adjusted(OptionsFor(MacA, AddressA), adjust)), new Interface(second, Adjusted(OptionsFor(MacB, AddressB), adjust)));
    }

    /// <summary>B, and the other end of its cable to drive by hand.</summary>
    public static (PipeDevice Raw, Interface B) RawAndB(Func<InterfaceOptions, InterfaceOptions>? adjust = null)
    {
        var (raw, second) = PipeDevice.CreatePair();
        return (raw, new Interface(second, Adjusted(OptionsFor(MacB, AddressB), adjust)));
    }

    public static void Pump(Interface a, Interface b, Instant now, int rounds = 4)
    {
        for (int i = 0; i < rounds; i++)
        {
            a.Poll(now);
            b.Poll(now);
        }
    }

    /// <summary>Puts one frame on the wire from the hand-driven end.</summary>
    public static void Send(PipeDevice raw, ReadOnlySpan<byte> frame)
    {
        Assert.True(raw.TryGetTransmitSlot(out var slot));
        frame.CopyTo(slot);
        raw.CommitTransmit(frame.Length);
        raw.Flush();
    }

    private static InterfaceOptions Adjusted(InterfaceOptions options, Func<InterfaceOptions, InterfaceOptions>? adjust) =>
        adjust is null ? options : adjust(options);
}
