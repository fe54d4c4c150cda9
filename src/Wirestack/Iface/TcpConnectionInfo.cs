using Wirestack.Tcp;
using Wirestack.Wire;

namespace Wirestack.Iface;

/// <summary>A snapshot of one TCP connection: its state, readiness and negotiated parameters.</summary>
public readonly record struct TcpConnectionInfo
{
    /// <summary>The connection's state.</summary>
    public TcpState State { get; init; }

    /// <summary>Why it ended, when it ended other than by an orderly close.</summary>
    public TcpError Error { get; init; }

    /// <summary>Our address and port.</summary>
    public IpEndpoint LocalEndpoint { get; init; }

    /// <summary>The peer's address and port.</summary>
    public IpEndpoint RemoteEndpoint { get; init; }

    /// <summary>Bytes <see cref="Interface.ReadTcp"/> would return now.</summary>
    public int ReadableBytes { get; init; }

    /// <summary>Bytes <see cref="Interface.WriteTcp(Tcp.TcpHandle, ReadOnlySpan{byte}, Instant)"/> would accept now.</summary>
    public int WritableBytes { get; init; }

    /// <summary>True when the peer closed its side and everything it sent has been read (end of stream).</summary>
    public bool ReadCompleted { get; init; }

    /// <summary>Payload bytes in a full segment we send.</summary>
    public int SendMss { get; init; }

    /// <summary>The congestion window, in bytes.</summary>
    public int CongestionWindow { get; init; }

    /// <summary>The peer's receive window, in bytes.</summary>
    public int SendWindow { get; init; }

    /// <summary>Bytes sent and not yet acknowledged.</summary>
    public int BytesInFlight { get; init; }

    /// <summary>The smoothed round-trip time.</summary>
    public TimeSpan SmoothedRtt { get; init; }

    /// <summary>Whether window scaling was negotiated.</summary>
    public bool WindowScaling { get; init; }

    /// <summary>Whether timestamps were negotiated.</summary>
    public bool Timestamps { get; init; }

    /// <summary>Whether selective acknowledgments were negotiated.</summary>
    public bool SelectiveAcknowledgments { get; init; }
}
