using System.Buffers.Binary;

namespace Wirestack.Cli.Serve.Iperf3;

/// <summary>
/// The framing of iperf3's control connection: the 37-byte cookie that opens every connection of a test, one-byte
/// states, and JSON messages prefixed with their length as a 32-bit big-endian number.
/// </summary>
internal sealed class Iperf3ControlChannel(Stream stream)
{
    /// <summary>The cookie's length: 36 characters and a NUL.</summary>
    public const int CookieLength = 37;

    /// <summary>Larger parameter or result messages are refused (iperf3's own are a few kilobytes).</summary>
    public const int MaxJsonLength = 1 << 20;

    private readonly byte[] _small = new byte[8];

    /// <summary>Reads exactly <paramref name="buffer"/>'s length; false when the peer closed first.</summary>
    public static async ValueTask<bool> ReadExactlyAsync(Stream stream, Memory<byte> buffer, CancellationToken cancellationToken)
    {
        int got = await stream.ReadAtLeastAsync(buffer, buffer.Length, throwOnEndOfStream: false, cancellationToken).ConfigureAwait(false);
        return got == buffer.Length;
    }

    /// <summary>Reads the next state byte; null when the client closed the connection.</summary>
    public async ValueTask<Iperf3State?> ReadStateAsync(CancellationToken cancellationToken) =>
        await ReadExactlyAsync(stream, _small.AsMemory(0, 1), cancellationToken).ConfigureAwait(false) ? (Iperf3State)(sbyte)_small[0] : null;

    /// <summary>Sends one state.</summary>
    public ValueTask WriteStateAsync(Iperf3State state, CancellationToken cancellationToken)
    {
        _small[0] = (byte)(sbyte)state;
        return stream.WriteAsync(_small.AsMemory(0, 1), cancellationToken);
    }

    /// <summary>Sends two states in one write, so that no Nagle or delayed-ACK pause falls between them.</summary>
    public ValueTask WriteStatesAsync(Iperf3State first, Iperf3State second, CancellationToken cancellationToken)
    {
        _small[0] = (byte)(sbyte)first;
        _small[1] = (byte)(sbyte)second;
        return stream.WriteAsync(_small.AsMemory(0, 2), cancellationToken);
    }

    /// <summary>Sends SERVER_ERROR with iperf3's error number and an errno (0 when there is none).</summary>
    public ValueTask WriteServerErrorAsync(Iperf3ErrorCode code, int errno, CancellationToken cancellationToken)
    {
        var message = new byte[9];
        message[0] = unchecked((byte)(sbyte)Iperf3State.ServerError);
        BinaryPrimitives.WriteInt32BigEndian(message.AsSpan(1), (int)code);
        BinaryPrimitives.WriteInt32BigEndian(message.AsSpan(5), errno);
        return stream.WriteAsync(message, cancellationToken);
    }

    /// <summary>Reads one length-prefixed JSON message.</summary>
    /// <exception cref="Iperf3ProtocolException">The client closed the connection, or the length is out of range.</exception>
    public async ValueTask<byte[]> ReadJsonAsync(CancellationToken cancellationToken)
    {
        if (!await ReadExactlyAsync(stream, _small.AsMemory(0, 4), cancellationToken).ConfigureAwait(false))
            throw new Iperf3ProtocolException("the client closed the control connection before sending its JSON message.");
        uint length = BinaryPrimitives.ReadUInt32BigEndian(_small);
        if (length is 0 or > MaxJsonLength) throw new Iperf3ProtocolException($"a JSON message of {length} bytes is out of range (1 to {MaxJsonLength}).");
        var json = new byte[length];
        if (!await ReadExactlyAsync(stream, json, cancellationToken).ConfigureAwait(false))
            throw new Iperf3ProtocolException("the client closed the control connection in the middle of a JSON message.");
        return json;
    }

    /// <summary>Sends one length-prefixed JSON message.</summary>
    public async ValueTask WriteJsonAsync(ReadOnlyMemory<byte> json, CancellationToken cancellationToken)
    {
        var message = new byte[4 + json.Length];
        BinaryPrimitives.WriteUInt32BigEndian(message, (uint)json.Length);
        json.CopyTo(message.AsMemory(4));
        await stream.WriteAsync(message, cancellationToken).ConfigureAwait(false);
    }
}
