using Wirestack.Sockets;

namespace Wirestack.Cli.Serve;

/// <summary>The TCP echo service of RFC 862: sends back whatever it receives, and closes after the peer's FIN once all of it is back.</summary>
internal sealed class EchoServer(int port) : TcpService("echo", port)
{
    /// <inheritdoc />
    protected override async ValueTask ServeAsync(ITcpConnection connection, Stream stream, Memory<byte> buffer, CancellationToken cancellationToken)
    {
        while (true)
        {
            int read = await stream.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
            if (read == 0) return;
            Counters.Received(read);
            await stream.WriteAsync(buffer[..read], cancellationToken).ConfigureAwait(false);
            Counters.Sent(read);
        }
    }
}
