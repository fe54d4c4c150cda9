namespace Wirestack.Cli.Serve;

/// <summary>
/// What a service did: connections (TCP) or datagrams (UDP), and bytes each way. Written by the service's
/// tasks with interlocked operations, read by anyone.
/// </summary>
/// <param name="countsRequests">Whether the service counts requests (HTTP) rather than connections.</param>
internal sealed class ServiceCounters(bool countsRequests = false)
{
    private long _requests;
    private long _connections;
    private long _active;
    private long _failed;
    private long _datagramsReceived;
    private long _datagramsSent;
    private long _bytesReceived;
    private long _bytesSent;
    private long _errors;

    /// <summary>Connections accepted.</summary>
    public long Connections => Interlocked.Read(ref _connections);

    /// <summary>Connections open now.</summary>
    public long ActiveConnections => Interlocked.Read(ref _active);

    /// <summary>Connections that ended in an error (reset by the peer, timed out) rather than a close.</summary>
    public long FailedConnections => Interlocked.Read(ref _failed);

    /// <summary>Requests answered (HTTP).</summary>
    public long Requests => Interlocked.Read(ref _requests);

    /// <summary>Datagrams received.</summary>
    public long DatagramsReceived => Interlocked.Read(ref _datagramsReceived);

    /// <summary>Datagrams sent.</summary>
    public long DatagramsSent => Interlocked.Read(ref _datagramsSent);

    /// <summary>Payload bytes received.</summary>
    public long BytesReceived => Interlocked.Read(ref _bytesReceived);

    /// <summary>Payload bytes sent.</summary>
    public long BytesSent => Interlocked.Read(ref _bytesSent);

    /// <summary>Operations that failed without ending the service (an accept, a datagram that could not be sent).</summary>
    public long Errors => Interlocked.Read(ref _errors);

    internal void ConnectionOpened()
    {
        Interlocked.Increment(ref _connections);
        Interlocked.Increment(ref _active);
    }

    internal void ConnectionClosed(bool failed)
    {
        Interlocked.Decrement(ref _active);
        if (failed) Interlocked.Increment(ref _failed);
    }

    internal void Received(long bytes) => Interlocked.Add(ref _bytesReceived, bytes);

    internal void Sent(long bytes) => Interlocked.Add(ref _bytesSent, bytes);

    internal void DatagramReceived(int bytes)
    {
        Interlocked.Increment(ref _datagramsReceived);
        Interlocked.Add(ref _bytesReceived, bytes);
    }

    internal void DatagramSent(int bytes)
    {
        Interlocked.Increment(ref _datagramsSent);
        Interlocked.Add(ref _bytesSent, bytes);
    }

    internal void RequestServed(long received, long sent)
    {
        Interlocked.Increment(ref _requests);
        Interlocked.Add(ref _bytesReceived, received);
        Interlocked.Add(ref _bytesSent, sent);
    }

    internal void Error() => Interlocked.Increment(ref _errors);

    /// <summary>One line: requests, connections or datagrams, bytes each way, failures.</summary>
    public string Format(string transport) => countsRequests
        ? $"{Requests} requests; {BytesReceived} body bytes received, {BytesSent} sent; {Errors} errors"
        : transport == "udp"
        ? $"{DatagramsReceived} datagrams received, {DatagramsSent} sent; {BytesReceived} bytes received, {BytesSent} sent; {Errors} errors"
        : $"{Connections} connections ({ActiveConnections} open, {FailedConnections} reset or failed); {BytesReceived} bytes received, {BytesSent} sent; {Errors} errors";
}
