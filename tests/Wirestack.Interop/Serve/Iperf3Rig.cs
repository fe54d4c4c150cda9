using System.Globalization;
using Wirestack.Cli.Serve.Iperf3;
using Wirestack.Interop.Iface;
using Wirestack.Interop.Infrastructure;
using Wirestack.Sockets;
using Wirestack.Testing;
using Wirestack.Wire;

namespace Wirestack.Interop.Serve;

/// <summary>Which network the <see cref="Iperf3Server"/> under test runs on.</summary>
public enum Iperf3ServerNetwork
{
    /// <summary><see cref="KernelNetwork"/> at the host end of a veth pair; the client at the other end, in a namespace.</summary>
    Kernel,

    /// <summary><see cref="StackNetwork"/>: a Netstack on a TAP device; the client on the kernel side, in a namespace.</summary>
    StackTap,
}

/// <summary>
/// An <see cref="Iperf3Server"/> on one network and a namespace holding the stock client's side of the link. Disposing
/// stops the server and removes the devices and the namespace.
/// </summary>
internal sealed class Iperf3Rig : IAsyncDisposable
{
    private static int _rigs;
    private readonly IDisposable _link;

    private Iperf3Rig(Iperf3ServerNetwork kind, NetworkNamespace ns, IDisposable link, INetwork network, string serverAddress, Netstack? stack)
    {
        Kind = kind;
        Namespace = ns;
        _link = link;
        Network = network;
        ServerAddress = serverAddress;
        Stack = stack;
        Server = new Iperf3Server(0, Log);
    }

    public Iperf3ServerNetwork Kind { get; }

    public NetworkNamespace Namespace { get; }

    public INetwork Network { get; }

    public string ServerAddress { get; }

    public Netstack? Stack { get; }

    public Iperf3Server Server { get; }

    public StringWriter Log { get; } = new();

    public int Port => Server.Port;

    public static async Task<Iperf3Rig> StartAsync(Iperf3ServerNetwork kind)
    {
        Iperf3Client.Require();
        var rig = kind == Iperf3ServerNetwork.Kernel ? OnKernel() : OnStack();
        try
        {
            await rig.Server.StartAsync(rig.Network, [IpAddress.Parse(rig.ServerAddress)]);
            return rig;
        }
        catch
        {
            await rig.DisposeAsync();
            throw;
        }
    }

    /// <summary>Runs the stock client against the server with <c>-J</c> and the given arguments.</summary>
    public Iperf3Report RunClient(params string[] arguments) => Iperf3Client.Run(Namespace, ServerAddress, Port, arguments);

    public async ValueTask DisposeAsync()
    {
        await Server.DisposeAsync();
        await Network.DisposeAsync();
        _link.Dispose();
        Namespace.Dispose();
    }

    private static Iperf3Rig OnKernel()
    {
        var ns = NetworkNamespace.Create();
        // A /30 of this rig's own, since the host end's address lives in the shared root namespace.
        int n = Interlocked.Increment(ref _rigs) % 64;
        string prefix = string.Create(CultureInfo.InvariantCulture, $"10.243.{Environment.ProcessId % 250}.");
        string client = prefix + (4 * n + 1).ToString(CultureInfo.InvariantCulture), server = prefix + (4 * n + 2).ToString(CultureInfo.InvariantCulture);
        VethPair? veth = null;
        try
        {
            veth = VethPair.Create(ns, client + "/30");
            IpRoute2.Run("addr", "add", server + "/30", "dev", veth.HostEnd);
            return new Iperf3Rig(Iperf3ServerNetwork.Kernel, ns, veth, new KernelNetwork(), server, null);
        }
        catch
        {
            veth?.Dispose();
            ns.Dispose();
            throw;
        }
    }

    private static Iperf3Rig OnStack()
    {
        var link = KernelLink.Create(LinkKind.Tap, "wsi");
        try
        {
            var stack = new NetstackBuilder()
                .UseDevice(link.Device, ownsDevice: false)
                .WithMacAddress(KernelLink.OurMac)
                .AddAddress(new IpAddress(KernelLink.OurAddress), 24)
                .Build();
            // KernelLink disposes the namespace after the device; the rig's own Namespace.Dispose is then a no-op.
            return new Iperf3Rig(Iperf3ServerNetwork.StackTap, link.Namespace, link, new StackNetwork(stack), KernelLink.OurAddress.ToString(), stack);
        }
        catch
        {
            link.Dispose();
            throw;
        }
    }
}
