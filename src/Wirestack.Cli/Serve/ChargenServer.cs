using System.Net.Sockets;
using Wirestack.Sockets;

namespace Wirestack.Cli.Serve;

/// <summary>
/// The TCP character generator of RFC 864: sends <see cref="ChargenPattern"/> until the peer closes, and reads (and
/// throws away) whatever the peer sends meanwhile. The peer's FIN ends the connection: it is the one sign of a close
/// every peer gives (a closed socket need not reset on data that keeps coming, RFC 1122 4.2.2.13 is a SHOULD), so a
/// half-closing peer gets what was sent until then. A reset ends it at the next write. Both are this service's normal
/// end, not failures.
/// </summary>
internal sealed class ChargenServer(int port) : TcpService("chargen", port)
{
    /// <inheritdoc />
    protected override async ValueTask ServeAsync(ITcpConnection connection, Stream stream, Memory<byte> buffer, CancellationToken cancellationToken)
    {
        using var done = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var reading = DrainAsync(stream, buffer, done);
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
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            // The peer's FIN arrived.
        }
        finally
        {
            await done.CancelAsync().ConfigureAwait(false);
            await reading.ConfigureAwait(false);
        }
    }

    // Never throws: the peer's FIN stops the writer through done; a reset reaches the writer by its own failure.
    private async Task DrainAsync(Stream stream, Memory<byte> buffer, CancellationTokenSource done)
    {
        try
        {
            while (true)
            {
                int read = await stream.ReadAsync(buffer, done.Token).ConfigureAwait(false);
                if (read == 0)
                {
                    await done.CancelAsync().ConfigureAwait(false);
                    return;
                }
                Counters.Received(read);
            }
        }
        catch (Exception e) when (e is IOException or SocketException or WirestackException or ObjectDisposedException or OperationCanceledException)
        {
        }
    }
}
