using System.Text;
using Wirestack.Cli.Hosting;
using Wirestack.Sockets;
using Wirestack.Wire;

namespace Wirestack.Cli.Mcast;

/// <summary>
/// `wirestack mcast recv`: joins the group and prints each datagram it receives as one line (UTF-8, a trailing line
/// break removed) on standard output; a `listening` notice goes to standard error so that the output stays the data.
/// </summary>
internal sealed class McastReceiver(McastOptions options, TextWriter output, TextWriter status)
{
    /// <summary>Receives until <see cref="McastOptions.Count"/> datagrams arrived or <paramref name="cancellation"/> fires; returns 0.</summary>
    public int Run(CancellationToken cancellation) => RunAsync(cancellation).GetAwaiter().GetResult();

    private async Task<int> RunAsync(CancellationToken cancellation)
    {
        using var host = NetworkHost.Open(options.Network, options.Host, options.Ipv4, options.Ipv6, pcapPath: null);
        using var socket = host.Network.CreateUdpSocket();
        // The port on every address of the group's family (a Netstack refuses a bind to the group address itself),
        // shared with other receivers of the group as SO_REUSEADDR does.
        var any = options.Group.Address.IsIpv4 ? IpAddress.AnyIpv4 : IpAddress.AnyIpv6;
        socket.Bind(new IpEndpoint(any, options.Group.Port), UdpSocketFlags.ReuseAddress);
        socket.JoinMulticastGroup(options.Group.Address);
        status.WriteLine($"listening on {options.Group} ({host.Description})");
        status.Flush();
        var buffer = new byte[65535];
        int received = 0;
        while (options.Count is not { } count || received < count)
        {
            DatagramReceiveResult datagram;
            try
            {
                datagram = await socket.ReceiveFromAsync(buffer, cancellation).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                break;
            }
            received++;
            var text = Encoding.UTF8.GetString(buffer, 0, datagram.ReceivedBytes).AsSpan();
            if (text.EndsWith("\n", StringComparison.Ordinal)) text = text[..^1];
            if (text.EndsWith("\r", StringComparison.Ordinal)) text = text[..^1];
            output.WriteLine(text);
            output.Flush();
        }
        return 0;
    }
}
