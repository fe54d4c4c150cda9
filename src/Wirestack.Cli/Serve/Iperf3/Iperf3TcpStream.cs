using Wirestack.Sockets;

namespace Wirestack.Cli.Serve.Iperf3;

/// <summary>
/// A TCP data stream: the server reads and counts what the client sends, or writes blocks of the test's length
/// (paced when the client asked for a rate). One buffer per stream, reused for every read or write.
/// </summary>
internal sealed class Iperf3TcpStream(int id, bool isSender, ITcpConnection connection) : Iperf3Stream(id, isSender)
{
    /// <summary>The stream's connection (the session aborts it when the test ends).</summary>
    public ITcpConnection Connection { get; } = connection;

    /// <summary>Moves data until <paramref name="cancellationToken"/> ends the test or the client closes the stream.</summary>
    /// <param name="parameters">The block length and rate.</param>
    /// <param name="cancellationToken">Cancelled when the client ends the test.</param>
    public async Task RunAsync(Iperf3Parameters parameters, CancellationToken cancellationToken)
    {
        var stream = Connection.GetStream();
        var buffer = new byte[parameters.BlockSize];
        try
        {
            if (IsSender) await SendAsync(stream, buffer, parameters.BitsPerSecond, cancellationToken).ConfigureAwait(false);
            else await ReceiveAsync(stream, buffer, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
        catch (Exception e) when (e is IOException or WirestackException or ObjectDisposedException)
        {
            // The client closed or reset the stream; the control connection says whether the test goes on.
            Failure = e.Message;
        }
    }

    private async Task ReceiveAsync(Stream stream, Memory<byte> buffer, CancellationToken cancellationToken)
    {
        while (true)
        {
            int read = await stream.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
            if (read == 0) return;
            Bytes += read;
        }
    }

    private async Task SendAsync(Stream stream, byte[] buffer, long bitsPerSecond, CancellationToken cancellationToken)
    {
        // iperf3 sends random bytes so that compression on the path cannot flatter the result.
        Random.Shared.NextBytes(buffer);
        var pacer = new Iperf3Pacer(bitsPerSecond, Iperf3Clock.Now);
        using var tick = pacer.IsLimited ? new PeriodicTimer(Iperf3Pacer.Tick) : null;
        // A Wirestack connection says how much of a block it queued, so the count stays exact when the test's end
        // cancels a write waiting for room: the bytes it had queued still go, and the client counts them (a fresh-clone
        // run saw the client receive 32 KiB more than whole blocks counted). A kernel stream cannot say.
        var wirestack = Connection as TcpConnection;
        int offset = 0;
        while (true)
        {
            if (tick is not null && !pacer.MaySend(Bytes, Iperf3Clock.Now))
            {
                await tick.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false);
                continue;
            }
            if (wirestack is not null)
            {
                int written = await wirestack.WriteSomeAsync(buffer.AsMemory(offset), cancellationToken).ConfigureAwait(false);
                Bytes += written;
                offset = (offset + written) % buffer.Length;
                continue;
            }
            await stream.WriteAsync(buffer, cancellationToken).ConfigureAwait(false);
            Bytes += buffer.Length;
        }
    }
}
