using Wirestack.Sockets;

namespace Wirestack.Cli.Serve;

/// <summary>The TCP discard service of RFC 863: reads and throws away everything until the peer closes.</summary>
internal sealed class DiscardServer(int port) : TcpService("discard", port)
{
    /// <inheritdoc />
    protected override int BufferLength => 64 * 1024;

    /// <inheritdoc />
    protected override async ValueTask ServeAsync(ITcpConnection connection, Stream stream, Memory<byte> buffer, CancellationToken cancellationToken)
    {
        while (true)
        {
            int read = await stream.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
            if (read == 0) return;
            Counters.Received(read);
        }
    }
}
