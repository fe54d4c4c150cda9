using Wirestack.Nic;
using Wirestack.Sockets;
using Wirestack.Wire;

namespace Wirestack.Tests.Sockets;

/// <summary>Two Netstacks on a pipe: A (10.0.0.1, fd00::1) and B (10.0.0.2, fd00::2).</summary>
internal sealed class NetstackTestBed : IAsyncDisposable
{
    public static readonly IpAddress AddressA = IpAddress.Parse("10.0.0.1");
    public static readonly IpAddress AddressB = IpAddress.Parse("10.0.0.2");
    public static readonly IpAddress Ipv6A = IpAddress.Parse("fd00::1");
    public static readonly IpAddress Ipv6B = IpAddress.Parse("fd00::2");

    private NetstackTestBed(Netstack a, Netstack b)
    {
        A = a;
        B = b;
    }

    public Netstack A { get; }

    public Netstack B { get; }

    /// <summary>Both stacks on their own threads (or manual, for the deterministic tests).</summary>
    public static NetstackTestBed Create(bool manual = false, Action<NetstackBuilder>? configure = null)
    {
        var (first, second) = PipeDevice.CreatePair();
        return new NetstackTestBed(Build(first, "02:00:00:00:00:0a", "10.0.0.1/24", "fd00::1/64", manual, configure),
            Build(second, "02:00:00:00:00:0b", "10.0.0.2/24", "fd00::2/64", manual, configure));
    }

    /// <summary>Polls both manual stacks a few rounds at <paramref name="now"/>.</summary>
    public void Pump(Instant now, int rounds = 4)
    {
        for (int i = 0; i < rounds; i++)
        {
            A.Poll(now);
            B.Poll(now);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await A.DisposeAsync();
        await B.DisposeAsync();
    }

    private static Netstack Build(PipeDevice device, string mac, string v4, string v6, bool manual, Action<NetstackBuilder>? configure)
    {
        var builder = new NetstackBuilder()
            .UseDevice(device)
            .WithMacAddress(MacAddress.Parse(mac))
            .AddAddress(v4)
            .AddAddress(v6)
            .UseManualPolling(manual)
            // Keep the link quiet: only the traffic a test causes.
            .ConfigureInterface(o => o with { AnnounceAddresses = false });
        configure?.Invoke(builder);
        return builder.Build();
    }
}
