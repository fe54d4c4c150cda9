using System.Net.Sockets;
using Wirestack.Sockets;

namespace Wirestack.Cli.Serve;

/// <summary>
/// The TCP character generator of RFC 864: sends <see cref="ChargenPattern"/> until the peer closes, and reads (and
/// throws away) whatever the peer sends meanwhile. A peer that half-closes still gets data; one that closes or resets
/// ends the connection at the next write, which is this service's normal end rather than a failure.
/// </summary>
internal sealed class ChargenServer(int port) : TcpService("chargen", port)
{
    /// <inheritdoc />
    protected override async ValueTask ServeAsync(ITcpConnection connection, Stream stream, Memory<byte> buffer, CancellationToken cancellationToken)
    {
        using var done = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var reading = DrainAsync(stream, buffer, done.Token);
        var cycle = ChargenPattern.Cycle;
        try
        {
            while (true)
            {
                await stream.WriteAsync(cycle, done.Token).ConfigureAwait(false);
                Counters.Sent(cycle.Length);
            }
        }
        catch (Exception e) when (e is IOException or SocketException or WirestackException or ObjectDisposedException)
        {
            // The peer is gone: the way a chargen connection ends.
        }
        finally
        {
            await done.CancelAsync().ConfigureAwait(false);
            await reading.ConfigureAwait(false);
        }
    }

    // Never throws: the writer learns of a closed connection by its own failure.
    private async Task DrainAsync(Stream stream, Memory<byte> buffer, CancellationToken cancellationToken)
    {
        try
        {
            while (true)
            {
                int read = await stream.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
                if (read == 0) return;
                Counters.Received(read);
            }
        }
        catch (Exception e) when (e is IOException or SocketException or WirestackException or ObjectDisposedException or OperationCanceledException)
        {
        }
    }
}
