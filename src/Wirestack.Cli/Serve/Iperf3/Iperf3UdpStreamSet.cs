using System.Buffers.Binary;
using Wirestack.Sockets;
using Wirestack.Wire;

namespace Wirestack.Cli.Serve.Iperf3;

/// <summary>
/// The UDP streams of one test on one socket bound to the server's port. iperf3 gives each stream a connected
/// socket; here every datagram is matched to its stream by the client's address and port. A stream "connects" with
/// a 4-byte datagram and is answered with another. One task receives, one task sends (round robin over the sending
/// streams): the socket has a single reader and a single writer.
/// </summary>
internal sealed class Iperf3UdpStreamSet(IUdpSocket socket, Iperf3Parameters parameters)
{
    // What the client waits for after its connect datagram (0x36373839): a 32-bit number in the sender's byte order
    // (iperf3 writes it from an int, so from the little-endian machines it runs on it goes out reversed).
    private const uint ConnectReply = 0x39383736;

    private readonly List<Iperf3UdpStream> _streams = [];
    private Iperf3UdpStream[] _receivers = [];
    private Iperf3UdpStream[] _senders = [];

    /// <summary>The streams in the order they connected.</summary>
    public IReadOnlyList<Iperf3UdpStream> Streams => _streams;

    /// <summary>Datagrams from no stream of this test, or stray connect datagrams, dropped.</summary>
    public long UnknownDatagrams { get; private set; }

    /// <summary>Waits for every stream to connect: the receiving ones first, then the sending ones, as the client opens them.</summary>
    public async Task AcceptAsync(CancellationToken cancellationToken)
    {
        int receiving = parameters.ReceivingStreams, total = receiving + parameters.SendingStreams;
        var buffer = new byte[64];
        var reply = new byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(reply, ConnectReply);
        while (_streams.Count < total)
        {
            var result = await socket.ReceiveFromAsync(buffer, cancellationToken).ConfigureAwait(false);
            if (result.ReceivedBytes != 4 || Find(_streams, result.RemoteEndPoint) is not null)
            {
                UnknownDatagrams++;
                continue;
            }
            // iperf3 itself does not check the connect message's value (newer clients send other magics): only its length counts.
            int index = _streams.Count;
            _streams.Add(new Iperf3UdpStream(Iperf3Stream.IdForIndex(index), index >= receiving, result.RemoteEndPoint, parameters.UdpCounters64Bit));
            await socket.SendToAsync(reply, result.RemoteEndPoint, cancellationToken).ConfigureAwait(false);
        }
        _receivers = [.. _streams.Where(s => !s.IsSender)];
        _senders = [.. _streams.Where(s => s.IsSender)];
    }

    /// <summary>Receives and sends until <paramref name="cancellationToken"/> ends the test.</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        var receive = _receivers.Length > 0 ? ReceiveAsync(cancellationToken) : Task.CompletedTask;
        var send = _senders.Length > 0 ? SendAsync(cancellationToken) : Task.CompletedTask;
        await Task.WhenAll(receive, send).ConfigureAwait(false);
    }

    private async Task ReceiveAsync(CancellationToken cancellationToken)
    {
        var buffer = new byte[65536];
        try
        {
            while (true)
            {
                var result = await socket.ReceiveFromAsync(buffer, cancellationToken).ConfigureAwait(false);
                double arrival = Iperf3Clock.Now;
                var stream = Find(_receivers, result.RemoteEndPoint);
                if (stream is null) UnknownDatagrams++;
                else stream.OnReceived(buffer.AsSpan(0, result.ReceivedBytes), arrival);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
    }

    private async Task SendAsync(CancellationToken cancellationToken)
    {
        var datagram = new byte[parameters.BlockSize];
        Random.Shared.NextBytes(datagram);
        var pacer = new Iperf3Pacer(parameters.BitsPerSecond, Iperf3Clock.Now);
        using var tick = pacer.IsLimited ? new PeriodicTimer(Iperf3Pacer.Tick) : null;
        try
        {
            while (true)
            {
                bool sent = false;
                foreach (var stream in _senders)
                {
                    double now = Iperf3Clock.Now;
                    if (!pacer.MaySend(stream.Bytes, now)) continue;
                    stream.StampNext(datagram, now);
                    await socket.SendToAsync(datagram, stream.Remote, cancellationToken).ConfigureAwait(false);
                    stream.OnSent(datagram.Length);
                    sent = true;
                }
                if (!sent) await tick!.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
    }

    private static Iperf3UdpStream? Find(List<Iperf3UdpStream> streams, IpEndpoint remote)
    {
        foreach (var stream in streams)
            if (stream.Remote == remote) return stream;
        return null;
    }

    // A linear search: a test has at most 128 streams, and most have 1 to 8.
    private static Iperf3UdpStream? Find(Iperf3UdpStream[] streams, IpEndpoint remote)
    {
        foreach (var stream in streams)
            if (stream.Remote == remote) return stream;
        return null;
    }
}
