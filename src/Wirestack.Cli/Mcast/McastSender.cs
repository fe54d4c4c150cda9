using System.Diagnostics;
using System.Text;
using Wirestack.Cli.Hosting;
using Wirestack.Sockets;

namespace Wirestack.Cli.Mcast;

/// <summary>`wirestack mcast send`: each line of standard input goes to the group as one datagram (UTF-8, without the line break).</summary>
internal sealed class McastSender(McastOptions options, TextReader input, TextWriter output)
{
    private static readonly TimeSpan SendTimeout = TimeSpan.FromSeconds(5);
    // How long to wait, after the last line, for the stack thread to put the queued datagrams on the wire.
    private static readonly TimeSpan DrainTimeout = TimeSpan.FromSeconds(2);

    /// <summary>Sends until the input ends (or <paramref name="cancellation"/> fires); returns 0, or 1 if a datagram was not sent.</summary>
    public int Run(CancellationToken cancellation) => RunAsync(cancellation).GetAwaiter().GetResult();

    private async Task<int> RunAsync(CancellationToken cancellation)
    {
        using var host = NetworkHost.Open(options.Network, options.Host, options.Ipv4, options.Ipv6, pcapPath: null);
        using var socket = host.Network.CreateUdpSocket();
        long sentBefore = host.Stacks is [var before] ? before.Counters.UdpDatagramsSent : 0;
        int sent = 0, failed = 0;
        while (!cancellation.IsCancellationRequested)
        {
            string? line;
            try
            {
                line = await input.ReadLineAsync(cancellation).AsTask().WaitAsync(cancellation).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                break;
            }
            if (line is null) break;
            byte[] data = Encoding.UTF8.GetBytes(line);
            try
            {
                socket.SendTo(data, options.Group, SendTimeout);
                sent++;
            }
            catch (WirestackException e) when (e.ErrorCode == WirestackErrorCode.MessageTooLong)
            {
                throw new CliUsageException($"a line of {data.Length} bytes does not fit in one datagram: {e.Message}");
            }
            catch (WirestackException e) when (e.ErrorCode is WirestackErrorCode.TimedOut or WirestackErrorCode.NoBufferSpace or WirestackErrorCode.Unreachable)
            {
                failed++;
                output.WriteLine($"not sent ({e.Message}): {line}");
            }
        }
        if (host.Stacks is [var stack])
        {
            // The socket's send ring is drained by the stack thread; closing the stack first would lose the tail.
            var clock = Stopwatch.StartNew();
            while (stack.Counters.UdpDatagramsSent - sentBefore < sent && clock.Elapsed < DrainTimeout) Thread.Sleep(5);
        }
        return failed == 0 ? 0 : 1;
    }
}
